"""In Chromium: a member votes with the keyboard alone, the officer closes and declares,
and the member sees the result and finds their paper among the published ones."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rankandfile.ballots import services, tally
from rankandfile.ballots.models import Ballot
from tests.ballots.factories import BallotFactory, sealed_paper
from tests.browser.conftest import log_in, wait_for_js
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def ballot(party: Party) -> Ballot:
    now = timezone.now()
    draft = BallotFactory(
        clp=party.northtown,
        title="CLP chair",
        options=("Ada Adams", "Bo Brown", "Cy Clarke"),
        freeze_date=timezone.localdate() - dt.timedelta(days=1),
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=1),
    )
    return services.ballot_open(actor=None, ballot=draft)


def test_member_votes_by_keyboard_and_sees_the_declared_result(
    party: Party, ballot: Ballot, live_server: Any, new_page: Any
) -> None:
    base = live_server.url
    page = new_page()
    # The first request imports the whole URL map; on a loaded machine that alone can
    # outlast the default timeout, so warm the server up with time to spare.
    page.goto(f"{base}/healthz", timeout=120_000)
    log_in(page, base, "member@example.org")
    page.goto(f"{base}/ballots/")
    page.get_by_role("link", name="CLP chair").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CLP chair")
    assert page.get_by_role("group", name="Number the candidates in order of preference")

    # A mistake first: the same number twice. The error summary takes focus.
    page.get_by_label("Ada Adams").focus()
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    assert "You gave preference 1 to two candidates (Ada Adams and Bo Brown)" in (
        summary.inner_text()
    )
    assert page.evaluate("document.activeElement.id") == "error-summary"
    # The summary's link takes the keyboard to the box at fault.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "id_pref_0"

    # Now properly: Cy first, Ada second, Bo left blank. (fill() replaces each box's value
    # atomically; key chords like Ctrl+A raced the page's focus handling on a busy machine.)
    page.get_by_label("Ada Adams").fill("2")
    page.get_by_label("Bo Brown").fill("")
    page.get_by_label("Cy Clarke").fill("1")
    page.get_by_label("Cy Clarke").press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your vote")
    assert page.evaluate("document.activeElement.tagName") == "H1"
    assert page.locator("ol.choices li").all_inner_texts() == ["Cy Clarke", "Ada Adams"]
    page.get_by_role("button", name="Cast my vote").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your vote is cast")
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{10}", code)
    # The code can be saved as a text file and copied (issue 17.3); it is never emailed.
    with page.expect_download() as download:
        page.get_by_role("button", name="Save as a text file").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"Tracking code: {code}" in saved and f"/ballots/{ballot.pk}/result/" in saved
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the code").click()
    wait_for_js(
        page,
        "navigator.clipboard.readText().then(t => window.__clip = t) "
        f"&& window.__clip === '{code}'",
    )
    assert page.get_by_role("button", name="Print").is_visible()
    assert "Why not by email?" in page.locator("main").inner_text()
    assert sealed_paper(ballot).choice == [2, 0]

    # Voting closes; the scheduled close counts it.
    Ballot.objects.filter(pk=ballot.pk).update(
        opens_at=timezone.now() - dt.timedelta(days=2),
        closes_at=timezone.now() - dt.timedelta(seconds=1),
    )
    tally.close_due()

    # Not declared yet: the member cannot see the result.
    response = page.goto(f"{base}/ballots/{ballot.pk}/result/")
    assert response.status == 404

    officer = new_page()
    log_in(officer, base, "secretary@example.org")
    officer.goto(f"{base}/ballots/{ballot.pk}/manage/")
    officer.get_by_role("button", name="Declare").click()
    officer.wait_for_url(f"{base}/ballots/{ballot.pk}/result/")
    assert "The result is declared." in officer.locator(".messages").inner_text()

    page.goto(f"{base}/ballots/")
    page.get_by_role("link", name="CLP chair").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Result: CLP chair")
    assert "Elected: Cy Clarke." in page.locator("main").inner_text()
    assert "1 of 3 members voted" in page.locator("main").inner_text()
    assert page.get_by_role("img", name=re.compile("Chart of the count")).count() == 1
    # Drawn on first request (matplotlib is imported then): allow it time.
    wait_for_js(
        page,
        "(() => { const img = document.querySelector('figure.chart img');"
        " return img.complete && img.naturalWidth > 0; })()",
        timeout=60_000,
    )

    page.get_by_label("Your tracking code").fill(code)
    page.get_by_role("button", name="Check").click()
    check = page.locator("#code-check")
    assert f"Your paper {code} is among the published papers" in check.inner_text()
    assert check.locator("li").all_inner_texts() == ["Cy Clarke", "Ada Adams"]
