"""In Chromium, at 1366 and 390 px (issue 18; decision 0025): a national officer registers
an affiliated supporter on the election's page (a registered one is refused in words by
today's rules); the supporter votes through the link in their invitation; the declared
result shows the table by electorate section."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from rankandfile.ballots import invitations
from rankandfile.ballots import services as ballot_services
from rankandfile.ballots.models import Elector, VoteRecord
from rankandfile.conference.services import rulebook as conference_services
from rankandfile.elections import services
from rankandfile.elections.models import Contest, Supporter
from tests.browser.conftest import log_in
from tests.conftest import Party
from tests.elections.factories import close_all, close_mp_stage, mp_logins, open_contest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _open(new_page: Any, size: str) -> Any:
    if size == "phone":
        return new_page(viewport=WIDTHS[size], is_mobile=True, has_touch=True)
    return new_page(viewport=WIDTHS[size])


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def _contest(party: Party) -> Contest:
    """A leadership vacancy whose rules date falls under the 2014 rule book (supporters
    in the electorate, results published by section), A and B qualified."""
    conference_services.rule_book_load(actor=None)
    logins = mp_logins(9)
    contest = open_contest(party.national_admin)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="Ann Archer")
    b = services.candidate_add(actor=party.national_admin, contest=contest, name="Ben Baker")
    for (_mp, user), cand in zip(logins, [a, a, b, b], strict=False):
        services.nomination_by_mp(actor=user, contest=contest, candidate=cand)
    contest = close_mp_stage(contest)
    Contest.objects.filter(pk=contest.pk).update(rules_on=dt.date(2016, 6, 27))
    contest.refresh_from_db()
    return contest


@pytest.mark.parametrize("size", WIDTHS)
def test_officer_registers_a_supporter_who_votes_and_the_result_is_by_section(
    party: Party, live_server: Any, new_page: Any, size: str, settings: Any
) -> None:
    settings.ELECTION_SECTION_MIN_PAPERS = 1  # a handful of papers per section here
    contest = _contest(party)
    base = live_server.url
    officer = _open(new_page, size)
    officer.goto(f"{base}/healthz", timeout=120_000)
    log_in(officer, base, "admin@example.org")
    officer.goto(f"{base}/elections/{contest.pk}/")
    form = officer.locator("form", has=officer.get_by_role("button", name="Register the supporter"))
    # Today's rules admit no registered supporters: refused in words.
    form.get_by_label("Kind of supporter").select_option("registered")
    form.get_by_label("Name").fill("Rita Regis")
    form.get_by_label("Email address").fill("rita@example.net")
    form.get_by_label("Fee paid, £ (registered supporters)").fill("3.00")
    form.get_by_label("Date the fee was paid").fill(timezone.localdate().isoformat())
    form.get_by_role("button", name="Register the supporter").click()
    expect(officer.get_by_text("admit no registered supporters")).to_be_visible()
    form = officer.locator("form", has=officer.get_by_role("button", name="Register the supporter"))
    form.get_by_label("Kind of supporter").select_option("affiliated")
    form.get_by_label("Name").fill("Sam Levy")
    form.get_by_label("Email address").fill("sam@example.net")
    form.get_by_label("Affiliate").select_option(label=str(party.affiliate))
    form.get_by_role("button", name="Register the supporter").click()
    expect(officer.get_by_text("Sam Levy is registered as an affiliated supporter")).to_be_visible()
    expect(officer.get_by_role("cell", name="sam@example.net")).to_be_visible()
    _fits(officer)
    supporter = Supporter.objects.get(email="sam@example.net")

    # Nominations close; the ballot opens with the supporter on the roll; invitations go.
    contest = services.contest_ballot_open(
        actor=party.national_admin,
        contest=close_all(contest),
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    ballot = contest.ballot
    assert ballot is not None and ballot.publish_by_section
    invitations.ballot_invite(actor=party.national_admin, ballot=ballot)
    invitations.deliver(ballot.pk, limit=1000)
    email = next(m for m in mail.outbox if m.to == ["sam@example.net"])
    found = re.search(r"https?://\S+/ballots/vote/(\S+)/", email.body)
    assert found is not None

    voter = _open(new_page, size)
    voter.goto(f"{base}/ballots/vote/{found[1]}/")
    voter.get_by_label("Ben Baker").fill("1")
    voter.get_by_label("Ann Archer").fill("2")
    voter.get_by_role("button", name="Continue to check my vote").click()
    voter.get_by_role("button", name="Cast my vote").click()
    expect(voter.get_by_role("heading", level=1)).to_have_text("Your vote is cast")
    _fits(voter)
    assert VoteRecord.objects.filter(ballot=ballot, supporter_id=supporter.pk).exists()

    # Members vote too; the ballot closes and is declared.
    for elector, choice in zip(
        Elector.objects.filter(ballot=ballot, section="member").order_by("pk"),
        [[0], [0, 1], [1]],
        strict=False,
    ):
        ballot_services.ballot_cast(ballot=ballot, elector=elector, choice=choice)
    with time_machine.travel(ballot.closes_at + dt.timedelta(seconds=1), tick=False):
        services.contest_declare(actor=party.national_admin, contest=contest)

    officer.goto(f"{base}/elections/{contest.pk}/")
    table = officer.locator("table.by-section")
    expect(officer.get_by_role("heading", name="The result by electorate section")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(r"^Members 3 2 1"))).to_be_visible()
    expect(
        table.get_by_role("row", name=re.compile(r"^Affiliated supporters 1 0 1"))
    ).to_be_visible()
    _fits(officer)
