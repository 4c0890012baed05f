"""Closing, counting, publishing and declaring a ballot.

At close the sealed papers of the open ballot are opened and written as papers in random
order (``ballots.secrecy.open_box``, in the closing transaction). The count is run on the
published papers themselves: the papers are shuffled,
written out as BLT (ranked and approval methods) or CSV (yes/no) with each paper's
tracking code, digested with SHA-256, and that text is what the counting library reads.
So ``rankandfile count papers.blt --method <method> --seats <seats> --seed <seed>`` on the
download reproduces the declared result exactly, and a recount can never differ from the
count unless the stored papers were altered.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop

from rankandfile.ballots import secrecy
from rankandfile.ballots.models import (
    SECTIONS,
    Ballot,
    Method,
    Option,
    Paper,
    PaperSection,
    Section,
    Threshold,
)
from rankandfile.ballots.services import _require_manager
from rankandfile.core import audit
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User
from rankandfile.counting import yesno
from rankandfile.counting.blt import parse_blt
from rankandfile.counting.methods import count as count_ranked

_THRESHOLDS = {
    Threshold.SIMPLE: yesno.SIMPLE_MAJORITY,
    Threshold.TWO_THIRDS: yesno.TWO_THIRDS,
    Threshold.TWO_THIRDS_PRESENT: yesno.TWO_THIRDS_OF_PRESENT,
}


class PaperRow(NamedTuple):
    """A paper as the count needs it (no model instance: half a million of them are slow).

    ``section``: the voter's electorate section (decision 0025), used only for the figures
    by section; the published papers (BLT, CSV) never carry it."""

    tracking_code: str
    choice: Any
    section: str = Section.MEMBER


AnyPaper = Paper | PaperRow


def _paper_rows(ballot: Ballot) -> list[PaperRow]:
    """Every paper of the ballot as (tracking code, choice).

    Read with one plain query, the choice as its JSON text, and each distinct text
    decoded once: half a million papers hold a few thousand distinct rankings, and the
    ORM's per-row JSON decoding was most of the time a count took. Papers with the same
    choice share one (read-only) decoded object."""
    connection = connections[router.db_for_read(Paper)]
    qn = connection.ops.quote_name
    meta = Paper._meta
    choice = qn(meta.get_field("choice").column)
    if connection.vendor == "postgresql":
        choice += "::text"
    sql = (
        f"SELECT {qn(meta.get_field('tracking_code').column)}, {choice}, "  # noqa: S608
        f"{qn(meta.get_field('section').column)} "
        f"FROM {qn(meta.db_table)} WHERE {qn(meta.get_field('ballot').column)} = %s"
    )
    decoded: dict[str, Any] = {}
    rows: list[PaperRow] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [ballot.pk])
        while batch := cursor.fetchmany(20_000):
            for code, text, section in batch:
                value = decoded.get(text)
                if value is None:
                    value = decoded[text] = json.loads(text)
                rows.append(PaperRow(code, value, section))
    return rows


def _shuffled(papers: list[PaperRow]) -> list[PaperRow]:
    """The papers in a uniformly random order from the operating system's CSPRNG: sorted
    by a random 64-bit key each (ties, about n^2 / 2^65 likely, keep their order)."""
    keys = np.frombuffer(os.urandom(8 * len(papers)), dtype=np.uint64)
    return [papers[i] for i in np.argsort(keys, kind="stable").tolist()]


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _per_choice(papers: Sequence[AnyPaper], text: Any) -> list[str]:
    """``text(paper.choice)`` for every paper, computed once per distinct choice object
    (papers read by :func:`_paper_rows` share them) and recomputed for any other."""
    cache: dict[int, tuple[Any, str]] = {}
    get = cache.get
    out: list[str] = []
    append = out.append
    for paper in papers:
        choice = paper.choice
        hit = get(id(choice))
        if hit is None or hit[0] is not choice:
            hit = cache[id(choice)] = (choice, text(choice))
        append(hit[1])
    return out


def papers_blt(ballot: Ballot, options: list[Option], papers: Sequence[AnyPaper]) -> str:
    """The anonymised papers as BLT, one line per paper: ``(CODE) 1 p2 p3 ... 0``."""
    number = [str(p + 1) for p in range(len(options))]
    prefs = _per_choice(papers, lambda choice: " ".join([number[p] for p in choice]))
    lines = [f"{len(options)} {ballot.seats}"]
    lines.extend(
        [f"({paper.tracking_code}) 1 {p} 0" for paper, p in zip(papers, prefs, strict=True)]
    )
    lines.append("0")
    lines.extend(_quote(o.name) for o in options)
    lines.append(_quote(ballot.title))
    return "\n".join(lines) + "\n"


def papers_csv(ballot: Ballot, options: list[Option], papers: Sequence[AnyPaper]) -> str:
    """The anonymised papers as CSV: tracking code, then each option's preference (ranked),
    mark (approval, block: 1 or blank) or the answer (yes/no)."""
    header = io.StringIO()
    writer = csv.writer(header, lineterminator="\n")
    if ballot.method == Method.YESNO:
        writer.writerow(["tracking_code", "vote"])

        def cells(choice: Any) -> list[str]:
            return [str(choice)]
    else:
        writer.writerow(["tracking_code", *(o.name for o in options)])
        ranked = ballot.is_ranked

        def cells(choice: Any) -> list[str]:
            row = [""] * len(options)
            for rank, position in enumerate(choice, start=1):
                row[position] = str(rank) if ranked else "1"
            return row

    # Each distinct choice is written once by the csv module (so quoted exactly as it
    # would be) and reused: the rows differ only by the tracking code in front.
    def rest(choice: Any) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(["", *cells(choice)])
        return out.getvalue()

    tails = _per_choice(papers, rest)
    lines = [header.getvalue()]
    for paper, tail in zip(papers, tails, strict=True):
        code = paper.tracking_code
        if code.isalnum():  # the codes this app issues
            lines.append(code + tail)
        else:  # quoted by the csv module, whatever it holds
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerow([code, *cells(paper.choice)])
            lines.append(out.getvalue())
    return "".join(lines)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def count_published(
    ballot: Ballot, options: list[Option], blt: str, csv_text: str
) -> dict[str, Any]:
    """Count the published papers; return the JSON-ready result."""
    if ballot.method == Method.YESNO:
        votes = [row["vote"] for row in csv.DictReader(io.StringIO(csv_text))]
        answer = yesno.count_yes_no(
            votes.count("yes"),
            votes.count("no"),
            votes.count("abstain"),
            threshold=_THRESHOLDS[Threshold(ballot.threshold or Threshold.SIMPLE)],
        )
        return {"kind": "yesno", **answer.to_dict()}
    # Paper lines are the ones starting "(CODE)"; the parser refuses a file without any.
    if not any(line.startswith("(") for line in blt.splitlines()[1:]):
        return {"kind": "empty", "method": ballot.method, "note": "no votes were cast"}
    election = parse_blt(blt)
    ballots = election.ballots
    if any(o.gender for o in options):
        from dataclasses import replace

        ballots = replace(
            ballots,
            candidates=tuple(
                type(c)(c.name, {**dict(c.attributes), "gender": o.gender})
                for c, o in zip(ballots.candidates, options, strict=True)
            ),
        )
    result = count_ranked(
        ballot.method,
        ballots,
        seats=ballot.seats,
        quotas=ballot.quota_minimums or None,
        quota_attribute=ballot.quota_attribute or "gender",
        seed=ballot.seed,
    )
    return {"kind": "ranked", **result.to_dict()}


# --- results by electorate section (decision 0025) ------------------------------------------
SUPPORTERS = PaperSection.SUPPORTERS.value
# Stored in English with the result; worded in the reader's language where shown
# (``queries.section_table``).
SECTION_LABELS = {
    Section.MEMBER.value: gettext_noop("Members"),
    Section.AFFILIATED.value: gettext_noop("Affiliated supporters"),
    Section.REGISTERED.value: gettext_noop("Registered supporters"),
    SUPPORTERS: gettext_noop("Supporters (affiliated and registered)"),
}
#: Why a result is merged or not broken down, for the record (``{k}``: the minimum).
SECTION_NOTES = {
    "": "",
    "members_only": "only members' papers: nothing to break down",
    "merged": (
        "affiliated and registered supporters are shown together: one of the two sections "
        "has fewer than {k} papers"
    ),
    "too_few": "not broken down by section: a section has fewer than {k} papers",
}


def by_section(
    ballot: Ballot, options: list[Option], papers: Sequence[AnyPaper], result: dict[str, Any]
) -> dict[str, Any] | None:
    """AV figures by electorate section: each section's first preferences and its papers
    in the final round. The final round is replayed from the count's own stages: the
    candidates still continuing at the last stage, and each paper's highest preference
    among them (AV transfers whole papers), so the sections of the final round add up to
    the count's. ``None`` unless the ballot publishes results by section and is an AV
    count with votes. Sections under ``ELECTION_SECTION_MIN_PAPERS`` papers are merged or
    not broken down (:func:`secrecy.published_sections`; the close already wrote the
    papers' sections no finer than that)."""
    if not secrecy.breaks_down_by_section(ballot):
        return None
    if result.get("kind") != "ranked" or not result.get("stages"):
        return None
    k = secrecy.section_min_papers()
    counts: dict[str, int] = {}
    for paper in papers:
        section = getattr(paper, "section", PaperSection.NOT_RECORDED)
        counts[section] = counts.get(section, 0) + 1
    mapping, reason = secrecy.published_sections(counts, k)
    note = SECTION_NOTES[reason].format(k=k)
    out: dict[str, Any] = {"min_papers": k, "reason": reason, "note": note, "sections": []}
    if not mapping:
        return out
    names = [o.name for o in options]
    last = result["stages"][-1]
    out_of_count = {"excluded", "withdrawn"}
    finalists = [i for i, name in enumerate(names) if last["states"].get(name) not in out_of_count]
    finalist_set = set(finalists)
    order = [s for s in (*SECTIONS, SUPPORTERS) if s in set(mapping.values())]
    first = {s: [0] * len(names) for s in order}
    final = {s: [0] * len(names) for s in order}
    exhausted = dict.fromkeys(order, 0)
    papers_in = dict.fromkeys(order, 0)
    for paper in papers:
        section = mapping[getattr(paper, "section", PaperSection.NOT_RECORDED)]
        papers_in[section] += 1
        choice = paper.choice
        if choice:
            first[section][choice[0]] += 1
        top = next((p for p in choice if p in finalist_set), None)
        if top is None:
            exhausted[section] += 1
        else:
            final[section][top] += 1
    for s in order:
        out["sections"].append(
            {
                "section": s,
                "label": SECTION_LABELS[s],
                "papers": papers_in[s],
                "first_preferences": {names[i]: first[s][i] for i in range(len(names))},
                "final_round": {names[i]: final[s][i] for i in finalists},
                "non_transferable": exhausted[s],
            }
        )
    return out


def _with_sections(
    ballot: Ballot, options: list[Option], papers: Sequence[AnyPaper], result: dict[str, Any]
) -> dict[str, Any]:
    sections = by_section(ballot, options, papers, result)
    return result if sections is None else {**result, "by_section": sections}


@transaction.atomic
def ballot_close(*, actor: User | None, ballot: Ballot, now: Any = None) -> Ballot:
    """Close an open ballot whose closing time has passed, then count it."""
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    now = now or timezone.now()
    if ballot.state != Ballot.State.OPEN:
        return ballot
    if now < ballot.closes_at:
        raise DomainError(
            gettext("the ballot closes at %(time)s on %(date)s")
            % {
                "time": date_format(timezone.localtime(ballot.closes_at), "H:i"),
                "date": date_format(timezone.localtime(ballot.closes_at), "d F Y"),
            }
        )
    ballot.state = Ballot.State.CLOSED
    ballot.save(update_fields=["state"])
    audit.record(actor=actor, action="ballots.ballot.close", target=ballot)
    return ballot_count(actor=actor, ballot=ballot)


@transaction.atomic
def ballot_count(*, actor: User | None, ballot: Ballot) -> Ballot:
    """Open the sealed papers into the ballot box, shuffle and publish the papers, digest
    them, and count the published text."""
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    if ballot.state != Ballot.State.CLOSED:
        raise DomainError(gettext("only a closed ballot can be counted"))
    opened = secrecy.open_box(ballot)
    options = list(ballot.options.order_by("position"))
    # The published order says nothing about the voting order.
    papers = _shuffled(_paper_rows(ballot))
    blt = papers_blt(ballot, options, papers) if ballot.method != Method.YESNO else ""
    csv_text = papers_csv(ballot, options, papers)
    ballot.papers_blt = blt
    ballot.papers_csv = csv_text
    ballot.papers_digest = digest(blt if blt else csv_text)
    ballot.result = _with_sections(
        ballot, options, papers, count_published(ballot, options, blt, csv_text)
    )
    ballot.turnout = len(papers)
    ballot.counted_at = timezone.now()
    ballot.state = Ballot.State.COUNTED
    ballot.save()
    audit.record(
        actor=actor,
        action="ballots.ballot.count",
        target=ballot,
        data={
            "turnout": ballot.turnout,
            "papers_digest": ballot.papers_digest,
            "sealed_papers_opened": opened,
        },
    )
    return ballot


@dataclass(frozen=True)
class Recount:
    """The outcome of a recount.

    ``result`` is the count of the papers stored now; ``matches`` says it equals the
    declared result. ``published_match``: the published text still has its SHA-256;
    ``papers_match``: the stored papers, written out in the published order, give that
    same text (no paper altered, added or removed since the count). ``digest_matches`` is
    both.
    """

    result: dict[str, Any]
    matches: bool
    digest_matches: bool
    published_match: bool = True
    papers_match: bool = True


def _published_order(ballot: Ballot) -> list[PaperRow]:
    """The stored papers in the order of the published CSV (which lists every method's
    papers by tracking code); papers missing from it (added later) go last."""
    stored = {p.tracking_code: p for p in _paper_rows(ballot)}
    codes = [row[0] for row in csv.reader(io.StringIO(ballot.papers_csv)) if row][1:]
    papers = [stored.pop(code) for code in codes if code in stored]
    papers.extend(sorted(stored.values(), key=lambda p: p.tracking_code))
    return papers


@transaction.atomic
def ballot_recount(*, actor: User | None, ballot: Ballot) -> Recount:
    """Re-run the count on the stored papers and compare with the published papers and
    the declared result: any paper altered, added or removed since the count, or any edit
    to the published text, shows as a digest mismatch (and usually a different result)."""
    ballot = Ballot.objects.get(pk=ballot.pk)  # what is stored now, not the caller's copy
    if ballot.state not in (Ballot.State.COUNTED, Ballot.State.DECLARED):
        raise DomainError(gettext("the ballot has not been counted yet"))
    options = list(ballot.options.order_by("position"))
    published = ballot.papers_blt if ballot.method != Method.YESNO else ballot.papers_csv
    papers = _published_order(ballot)
    blt = papers_blt(ballot, options, papers) if ballot.method != Method.YESNO else ""
    csv_text = papers_csv(ballot, options, papers)
    result = _with_sections(
        ballot, options, papers, count_published(ballot, options, blt, csv_text)
    )
    published_match = digest(published) == ballot.papers_digest
    papers_match = digest(blt if blt else csv_text) == ballot.papers_digest
    outcome = Recount(
        result=result,
        matches=json.dumps(result, sort_keys=True) == json.dumps(ballot.result, sort_keys=True),
        digest_matches=published_match and papers_match,
        published_match=published_match,
        papers_match=papers_match,
    )
    audit.record(
        actor=actor,
        action="ballots.ballot.recount",
        target=ballot,
        data={
            "matches": outcome.matches,
            "digest_matches": outcome.digest_matches,
            "published_match": published_match,
            "papers_match": papers_match,
        },
    )
    return outcome


@transaction.atomic
def ballot_declare(*, actor: User, ballot: Ballot) -> Ballot:
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    _require_manager(actor, ballot)
    if ballot.state != Ballot.State.COUNTED:
        raise DomainError(gettext("only a counted ballot can be declared"))
    ballot.state = Ballot.State.DECLARED
    ballot.declared_at = timezone.now()
    ballot.save(update_fields=["state", "declared_at"])
    audit.record(actor=actor, action="ballots.ballot.declare", target=ballot)
    return ballot


def lookup_code(ballot: Ballot, code: str) -> Paper | None:
    """A voter checks their paper is among the published ones (after the count)."""
    if ballot.state not in (Ballot.State.COUNTED, Ballot.State.DECLARED):
        return None
    return Paper.objects.filter(ballot=ballot, tracking_code=code.strip().upper()).first()


def close_due(now: Any = None) -> list[Ballot]:
    """Close and count every open ballot whose closing time has passed (and, first, mix
    the pending papers of every open ballot with a batch of them waiting: the sweep behind
    the mixing task)."""
    now = now or timezone.now()
    secrecy.mix_open_ballots()
    closed = []
    for ballot in Ballot.objects.filter(state=Ballot.State.OPEN, closes_at__lte=now):
        closed.append(ballot_close(actor=None, ballot=ballot, now=now))
    return closed
