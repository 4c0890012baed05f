"""Membership history services: each state change, its audit entry, its refusals, and who
may make it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry, User
from rankandfile.membership import services as s
from rankandfile.membership.eligibility import EligibilityRule, electorate_ids, explain
from rankandfile.membership.models import CLP, Member, Period, Role
from rankandfile.membership.periods import Entry as PeriodSpec
from tests.membership.factories import (
    CLPFactory,
    MemberFactory,
    RegionFactory,
    RoleFactory,
    UserFactory,
    clp_officer,
    member_user,
    member_with_history,
    national_admin,
)

D = dt.date
pytestmark = pytest.mark.django_db


@dataclass
class World:
    clp: CLP
    other_clp: CLP
    member: Member
    secretary: User
    admin: User


@pytest.fixture
def world() -> World:
    region = RegionFactory()
    clp = CLPFactory(constituency__region=region, name="Streatham")
    other = CLPFactory(name="Ilford South")
    return World(
        clp=clp,
        other_clp=other,
        member=MemberFactory(clp=clp, first_name="Rosa", last_name="Luxton"),
        secretary=clp_officer(clp),
        admin=national_admin(),
    )


def periods(member: Member, kind: str | None = None) -> list[tuple[str, dt.date, dt.date | None]]:
    qs = Period.objects.filter(member=member).order_by("start", "kind")
    if kind:
        qs = qs.filter(kind=kind)
    return [(p.kind, p.start, p.end) for p in qs]


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()  # type: ignore[return-value]


# --- join / lapse / rejoin -----------------------------------------------------------------------
def test_join_creates_an_open_membership_and_an_audit_entry(world: World) -> None:
    period = s.member_join(actor=world.secretary, member=world.member, on=D(2024, 1, 10))
    assert (period.kind, period.start, period.end) == ("membership", D(2024, 1, 10), None)
    entry = last_entry()
    assert entry.action == "member.join"
    assert entry.actor == world.secretary
    assert entry.actor_label == world.secretary.email
    assert (entry.object_type, entry.object_id) == ("membership.member", str(world.member.pk))
    assert entry.data == {"on": "2024-01-10", "period": period.pk}
    assert audit.verify().ok


def test_join_twice_is_refused(world: World) -> None:
    s.member_join(actor=None, member=world.member, on=D(2024, 1, 10))
    with pytest.raises(DomainError, match=r"already has a membership history .* rejoin instead"):
        s.member_join(actor=None, member=world.member, on=D(2024, 6, 1))


def test_lapse_then_rejoin_later_breaks_continuity(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    closed = s.member_lapse(actor=world.secretary, member=m, on=D(2024, 5, 1))
    assert (closed.end, closed.end_reason) == (D(2024, 5, 1), "lapsed")
    assert last_entry().action == "member.lapse"
    s.member_rejoin(actor=world.secretary, member=m, on=D(2024, 5, 10))
    assert periods(m) == [
        ("membership", D(2020, 1, 1), D(2024, 5, 1)),
        ("membership", D(2024, 5, 10), None),
    ]
    entry = last_entry()
    assert entry.action == "member.rejoin"
    assert entry.data["continuous"] is False
    rule = EligibilityRule(freeze_date=D(2024, 9, 1))
    assert explain(m, rule).reasons[0] == (
        "lapsed 1 May 2024 and rejoined 10 May 2024: continuous only since 10 May 2024"
    )
    assert m.pk not in electorate_ids(rule)


def test_rejoin_on_the_lapse_day_reopens_the_period(world: World) -> None:
    m = world.member
    first = s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    s.member_lapse(actor=None, member=m, on=D(2024, 5, 1))
    reopened = s.member_rejoin(actor=None, member=m, on=D(2024, 5, 1))
    assert reopened.pk == first.pk
    assert periods(m) == [("membership", D(2020, 1, 1), None)]
    assert reopened.end_reason == ""
    assert last_entry().data["continuous"] is True
    assert m.pk in electorate_ids(EligibilityRule(freeze_date=D(2024, 9, 1)))


@pytest.mark.parametrize("reason", ["lapsed", "resigned", "died"])
def test_lapse_reasons(world: World, reason: str) -> None:
    s.member_join(actor=None, member=world.member, on=D(2020, 1, 1))
    closed = s.member_lapse(actor=None, member=world.member, on=D(2024, 5, 1), reason=reason)
    assert closed.end_reason == reason
    assert last_entry().data["reason"] == reason


@pytest.mark.parametrize(
    ("reason", "message"),
    [("expelled", "use expel for an expulsion"), ("bored", "must be one of lapsed, resigned")],
)
def test_lapse_refuses_other_reasons(world: World, reason: str, message: str) -> None:
    s.member_join(actor=None, member=world.member, on=D(2020, 1, 1))
    with pytest.raises(DomainError, match=message):
        s.member_lapse(actor=None, member=world.member, on=D(2024, 5, 1), reason=reason)


def test_lapse_refusals(world: World) -> None:
    m = world.member
    with pytest.raises(DomainError, match="no current membership to end"):
        s.member_lapse(actor=None, member=m, on=D(2024, 5, 1))
    s.member_join(actor=None, member=m, on=D(2024, 5, 1))
    with pytest.raises(DomainError, match="can only end after that day, not on 1 May 2024"):
        s.member_lapse(actor=None, member=m, on=D(2024, 5, 1))
    with pytest.raises(DomainError, match="can only end after"):
        s.member_lapse(actor=None, member=m, on=D(2024, 4, 1))
    s.member_lapse(actor=None, member=m, on=D(2024, 6, 1))
    with pytest.raises(DomainError, match="no current membership"):
        s.member_lapse(actor=None, member=m, on=D(2024, 7, 1))


def test_lapse_ends_running_suspension_and_arrears(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    s.member_suspend(actor=None, member=m, on=D(2024, 1, 1), note="NEC ref 12")
    s.member_arrears_start(actor=None, member=m, on=D(2024, 2, 1))
    s.member_lapse(actor=None, member=m, on=D(2024, 3, 1))
    assert periods(m) == [
        ("membership", D(2020, 1, 1), D(2024, 3, 1)),
        ("suspension", D(2024, 1, 1), D(2024, 3, 1)),
        ("arrears", D(2024, 2, 1), D(2024, 3, 1)),
    ]
    assert len(last_entry().data["truncated"]) == 2


def test_lapse_refused_while_a_status_starts_after_it(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    s.member_suspend(actor=None, member=m, on=D(2024, 6, 1), note="")
    with pytest.raises(DomainError, match="suspension starting 1 June 2024"):
        s.member_lapse(actor=None, member=m, on=D(2024, 6, 1))


def test_rejoin_refusals(world: World) -> None:
    m = world.member
    with pytest.raises(DomainError, match="never been a member: record a join"):
        s.member_rejoin(actor=None, member=m, on=D(2024, 1, 1))
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    with pytest.raises(DomainError, match="already a member \\(since 1 January 2020\\)"):
        s.member_rejoin(actor=None, member=m, on=D(2024, 1, 1))
    s.member_lapse(actor=None, member=m, on=D(2024, 5, 1))
    with pytest.raises(DomainError, match="must be on or after that day, not 30 April 2024"):
        s.member_rejoin(actor=None, member=m, on=D(2024, 4, 30))


# --- expulsion ----------------------------------------------------------------------------------
def test_expulsion_is_national(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    with pytest.raises(PermissionDenied, match="only a national admin may record an expulsion"):
        s.member_expel(actor=world.secretary, member=m, on=D(2024, 5, 1))
    closed = s.member_expel(actor=world.admin, member=m, on=D(2024, 5, 1), note="NCC 2024/7")
    assert (closed.end, closed.end_reason, closed.note) == (D(2024, 5, 1), "expelled", "NCC 2024/7")
    assert last_entry().action == "member.expel"
    with pytest.raises(PermissionDenied, match="only a national admin may readmit"):
        s.member_rejoin(actor=world.secretary, member=m, on=D(2025, 1, 1))
    s.member_rejoin(actor=world.admin, member=m, on=D(2025, 1, 1))
    assert periods(m)[-1] == ("membership", D(2025, 1, 1), None)


def test_system_may_expel(world: World) -> None:
    s.member_join(actor=None, member=world.member, on=D(2020, 1, 1))
    s.member_expel(actor=None, member=world.member, on=D(2024, 5, 1))
    entry = last_entry()
    assert (entry.actor, entry.actor_label) == (None, "system")


# --- suspension and arrears ---------------------------------------------------------------------
def test_suspend_and_lift(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    sus = s.member_suspend(actor=world.secretary, member=m, on=D(2024, 6, 1), note="complaint 7")
    assert (sus.kind, sus.start, sus.end, sus.note) == (
        "suspension",
        D(2024, 6, 1),
        None,
        "complaint 7",
    )
    entry = last_entry()
    assert entry.action == "member.suspend"
    assert entry.data["note"] == "complaint 7"
    rule = EligibilityRule(freeze_date=D(2024, 9, 1))
    assert "suspended on the freeze date" in explain(m, rule).reasons[1]
    lifted = s.member_lift_suspension(actor=world.secretary, member=m, on=D(2024, 9, 1))
    assert (lifted.end, lifted.end_reason) == (D(2024, 9, 1), "lifted")
    assert last_entry().action == "member.lift_suspension"
    assert explain(m, rule).eligible
    assert m.pk in electorate_ids(rule)


def test_fixed_term_suspension(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    s.member_suspend(actor=None, member=m, on=D(2024, 6, 1), until=D(2024, 9, 1), note="")
    assert periods(m, "suspension") == [("suspension", D(2024, 6, 1), D(2024, 9, 1))]
    with pytest.raises(DomainError, match="not suspended up to 2 September 2024"):
        s.member_lift_suspension(actor=None, member=m, on=D(2024, 9, 2))


@pytest.mark.parametrize(
    ("on", "until", "message"),
    [
        (D(2019, 6, 1), None, "not a member on 1 June 2019"),
        (D(2024, 6, 1), D(2024, 6, 1), "must end after it starts"),
        (D(2024, 6, 1), D(2024, 5, 1), "must end after it starts"),
        (D(2024, 6, 15), None, "already has a suspension from 1 June 2024 until 1 July 2024"),
        (D(2024, 5, 1), D(2024, 6, 2), "overlapping"),
    ],
)
def test_suspend_refusals(world: World, on: dt.date, until: dt.date | None, message: str) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    s.member_suspend(actor=None, member=m, on=D(2024, 6, 1), until=D(2024, 7, 1), note="")
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError, match=message):
        s.member_suspend(actor=None, member=m, on=on, until=until, note="")
    assert AuditEntry.objects.count() == before


def test_suspension_must_end_with_a_closed_membership(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    s.member_lapse(actor=None, member=m, on=D(2024, 6, 1))
    with pytest.raises(DomainError, match="membership ends on 1 June 2024"):
        s.member_suspend(actor=None, member=m, on=D(2024, 5, 1), note="")
    s.member_suspend(actor=None, member=m, on=D(2024, 5, 1), until=D(2024, 6, 1), note="")


def test_suspension_touching_the_previous_one_continues_it(world: World) -> None:
    """docs/rules/membership.md, M4: touching periods of one kind are one period."""
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    first = s.member_suspend(
        actor=None, member=m, on=D(2024, 6, 1), until=D(2024, 7, 1), note="grounds"
    )
    again = s.member_suspend(actor=None, member=m, on=D(2024, 7, 1), note="extended")
    assert again.pk == first.pk
    assert periods(m, "suspension") == [("suspension", D(2024, 6, 1), None)]
    assert last_entry().data["continues_from"] == "2024-06-01"
    assert last_entry().data["note"] == "extended"


def test_lift_refusals(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    with pytest.raises(DomainError, match="not suspended up to 1 June 2024, so there is nothing"):
        s.member_lift_suspension(actor=None, member=m, on=D(2024, 6, 1))
    s.member_suspend(actor=None, member=m, on=D(2024, 6, 1), note="")
    with pytest.raises(DomainError, match="the period starts on 1 June 2024"):
        s.member_lift_suspension(actor=None, member=m, on=D(2024, 6, 1))


def test_arrears_start_and_clear(world: World) -> None:
    m = world.member
    s.member_join(actor=None, member=m, on=D(2020, 1, 1))
    arrears = s.member_arrears_start(
        actor=world.secretary, member=m, on=D(2024, 8, 1), note="DD failed"
    )
    assert (arrears.kind, arrears.end) == ("arrears", None)
    assert last_entry().action == "member.arrears_start"
    rule = EligibilityRule(freeze_date=D(2024, 9, 1))
    assert m.pk not in electorate_ids(rule)
    with pytest.raises(
        DomainError, match="already has an arrears period from 1 August 2024 \\(open-ended\\)"
    ):
        s.member_arrears_start(actor=None, member=m, on=D(2024, 8, 15))
    paid = s.member_arrears_clear(actor=world.secretary, member=m, on=D(2024, 8, 20))
    assert (paid.end, paid.end_reason) == (D(2024, 8, 20), "paid")
    assert last_entry().action == "member.arrears_clear"
    assert m.pk in electorate_ids(rule)
    with pytest.raises(DomainError, match="not in arrears up to"):
        s.member_arrears_clear(actor=None, member=m, on=D(2024, 9, 1))


def test_arrears_need_membership(world: World) -> None:
    with pytest.raises(DomainError, match="not a member on 1 August 2024"):
        s.member_arrears_start(actor=None, member=world.member, on=D(2024, 8, 1))


# --- replace history (importers) ----------------------------------------------------------------
def test_replace_history_joins_touching_periods_and_audits(world: World) -> None:
    m = member_with_history([("membership", D(2010, 1, 1), None)], clp=world.clp)
    s.member_replace_history(
        actor=world.secretary,
        member=m,
        periods=[
            PeriodSpec("membership", D(2024, 5, 1), None),
            PeriodSpec("membership", D(2020, 1, 1), D(2024, 5, 1), "lapsed"),  # touching
            PeriodSpec("membership", D(2015, 1, 1), D(2016, 1, 1), "lapsed"),
            PeriodSpec("membership", D(2016, 1, 1), D(2017, 1, 1), "resigned"),  # touching
            PeriodSpec("suspension", D(2024, 6, 1), D(2024, 7, 1)),
            PeriodSpec("arrears", D(2016, 3, 1), D(2017, 1, 1), "paid"),
        ],
    )
    assert periods(m) == [
        ("membership", D(2015, 1, 1), D(2017, 1, 1)),
        ("arrears", D(2016, 3, 1), D(2017, 1, 1)),
        ("membership", D(2020, 1, 1), None),
        ("suspension", D(2024, 6, 1), D(2024, 7, 1)),
    ]
    # The joined period keeps the later period's end reason (docs/rules/membership.md, M4).
    assert Period.objects.get(member=m, start=D(2015, 1, 1)).end_reason == "resigned"
    entry = last_entry()
    assert entry.action == "member.replace_history"
    assert entry.data["before"] == [
        {"kind": "membership", "start": "2010-01-01", "end": None, "end_reason": ""}
    ]
    assert len(entry.data["after"]) == 4


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            PeriodSpec("membership", D(2024, 5, 1), D(2024, 5, 1)),
            "membership 2024-05-01..2024-05-01 ends on or before it starts",
        ),
        (
            PeriodSpec("membership", D(2024, 5, 1), D(2024, 4, 1)),
            "membership 2024-05-01..2024-04-01 ends on or before it starts",
        ),
        (
            PeriodSpec("membership", D(2015, 1, 1), D(2021, 1, 1), "lapsed"),
            "membership 2015-01-01..2021-01-01 and membership 2020-01-01.. overlap",
        ),
        (
            PeriodSpec("suspension", D(2019, 5, 1), D(2020, 2, 1)),
            "suspension 2019-05-01..2020-02-01 is not inside a membership period",
        ),
        (PeriodSpec("arrears", D(2019, 5, 1), None), "not inside a membership"),
        (PeriodSpec("membership", D(2999, 5, 1), None), "starts in the future"),
        (PeriodSpec("holiday", D(2021, 5, 1), None), "'holiday' is not a kind of period"),
        (
            PeriodSpec("membership", D(2021, 5, 1), D(2022, 1, 1), "bored"),
            "'bored' is not a way a membership ends",
        ),
    ],
)
def test_replace_history_refuses_what_the_rule_forbids_and_writes_nothing(
    world: World, spec: PeriodSpec, message: str
) -> None:
    m = member_with_history([("membership", D(2010, 1, 1), None)], clp=world.clp)
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError, match=message):
        s.member_replace_history(
            actor=None, member=m, periods=[PeriodSpec("membership", D(2020, 1, 1), None), spec]
        )
    assert periods(m) == [("membership", D(2010, 1, 1), None)]
    assert AuditEntry.objects.count() == before


def test_a_service_that_would_break_the_rule_is_refused_and_rolled_back(world: World) -> None:
    """The rule is the last word for every service: a join dated in the future (M2) is
    refused by it and leaves nothing behind."""
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError, match=r"2999-01-01\.\. starts in the future"):
        s.member_join(actor=None, member=world.member, on=D(2999, 1, 1))
    assert not Period.objects.filter(member=world.member).exists()
    assert AuditEntry.objects.count() == before


def test_replace_history_with_nothing_clears_it(world: World) -> None:
    m = member_with_history([("membership", D(2010, 1, 1), None)], clp=world.clp)
    s.member_replace_history(actor=None, member=m, periods=[])
    assert periods(m) == []


# --- permissions --------------------------------------------------------------------------------
def write_as(actor: User | None, member: Member) -> None:
    s.member_join(actor=actor, member=member, on=D(2024, 1, 1))


def test_a_member_may_not_change_another_members_record(world: World) -> None:
    other = member_user(MemberFactory(clp=world.clp))
    with pytest.raises(PermissionDenied, match="may not change the membership record of Rosa"):
        write_as(other, world.member)
    assert not Period.objects.filter(member=world.member).exists()
    assert not AuditEntry.objects.exists()


def test_a_member_may_not_change_their_own_record(world: World) -> None:
    me = member_user(world.member)
    with pytest.raises(PermissionDenied, match="only officers of Streatham CLP"):
        write_as(me, world.member)


def test_officer_of_another_clp_is_refused(world: World) -> None:
    for kind in Role.CLP_KINDS:
        with pytest.raises(PermissionDenied):
            write_as(clp_officer(world.other_clp, kind), world.member)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("kind", list(Role.CLP_KINDS))
def test_officers_of_the_members_clp_are_allowed(world: World, kind: str) -> None:
    write_as(clp_officer(world.clp, kind), world.member)
    assert last_entry().action == "member.join"


def test_secretary_may_do_every_clp_level_change(world: World) -> None:
    m, sec = world.member, world.secretary
    s.member_join(actor=sec, member=m, on=D(2020, 1, 1))
    s.member_suspend(actor=sec, member=m, on=D(2021, 1, 1), until=D(2021, 2, 1), note="")
    s.member_arrears_start(actor=sec, member=m, on=D(2022, 1, 1))
    s.member_arrears_clear(actor=sec, member=m, on=D(2022, 2, 1))
    s.member_lapse(actor=sec, member=m, on=D(2023, 1, 1))
    s.member_rejoin(actor=sec, member=m, on=D(2023, 2, 1))
    s.member_replace_history(actor=sec, member=m, periods=[PeriodSpec("membership", D(2019, 1, 1))])
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", "actor"))
    assert actions == [
        (a, sec.pk)
        for a in [
            "member.join",
            "member.suspend",
            "member.arrears_start",
            "member.arrears_clear",
            "member.lapse",
            "member.rejoin",
            "member.replace_history",
        ]
    ]
    assert audit.verify().ok


def test_regional_officer_and_national_admin_are_allowed(world: World) -> None:
    regional = UserFactory()
    RoleFactory(
        user=regional, kind=Role.Kind.REGIONAL_OFFICER, region=world.clp.constituency.region
    )
    write_as(regional, world.member)
    write_as(world.admin, MemberFactory(clp=world.other_clp))
    other_region = UserFactory()
    RoleFactory(user=other_region, kind=Role.Kind.REGIONAL_OFFICER, region=RegionFactory())
    with pytest.raises(PermissionDenied):
        write_as(other_region, MemberFactory(clp=world.clp))


def test_branch_officer_may_not_change_records(world: World) -> None:
    branch_officer = UserFactory()
    RoleFactory(user=branch_officer, kind=Role.Kind.BRANCH_OFFICER, branch=world.member.branch)
    with pytest.raises(PermissionDenied):
        write_as(branch_officer, world.member)


def test_ended_role_no_longer_allows(world: World) -> None:
    former = UserFactory()
    RoleFactory(
        user=former,
        kind=Role.Kind.CLP_SECRETARY,
        clp=world.clp,
        start=D(2000, 1, 1),
        end=D(2001, 1, 1),
    )
    with pytest.raises(PermissionDenied):
        write_as(former, world.member)
