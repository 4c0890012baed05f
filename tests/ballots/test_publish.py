"""The published papers are written exactly as the straightforward writer would (the
count reuses each distinct choice's text), and papers read back compactly carry their
choices unchanged."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest

from rankandfile.ballots import tally
from rankandfile.ballots.models import Ballot, Method, Option, Paper
from rankandfile.ballots.tally import PaperRow
from tests.ballots.factories import open_ballot


def reference_blt(ballot: Any, options: list[Any], papers: list[PaperRow]) -> str:
    lines = [f"{len(options)} {ballot.seats}"]
    for paper in papers:
        prefs = " ".join(str(p + 1) for p in paper.choice)
        lines.append(f"({paper.tracking_code}) 1 {prefs} 0")
    lines.append("0")
    lines.extend('"' + o.name.replace('"', '""') + '"' for o in options)
    lines.append('"' + ballot.title.replace('"', '""') + '"')
    return "\n".join(lines) + "\n"


def reference_csv(ballot: Any, options: list[Any], papers: list[PaperRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if ballot.method == Method.YESNO:
        writer.writerow(["tracking_code", "vote"])
        for paper in papers:
            writer.writerow([paper.tracking_code, paper.choice])
        return out.getvalue()
    writer.writerow(["tracking_code", *(o.name for o in options)])
    for paper in papers:
        row = [""] * len(options)
        for rank, position in enumerate(paper.choice, start=1):
            row[position] = str(rank) if ballot.is_ranked else "1"
        writer.writerow([paper.tracking_code, *row])
    return out.getvalue()


@pytest.mark.parametrize("method", [Method.AV, Method.APPROVAL, Method.YESNO])
def test_published_texts_match_the_plain_writer(method: str) -> None:
    rng = random.Random(4)
    ballot = Ballot(title='Vote "now", please', method=method, seats=1)
    options = [Option(name=n, position=i) for i, n in enumerate(["Ash", 'B "b", c', "Cy"])]
    shared = [[0, 2], [1], [2, 1, 0]]
    papers = []
    for i in range(300):
        code = "".join(rng.choice("ABC234") for _ in range(10))
        if i % 50 == 0:
            code = ["", "A,B", 'Q"Q', " SP", "X\nY", "ÉTÉ"][i // 50]  # the csv module quotes
        if method == Method.YESNO:
            choice: Any = rng.choice(["yes", "no", "abstain"])
        elif i % 3:
            choice = rng.choice(shared)  # shared objects, as _paper_rows gives them
        else:
            choice = rng.sample(range(3), rng.randint(1, 3))  # one object a paper
        papers.append(PaperRow(code, choice))
    assert tally.papers_csv(ballot, options, papers) == reference_csv(ballot, options, papers)
    if method != Method.YESNO:
        assert tally.papers_blt(ballot, options, papers) == reference_blt(ballot, options, papers)


@pytest.mark.django_db
def test_papers_are_read_back_with_their_choices() -> None:
    ballot = open_ballot(voters=1)
    written = {"AAAA": [2, 0, 1], "BBBB": [2, 0, 1], "CCCC": [1], "DDDD": "abstain"}
    for code, choice in written.items():
        Paper.objects.create(ballot=ballot, tracking_code=code, choice=choice)
    rows = tally._paper_rows(ballot)
    assert {r.tracking_code: r.choice for r in rows} == written
    same = [r.choice for r in rows if r.tracking_code in ("AAAA", "BBBB")]
    assert same[0] is same[1]  # decoded once
