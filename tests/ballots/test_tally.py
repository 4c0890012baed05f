"""Closing, counting, publishing, recounting and declaring; who sees the result."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import replace
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from rankandfile.ballots import permissions, services, tally, tasks
from rankandfile.ballots.models import Ballot, Method, Paper, Visibility
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.counting import methods, yesno
from rankandfile.counting.blt import parse_blt
from tests.ballots.factories import AFTER, CLOSES, DURING, BallotFactory, electors, open_ballot
from tests.conftest import Party

pytestmark = pytest.mark.django_db

CODE = re.compile(r"^\(([2-9A-HJKMNP-Z]{10})\) 1 ", re.MULTILINE)


def vote_all(ballot: Ballot, choices: list[Any]) -> list[str]:
    """Every elector votes, the i-th one ``choices[i]``; returns the tracking codes."""
    codes = []
    with time_machine.travel(DURING, tick=False):
        for elector, choice in zip(electors(ballot), choices, strict=False):
            codes.append(services.ballot_cast(ballot=ballot, elector=elector, choice=choice))
    return [r.tracking_code for r in codes]


def close(ballot: Ballot) -> Ballot:
    with time_machine.travel(AFTER, tick=False):
        return tally.ballot_close(actor=None, ballot=ballot)


def count_blt_directly(ballot: Ballot) -> dict[str, Any]:
    """What anyone gets by counting the downloaded BLT with the counting library."""
    election = parse_blt(ballot.papers_blt)
    ballots = election.ballots
    genders = [o.gender for o in ballot.options.order_by("position")]
    if any(genders):
        ballots = replace(
            ballots,
            candidates=tuple(
                type(c)(c.name, {**dict(c.attributes), "gender": g})
                for c, g in zip(ballots.candidates, genders, strict=True)
            ),
        )
    result = methods.count(
        ballot.method,
        ballots,
        seats=ballot.seats,
        quotas=ballot.quota_minimums or None,
        seed=ballot.seed,
    )
    return {"kind": "ranked", **result.to_dict()}


def test_a_ballot_cannot_close_before_its_closing_time() -> None:
    ballot = open_ballot()
    with time_machine.travel(DURING, tick=False):
        with pytest.raises(DomainError, match="the ballot closes at 17:00 on 08 May 2024"):
            tally.ballot_close(actor=None, ballot=ballot)
        assert tally.close_due() == []
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.OPEN


RANKED_CASES = [
    (Method.AV, 1, {}, [[0, 1], [1, 0], [2, 1], [0], [1, 2, 0], [0, 2]]),
    (Method.SCOTTISH_STV, 2, {}, [[0, 1], [1, 0], [2, 1], [0], [1, 2, 0], [0, 2], [2]]),
    (Method.MEEK, 2, {"woman": 1}, [[0, 1], [1, 0], [0, 1], [0], [1, 0, 2], [0, 1]]),
    (Method.SCHULZE, 1, {}, [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [1, 0]]),
    (Method.PLURALITY, 1, {}, [[0], [1], [1], [2], [1]]),
    (Method.APPROVAL, 1, {}, [[0, 1], [1], [1, 2], [0, 2], [2]]),
    (Method.BLOCK, 2, {}, [[0, 1], [1], [1, 2], [0, 2], [2]]),
]


@pytest.mark.parametrize(("method", "seats", "quotas", "choices"), RANKED_CASES)
def test_close_counts_the_published_papers(
    method: str, seats: int, quotas: dict[str, int], choices: list[Any]
) -> None:
    options = [("Ada", "man"), ("Bo", "man"), ("Cy", "woman")] if quotas else None
    ballot = open_ballot(
        voters=len(choices) + 2, method=method, seats=seats, quota_minimums=quotas, options=options
    )
    codes = vote_all(ballot, choices)

    with time_machine.travel(AFTER, tick=False):
        closed = tally.close_due()
    assert [b.pk for b in closed] == [ballot.pk]
    ballot.refresh_from_db()

    assert ballot.state == Ballot.State.COUNTED
    assert ballot.turnout == len(choices)
    assert ballot.counted_at is not None
    # The published papers: every tracking code once, with its preferences.
    assert sorted(CODE.findall(ballot.papers_blt)) == sorted(codes)
    assert ballot.papers_blt.splitlines()[0] == f"3 {seats}"
    assert ballot.papers_digest == hashlib.sha256(ballot.papers_blt.encode()).hexdigest()
    rows = list(csv.reader(io.StringIO(ballot.papers_csv)))
    assert rows[0] == ["tracking_code", *(o.name for o in ballot.options.order_by("position"))]
    assert sorted(r[0] for r in rows[1:]) == sorted(codes)
    # Counting the download with the counting library gives the declared result exactly.
    assert json.loads(json.dumps(ballot.result)) == json.loads(
        json.dumps(count_blt_directly(ballot))
    )
    assert ballot.result["kind"] == "ranked"
    recount = tally.ballot_recount(actor=None, ballot=ballot)
    assert recount.matches and recount.digest_matches
    assert recount.papers_match and recount.published_match


def test_the_csv_gives_each_paper_its_marks() -> None:
    ballot = open_ballot(voters=1)
    (code,) = vote_all(ballot, [[2, 0]])
    close(ballot)
    ballot.refresh_from_db()
    assert ballot.papers_csv.splitlines() == [
        "tracking_code,Ada Adams,Bo Brown,Cy Clarke",
        f"{code},2,,1",
    ]
    assert f"({code}) 1 3 1 0" in ballot.papers_blt


def test_a_yes_no_ballot_is_counted_from_its_csv() -> None:
    ballot = open_ballot(voters=6, method=Method.YESNO, threshold="two_thirds")
    codes = vote_all(ballot, ["yes", "yes", "no", "abstain", "yes"])
    close(ballot)
    ballot.refresh_from_db()
    assert ballot.papers_blt == ""
    assert ballot.papers_digest == hashlib.sha256(ballot.papers_csv.encode()).hexdigest()
    rows = list(csv.DictReader(io.StringIO(ballot.papers_csv)))
    assert sorted(r["tracking_code"] for r in rows) == sorted(codes)
    direct = yesno.count_yes_no_votes([r["vote"] for r in rows], threshold=yesno.TWO_THIRDS)
    assert ballot.result == {"kind": "yesno", **json.loads(json.dumps(direct.to_dict()))}
    assert ballot.turnout == 5
    assert tally.ballot_recount(actor=None, ballot=ballot).matches


def test_a_ballot_nobody_voted_in_still_closes() -> None:
    ballot = close(open_ballot())
    assert ballot.state == Ballot.State.COUNTED
    assert ballot.turnout == 0
    assert ballot.result is not None
    assert tally.ballot_recount(actor=None, ballot=ballot).matches


def test_tampering_with_a_stored_paper_shows_in_the_recount() -> None:
    ballot = open_ballot(voters=5)
    vote_all(ballot, [[0], [0], [1], [1], [0]])
    close(ballot)
    ballot.refresh_from_db()
    paper = Paper.objects.filter(ballot=ballot, choice=[0]).first()
    assert paper is not None
    paper.choice = [1]
    paper.save()

    recount = tally.ballot_recount(actor=None, ballot=ballot)

    assert not recount.papers_match and not recount.digest_matches
    assert recount.published_match  # the published text itself is untouched
    assert not recount.matches  # and the winner changed
    entry = AuditEntry.objects.filter(action="ballots.ballot.recount").latest("seq")
    assert entry.data["papers_match"] is False


def test_a_removed_or_added_paper_shows_in_the_recount() -> None:
    ballot = open_ballot(voters=4)
    vote_all(ballot, [[0], [1], [1]])
    close(ballot)
    ballot.refresh_from_db()
    Paper.objects.create(ballot=ballot, tracking_code="ZZZZZZZZZZ", choice=[0])
    assert not tally.ballot_recount(actor=None, ballot=ballot).digest_matches
    Paper.objects.filter(tracking_code="ZZZZZZZZZZ").delete()
    assert tally.ballot_recount(actor=None, ballot=ballot).digest_matches
    Paper.objects.filter(ballot=ballot).first().delete()  # type: ignore[union-attr]
    assert not tally.ballot_recount(actor=None, ballot=ballot).digest_matches


def test_editing_the_published_papers_shows_in_the_recount() -> None:
    ballot = open_ballot(voters=3)
    vote_all(ballot, [[0], [1], [1]])
    close(ballot)
    Ballot.objects.filter(pk=ballot.pk).update(papers_blt="3 1\n0\n")
    ballot.refresh_from_db()
    recount = tally.ballot_recount(actor=None, ballot=ballot)
    assert not recount.published_match and not recount.digest_matches
    assert recount.papers_match and recount.matches


def test_recount_needs_a_count() -> None:
    with pytest.raises(DomainError, match="not been counted"):
        tally.ballot_recount(actor=None, ballot=open_ballot())


def test_a_voter_looks_up_their_tracking_code() -> None:
    ballot = open_ballot()
    code, *_ = vote_all(ballot, [[1, 0], [0]])
    assert tally.lookup_code(ballot, code) is None  # nothing is published before the count
    close(ballot)
    ballot.refresh_from_db()
    paper = tally.lookup_code(ballot, f" {code.lower()} ")
    assert paper is not None and paper.choice == [1, 0]
    assert tally.lookup_code(ballot, "2222222222") is None
    assert tally.lookup_code(open_ballot(), code) is None


def test_declaring(party: Party) -> None:
    ballot = open_ballot(party.northtown)
    with pytest.raises(DomainError, match="only a counted ballot"):
        tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    close(ballot)
    for who in ("member", "scrutineer", "branch_officer"):
        with pytest.raises(PermissionDenied):
            tally.ballot_declare(actor=getattr(party, who), ballot=ballot)
    declared = tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    assert declared.state == Ballot.State.DECLARED and declared.declared_at is not None
    assert AuditEntry.objects.get(action="ballots.ballot.declare").actor == party.clp_secretary


def test_who_sees_the_result(party: Party) -> None:
    ballot = open_ballot(party.northtown, results_visibility=Visibility.PUBLIC)
    vote_all(ballot, [[0], [1], [0]])
    officer, scrutineer, member = party.clp_secretary, party.scrutineer, party.member
    outsider = party.no_roles
    assert not permissions.can_view_result(officer, ballot)  # not counted yet
    close(ballot)
    ballot.refresh_from_db()
    assert permissions.can_view_result(officer, ballot)
    assert permissions.can_view_result(scrutineer, ballot)
    assert not permissions.can_view_result(member, ballot)  # until declared
    assert not permissions.can_view_result(outsider, ballot)
    tally.ballot_declare(actor=officer, ballot=ballot)
    ballot.refresh_from_db()
    assert permissions.can_view_result(member, ballot)
    assert permissions.can_view_result(outsider, ballot)  # public


@pytest.mark.parametrize(
    ("visibility", "member_sees", "outsider_sees"),
    [
        (Visibility.ELECTORATE, True, False),
        (Visibility.OFFICERS, False, False),
    ],
)
def test_declared_results_follow_the_ballots_visibility(
    party: Party, visibility: str, member_sees: bool, outsider_sees: bool
) -> None:
    ballot = open_ballot(party.northtown, results_visibility=visibility)
    close(ballot)
    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    ballot.refresh_from_db()
    assert permissions.can_view_result(party.member, ballot) is member_sees
    assert permissions.can_view_result(party.no_roles, ballot) is outsider_sees
    assert permissions.can_view_result(party.clp_secretary, ballot)


def test_close_ballot_task() -> None:
    ballot = open_ballot()
    vote_all(ballot, [[0]])
    with time_machine.travel(DURING, tick=False):
        assert tasks.close_ballot_task.call(ballot.pk) == "not due"
    with time_machine.travel(AFTER, tick=False):
        assert tasks.close_ballot_task.call(ballot.pk) == "counted"
        assert tasks.close_ballot_task.call(ballot.pk) == "not open"  # idempotent
    ballot.refresh_from_db()
    assert ballot.turnout == 1
    entry = AuditEntry.objects.get(action="ballots.ballot.close")
    assert entry.channel == "task" and entry.actor is None


def test_close_ballot_task_through_the_backend(
    dummy_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot()
    dummy_tasks.clear()
    with time_machine.travel(DURING, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_ballot_task.call(ballot.pk) == "not due"
    (again,) = dummy_tasks.results
    assert again.task.run_after == CLOSES


def test_close_due_command(capsys: Any) -> None:
    due, later = open_ballot(), open_ballot()
    Ballot.objects.filter(pk=later.pk).update(closes_at=CLOSES.replace(day=20))
    draft = BallotFactory()
    with time_machine.travel(AFTER, tick=False):
        call_command("ballots_close_due")
    out = capsys.readouterr().out
    assert f"closed ballot {due.pk}" in out and "turnout 0" in out
    states = dict(Ballot.objects.values_list("pk", "state"))
    assert states == {
        due.pk: Ballot.State.COUNTED,
        later.pk: Ballot.State.OPEN,
        draft.pk: Ballot.State.DRAFT,
    }
    with time_machine.travel(AFTER, tick=False):
        call_command("ballots_close_due", verbosity=2)
    assert "no ballot is due to close" in capsys.readouterr().out
