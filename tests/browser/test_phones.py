"""At 390 px (a phone): the menu folds behind a button, and the pages that used to scroll
sideways fit (issue 17.5): the ballots list, the rule-book comparison, the results board
and an MP's charts. ``document.documentElement.scrollWidth <= window.innerWidth``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from rankandfile.conference.models import AgendaItem, Card
from rankandfile.conference.services import floor as conf_floor
from rankandfile.conference.services import rulebook as conf_rulebook
from tests.accountability.test_views import officer, voted  # noqa: F401 - fixtures
from tests.browser.conftest import log_in
from tests.conference.conftest import conference_in_session
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


def assert_fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert viewport == PHONE["width"]
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def phone(new_page: Any) -> Any:
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True)


def test_the_menu_folds_behind_a_button(party: Party, live_server: Any, new_page: Any) -> None:
    page = phone(new_page)
    log_in(page, live_server.url, "member@example.org")
    nav = page.get_by_role("navigation", name="Main")
    ballots = nav.get_by_role("link", name="Ballots")
    assert not ballots.is_visible()
    toggle = nav.get_by_role("button", name="Menu")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert ballots.is_visible()
    for link in nav.get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    ballots.click()
    page.wait_for_url(f"{live_server.url}/ballots/")
    assert_fits(page)
    # On a wide screen there is no button: the menu is simply there.
    wide = new_page(viewport={"width": 1366, "height": 900})
    log_in(wide, live_server.url, "member@example.org")
    wide_nav = wide.get_by_role("navigation", name="Main")
    assert not wide_nav.get_by_role("button", name="Menu").is_visible()
    assert wide_nav.get_by_role("link", name="Ballots").is_visible()


def test_rule_book_comparison_fits(db: None, live_server: Any, new_page: Any) -> None:
    conf_rulebook.rule_book_load(actor=None)
    page = phone(new_page)
    page.goto(f"{live_server.url}/conference/rules/?a=4&b=5")
    assert "Changes from version 4 to version 5" in page.locator("main").inner_text()
    assert_fits(page)


def test_results_board_fits(party: Party, live_server: Any, new_page: Any) -> None:
    conf, cac = conference_in_session()
    today = timezone.localdate()
    opens = timezone.now() - dt.timedelta(days=1)
    session = conf_floor.session_create(
        actor=cac, conference=conf, title=f"{today:%A}", starts_at=opens
    )
    item = conf_floor.item_create(
        actor=cac, session=session, title="Composite 4: A public vote on any Brexit deal"
    )
    AgendaItem.objects.filter(pk=item.pk).update(state="open")
    Card.objects.bulk_create(
        Card(
            item=item,
            section=section,
            unit_id=i,
            unit_name=f"unit {i}",
            unit_weight=weight,
            unit_present=3,
            user=cac,
            choice=choice,
        )
        for i, (section, weight, choice) in enumerate(
            [
                ("clp", 301_220, "for"),
                ("clp", 98_410, "against"),
                ("affiliate", 1_710_554, "for"),
                ("affiliate", 611_999, "against"),
            ],
            start=1,
        )
    )
    conf_floor.item_close(actor=cac, item=item)
    page = phone(new_page)
    page.goto(f"{live_server.url}/conference/{conf.year}/floor/{item.pk}/board/")
    assert "Final result" in page.locator(".board-status").inner_text()
    board = page.locator("#board").inner_text()
    assert "/" not in board.split("By section")[1].split("Carried")[0]  # no raw fractions
    assert_fits(page)


def test_ballots_list_fits(party: Party, live_server: Any, new_page: Any) -> None:
    from tests.ballots.test_views import make_ballot

    make_ballot(party, title="Chair of the Northtown constituency party and its delegation")
    page = phone(new_page)
    log_in(page, live_server.url, "secretary@example.org")
    page.goto(f"{live_server.url}/ballots/")
    assert_fits(page)


def test_mp_charts_fit(party: Party, voted: Any, live_server: Any, new_page: Any) -> None:  # noqa: F811
    page = phone(new_page)
    page.goto(f"{live_server.url}/accountability/mps/{party.mp.mnis_id}/")
    assert page.locator("main img, main svg, main figure").count() >= 1
    assert_fits(page)
