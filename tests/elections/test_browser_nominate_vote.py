"""In Chromium: an MP nominates (and withdraws) on their own page, a CLP secretary records
the CLP's nomination from its meeting, and a member votes in the members' ballot."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rankandfile.ballots.models import VoteRecord
from rankandfile.elections import services
from rankandfile.elections.models import Nomination
from tests.browser.conftest import log_in
from tests.conftest import Party
from tests.elections.factories import close_all, close_mp_stage, mp_logins, open_contest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _contest(party: Party) -> Any:
    contest = open_contest(party.national_admin)
    services.candidate_add(actor=party.national_admin, contest=contest, name="Alice Archer")
    services.candidate_add(actor=party.national_admin, contest=contest, name="Bob Baker")
    return contest


def test_mp_nominates_and_withdraws(party: Party, live_server: Any, new_page: Any) -> None:
    logins = mp_logins(4)
    mp, user = logins[0]
    contest = _contest(party)
    base = live_server.url
    page = new_page()
    page.goto(f"{base}/healthz", timeout=120_000)
    log_in(page, base, user.email)
    page.goto(f"{base}/elections/")
    page.get_by_role("link", name="My nominations (MPs)").click()
    page.get_by_role("link", name="Leadership election").click()
    page.get_by_label("Candidate", exact=True).select_option(label="Alice Archer")
    page.get_by_role("button", name="Nominate").click()
    expect(
        page.get_by_text("You nominated Alice Archer. Your nomination is published.")
    ).to_be_visible()
    expect(page.get_by_text(f"MPs (1): {mp.name}")).to_be_visible()
    expect(page.get_by_text("1 of 5 MPs = 20%, threshold 20%: met")).to_be_visible()
    assert Nomination.objects.filter(contest=contest, mp=mp, withdrawn_at__isnull=True).exists()
    page.get_by_role("button", name="Withdraw my nomination").click()
    expect(page.get_by_text("is withdrawn")).to_be_visible()
    assert not Nomination.objects.filter(mp=mp, withdrawn_at__isnull=True).exists()


def test_clp_secretary_records_the_meetings_nomination(
    party: Party, live_server: Any, new_page: Any
) -> None:
    logins = mp_logins(4)
    contest = _contest(party)
    alice = contest.candidates.get(name="Alice Archer")
    services.nomination_by_mp(actor=logins[0][1], contest=contest, candidate=alice)
    close_mp_stage(contest)
    base = live_server.url
    page = new_page()
    page.goto(f"{base}/healthz", timeout=120_000)
    log_in(page, base, "secretary@example.org")
    page.goto(f"{base}/elections/{contest.pk}/")
    form = page.locator("form", has=page.get_by_role("button", name="Record the nomination"))
    form.get_by_label("Constituency party").select_option(label="Northtown")
    form.get_by_label("Candidate", exact=True).select_option(label="Alice Archer")
    form.get_by_label("Date of the nominating meeting").fill(timezone.localdate().isoformat())
    form.get_by_label("Votes for the nominee").fill("31")
    form.get_by_label("Votes cast").fill("24")
    form.get_by_role("button", name="Record the nomination").click()
    expect(page.get_by_text("31 votes for is more than the 24 votes cast")).to_be_visible()
    form = page.locator("form", has=page.get_by_role("button", name="Record the nomination"))
    form.get_by_label("Votes cast").fill("48")
    form.get_by_role("button", name="Record the nomination").click()
    expect(page.get_by_text("Northtown nominates Alice Archer (31 of 48 votes).")).to_be_visible()
    expect(page.get_by_text("1 of 3 CLPs = 33.3%, threshold 5%: met")).to_be_visible()
    n = Nomination.objects.get(by="clp")
    assert (n.clp, n.votes_for, n.votes_cast) == (party.northtown, 31, 48)


def test_member_votes_in_the_election(party: Party, live_server: Any, new_page: Any) -> None:
    logins = mp_logins(4)
    contest = _contest(party)
    alice = contest.candidates.get(name="Alice Archer")
    bob = contest.candidates.get(name="Bob Baker")
    services.nomination_by_mp(actor=logins[0][1], contest=contest, candidate=alice)
    services.nomination_by_mp(actor=logins[1][1], contest=contest, candidate=bob)
    close_mp_stage(contest)
    services.nomination_by_clp_meeting(
        actor=party.national_admin, contest=contest, clp=party.northtown, candidate=alice,
        meeting_on=timezone.localdate(), votes_for=5, votes_cast=8,
    )  # fmt: skip
    services.nomination_by_clp_meeting(
        actor=party.national_admin, contest=contest, clp=party.easton, candidate=bob,
        meeting_on=timezone.localdate(), votes_for=5, votes_cast=8,
    )  # fmt: skip
    contest = close_all(contest)
    contest = services.contest_ballot_open(
        actor=party.national_admin, contest=contest, closes_at=timezone.now() + dt.timedelta(days=3)
    )
    base = live_server.url
    page = new_page()
    page.goto(f"{base}/healthz", timeout=120_000)
    log_in(page, base, "member@example.org")
    page.goto(f"{base}/elections/")
    page.get_by_role("link", name="Leadership election").click()
    page.get_by_role("link", name="Vote in this election").click()
    page.get_by_label("Bob Baker").fill("1")
    page.get_by_label("Alice Archer").fill("2")
    page.get_by_label("Alice Archer").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your vote")
    page.get_by_role("button", name="Cast my vote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your vote is cast")
    assert contest.ballot is not None
    assert VoteRecord.objects.filter(ballot=contest.ballot, member=party.me).exists()
