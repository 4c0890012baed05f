"""The demo party generator (membership/demo.py) and its commands."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from rankandfile.core import audit
from rankandfile.core.models import AuditEntry, User
from rankandfile.membership import demo, structure
from rankandfile.membership.models import (
    CLP,
    MP,
    Affiliate,
    AffiliateCLP,
    AffiliationYear,
    Branch,
    Member,
    Period,
    Role,
)

TODAY = dt.date(2026, 11, 25)
MEMBERSHIP, SUSPENSION, ARREARS = "membership", "suspension", "arrears"


@pytest.fixture(scope="module")
def constituencies() -> list[tuple[str, str]]:
    with structure.CONSTITUENCIES_CSV.open(encoding="utf-8") as fh:
        return [(row["name"], row["region"]) for row in csv.DictReader(fh)]


def check_history(periods: list[Any], today: dt.date) -> None:
    """The invariants of membership.services: half-open periods ending after they start
    and not in the future; membership periods neither overlapping nor touching;
    suspension and arrears inside one membership period."""
    for p in periods:
        assert p.end is None or p.end > p.start, p
        assert p.start <= today and (p.end is None or p.end <= today), p
    spans = sorted((p for p in periods if p.kind == MEMBERSHIP), key=lambda p: p.start)
    assert spans, "a member without membership"
    for before, after in itertools.pairwise(spans):
        assert before.end is not None and before.end < after.start, (before, after)
    for p in periods:
        if p.kind in (SUSPENSION, ARREARS):
            assert any(
                m.start <= p.start and (m.end is None or (p.end is not None and p.end <= m.end))
                for m in spans
            ), (p, spans)


def standing(periods: list[Any], today: dt.date) -> str:
    now = {p.kind for p in periods if p.start <= today and (p.end is None or today < p.end)}
    if MEMBERSHIP not in now:
        last = max((p for p in periods if p.kind == MEMBERSHIP), key=lambda p: p.start)
        return str(last.end_reason)
    if SUSPENSION in now:
        return "suspended"
    return "arrears" if ARREARS in now else "good"


# --- the pure plan ------------------------------------------------------------------------
def test_plan_is_deterministic_for_a_seed(constituencies: list[tuple[str, str]]) -> None:
    one = demo.build_plan(seed=7, members=400, today=TODAY, constituencies=constituencies)
    two = demo.build_plan(
        seed=7, members=400, today=TODAY, constituencies=list(reversed(constituencies))
    )
    other = demo.build_plan(seed=8, members=400, today=TODAY, constituencies=constituencies)

    assert one == two
    assert one.members != other.members


def test_plan_has_plausible_structure(constituencies: list[tuple[str, str]]) -> None:
    plan = demo.build_plan(seed=1, members=0, today=TODAY, constituencies=constituencies)

    assert len(plan.branches) == 650
    assert all(2 <= len(names) <= 6 for names in plan.branches.values())
    assert all(len(set(names)) == len(names) for names in plan.branches.values())
    assert "Streatham Hill" in plan.branches["Streatham"]
    assert len(plan.affiliates) == 20
    kinds = Counter(a.kind for a in plan.affiliates)
    assert kinds["union"] >= 10 and kinds["society"] >= 6
    unite = next(a for a in plan.affiliates if a.short_name == "Unite")
    assert [y for y, _ in unite.years] == list(range(2019, 2027))
    assert 200 < len(unite.clps) < 500
    assert "Streatham" in {c for c, _ in unite.clps}


def test_plan_members_have_valid_histories_in_plausible_proportions(
    constituencies: list[tuple[str, str]],
) -> None:
    n = 6000
    plan = demo.build_plan(seed=3, members=n, today=TODAY, constituencies=constituencies)

    assert len(plan.members) == n
    for m in plan.members:
        check_history(list(m.periods), TODAY)
        assert demo.POSTCODE_RE.match(m.postcode), m.postcode
        assert m.email.endswith("@example.org")
        assert m.branch is None or m.branch in plan.branches[m.constituency]
    numbers = [m.membership_number for m in plan.members]
    assert len(set(numbers)) == n and numbers == sorted(numbers)
    firsts = [m.periods[0].start for m in plan.members]
    assert firsts == sorted(firsts), "numbers are issued in order of joining"

    status = Counter(standing(list(m.periods), TODAY) for m in plan.members)
    ever_lapsed = sum(
        any(p.end_reason in ("lapsed", "resigned") for p in m.periods if p.kind == MEMBERSHIP)
        or any("rejoined the same day" in p.note for p in m.periods)
        for m in plan.members
    )
    assert 0.11 * n < ever_lapsed < 0.19 * n
    assert 0.02 * n < status["arrears"] < 0.04 * n
    assert 0.005 * n < status["suspended"] < 0.015 * n
    assert 1 <= status["expelled"] < 0.005 * n
    assert any(len([p for p in m.periods if p.kind == MEMBERSHIP]) > 1 for m in plan.members)
    # A rejoin the day after a lapse (continuity broken by one day) and on the lapse day
    # itself (stored as one continuous period, as the services do).
    assert any(
        b.start - a.end == dt.timedelta(days=1)  # type: ignore[operator]
        for m in plan.members
        for a, b in zip(
            [p for p in m.periods if p.kind == MEMBERSHIP],
            [p for p in m.periods if p.kind == MEMBERSHIP][1:],
            strict=False,
        )
    )
    assert any("rejoined the same day" in p.note for m in plan.members for p in m.periods)

    since = Counter(m.periods[0].start.year for m in plan.members)
    assert since[2015] + since[2016] > since[2012] + since[2013] + since[2014]
    assert sum(v for y, v in since.items() if y < 2010) > 0

    ages = [
        TODAY.year - d.year - ((TODAY.month, TODAY.day) < (d.month, d.day))
        for m in plan.members
        if (d := m.date_of_birth) is not None
    ]
    assert 0.07 < sum(a < 27 for a in ages) / len(ages) < 0.13
    assert min(ages) >= 15
    genders = Counter(m.gender for m in plan.members)
    assert 0.40 * n < genders["woman"] < 0.55 * n and genders["non_binary"] > 0

    regions = dict(constituencies)
    by_region = Counter(regions[m.constituency] for m in plan.members)
    assert by_region["London"] == max(by_region.values())
    assert by_region["North West"] > by_region["West Midlands"]


def test_members_join_no_younger_than_14(constituencies: list[tuple[str, str]]) -> None:
    plan = demo.build_plan(seed=5, members=2000, today=TODAY, constituencies=constituencies)
    for m in plan.members:
        if m.date_of_birth is not None:
            assert m.periods[0].start >= demo.add_years(m.date_of_birth, 14)


# --- seeding the database -----------------------------------------------------------------
def snapshot() -> list[tuple[Any, ...]]:
    periods: dict[int, list[tuple[Any, ...]]] = {}
    for p in Period.objects.order_by("start", "kind"):
        periods.setdefault(p.member_id, []).append((p.kind, p.start, p.end, p.end_reason))
    return [
        (
            m.membership_number, m.first_name, m.last_name, m.email, m.postcode, m.clp.name,
            m.branch.name if m.branch else None, m.gender, m.date_of_birth,
            tuple(periods.get(m.pk, ())),
        )
        for m in Member.objects.select_related("clp", "branch").order_by("membership_number")
    ]  # fmt: skip


@pytest.mark.django_db
def test_seed_builds_the_party_and_the_demo_logins() -> None:
    result = demo.demo_seed(members=500, seed=11, today=TODAY)

    assert result.members == 500
    assert Member.objects.count() == 505  # plus the five demo logins who are members
    assert CLP.objects.count() == 650 and MP.objects.count() == 650
    assert 650 * 2 <= Branch.objects.count() <= 650 * 6
    assert Affiliate.objects.count() == 20
    assert AffiliationYear.objects.filter(affiliate__short_name="UNISON").count() == 8
    assert AffiliateCLP.objects.filter(affiliate__short_name="Unite").count() > 200
    members = list(Member.objects.prefetch_related("periods"))
    for m in members:
        check_history(list(m.periods.all()), TODAY)
    assert AuditEntry.objects.filter(action="membership.demo.seed").count() == 1
    assert not AuditEntry.objects.filter(action="membership.structure.load").exists()
    assert AuditEntry.objects.get(action="membership.demo.seed").data["members"] == 500
    assert audit.verify().ok

    # The demo logins: their roles and (for five of them) member records in Streatham.
    streatham = CLP.objects.get(constituency__name="Streatham")

    def roles(email: str) -> list[tuple[str, Any]]:
        return [
            (r.kind, r.clp or r.branch or r.region or r.affiliate)
            for r in Role.objects.filter(user__email=email)
        ]

    d = demo.DEMO_DOMAIN
    assert roles(f"member@{d}") == []
    assert roles(f"secretary@{d}") == [(Role.Kind.CLP_SECRETARY, streatham)]
    assert roles(f"chair@{d}") == [(Role.Kind.CLP_CHAIR, streatham)]
    [(kind, branch)] = roles(f"branch@{d}")
    assert kind == Role.Kind.BRANCH_OFFICER and branch.clp == streatham
    assert [(k, str(u)) for k, u in roles(f"regional@{d}")] == [
        (Role.Kind.REGIONAL_OFFICER, "London")
    ]
    assert [(k, str(u)) for k, u in roles(f"affiliate@{d}")] == [
        (Role.Kind.AFFILIATE_OFFICER, "Unite")
    ]
    assert roles(f"admin@{d}") == [(Role.Kind.NATIONAL_ADMIN, None)]
    assert roles(f"scrutineer@{d}") == [(Role.Kind.SCRUTINEER, None)]
    assert all(r.active_on(TODAY) for r in Role.objects.all())

    admin = User.objects.get(email=f"admin@{d}")
    assert admin.is_staff and not admin.is_superuser
    assert not User.objects.filter(is_staff=True).exclude(pk=admin.pk).exists()
    me = Member.objects.get(user__email=f"member@{d}")
    assert me.clp == streatham
    [period] = me.periods.all()
    assert (period.kind, period.end) == (MEMBERSHIP, None)
    for who in ("secretary", "chair", "branch", "admin"):
        assert Member.objects.get(user__email=f"{who}@{d}").clp == streatham
    for who in ("regional", "affiliate", "scrutineer"):
        assert not Member.objects.filter(user__email=f"{who}@{d}").exists()
    assert authenticate(email=f"secretary@{d}", password=demo.DEMO_PASSWORD) is not None


@pytest.mark.django_db
def test_seed_is_deterministic_for_a_seed() -> None:
    demo.demo_seed(members=300, seed=5, today=TODAY)
    first = snapshot()
    Period.objects.all().delete()
    Member.objects.all().delete()

    demo.demo_seed(members=300, seed=5, today=TODAY)

    assert snapshot() == first
    assert User.objects.count() == len(demo.DEMO_LOGINS)  # logins kept, not duplicated
    assert Role.objects.count() == 7


@pytest.mark.django_db
def test_command_uses_today_and_if_empty_skips_a_second_run() -> None:
    out = StringIO()
    with time_machine.travel(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        call_command("demo_seed", "--members", "200", "--seed", "9", "--if-empty", stdout=out)
    assert "200 members" in out.getvalue()
    assert not Period.objects.filter(start__gt=dt.date(2025, 3, 1)).exists()
    count = Member.objects.count()

    out = StringIO()
    call_command("demo_seed", "--members", "200", "--if-empty", stdout=out)
    assert "skipped" in out.getvalue()
    assert Member.objects.count() == count
    with pytest.raises(CommandError, match="already has members"):
        call_command("demo_seed", "--members", "200")
    with pytest.raises(demo.DemoError, match="already has members"):
        demo.demo_seed(members=10, seed=1, today=TODAY)
    with pytest.raises(CommandError, match="must not be negative"):
        call_command("demo_seed", "--members", "-1")


def test_plan_refuses_impossible_requests() -> None:
    with pytest.raises(demo.DemoError, match="must not be negative"):
        demo.build_plan(seed=1, members=-1, today=TODAY, constituencies=[])
    with pytest.raises(demo.DemoError, match="load the structure first"):
        demo.build_plan(seed=1, members=5, today=TODAY, constituencies=[])


@pytest.mark.django_db
def test_seed_without_shared_data_skips_mps(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.REFERENCE_DATA_DIR = tmp_path
    err = StringIO()
    call_command("demo_seed", "--members", "20", stdout=StringIO(), stderr=err)
    assert "MPs skipped" in err.getvalue()
    assert MP.objects.count() == 0 and Member.objects.count() == 25


@pytest.mark.django_db
def test_demo_logins_command_prints_the_table_and_repairs_missing_logins() -> None:
    demo.demo_seed(members=20, seed=1, today=TODAY)
    user = User.objects.get(email=f"member@{demo.DEMO_DOMAIN}")
    user.set_password("changed-by-the-user-2026")
    user.save()
    User.objects.filter(email=f"scrutineer@{demo.DEMO_DOMAIN}").delete()

    out = StringIO()
    call_command("demo_logins", stdout=out)

    text = out.getvalue()
    assert "DEMO ONLY" in text and "created 1 missing demo login" in text
    for login in demo.DEMO_LOGINS:
        assert login.email in text
    assert text.count(demo.DEMO_PASSWORD) == len(demo.DEMO_LOGINS)
    assert Role.objects.filter(kind=Role.Kind.SCRUTINEER, user__email__startswith="scrut").exists()
    user.refresh_from_db()
    assert user.check_password("changed-by-the-user-2026")  # existing logins are kept
    assert AuditEntry.objects.filter(action="membership.demo.logins").count() == 1
    # Officers, scrutineer and admin must use two factors: their grace period restarts
    # each time, so the demo stays usable with the published password (core.mfa).
    assert "Two-factor authentication: 6 of these roles" in text
    officers = User.objects.filter(email__startswith="secretary@").get()
    assert officers.mfa_grace_started_at is not None
    assert User.objects.get(email=f"member@{demo.DEMO_DOMAIN}").mfa_grace_started_at is None
    # A member to try account activation with (decision 0024), if Streatham has one.
    from rankandfile.membership import queries

    example = queries.member_without_login(clp_slug="streatham")
    if example is not None:
        assert f"({example.membership_number}) has no login yet" in text
        assert example.user_id is None and example.email


@pytest.mark.django_db
def test_demo_logins_without_a_demo_party_fails_helpfully() -> None:
    with pytest.raises(CommandError, match="demo_seed"):
        call_command("demo_logins", stdout=StringIO())
