"""In Chromium: a delegate votes from a phone-sized screen and the hall's results board
updates by itself (hall.js polls the hall's snapshot), then shows the final figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rankandfile.conference.services import delegates, floor
from tests.browser.conftest import log_in
from tests.conference.conftest import conference_in_session
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_delegate_votes_from_phone_and_board_updates_live(
    party: Party, live_server: Any, new_page: Any
) -> None:
    conf, cac = conference_in_session()
    today = timezone.localdate()
    opens = timezone.now() - dt.timedelta(days=1)
    d = delegates.delegate_register(
        actor=cac, conference=conf, member=party.me, meeting_date=today - dt.timedelta(days=40)
    )
    delegates.delegate_check_in(actor=cac, delegate=d)
    session = floor.session_create(actor=cac, conference=conf, title="Today", starts_at=opens)
    item = floor.item_create(actor=cac, session=session, title="Composite 1: Public transport")
    floor.card_vote_open(actor=cac, item=item)
    base = live_server.url

    board = new_page()
    board.goto(f"{base}/conference/{conf.year}/floor/{item.pk}/board/", timeout=120_000)
    status = board.locator(".board-status")
    expect(status).to_have_text("Voting open: 0 of 1 cards cast")

    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, base, "member@example.org")
    phone.get_by_role("button", name="Menu").click()  # the menu folds on a phone
    phone.get_by_role("link", name="Conference").click()
    expect(
        phone.get_by_role("link", name="Vote now: Composite 1: Public transport")
    ).to_be_visible()
    phone.get_by_role("link", name="Vote now: Composite 1: Public transport").click()
    expect(phone.get_by_text("You have not voted yet.")).to_be_visible()
    phone.get_by_role("button", name="For", exact=True).click()
    expect(phone.get_by_text("You voted for.")).to_be_visible()

    # The hall screen was not reloaded: hall.js polled the hall's snapshot.
    expect(status).to_have_text("Voting open: 1 of 1 cards cast", timeout=10_000)
    expect(board.locator(".board-totals")).to_have_count(0)  # turnout only while open

    floor.item_close(actor=cac, item=item)
    expect(status).to_contain_text("Final result: Carried", timeout=10_000)
    expect(board.locator(".board-totals")).to_contain_text("100.00%")
