"""Welsh in Chromium at 1366 px and 390 px (a phone), docs/decisions/0027-welsh.md.

A member chooses Cymraeg in the footer: the page they were on comes back in Welsh and
still fits; the choice holds across pages and can be undone. A member who has forgotten
their password resets it in Welsh: the request, the email (its link followed as the
member would), the new password, and signing in with it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from rankandfile.campaigns.models import Campaign
from tests.browser.conftest import log_in
from tests.browser.test_journeys import WIDTHS, assert_fits, open_page
from tests.campaigns.conftest import campaign  # noqa: F401 - a fixture
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def choose(page: Any, language: str, button: str) -> None:
    """The footer's switcher: choose a language and press its button."""
    page.locator("select[name='language']").select_option(language)
    page.get_by_role("button", name=button).click()


@pytest.mark.parametrize("size", WIDTHS)
def test_a_member_switches_to_welsh(
    party: Party,
    campaign: Campaign,  # noqa: F811
    live_server: Any,
    new_page: Any,
    size: str,
) -> None:
    page = open_page(new_page, size)
    log_in(page, live_server.url, "member@example.org")
    page.goto(f"{live_server.url}/campaigns/{campaign.slug}/")
    assert page.get_by_role("heading", name="Sign the petition").is_visible()
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_label("Language").is_visible()
    choose(page, "cy", "Change language")
    page.wait_for_url(f"{live_server.url}/campaigns/{campaign.slug}/")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("heading", name="Llofnodwch y ddeiseb").is_visible()
    assert page.get_by_label("Enw cyntaf", exact=True).is_visible()
    assert_fits(page)
    switcher = page.get_by_role("button", name="Newid iaith")
    box = switcher.bounding_box()
    assert box is not None and box["x"] + box["width"] <= WIDTHS[size]["width"]
    # The choice holds on the next page: the menu and the ballots list.
    nav = page.get_by_role("navigation", name="Prif")
    if size == "phone":
        nav.get_by_role("button", name="Dewislen").click()
    nav.get_by_role("link", name="Pleidleisiau", exact=True).click()
    page.wait_for_url(f"{live_server.url}/ballots/")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert_fits(page)
    # The member's home page: the cards in Welsh.
    page.goto(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Fy aelodaeth").is_visible()
    assert page.get_by_role("heading", name="Fy AS").is_visible()
    assert_fits(page)
    # And back to English.
    assert page.get_by_label("Iaith").is_visible()
    choose(page, "en-gb", "Newid iaith")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_role("button", name="Change language").is_visible()
    assert page.get_by_role("heading", name="My membership").is_visible()


@pytest.mark.parametrize("size", WIDTHS)
def test_a_member_resets_their_password_in_welsh(
    party: Party, live_server: Any, new_page: Any, size: str
) -> None:
    base = live_server.url
    page = open_page(new_page, size)
    page.goto(f"{base}/accounts/login/")
    choose(page, "cy", "Change language")
    page.wait_for_url(f"{base}/accounts/login/")
    assert page.get_by_role("heading", name="Mewngofnodi").is_visible()
    page.get_by_role("link", name="Wedi anghofio'ch cyfrinair?").click()
    page.wait_for_url(f"{base}/accounts/password/reset/")
    assert page.get_by_role("heading", name="Ailosod eich cyfrinair").is_visible()
    assert_fits(page)
    page.get_by_label("E-bost", exact=True).fill("member@example.org")
    page.get_by_role("button", name="Anfon y ddolen").click()
    assert page.get_by_role("heading", name="Gwiriwch eich e-bost").is_visible()
    assert_fits(page)

    message = mail.outbox[-1]
    assert message.to == ["member@example.org"]
    assert "Ailosod eich cyfrinair" in message.subject
    assert "I ddewis cyfrinair newydd, agorwch y ddolen hon:" in message.body
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body)
    assert link is not None, message.body
    page.goto(link.group(0))
    assert page.get_by_role("heading", name="Dewiswch gyfrinair newydd").is_visible()
    assert_fits(page)
    page.get_by_label("Cyfrinair newydd", exact=True).fill("cymraeg a chyfrinair hir")
    page.get_by_label("Cyfrinair newydd (eto)", exact=True).fill("cymraeg a chyfrinair hir")
    page.get_by_role("button", name="Newid cyfrinair").click()
    assert page.get_by_role("heading", name="Newidiwyd y cyfrinair").is_visible()
    assert page.get_by_text("Mae eich cyfrinair wedi'i newid.").is_visible()
    assert_fits(page)

    page.get_by_role("main").get_by_role("link", name="Mewngofnodi").click()
    page.wait_for_url(f"{base}/accounts/login/")
    page.get_by_label("E-bost", exact=True).fill("member@example.org")
    page.get_by_label("Cyfrinair", exact=True).fill("cymraeg a chyfrinair hir")
    page.get_by_role("main").get_by_role("button", name="Mewngofnodi").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Croeso, ")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert_fits(page)
