"""Election services: nominations by MPs, CLPs and affiliates, thresholds counted live,
the ballot drawn from those who qualified, the count through the ballots app."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from rankandfile.ballots import services as ballot_services
from rankandfile.ballots import tally
from rankandfile.ballots.models import Ballot, Elector
from rankandfile.conference.services import rulebook as conference_services
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.elections import queries, services
from rankandfile.elections.models import Contest, Nomination, Stage
from tests.conftest import Party
from tests.elections.factories import close_all, close_mp_stage, mp_logins, open_contest
from tests.membership import factories as f

pytestmark = pytest.mark.django_db


def _leader(party: Party, n_mps: int = 10) -> tuple[Contest, list]:
    logins = mp_logins(n_mps)
    contest = open_contest(party.national_admin)
    return contest, logins


def test_open_freezes_the_field_and_uses_the_rules_in_force(party: Party) -> None:
    mp_logins(4)
    contest = open_contest(party.national_admin)
    # Ada Lovelace plus four.
    assert contest.field_mps == 5
    assert contest.field_clps == 3
    assert contest.rules_on == timezone.localdate()
    assert AuditEntry.objects.filter(action="elections.contest.open").count() == 1


def test_only_national_admins_open(party: Party) -> None:
    for user in (party.clp_secretary, party.member, party.regional_officer):
        with pytest.raises(PermissionDenied):
            open_contest(user)
    assert not Contest.objects.exists()


def test_bad_timetable(party: Party) -> None:
    now = timezone.now()
    with pytest.raises(DomainError, match="cannot close before"):
        open_contest(
            party.national_admin,
            mp_nominations_close=now + dt.timedelta(days=3),
            nominations_close=now + dt.timedelta(days=1),
        )
    with pytest.raises(DomainError, match="names the incumbent"):
        open_contest(party.national_admin, kind="challenge")
    assert not Contest.objects.exists()


def test_mp_nominates_once_withdraws_and_renominates(party: Party) -> None:
    contest, logins = _leader(party)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    b = services.candidate_add(actor=party.national_admin, contest=contest, name="B")
    mp, user = logins[0]
    n = services.nomination_by_mp(actor=user, contest=contest, candidate=a)
    assert n.mp == mp
    with pytest.raises(DomainError, match="already nominated A"):
        services.nomination_by_mp(actor=user, contest=contest, candidate=b)
    services.nomination_withdraw(actor=user, nomination=n)
    services.nomination_by_mp(actor=user, contest=contest, candidate=b)
    assert contest.nominations.filter(withdrawn_at__isnull=True).get().candidate == b
    assert contest.nominations.count() == 2  # the withdrawn one stays, marked


def test_non_mps_cannot_nominate_as_mps(party: Party) -> None:
    contest, logins = _leader(party)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    for user in (party.member, party.national_admin, party.clp_secretary):
        with pytest.raises(PermissionDenied):
            services.nomination_by_mp(actor=user, contest=contest, candidate=a)
    # An MP who left the party may not nominate.
    mp, user = logins[0]
    mp.left_party_on = timezone.localdate()
    mp.save()
    with pytest.raises(PermissionDenied):
        services.nomination_by_mp(actor=user, contest=contest, candidate=a)
    assert not Nomination.objects.exists()


def test_mp_nominations_close_and_withdrawal_closes(party: Party) -> None:
    contest, logins = _leader(party)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    n = services.nomination_by_mp(actor=logins[0][1], contest=contest, candidate=a)
    contest = close_mp_stage(contest)
    with pytest.raises(DomainError, match="closed"):
        services.nomination_by_mp(actor=logins[1][1], contest=contest, candidate=a)
    with pytest.raises(DomainError, match="can no longer be withdrawn"):
        services.nomination_withdraw(actor=logins[0][1], nomination=n)
    # Another MP cannot withdraw it either, at any time.
    with pytest.raises(PermissionDenied):
        services.nomination_withdraw(actor=logins[1][1], nomination=n)


def test_thresholds_counted_live(party: Party) -> None:
    # 10 MPs in all (Ada + 9): 20% is 2.
    contest, logins = _leader(party, n_mps=9)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    rows = {r.candidate.name: r for r in queries.standings(contest)}
    assert not rows["A"].assessment.qualified
    services.nomination_by_mp(actor=logins[0][1], contest=contest, candidate=a)
    services.nomination_by_mp(actor=logins[1][1], contest=contest, candidate=a)
    rows = {r.candidate.name: r for r in queries.standings(contest)}
    assert "2 of 10 MPs = 20%, threshold 20%: met" in rows["A"].assessment.lines
    # Still short of the second limb (5% of 3 CLPs = 1 CLP).
    assert not rows["A"].assessment.qualified


def _with_mp_stage_done(party: Party) -> tuple[Contest, list]:
    contest, logins = _leader(party, n_mps=9)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    b = services.candidate_add(actor=party.national_admin, contest=contest, name="B")
    c = services.candidate_add(actor=party.national_admin, contest=contest, name="C")
    for user, cand in zip([u for _, u in logins], [a, a, b, b, c], strict=False):
        services.nomination_by_mp(actor=user, contest=contest, candidate=cand)
    return close_mp_stage(contest), [a, b, c]


def test_clp_nomination_at_a_meeting(party: Party) -> None:
    contest, (a, b, _c) = _with_mp_stage_done(party)
    today = timezone.localdate()
    n = services.nomination_by_clp_meeting(
        actor=party.clp_secretary, contest=contest, clp=party.northtown, candidate=a,
        meeting_on=today, votes_for=30, votes_cast=52,
    )  # fmt: skip
    assert (n.votes_for, n.votes_cast, n.method) == (30, 52, "meeting")
    rows = {r.candidate.name: r for r in queries.standings(contest)}
    assert rows["A"].assessment.qualified
    assert not rows["C"].assessment.qualified  # one MP only
    with pytest.raises(DomainError, match="already nominated a candidate"):
        services.nomination_by_clp_meeting(
            actor=party.clp_secretary, contest=contest, clp=party.northtown, candidate=b,
            meeting_on=today, votes_for=30, votes_cast=52,
        )  # fmt: skip


def test_clp_nomination_rules(party: Party) -> None:
    contest, (a, _b, c) = _with_mp_stage_done(party)
    today = timezone.localdate()
    kw = {"contest": contest, "meeting_on": today, "votes_for": 10, "votes_cast": 20}
    # Officers of another CLP, branch officers and members may not.
    for user in (party.branch_officer, party.member, party.regional_officer):
        with pytest.raises(PermissionDenied):
            services.nomination_by_clp_meeting(actor=user, clp=party.northtown, candidate=a, **kw)
    with pytest.raises(PermissionDenied):
        services.nomination_by_clp_meeting(
            actor=party.clp_secretary, clp=party.easton, candidate=a, **kw
        )
    with pytest.raises(DomainError, match="MPs' threshold"):
        services.nomination_by_clp_meeting(
            actor=party.clp_secretary, clp=party.northtown, candidate=c, **kw
        )
    with pytest.raises(DomainError, match="more than the 20 votes cast"):
        services.nomination_by_clp_meeting(
            actor=party.clp_secretary, clp=party.northtown, candidate=a,
            **{**kw, "votes_for": 21},
        )  # fmt: skip
    with pytest.raises(DomainError, match="future"):
        services.nomination_by_clp_meeting(
            actor=party.clp_secretary, clp=party.northtown, candidate=a,
            **{**kw, "meeting_on": today + dt.timedelta(days=1)},
        )  # fmt: skip
    assert not Nomination.objects.filter(by="clp").exists()


def test_units_wait_for_the_mps_stage(party: Party) -> None:
    contest, _logins = _leader(party, n_mps=9)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    with pytest.raises(DomainError, match="once the MPs' nominations have closed"):
        services.nomination_by_affiliate(
            actor=party.affiliate_officer, contest=contest, affiliate=party.affiliate, candidate=a
        )


def test_affiliate_nomination(party: Party) -> None:
    contest, (a, b, _c) = _with_mp_stage_done(party)
    other = f.AffiliateFactory()
    with pytest.raises(PermissionDenied):
        services.nomination_by_affiliate(
            actor=party.affiliate_officer, contest=contest, affiliate=other, candidate=a
        )
    with pytest.raises(PermissionDenied):
        services.nomination_by_affiliate(
            actor=party.clp_secretary, contest=contest, affiliate=party.affiliate, candidate=a
        )
    n = services.nomination_by_affiliate(
        actor=party.affiliate_officer, contest=contest, affiliate=party.affiliate, candidate=b
    )
    assert n.by == "affiliate"
    rows = {r.candidate.name: r for r in queries.standings(contest)}
    assert any("1 affiliates" in line for line in rows["B"].assessment.lines)


def _vote_all(ballot: Ballot, choices: list[list[int]]) -> None:
    electors = list(Elector.objects.filter(ballot=ballot).order_by("member_id"))
    for elector, choice in zip(electors, choices, strict=False):
        ballot_services.ballot_cast(ballot=ballot, elector=elector, choice=choice)


def test_clp_all_member_nomination_ballot(party: Party) -> None:
    contest, (_a, b, _c) = _with_mp_stage_done(party)
    unit = services.unit_ballot_open(
        actor=party.clp_secretary, contest=contest, clp=party.northtown,
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )  # fmt: skip
    ballot = unit.ballot
    assert ballot.method == "av"
    assert [o.name for o in ballot.options.order_by("position")] == ["A", "B"]  # C not eligible
    assert ballot.scope_kind == "clp" and ballot.clp == party.northtown
    with pytest.raises(DomainError, match="not closed"):
        services.unit_ballot_conclude(actor=party.clp_secretary, unit=unit)
    # Northtown members with six months: Mary, Nell, Bert (joined 2015).
    _vote_all(ballot, [[1, 0], [1], [0, 1]])
    with time_machine.travel(ballot.closes_at + dt.timedelta(seconds=1)):
        with pytest.raises(PermissionDenied):
            services.unit_ballot_conclude(actor=party.affiliate_officer, unit=unit)
        n = services.unit_ballot_conclude(actor=party.clp_secretary, unit=unit)
    assert n.candidate == b and n.method == "omov" and n.votes_cast == 3
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.DECLARED


def test_ballot_drawn_from_those_who_qualified_and_declared(party: Party) -> None:
    contest, (a, b, _c) = _with_mp_stage_done(party)
    today = timezone.localdate()
    for cand in (a, b):
        services.nomination_by_clp_meeting(
            actor=party.national_admin, contest=contest,
            clp=party.northtown if cand is a else party.easton, candidate=cand,
            meeting_on=today, votes_for=5, votes_cast=9,
        )  # fmt: skip
    with pytest.raises(DomainError, match="nominations close"):
        services.contest_ballot_open(
            actor=party.national_admin, contest=contest,
            closes_at=timezone.now() + dt.timedelta(days=1),
        )  # fmt: skip
    contest = close_all(contest)
    with pytest.raises(PermissionDenied):
        services.contest_ballot_open(
            actor=party.clp_secretary,
            contest=contest,
            closes_at=timezone.now() + dt.timedelta(days=1),
        )
    contest = services.contest_ballot_open(
        actor=party.national_admin, contest=contest, closes_at=timezone.now() + dt.timedelta(days=1)
    )
    assert contest.stage == Stage.BALLOT
    ballot = contest.ballot
    assert ballot is not None and ballot.method == "av" and ballot.scope_kind == "party"
    assert [o.name for o in ballot.options.order_by("position")] == ["A", "B"]
    _vote_all(ballot, [[0, 1], [0], [1, 0], [0, 1]])
    with pytest.raises(DomainError, match="not closed"):
        services.contest_declare(actor=party.national_admin, contest=contest)
    with time_machine.travel(ballot.closes_at + dt.timedelta(seconds=1)):
        contest = services.contest_declare(actor=party.national_admin, contest=contest)
    assert contest.stage == Stage.DECLARED
    assert contest.appeals_until == timezone.localdate(ballot.closes_at) + dt.timedelta(days=7)
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.DECLARED and ballot.result["elected"] == ["A"]
    # The published papers recount to the same result (the ballots app's recount).
    recount = tally.ballot_recount(actor=party.national_admin, ballot=ballot)
    assert recount.matches and recount.digest_matches
    page = queries.contest_page(contest, party.member)
    assert page.elected == ["A"] and page.sheet is not None
    assert [name for name, _ in page.sheet.rows] == ["A", "B"]
    assert page.sheet.rows[0][1][-1].endswith("(elected)")


def test_single_qualified_candidate_is_elected_unopposed(party: Party) -> None:
    contest, (a, _b, _c) = _with_mp_stage_done(party)
    services.nomination_by_clp_meeting(
        actor=party.national_admin, contest=contest, clp=party.northtown, candidate=a,
        meeting_on=timezone.localdate(), votes_for=5, votes_cast=9,
    )  # fmt: skip
    contest = close_all(contest)
    contest = services.contest_ballot_open(
        actor=party.national_admin, contest=contest, closes_at=timezone.now() + dt.timedelta(days=1)
    )
    assert contest.stage == Stage.DECLARED and contest.ballot is None
    assert queries.contest_page(contest, party.member).elected == ["A"]


def test_challenge_puts_the_incumbent_on_the_ballot(party: Party) -> None:
    logins = mp_logins(9)
    contest = open_contest(party.national_admin, kind="challenge", incumbent_name="Leader L")
    ch = services.candidate_add(actor=party.national_admin, contest=contest, name="Challenger")
    for _, user in logins[:2]:
        services.nomination_by_mp(actor=user, contest=contest, candidate=ch)
    rows = {r.candidate.name: r.assessment for r in queries.standings(contest)}
    assert rows["Leader L"].qualified
    assert rows["Challenger"].qualified  # 2 of 10 = 20%; no second limb for a challenge
    incumbent = contest.candidates.get(is_incumbent=True)
    with pytest.raises(DomainError, match="incumbent"):
        services.nomination_by_mp(actor=logins[3][1], contest=contest, candidate=incumbent)


def _nec(party: Party, n_clps: int = 7) -> Contest:
    clps = [party.northtown, party.easton, party.southport] + [
        f.CLPFactory() for _ in range(n_clps - 3)
    ]
    contest = open_contest(
        party.national_admin, office="nec_clp", kind="election",
        mp_nominations_close=timezone.now() + dt.timedelta(minutes=5),
        nominations_close=timezone.now() + dt.timedelta(minutes=5),
    )  # fmt: skip
    return contest, clps


def test_nec_stv_with_women_minimum_through_quotas(party: Party) -> None:
    contest, clps = _nec(party)
    # 11 candidates, 5 women (the minimum for 9 seats): all must win seats.
    cands = [
        services.candidate_add(
            actor=party.national_admin, contest=contest, name=f"N{i}", is_woman=i < 5
        )
        for i in range(11)
    ]
    with pytest.raises(DomainError, match="do not nominate for the NEC"):
        services.nomination_by_mp(actor=mp_logins(1)[0][1], contest=contest, candidate=cands[0])
    for i, cand in enumerate(cands):
        for clp in [clps[(i + k) % 7] for k in range(5)]:
            services.nomination_by_clp_meeting(
                actor=party.national_admin, contest=contest, clp=clp, candidate=cand,
                meeting_on=timezone.localdate(), votes_for=3, votes_cast=5,
            )  # fmt: skip
    contest = close_all(contest)
    contest = services.contest_ballot_open(
        actor=party.national_admin, contest=contest, closes_at=timezone.now() + dt.timedelta(days=1)
    )
    ballot = contest.ballot
    assert ballot is not None
    assert (ballot.method, ballot.seats, ballot.quota_minimums) == ("scottish-stv", 9, {"woman": 5})
    # Every voter ranks the men first: without the quota, men would take six seats.
    men_first = [5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4]
    _vote_all(ballot, [men_first] * 4)
    with time_machine.travel(ballot.closes_at + dt.timedelta(seconds=1)):
        services.contest_declare(actor=party.national_admin, contest=contest)
    ballot.refresh_from_db()
    elected = set(ballot.result["elected"])
    assert {f"N{i}" for i in range(5)} <= elected
    assert len(elected) == 9


def test_nec_nomination_threshold(party: Party) -> None:
    contest, clps = _nec(party)
    x = services.candidate_add(actor=party.national_admin, contest=contest, name="X")
    for clp in clps[:4]:
        services.nomination_by_clp_meeting(
            actor=party.national_admin, contest=contest, clp=clp, candidate=x,
            meeting_on=timezone.localdate(), votes_for=3, votes_cast=5,
        )  # fmt: skip
    rows = {r.candidate.name: r.assessment for r in queries.standings(contest)}
    assert rows["X"].lines == ("4 CLP nominations, at least 5 needed: not met",)


def test_statement_by_the_candidate_only(party: Party) -> None:
    contest, _ = _leader(party)
    cand = services.candidate_add(
        actor=party.national_admin, contest=contest, name="Mary Member", member=party.me
    )
    services.candidate_statement_set(actor=party.member, candidate=cand, statement="Vote for me")
    cand.refresh_from_db()
    assert cand.statement == "Vote for me"
    other = f.member_user(party.neighbour)
    with pytest.raises(PermissionDenied):
        services.candidate_statement_set(actor=other, candidate=cand, statement="No")


def test_past_round_comparison_with_the_rule_book(party: Party) -> None:
    conference_services.rule_book_load(actor=None)
    call_command("elections_load_past", stdout=StringIO())
    from rankandfile.elections.models import PastRound

    r2020 = PastRound.objects.get(title__contains="2020")
    cols = queries.past_comparison(r2020)
    admitted = {c.label: c.admitted for c in cols}
    assert admitted["Rule book 2017"] == ["Keir Starmer", "Rebecca Long-Bailey"]
    assert admitted["Rule book 2018"] == ["Keir Starmer", "Rebecca Long-Bailey", "Lisa Nandy"]
    assert admitted["Rule book 2021 / Rule book 2022 / Rule book 2025"] == ["Keir Starmer"]
    r2015 = PastRound.objects.get(title__contains="2015")
    admitted = {c.label: c.admitted for c in queries.past_comparison(r2015)}
    assert "Jeremy Corbyn" in admitted["Rule book 2017"]
    assert "Jeremy Corbyn" not in admitted["Rule book 2021 / Rule book 2022 / Rule book 2025"]


def test_link_mp_command(party: Party) -> None:
    out = StringIO()
    call_command("elections_link_mp", mnis=party.mp.mnis_id, email="nobody@example.org", stdout=out)
    assert "Ada Lovelace nominates" in out.getvalue()
    from rankandfile.elections import permissions

    assert permissions.mp_for(party.no_roles) == party.mp
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already belongs to Ada Lovelace"):
        other = f.MPFactory()
        call_command("elections_link_mp", mnis=other.mnis_id, email="nobody@example.org")
    with pytest.raises(CommandError, match="no MP"):
        call_command("elections_link_mp", mnis=1, email="nobody@example.org")


def test_the_database_holds_one_live_nomination_per_mp(party: Party) -> None:
    from django.db import IntegrityError, transaction

    contest, logins = _leader(party, n_mps=1)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    b = services.candidate_add(actor=party.national_admin, contest=contest, name="B")
    mp, _user = logins[0]
    Nomination.objects.create(contest=contest, candidate=a, by="mp", method="own", mp=mp)
    with pytest.raises(IntegrityError), transaction.atomic():
        Nomination.objects.create(contest=contest, candidate=b, by="mp", method="own", mp=mp)
    # A nomination naming an MP and a CLP at once is refused too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Nomination.objects.create(
            contest=contest, candidate=b, by="mp", method="own", mp=mp, clp=party.northtown
        )


def test_nec_block_vote_with_a_women_minimum_is_refused_in_plain_words(party: Party) -> None:
    """The 2014 and 2018 rule books elect the NEC's CLP section by block vote with at least
    half women; the count cannot enforce that minimum in a block vote, so the contest is
    refused (at opening, and at the ballot if its rules say block) rather than counted
    without it. A leadership contest under the same rules is unaffected."""
    conference_services.rule_book_load(actor=None)
    refusal = r"block vote with at least 3 of its 6 seats for women.*cannot be run"
    with time_machine.travel(dt.datetime(2015, 6, 1, 12, tzinfo=dt.UTC)):
        with pytest.raises(DomainError, match=refusal):
            open_contest(party.national_admin, office="nec_clp", kind="election")
        assert not Contest.objects.filter(office="nec_clp").exists()
        assert open_contest(party.national_admin).rules_on == dt.date(2015, 6, 1)
    # A contest opened under today's rules (STV) whose rules date falls in 2019 (block,
    # 9 seats): the ballot is refused and nothing changes.
    contest, _clps = _nec(party)
    services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    Contest.objects.filter(pk=contest.pk).update(rules_on=dt.date(2019, 6, 1))
    contest = close_all(contest)
    with pytest.raises(DomainError, match=r"at least 5 of its 9 seats for women"):
        services.contest_ballot_open(
            actor=party.national_admin,
            contest=contest,
            closes_at=timezone.now() + dt.timedelta(days=1),
        )
    contest.refresh_from_db()
    assert (contest.stage, contest.ballot_id) == (Stage.NOMINATIONS, None)
    assert not contest.candidates.filter(on_ballot=True).exists()
