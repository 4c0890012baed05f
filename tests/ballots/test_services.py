"""Ballot services: set-up, permissions, the frozen electorate, casting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from rankandfile.ballots import casting, services
from rankandfile.ballots.models import Ballot, Elector, Method, SealedPaper, VoteRecord
from rankandfile.ballots.services import (
    AlreadyVoted,
    BallotNotOpen,
    OptionSpec,
    setup_problems,
)
from rankandfile.core import tokens
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.membership.eligibility import electorate_digest, explain
from rankandfile.membership.models import Period
from tests.ballots.factories import (
    AFTER,
    CLOSES,
    DURING,
    FREEZE,
    JOINED,
    OPENS,
    BallotFactory,
    electors,
    open_ballot,
    sealed_paper,
)
from tests.conftest import Party
from tests.membership.factories import MemberFactory

pytestmark = pytest.mark.django_db


def create(actor: Any, party: Party, **kwargs: Any) -> Ballot:
    defaults: dict[str, Any] = {
        "title": "Chair",
        "method": Method.AV,
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "freeze_date": FREEZE,
        "clp": party.northtown,
        "options": [OptionSpec("Ada"), OptionSpec("Bo")],
    }
    return services.ballot_create(actor=actor, **{**defaults, **kwargs})


# --- creating ---------------------------------------------------------------------------
def test_a_clp_secretary_creates_a_ballot_for_their_clp(party: Party) -> None:
    ballot = create(party.clp_secretary, party, title="  Chair of the CLP ")
    assert ballot.state == Ballot.State.DRAFT
    assert ballot.title == "Chair of the CLP"
    assert [o.name for o in ballot.options.order_by("position")] == ["Ada", "Bo"]
    assert ballot.seed is not None
    entry = AuditEntry.objects.get(action="ballots.ballot.create")
    assert entry.actor == party.clp_secretary and entry.object_id == str(ballot.pk)


@pytest.mark.parametrize("who", ["member", "branch_officer", "affiliate_officer", "no_roles"])
def test_others_may_not_create_a_clp_ballot(party: Party, who: str) -> None:
    with pytest.raises(PermissionDenied, match="may not run ballots for that part"):
        create(getattr(party, who), party)
    assert not Ballot.objects.exists()


def test_a_clp_secretary_may_not_create_a_ballot_for_another_clp(party: Party) -> None:
    with pytest.raises(PermissionDenied):
        create(party.clp_secretary, party, clp=party.southport)
    with pytest.raises(PermissionDenied):
        create(party.clp_secretary, party, scope_kind="party", clp=None)


def test_higher_officers_may_create(party: Party) -> None:
    assert create(party.regional_officer, party).clp == party.northtown
    assert create(party.national_admin, party, scope_kind="party", clp=None).clp is None
    with pytest.raises(PermissionDenied):
        create(party.regional_officer, party, clp=party.southport)


def test_create_refuses_bad_input(party: Party) -> None:
    with pytest.raises(DomainError, match="unknown method 'borda'"):
        create(party.clp_secretary, party, method="borda")
    with pytest.raises(DomainError, match="must close after it opens"):
        create(party.clp_secretary, party, closes_at=OPENS)
    with pytest.raises(DomainError, match="'ada' is listed twice"):
        create(party.clp_secretary, party, options=[OptionSpec("Ada"), OptionSpec("ada")])


# --- set-up checks ------------------------------------------------------------------------
def draft(**kwargs: Any) -> Ballot:
    defaults: dict[str, Any] = {
        "title": "Chair",
        "method": Method.AV,
        "seats": 1,
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "freeze_date": FREEZE,
        "scope_kind": "party",
    }
    return Ballot(**{**defaults, **kwargs})


def specs(*names: str, gender: str = "") -> list[OptionSpec]:
    return [OptionSpec(n, gender=gender) for n in names]


def test_a_good_set_up_has_no_problems() -> None:
    assert setup_problems(draft(), specs("Ada", "Bo")) == []
    assert setup_problems(draft(method=Method.YESNO), []) == []
    assert (
        setup_problems(
            draft(method=Method.SCOTTISH_STV, seats=2, quota_minimums={"woman": 1}),
            [*specs("Ada", "Bea", gender="woman"), *specs("Cy", gender="man")],
        )
        == []
    )


@pytest.mark.parametrize(
    ("ballot", "options", "problem"),
    [
        (
            {"method": Method.YESNO},
            ("Ada",),
            "a yes/no ballot has no candidates: put the question in the title",
        ),
        ({}, ("Ada",), "add at least two candidates or options"),
        ({}, ("Ada", " "), "a candidate has no name"),
        ({"seats": 2}, ("Ada", "Bo", "Cy"), "Alternative vote (eliminating ballot) elects one"),
        ({"method": Method.PLURALITY, "seats": 2}, ("A", "B", "C"), "elects one person"),
        ({"closes_at": OPENS}, ("Ada", "Bo"), "the ballot must close after it opens"),
        (
            {"closes_at": OPENS - dt.timedelta(days=1)},
            ("Ada", "Bo"),
            "the ballot must close after it opens",
        ),
        ({}, ("Ada", "Bo", "ADA"), "'ADA' is listed twice"),
        (
            {"method": Method.SCOTTISH_STV, "seats": 3},
            ("Ada", "Bo"),
            "3 seats but only 2 candidates: reduce the seats",
        ),
        (
            {"method": Method.MEEK, "seats": 2, "quota_minimums": {"woman": 2}},
            ("Ada", "Bo", "Cy"),
            "at least 2 seats must go to woman candidates but only 0 are standing",
        ),
        (
            {"method": Method.MEEK, "seats": 2, "quota_minimums": {"woman": 2, "man": 1}},
            ("Ada", "Bo", "Cy"),
            "the quotas add up to 3 seats but only 2 are open",
        ),
        (
            {"method": Method.MEEK, "seats": 2, "quota_minimums": {"woman": -1}},
            ("Ada", "Bo", "Cy"),
            "the quota for 'woman' must be a whole number of seats",
        ),
        (
            {"method": Method.APPROVAL, "seats": 2, "quota_minimums": {"woman": 1}},
            ("Ada", "Bo", "Cy"),
            "quotas apply to STV counts, not to Approval",
        ),
        (
            # The counting engine takes no quotas for AV: refused at set-up, not at the count.
            {"method": Method.AV, "quota_minimums": {"woman": 1}},
            ("Ada", "Bo"),
            "quotas apply to STV counts, not to Alternative vote",
        ),
        (
            {"freeze_date": dt.date(2024, 5, 2)},
            ("Ada", "Bo"),
            "the freeze date must not be after the opening date",
        ),
        ({"min_age": 30, "max_age": 20}, ("Ada", "Bo"), "the minimum age is above the maximum"),
    ],
)
def test_each_set_up_problem_is_explained(
    ballot: dict[str, Any], options: tuple[str, ...], problem: str
) -> None:
    problems = setup_problems(draft(**ballot), specs(*options))
    assert any(problem in p for p in problems), problems


def test_more_candidates_than_the_counting_limit_is_a_set_up_problem() -> None:
    """The count reads the published BLT, whose reader refuses more than
    MAX_CANDIDATES: refused at set-up, not at the count (docs/limits.md)."""
    from rankandfile.counting.limits import MAX_CANDIDATES

    names = [f"C{i}" for i in range(MAX_CANDIDATES + 1)]
    problems = setup_problems(draft(), specs(*names))
    assert "1,001 candidates is more than the limit of 1,000" in problems
    assert not any("limit" in p for p in setup_problems(draft(), specs(*names[:-1])))


def test_a_ballot_with_problems_does_not_open(party: Party) -> None:
    ballot = BallotFactory(clp=party.northtown, seats=3, method=Method.SCOTTISH_STV)
    ballot.options.filter(position=2).delete()
    with pytest.raises(DomainError, match="cannot open the ballot: 3 seats but only 2 cand"):
        services.ballot_open(actor=party.clp_secretary, ballot=ballot)
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.DRAFT and not ballot.electors.exists()


def test_only_the_ballots_officers_open_it(party: Party) -> None:
    ballot = BallotFactory(clp=party.northtown)
    for who in ("member", "branch_officer", "scrutineer"):
        with pytest.raises(PermissionDenied):
            services.ballot_open(actor=getattr(party, who), ballot=ballot)
    southport = BallotFactory(clp=party.southport)
    with pytest.raises(PermissionDenied):
        services.ballot_open(actor=party.clp_secretary, ballot=southport)
    services.ballot_open(actor=party.clp_secretary, ballot=ballot)
    with pytest.raises(DomainError, match="already open"):
        services.ballot_open(actor=party.clp_secretary, ballot=ballot)


# --- the frozen electorate ----------------------------------------------------------------
def test_opening_freezes_the_electorate(party: Party) -> None:
    new = MemberFactory(clp=party.northtown, joined=dt.date(2024, 3, 1))  # too recent
    ballot = services.ballot_open(
        actor=party.clp_secretary, ballot=BallotFactory(clp=party.northtown)
    )
    expected = sorted([party.me.pk, party.neighbour.pk, party.branchmate.pk])
    assert sorted(e.member_id for e in electors(ballot)) == expected
    assert ballot.state == Ballot.State.OPEN
    assert ballot.electorate_size == 3
    assert ballot.electorate_digest == electorate_digest(expected)
    assert ballot.frozen_at is not None
    entry = AuditEntry.objects.get(action="ballots.ballot.open")
    assert entry.data == {"electorate_size": 3, "digest": ballot.electorate_digest}
    # A scrutineer can see why a named member was or was not eligible.
    decision = explain(new, services.rule_for(ballot))
    assert not decision.eligible
    assert any("not met" in r for r in decision.reasons)
    assert explain(party.me, services.rule_for(ballot)).eligible

    # Membership changes after opening do not change the electorate.
    MemberFactory(clp=party.northtown, joined=JOINED)  # joins (or is imported) later
    Period.objects.filter(member=party.neighbour).update(end=dt.date(2024, 5, 2))  # lapses
    assert sorted(Elector.objects.filter(ballot=ballot).values_list("member_id", flat=True)) == (
        expected
    )
    ballot.refresh_from_db()
    assert ballot.electorate_size == 3
    assert ballot.electorate_digest == electorate_digest(expected)


def test_opening_schedules_the_close_when_the_backend_can_defer(
    party: Party, dummy_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from rankandfile.ballots import tasks

    with django_capture_on_commit_callbacks(execute=True):
        ballot = services.ballot_open(actor=None, ballot=BallotFactory(clp=party.northtown))
    (queued,) = dummy_tasks.results
    assert queued.task.func is tasks.close_ballot_task.func
    assert queued.task.run_after == CLOSES
    assert list(queued.args) == [ballot.pk]


def test_opening_schedules_nothing_when_the_backend_cannot_defer(
    party: Party, django_capture_on_commit_callbacks: Any
) -> None:
    from rankandfile.ballots import tasks

    assert not tasks.supports_deferred_tasks()  # the ImmediateBackend of the test settings
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.ballot_open(actor=None, ballot=BallotFactory(clp=party.northtown))
    assert callbacks == []


# --- casting --------------------------------------------------------------------------------
def voter(ballot: Ballot) -> Elector:
    return electors(ballot)[0]


@pytest.mark.parametrize(
    ("method", "seats", "choice", "stored"),
    [
        (Method.AV, 1, [2, 0], [2, 0]),
        (Method.SCOTTISH_STV, 2, [1, 2, 0], [1, 2, 0]),
        (Method.MEEK, 2, [0], [0]),
        (Method.SCHULZE, 1, [1, 0, 2], [1, 0, 2]),
        (Method.PLURALITY, 1, [1], [1]),
        (Method.APPROVAL, 1, [2, 0], [0, 2]),
        (Method.BLOCK, 2, [2, 1], [1, 2]),
        (Method.YESNO, 1, "yes", "yes"),
        (Method.YESNO, 1, "abstain", "abstain"),
    ],
)
def test_casting_stores_the_paper_apart_from_the_record(
    method: str, seats: int, choice: Any, stored: Any
) -> None:
    ballot = open_ballot(method=method, seats=seats)
    elector = voter(ballot)
    with time_machine.travel(DURING, tick=False):
        receipt = services.ballot_cast(ballot=ballot, elector=elector, choice=choice)
    paper = sealed_paper(ballot)
    assert paper.choice == stored
    assert paper.tracking_code == receipt.tracking_code
    assert len(receipt.tracking_code) == 10
    assert VoteRecord.objects.filter(ballot=ballot, member_id=elector.member_id).exists()
    assert services.has_voted(ballot, elector.member_id)
    assert not AuditEntry.objects.filter(action__contains="cast").exists()


@pytest.mark.parametrize(
    ("method", "seats", "choice", "message"),
    [
        (Method.AV, 1, "Ada", "the paper is not filled in"),
        (Method.AV, 1, ["0"], "the paper is not filled in"),
        (Method.AV, 1, None, "the paper is not filled in"),
        (Method.AV, 1, [], "mark at least one candidate"),
        (Method.AV, 1, [3], "the paper names a candidate who is not standing"),
        (Method.AV, 1, [-1], "the paper names a candidate who is not standing"),
        (Method.AV, 1, [0, 1, 0], "a candidate is marked more than once"),
        (Method.SCOTTISH_STV, 2, [1, 1], "a candidate is marked more than once"),
        (Method.PLURALITY, 1, [0, 1], "mark one candidate only"),
        (Method.APPROVAL, 1, [], "mark at least one candidate"),
        (Method.APPROVAL, 1, [0, 0], "a candidate is marked more than once"),
        (Method.BLOCK, 2, [0, 1, 2], "mark at most 2 candidates"),
        (Method.YESNO, 1, "maybe", "choose yes, no or abstain"),
        (Method.YESNO, 1, ["yes"], "choose yes, no or abstain"),
    ],
)
def test_each_wrongly_filled_paper_is_refused_with_its_reason(
    method: str, seats: int, choice: Any, message: str
) -> None:
    ballot = open_ballot(method=method, seats=seats)
    refused = pytest.raises(casting.InvalidChoice, match=message)
    with time_machine.travel(DURING, tick=False), refused:
        services.ballot_cast(ballot=ballot, elector=voter(ballot), choice=choice)
    assert not SealedPaper.objects.exists() and not VoteRecord.objects.exists()


def test_voting_twice_is_refused_and_counts_once() -> None:
    ballot = open_ballot()
    elector = voter(ballot)
    with time_machine.travel(DURING, tick=False):
        services.ballot_cast(ballot=ballot, elector=elector, choice=[0])
        with pytest.raises(AlreadyVoted, match="already recorded"):
            services.ballot_cast(ballot=ballot, elector=elector, choice=[1])
    assert SealedPaper.objects.filter(ballot=ballot).count() == 1
    assert VoteRecord.objects.filter(ballot=ballot).count() == 1


@pytest.mark.parametrize(
    "when",
    [OPENS - dt.timedelta(seconds=1), CLOSES, AFTER],
    ids=["before-opening", "at-closing", "after-closing"],
)
def test_voting_outside_the_window_is_refused(when: dt.datetime) -> None:
    ballot = open_ballot()
    with time_machine.travel(when, tick=False), pytest.raises(BallotNotOpen):
        services.ballot_cast(ballot=ballot, elector=voter(ballot), choice=[0])


def test_voting_in_a_ballot_that_is_not_open_is_refused() -> None:
    ballot = open_ballot()
    elector = voter(ballot)
    Ballot.objects.filter(pk=ballot.pk).update(state=Ballot.State.CLOSED)
    ballot.refresh_from_db()
    with time_machine.travel(DURING, tick=False), pytest.raises(BallotNotOpen, match="not open"):
        services.ballot_cast(ballot=ballot, elector=elector, choice=[0])
    draft = BallotFactory()
    with time_machine.travel(DURING, tick=False), pytest.raises(BallotNotOpen):
        services.ballot_cast(ballot=draft, elector=elector, choice=[0])


def test_an_elector_of_another_ballot_may_not_vote() -> None:
    ballot, other = open_ballot(), open_ballot()
    with time_machine.travel(DURING, tick=False), pytest.raises(PermissionDenied):
        services.ballot_cast(ballot=ballot, elector=voter(other), choice=[0])


def test_the_token_is_single_use() -> None:
    ballot = open_ballot()
    elector = voter(ballot)
    secret = "a-secret-sent-by-email"
    Elector.objects.filter(pk=elector.pk).update(token_digest=tokens.digest(secret))
    found = services.elector_by_token(secret)
    assert found is not None and found.pk == elector.pk
    assert services.elector_by_token("") is None
    assert services.elector_by_token("another") is None
    with time_machine.travel(DURING, tick=False):
        services.ballot_cast(ballot=ballot, elector=found, choice=[0])
    assert services.elector_by_token(secret) is None
    elector.refresh_from_db()
    assert elector.token_digest is None


def test_tracking_codes_use_an_unambiguous_alphabet() -> None:
    codes = {casting.new_tracking_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 10 and not set(c) & set("01ILO") for c in codes)
