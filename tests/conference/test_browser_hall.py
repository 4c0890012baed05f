"""In Chromium, at 1366 and 390 px: a delegate asks to speak from a phone, the chair calls
them from the console, opens the card vote, is asked to confirm closing it with a card
still out, and the hall screen follows every step by itself (issue 16.2)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from rankandfile.conference.services import delegates, floor
from tests.browser.conftest import log_in
from tests.conference.conftest import conference_in_session
from tests.conference.helpers import delegate
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _signed_in(new_page: Any, base: str, user: Any, width: int) -> Any:
    """A page signed in as ``user`` (a CAC login with its second factor: the session is
    made as after a full sign-in, so the two-factor step is not replayed here)."""
    c = Client()
    c.force_login(user)
    mobile = width < 600
    page = new_page(
        viewport={"width": width, "height": 844 if mobile else 900},
        is_mobile=mobile,
        has_touch=mobile,
    )
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    return page


@pytest.mark.parametrize("width", [1366, 390])
def test_speak_call_vote_confirm_close_and_the_screen_follows(
    party: Party, live_server: Any, new_page: Any, width: int, tmp_path: Any
) -> None:
    shots = os.environ.get("HALL_SHOTS") or str(tmp_path)  # screenshots to look at
    conf, cac = conference_in_session(totp=True)
    today = timezone.localdate()
    opens = timezone.now() - dt.timedelta(days=1)
    party.me.gender = "woman"
    party.me.save(update_fields=["gender"])
    me = delegates.delegate_register(
        actor=cac, conference=conf, member=party.me, meeting_date=today - dt.timedelta(days=40)
    )
    delegates.delegate_check_in(actor=cac, delegate=me)
    delegate(conf, cac, party.easton)  # a second delegate, who will not vote
    session = floor.session_create(actor=cac, conference=conf, title="Today", starts_at=opens)
    item = floor.item_create(actor=cac, session=session, title="Composite 1: Public transport")
    base = live_server.url
    year = conf.year
    name = f"{party.me.first_name} {party.me.last_name}"
    os.makedirs(shots, exist_ok=True)

    screen = new_page(viewport={"width": 1366, "height": 768})
    screen.goto(f"{base}/conference/{year}/hall/screen/")
    expect(screen.get_by_role("heading", level=1)).to_have_text("Conference is not in session")
    expect(screen.locator(".site-header")).to_have_count(0)  # no site menu on the projector

    chair = _signed_in(new_page, base, cac, width)
    chair.goto(f"{base}/conference/{year}/hall/console/")
    chair.get_by_role("button", name=f"Put {item.title} before conference").click()
    expect(chair.get_by_role("heading", name=f"Before conference: {item.title}")).to_be_visible()
    expect(screen.get_by_role("heading", level=1)).to_have_text(item.title)

    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    if width == 1366:
        phone = new_page(viewport={"width": 1366, "height": 900})
    log_in(phone, base, "member@example.org")
    phone.goto(f"{base}/conference/{year}/hall/")
    expect(phone.get_by_role("heading", name=f"Now: {item.title}")).to_be_visible()
    phone.get_by_label("To support").check()
    phone.get_by_role("button", name="Ask to speak").click()
    expect(phone.get_by_text("You have asked to speak (to support)")).to_be_visible()

    # The console was not reloaded: the request appears by itself; the chair calls it.
    call = chair.get_by_role("button", name=f"Call {name}")
    expect(call).to_be_visible()
    call.click()
    expect(screen.locator(".speaker-speaking")).to_contain_text(name)
    expect(screen.get_by_role("timer")).to_contain_text(":")
    expect(screen.locator(".balance")).to_contain_text("on this item: 1 woman, 0 men")
    expect(phone.get_by_text("The chair has called you")).to_be_visible()
    screen.screenshot(path=f"{shots}/screen-speaking-{width}.png")
    phone.screenshot(path=f"{shots}/phone-called-{width}.png", full_page=True)

    chair.get_by_role("button", name="Open the card vote").click()
    expect(chair.get_by_text("Card vote open: 2 cards issued.")).to_be_visible()
    expect(screen.locator(".turnout")).to_have_text("Voting open: 0 of 2 cards cast")
    phone.get_by_role("button", name="For", exact=True).click()
    expect(phone.get_by_text("You voted for.")).to_be_visible()
    expect(screen.locator(".turnout")).to_have_text("Voting open: 1 of 2 cards cast")
    expect(screen.locator(".big")).to_have_count(0)  # no running totals while open
    chair.screenshot(path=f"{shots}/console-open-{width}.png", full_page=True)

    chair.get_by_role("button", name="Close the vote").click()
    expect(
        chair.get_by_role("heading", name="Close the vote with cards still out?")
    ).to_be_visible()
    expect(chair.get_by_text("1 of 2 cards have not been cast")).to_be_visible()
    chair.screenshot(path=f"{shots}/console-confirm-{width}.png", full_page=True)
    chair.get_by_role("button", name="Yes, close the vote now").click()
    expect(chair.get_by_text(f"{item.title}: Carried.")).to_be_visible()
    expect(screen.locator(".item-state")).to_contain_text("Carried")
    expect(screen.locator(".board-totals")).to_contain_text("100.00%")
    screen.screenshot(path=f"{shots}/screen-result-{width}.png")


def test_cac_records_a_paper_card_and_the_board_shows_it(
    party: Party, live_server: Any, new_page: Any
) -> None:
    """Issue 16.4 in Chromium: a delegate without a phone hands in a paper card; the CAC
    records it at 390 px; the results board marks it as recorded by the CAC."""
    conf, cac = conference_in_session(totp=True)
    opens = timezone.now() - dt.timedelta(days=1)
    no_phone = delegate(conf, cac, party.easton, login=False)
    session = floor.session_create(actor=cac, conference=conf, title="Today", starts_at=opens)
    item = floor.item_create(actor=cac, session=session, title="Emergency motion: buses")
    base, year = live_server.url, conf.year
    chair = _signed_in(new_page, base, cac, 390)
    chair.goto(f"{base}/conference/{year}/hall/console/")
    chair.get_by_role("button", name=f"Put {item.title} before conference").click()
    chair.get_by_role("button", name="Open the card vote").click()
    expect(chair.get_by_text("Card vote open: 1 cards issued.")).to_be_visible()
    chair.get_by_role("link", name="Paper and proxy cards").click()
    row = chair.get_by_role("row").filter(has_text="(no login)")
    expect(row).to_contain_text(no_phone.member.last_name)
    row.get_by_label("Vote").select_option("against")
    row.get_by_role("button", name="Record the card of").click()
    expect(
        chair.get_by_text(f"Paper card recorded for {no_phone.clp.name}: against.")
    ).to_be_visible()
    chair.goto(f"{base}/conference/{year}/hall/console/")
    chair.get_by_role("button", name="Close the vote").click()  # nothing out: no question
    expect(chair.get_by_text(f"{item.title}: Lost.")).to_be_visible()
    board = new_page(viewport={"width": 1366, "height": 900})
    board.goto(f"{base}/conference/{year}/floor/{item.pk}/board/")
    expect(board.locator(".card-records")).to_contain_text("Cards recorded by the CAC: 1")
    expect(board.locator(".card-records")).to_contain_text("Paper card")
