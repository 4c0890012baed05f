"""Selection fixtures: a round in Northtown (the ``party`` fixture's CLP) and applicants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from rankandfile.core.models import User
from rankandfile.membership.models import Member
from rankandfile.selections import services
from rankandfile.selections.models import Application, Selection, SelectionRound

# Import the browser fixtures for tests/selections/test_browser_*.py.
from tests.browser.conftest import browser, new_page, page  # noqa: F401 - fixtures
from tests.conftest import Party
from tests.membership import factories as f


def open_round(party: Party, *, mode: str | None = None, clps: Any = None) -> SelectionRound:
    today = timezone.localdate()
    return services.round_open(
        actor=party.national_admin,
        name="General election 2029",
        clps=clps or [party.northtown],
        freeze_date=today - dt.timedelta(days=1),
        applications_open=today,
        applications_close=today + dt.timedelta(days=10),
        ballot_closes_by=today + dt.timedelta(days=60),
        trigger_closes=today - dt.timedelta(days=1) if mode and mode != "mandatory_open" else None,
        mode=mode,
    )


def northtown_selection(party: Party, **kwargs: Any) -> Selection:
    rnd = open_round(party, **kwargs)
    return rnd.selections.get(clp=party.northtown)


@dataclass
class Applicant:
    member: Member
    user: User


def applicant(party: Party, first: str, last: str, *, joined: dt.date = dt.date(2015, 1, 1),
              clp: Any = None) -> Applicant:  # fmt: skip
    member = f.MemberFactory(
        first_name=first, last_name=last, clp=clp or party.northtown, branch=None, joined=joined
    )
    user = f.member_user(member)
    return Applicant(member, user)


def apply(selection: Selection, who: Applicant, *, woman: bool = False, bame: bool = False,
          union: str = "Unite") -> Application:  # fmt: skip
    return services.application_submit(
        actor=who.user,
        selection=selection,
        statement=f"I am {who.member.full_name} and I will fight for our members.",
        contact_email=f"{who.member.membership_number.lower()}@private.example.org",
        contact_phone="07700 900123",
        is_woman=woman,
        is_bame=bame,
        trade_union=union,
        union_membership_number="U-12345",
    )


@pytest.fixture
def selection(party: Party) -> Selection:
    """Northtown's selection under mandatory open selection, applications open."""
    return northtown_selection(party)


@pytest.fixture
def three_applications(party: Party, selection: Selection) -> list[Application]:
    """Ann (woman), Bob (BAME man), Cal (man); then applications close (yesterday)."""
    apps = [
        apply(selection, applicant(party, "Ann", "Archer"), woman=True),
        apply(selection, applicant(party, "Bob", "Baker"), bame=True),
        apply(selection, applicant(party, "Cal", "Cooper")),
    ]
    today = timezone.localdate()
    Selection.objects.filter(pk=selection.pk).update(
        applications_open=today - dt.timedelta(days=10),
        applications_close=today - dt.timedelta(days=1),
    )
    selection.refresh_from_db()
    return apps


def to_nominations(party: Party, selection: Selection, apps: list[Application]) -> Selection:
    """Longlist all, shortlist Ann and Bob, end the shortlist stage."""
    actor = party.clp_secretary
    selection = services.selection_advance(actor=actor, selection=selection)
    services.list_set(
        actor=actor, selection=selection, which="longlist", application_ids=[a.pk for a in apps]
    )
    selection = services.selection_advance(actor=actor, selection=selection)
    services.list_set(
        actor=actor,
        selection=selection,
        which="shortlist",
        application_ids=[apps[0].pk, apps[1].pk],
    )
    return services.selection_advance(actor=actor, selection=selection)
