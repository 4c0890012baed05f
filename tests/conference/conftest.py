"""Conference fixtures: the rule book loaded, a 2026 conference, a CAC login, the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

if TYPE_CHECKING:
    from rankandfile.conference.models import Conference
    from rankandfile.core.models import User
    from tests.conftest import Party

UTC = dt.UTC
#: Before every deadline of the 2026 conference.
SPRING = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(SPRING, tick=False) as traveller:
        yield traveller


@dataclass
class Conf:
    party: Party
    conference: Conference
    cac: User


@pytest.fixture
def conf(party: Party, clock: Any) -> Conf:
    from rankandfile.conference.services import rulebook, setup
    from rankandfile.membership.models import Role
    from tests.membership import factories as f

    rulebook.rule_book_load(actor=None)
    cac = f.UserFactory(email="cac@example.org")
    f.RoleFactory(user=cac, kind=Role.Kind.CAC)
    f.AffiliationYearFactory(affiliate=party.affiliate, year=2026, affiliated_members=120_000)
    conference = setup.conference_create(
        actor=cac,
        year=2026,
        title="Annual Conference 2026",
        venue="Liverpool",
        starts_on=dt.date(2026, 9, 27),
        ends_on=dt.date(2026, 9, 30),
        motions_deadline=dt.datetime(2026, 9, 10, 12, tzinfo=UTC),
        rule_changes_deadline=dt.datetime(2026, 6, 20, 12, tzinfo=UTC),
        amendments_deadline=dt.datetime(2026, 9, 1, 12, tzinfo=UTC),
        delegates_deadline=dt.datetime(2026, 8, 31, 12, tzinfo=UTC),
        census_date=dt.date(2026, 5, 31),
    )
    return Conf(party=party, conference=conference, cac=cac)


def conference_in_session(*, totp: bool = False) -> tuple[Conference, User]:
    """The rule book loaded, a CAC login (with an authenticator if ``totp``) and this
    year's conference, in session today with every deadline passed: for the browser
    tests, which run on the real clock (a live server cannot share a frozen one)."""
    from django.utils import timezone

    from rankandfile.conference.services import rulebook, setup
    from rankandfile.membership.models import Role
    from tests.membership import factories as f

    rulebook.rule_book_load(actor=None)
    cac = f.UserFactory(email="cac@example.org")
    f.RoleFactory(user=cac, kind=Role.Kind.CAC)
    if totp:
        from tests.conftest import enable_totp

        enable_totp(cac)
    today = timezone.localdate()
    opens = timezone.now() - dt.timedelta(days=1)
    conference = setup.conference_create(
        actor=cac,
        year=today.year,
        title="Annual Conference",
        venue="Liverpool",
        starts_on=today,
        ends_on=today + dt.timedelta(days=2),
        motions_deadline=opens - dt.timedelta(days=20),
        rule_changes_deadline=opens - dt.timedelta(days=90),
        amendments_deadline=opens - dt.timedelta(days=10),
        delegates_deadline=opens - dt.timedelta(days=5),
        census_date=today - dt.timedelta(days=30),
    )
    return conference, cac


def conference_next_year(actor: User) -> Conference:
    """The rule book loaded and next year's conference, every deadline still ahead on the
    real clock: for the browser tests of the stages before conference."""
    from django.utils import timezone

    from rankandfile.conference.services import rulebook, setup

    rulebook.rule_book_load(actor=None)
    year = timezone.localdate().year + 1
    return setup.conference_create(
        actor=actor,
        year=year,
        title=f"Annual Conference {year}",
        venue="Liverpool",
        starts_on=dt.date(year, 9, 27),
        ends_on=dt.date(year, 9, 30),
        motions_deadline=dt.datetime(year, 9, 10, 12, tzinfo=UTC),
        rule_changes_deadline=dt.datetime(year, 6, 20, 12, tzinfo=UTC),
        amendments_deadline=dt.datetime(year, 9, 1, 12, tzinfo=UTC),
        delegates_deadline=dt.datetime(year, 8, 31, 12, tzinfo=UTC),
        census_date=dt.date(year, 5, 31),
    )


def motion_text(words: int, seed: str = "conference") -> str:
    """A motion of exactly ``words`` words."""
    base = f"{seed} notes that members want public ownership".split()
    out = [base[i % len(base)] for i in range(words)]
    return " ".join(out) + "."


# The Playwright fixtures (Chromium, live server pages) for test_browser_*.py here.
from tests.browser.conftest import browser, new_page, page  # noqa: E402, F401 - re-exported fixtures
