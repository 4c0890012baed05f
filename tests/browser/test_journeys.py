"""Whole journeys in Chromium, at 1366 and 390 px (issue 17.8): an officer takes a ballot
from set-up to declaration; a CLP secretary uploads the membership CSV and invites the new
members, one of whom activates their account from the email; a visitor replies to a
campaign event; a CLP submits a motion, the CAC rules it in order, and a composite is
drafted from it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from rankandfile.ballots.models import Ballot
from rankandfile.membership.models import Member
from tests.browser.conftest import log_in
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def open_page(new_page: Any, size: str) -> Any:
    if size == "phone":
        return new_page(viewport=WIDTHS[size], is_mobile=True, has_touch=True)
    return new_page(viewport=WIDTHS[size])


def assert_fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def go(page: Any, size: str, name: str) -> None:
    """Follow a link in the main menu (opening it first on a phone)."""
    nav = page.get_by_role("navigation", name="Main")
    if size == "phone":
        nav.get_by_role("button", name="Menu").click()
    nav.get_by_role("link", name=name).click()


@pytest.mark.parametrize("size", WIDTHS)
def test_officer_takes_a_ballot_from_set_up_to_declaration(
    party: Party, live_server: Any, new_page: Any, size: str
) -> None:
    base = live_server.url
    officer = open_page(new_page, size)
    log_in(officer, base, "secretary@example.org")
    go(officer, size, "Ballots")
    officer.get_by_role("link", name="Set up a ballot").click()
    now = timezone.localtime()
    officer.get_by_label("Title").fill("Northtown treasurer")
    officer.get_by_label("Method").select_option("av")
    officer.get_by_label("Candidates or options").fill("Ada Adams | woman\nBo Brown | man")
    officer.get_by_label("Who votes and who runs it").select_option(f"clp:{party.northtown.pk}")
    officer.get_by_label("Freeze date").fill((now.date() - dt.timedelta(days=1)).isoformat())
    officer.get_by_label("Opens").fill((now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    officer.get_by_label("Closes").fill((now + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    officer.get_by_role("button", name="Save as draft").click()
    assert "The set-up passes every check." in officer.locator("main").inner_text()
    assert_fits(officer)
    officer.get_by_role("button", name="Open ballot").click()  # confirmed (data-confirm)
    ballot = Ballot.objects.get(title="Northtown treasurer")
    assert ballot.state == Ballot.State.OPEN

    voter = open_page(new_page, size)
    log_in(voter, base, "member@example.org")
    voter.goto(f"{base}/ballots/{ballot.pk}/vote/")
    voter.get_by_label("Bo Brown").fill("1")
    voter.get_by_label("Ada Adams").fill("2")
    voter.get_by_role("button", name="Continue to check my vote").click()
    voter.get_by_role("button", name="Cast my vote").click()
    assert voter.get_by_role("heading", level=1).inner_text() == "Your vote is cast"
    assert_fits(voter)

    # The voting period ends (the clock is not ours to move; its closing time is).
    Ballot.objects.filter(pk=ballot.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    officer.goto(f"{base}/ballots/{ballot.pk}/manage/")
    close = officer.get_by_role("button", name="Close and count")
    if close.count():  # else the page already closed and counted the due ballot
        close.click()
    officer.get_by_role("button", name="Declare").click()
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.DECLARED
    officer.goto(f"{base}/ballots/{ballot.pk}/result/")
    assert "Bo Brown" in officer.locator("main").inner_text()
    assert_fits(officer)


@pytest.mark.parametrize("size", WIDTHS)
def test_membership_upload_then_invite_everyone_new_then_activation(
    party: Party, live_server: Any, new_page: Any, size: str, tmp_path: Path
) -> None:
    base = live_server.url
    csv = tmp_path / "members.csv"
    csv.write_text(
        "membership_number,first_name,last_name,email,constituency,postcode,joined\n"
        f"N9001,Una,Upload,una@example.org,{party.northtown.constituency.name},NT1 1AA,2020-01-01\n"
        f"N9002,Vic,Vale,vic@example.org,{party.northtown.constituency.name},NT1 1AB,2021-06-01\n",
        encoding="utf-8",
    )
    officer = open_page(new_page, size)
    log_in(officer, base, "secretary@example.org")
    officer.goto(f"{base}/")
    officer.locator("section[aria-labelledby='my-roles']").get_by_role(
        "link", name="Import the membership list"
    ).click()
    officer.get_by_label("Membership export (CSV file)").set_input_files(str(csv))
    officer.get_by_label("Check only (dry run)").uncheck()
    officer.get_by_role("button", name="Upload").click()
    assert officer.get_by_role("heading", name="Imported").is_visible()
    assert Member.objects.filter(membership_number__in=["N9001", "N9002"]).count() == 2
    assert_fits(officer)
    officer.get_by_role("link", name="invite the new members").click()
    officer.get_by_role("button", name="Invite everyone new").click()  # confirmed
    assert "being sent" in officer.locator(".messages").inner_text()
    sent = {m.to[0]: m for m in mail.outbox}
    assert {"una@example.org", "vic@example.org"} <= set(sent)

    una = open_page(new_page, size)
    url = re.search(r"https?://\S+/account/activate/\S+/", sent["una@example.org"].body)
    assert url is not None
    una.goto(url.group(0))
    una.get_by_label("Choose a password").fill("upload and vote 2026")
    una.get_by_label("Type it again").fill("upload and vote 2026")
    una.get_by_role("button", name="Activate my account").click()
    una.wait_for_url(f"{base}/")
    assert una.get_by_role("heading", level=1).inner_text() == "Welcome, Una"
    assert_fits(una)


@pytest.mark.parametrize("size", WIDTHS)
def test_visitor_replies_to_a_campaign_event(
    party: Party, live_server: Any, new_page: Any, size: str
) -> None:
    from tests.campaigns.factories import CampaignFactory, EventFactory

    campaign = CampaignFactory(clp=party.northtown, slug="northtown", mp=party.mp)
    event = EventFactory(campaign=campaign, title="Saturday canvass", capacity=10)
    page = open_page(new_page, size)
    page.goto(f"{live_server.url}/")
    go(page, size, "Campaigns")
    page.get_by_role("link", name=campaign.title).first.click()
    page.get_by_role("link", name="Saturday canvass").click()
    assert_fits(page)
    page.get_by_label("Name").fill("Ann Able")
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_role("button", name="Reply").click()
    event.refresh_from_db()
    assert event.rsvp_count == 1
    assert any(m.to == ["ann@example.org"] for m in mail.outbox)
    assert_fits(page)


@pytest.mark.parametrize("size", WIDTHS)
def test_submission_then_cac_ruling_then_composite(
    party: Party, live_server: Any, new_page: Any, size: str
) -> None:
    from rankandfile.conference.models import Composite, Submission
    from rankandfile.conference.services import rulebook as conf_rulebook
    from rankandfile.conference.services import setup as conf_setup
    from rankandfile.conference.services import submissions as conf_submissions
    from rankandfile.membership.models import Role
    from tests.membership import factories as f

    conf_rulebook.rule_book_load(actor=None)
    cac = f.UserFactory(email="cac@example.org")
    f.RoleFactory(user=cac, kind=Role.Kind.CAC)
    today = timezone.localdate()
    year = today.year + 1
    soon = timezone.now() + dt.timedelta(days=30)
    conf = conf_setup.conference_create(
        actor=cac,
        year=year,
        title=f"Annual Conference {year}",
        venue="Liverpool",
        starts_on=today + dt.timedelta(days=90),
        ends_on=today + dt.timedelta(days=93),
        motions_deadline=soon,
        rule_changes_deadline=soon,
        amendments_deadline=soon + dt.timedelta(days=10),
        delegates_deadline=soon + dt.timedelta(days=20),
        census_date=today - dt.timedelta(days=1),
    )
    # Another CLP's motion on the same topic, already in: a composite needs two.
    f.RoleFactory(
        user=(easton := f.UserFactory(email="e@example.org")),
        kind=Role.Kind.CLP_SECRETARY,
        clp=party.easton,
    )
    conf_submissions.submission_create(
        actor=easton,
        conference=conf,
        kind="motion",
        title="Buses for all",
        text="Conference notes that bus routes have been cut. Conference calls for "
        "public ownership of the buses.",
        meeting_date=today - dt.timedelta(days=3),
        meeting_for=20,
        meeting_against=1,
        clp=party.easton,
    )

    secretary = open_page(new_page, size)
    log_in(secretary, live_server.url, "secretary@example.org")
    secretary.goto(f"{live_server.url}/conference/{year}/submit/")
    assert "Northtown CLP has not submitted anything yet" in secretary.locator("main").inner_text()
    assert_fits(secretary)
    secretary.get_by_label("Motion", exact=True).check()
    secretary.get_by_label("Title").fill("Trains and buses")
    text = secretary.get_by_label("Text", exact=True)
    text.press_sequentially("Conference notes that fares have risen. ", delay=5)
    secretary.wait_for_timeout(800)
    assert "Text: 6 of" in secretary.locator("#word-count").inner_text()  # counted as typed
    text.press_sequentially("Conference calls for public ownership of the railways.", delay=5)
    secretary.wait_for_timeout(800)
    assert "Text: 14 of" in secretary.locator("#word-count").inner_text()
    secretary.get_by_label("Date of the meeting that agreed it").fill(
        (today - dt.timedelta(days=2)).isoformat()
    )
    secretary.get_by_label("Votes for at the meeting").fill("30")
    secretary.get_by_label("Votes against at the meeting").fill("2")
    secretary.get_by_role("button", name="Submit").click()
    mine = Submission.objects.get(title="Trains and buses")
    secretary.goto(f"{live_server.url}/conference/{year}/submit/")
    assert "Northtown CLP has used its submission" in secretary.locator("main").inner_text()

    cac_page = open_page(new_page, size)
    log_in(cac_page, live_server.url, "cac@example.org")
    cac_page.goto(f"{live_server.url}/conference/{year}/arrangements/")
    cac_page.get_by_label("New topic").fill("Transport")
    cac_page.get_by_role("button", name="Add topic").click()
    for sub in Submission.objects.filter(conference=conf).order_by("pk"):
        panel = cac_page.locator(f"section[aria-labelledby='sub-{sub.pk}']")
        panel.get_by_label("In order").check()
        panel.get_by_label("Topic").select_option(label="Transport")
        panel.get_by_role("button", name="Record the ruling").click()
    mine.refresh_from_db()
    assert mine.status == Submission.Status.IN_ORDER
    assert_fits(cac_page)
    cac_page.get_by_role("link", name="Draft a composite").click()
    cac_page.get_by_label("Title").fill("Public transport")
    cac_page.get_by_label("Text", exact=True).fill(
        "Conference notes that fares have risen. Conference calls for public ownership of "
        "the railways. Conference calls for public ownership of the buses."
    )
    cac_page.get_by_role("button", name="Save the draft").click()
    composite = Composite.objects.get(title="Public transport")
    assert composite.topic.name == "Transport"
    # The composite's page traces its sentences to the motions they came from.
    assert mine.reference in cac_page.locator("main").inner_text()
    assert_fits(cac_page)
