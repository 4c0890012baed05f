"""Meetings fixtures: the clock (1 June 2026), the party's Riverside branch and Northtown
CLP with addresses, and helpers that run a meeting through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

if TYPE_CHECKING:
    from rankandfile.core.models import User
    from rankandfile.meetings.models import Meeting
    from tests.conftest import Party

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _long_mfa_grace(settings: Any) -> None:
    # These tests travel weeks forward to the meetings; the officers' two-factor grace
    # period (tested in tests/core) must not end on the way.
    settings.MFA_GRACE_DAYS = 120


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def p(party: Party, clock: Any) -> Party:
    """The party with known addresses: Mary and Bert in Riverside, Nell in Hillside."""
    for member, email in (
        (party.me, "mary@example.org"),
        (party.branchmate, "bert@example.org"),
        (party.neighbour, "nell@example.org"),
        (party.eastoner, "eve@example.org"),
    ):
        member.email = email
        member.save(update_fields=["email"])
    return party


def schedule(
    actor: User,
    *,
    branch: Any = None,
    clp: Any = None,
    days: int = 10,
    agenda: tuple[str, ...] = ("Apologies",),
    kind: str = "general",
) -> Meeting:
    from django.utils import timezone

    from rankandfile.meetings import services

    starts = timezone.now() + dt.timedelta(days=days)
    return services.meeting_schedule(
        actor=actor,
        branch=branch,
        clp=clp,
        kind=kind,
        title="General meeting",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        location="The library",
        agenda=agenda,
    )


def open_with(meeting: Meeting, actor: User, *members: Any, traveller: Any = None) -> Meeting:
    """Travel to the meeting, open it and check ``members`` in."""
    from rankandfile.meetings import services

    if traveller is not None:
        traveller.move_to(meeting.starts_at)
    meeting = services.meeting_open(actor=actor, meeting=meeting)
    for m in members:
        services.attendance_check_in(actor=actor, meeting=meeting, number=m.membership_number)
    return meeting


# The Playwright fixtures (Chromium, live server pages) for test_browser_*.py here.
from tests.browser.conftest import browser, new_page, page  # noqa: E402, F401 - re-exported fixtures
