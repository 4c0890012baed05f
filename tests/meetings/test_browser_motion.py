"""In Chromium: a motion followed from a branch meeting to a programme entry.

The branch officer runs Riverside's meeting (open, check in, carry the motion); the CLP
secretary finds it on Northtown's next meeting, carries it and submits it to conference in
one step; the conference arrangements committee composites it and conference carries it
(through the conference services, tested in tests/conference); the programme entry's page
shows the branch where its sentences began."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from rankandfile.conference.models import AgendaItem as FloorItem
from rankandfile.conference.models import ProgrammeEntry, Submission
from rankandfile.conference.services import compositing as conf_compositing
from rankandfile.conference.services import floor as conference_floor
from rankandfile.conference.services import setup as conference_setup
from rankandfile.conference.services import submissions as conf_submissions
from rankandfile.meetings import services
from rankandfile.meetings.models import Motion
from tests.browser.conftest import log_in
from tests.conftest import Party
from tests.meetings.conftest import schedule
from tests.meetings.test_motions import BRANCH_TEXT, make_conference

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
UTC = dt.UTC


def run_meeting(
    page: Any, base: str, meeting_id: int, numbers: list[str], outcome: dict[str, str]
) -> None:
    page.goto(f"{base}/meetings/{meeting_id}/")
    page.get_by_role("button", name="Open the meeting").click()
    assert page.locator("#room-code").inner_text().isdigit()
    for number in numbers:
        page.get_by_label("Membership number").fill(number)
        page.get_by_role("button", name="Check in", exact=True).click()
        assert "is checked in" in page.locator(".messages").inner_text()
    assert "Quorate." in page.locator("#quorum").inner_text()
    item = page.locator("li", has=page.get_by_role("link", name="the motion", exact=False)).first
    item.get_by_label("Outcome").select_option("carried")
    item.get_by_label("For", exact=True).fill(outcome["for"])
    item.get_by_label("Against", exact=True).fill(outcome["against"])
    item.get_by_role("button", name="Record the decision").click()
    assert "Carried (" in page.locator("main").inner_text()


def test_motion_from_branch_meeting_to_programme_entry(
    p: Party, clock: Any, live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    base = live_server.url
    # Screenshots (1366 and 390 px) for a person to look at: MEETINGS_SHOTS=<dir> keeps them.
    shots = Path(os.environ.get("MEETINGS_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    branch_meeting = schedule(p.branch_officer, branch=p.riverside, days=8)
    clp_meeting = schedule(p.clp_secretary, clp=p.northtown, days=20)
    services.motion_create(
        actor=p.branch_officer,
        branch=p.riverside,
        title="Buses for passengers",
        text=BRANCH_TEXT,
        meeting=branch_meeting,
    )
    conf, cac = make_conference(p)

    # The branch meeting: the branch officer opens it, checks members in, carries the motion.
    clock.move_to(branch_meeting.starts_at)
    officer = new_page()
    log_in(officer, base, "branch@example.org")
    run_meeting(
        officer, base, branch_meeting.pk, ["RF000001", "RF000003"], {"for": "2", "against": "0"}
    )
    officer.get_by_role("button", name="Close the meeting and draft the minutes").click()
    assert "Minutes (draft" in officer.locator("main").inner_text()
    officer.screenshot(path=str(shots / "branch-meeting-1366.png"), full_page=True)

    # The member sees it on their meetings page, with the motion on its way.
    member = new_page(viewport={"width": 390, "height": 844})
    log_in(member, base, "member@example.org")
    member.goto(f"{base}/meetings/")
    member.get_by_role("link", name="Buses for passengers").first.click()
    assert "Forwarded to Northtown" in member.locator("main").inner_text()
    member.screenshot(path=str(shots / "motion-390.png"), full_page=True)
    member.goto(f"{base}/meetings/{branch_meeting.pk}/")
    assert (
        "Minutes (draft, to be approved at the next meeting)" in member.locator("main").inner_text()
    )
    member.screenshot(path=str(shots / "branch-minutes-390.png"), full_page=True)

    # The CLP meeting: the motion from Riverside branch is on its agenda.
    clock.move_to(clp_meeting.starts_at)
    secretary = new_page()
    log_in(secretary, base, "secretary@example.org")
    secretary.goto(f"{base}/meetings/{clp_meeting.pk}/")
    assert "the motion from Riverside branch" in secretary.locator("main").inner_text()
    run_meeting(
        secretary,
        base,
        clp_meeting.pk,
        ["RF000001", "RF000002", "RF000003"],
        {"for": "3", "against": "0"},
    )
    secretary.get_by_role("link", name="the motion from Riverside branch").click()
    secretary.get_by_label("Conference", exact=True).select_option(label=conf.title)
    secretary.get_by_role("button", name="Submit to conference").click()
    sub = Submission.objects.get()
    assert f"Submitted to conference as {sub.reference}" in secretary.locator("main").inner_text()
    assert sub.origin_motion == Motion.objects.get(clp=p.northtown)
    secretary.screenshot(path=str(shots / "clp-motion-1366.png"), full_page=True)

    # Conference: in order, composited, agreed, carried on a card vote (services).
    topic = conference_setup.topic_create(actor=cac, conference=conf, name="Transport")
    conf_submissions.submission_rule(actor=cac, submission=sub, in_order=True, topic=topic)
    composite = conf_compositing.composite_create(
        actor=cac, topic=topic, title="Buses", text=sub.text
    )
    conf_compositing.composite_sign(actor=p.clp_secretary, composite=composite, submission=sub)
    clock.move_to(dt.datetime(2026, 9, 28, 10, tzinfo=UTC))
    session = conference_floor.session_create(
        actor=cac,
        conference=conf,
        title="Monday",
        starts_at=dt.datetime(2026, 9, 28, 10, tzinfo=UTC),
    )
    item = conference_floor.item_create(actor=cac, session=session, composite=composite)
    FloorItem.objects.filter(pk=item.pk).update(state="open")
    from tests.conference.test_cardvote import _cards

    _cards(item, cac, [("clp", 3, "for"), ("affiliate", 3, "for")])
    conference_floor.item_close(actor=cac, item=item)
    entry = ProgrammeEntry.objects.get()

    # The programme entry shows where the words began.
    visitor = new_page()
    visitor.goto(f"{base}/conference/programme/")
    visitor.get_by_role("link", name=entry.title, exact=False).first.click()
    origins = visitor.locator("section.origins")
    assert "Where the words began" in origins.inner_text()
    assert origins.locator("li").count() == 2
    assert origins.inner_text().count("began in Riverside branch") == 2
    visitor.screenshot(path=str(shots / "programme-entry-1366.png"), full_page=True)
