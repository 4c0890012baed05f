"""The language switcher at 390 px (a phone): a member chooses Cymraeg in the footer, the
page they were on comes back in Welsh and still fits; the choice holds across pages and
can be undone (docs/decisions/0027-welsh.md)."""

from __future__ import annotations

from typing import Any

import pytest

from rankandfile.campaigns.models import Campaign
from tests.browser.conftest import log_in
from tests.browser.test_phones import PHONE, assert_fits, phone
from tests.campaigns.conftest import campaign  # noqa: F401 - a fixture
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_member_switches_to_welsh_on_a_phone(
    party: Party,
    campaign: Campaign,  # noqa: F811
    live_server: Any,
    new_page: Any,
) -> None:
    page = phone(new_page)
    log_in(page, live_server.url, "member@example.org")
    page.goto(f"{live_server.url}/campaigns/{campaign.slug}/")
    assert page.get_by_role("heading", name="Sign the petition").is_visible()
    assert page.locator("html").get_attribute("lang") == "en-GB"
    page.get_by_label("Language").select_option("cy")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_url(f"{live_server.url}/campaigns/{campaign.slug}/")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("heading", name="Llofnodwch y ddeiseb").is_visible()
    assert page.get_by_label("Enw cyntaf", exact=True).is_visible()
    assert_fits(page)
    switcher = page.get_by_role("button", name="Newid iaith")
    box = switcher.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    # The choice holds on the next page: the menu and the ballots list.
    page.get_by_role("button", name="Dewislen").click()
    page.get_by_role("navigation", name="Prif").get_by_role(
        "link", name="Pleidleisiau", exact=True
    ).click()
    page.wait_for_url(f"{live_server.url}/ballots/")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("button", name="Dewislen").is_visible()
    # And back to English.
    page.get_by_label("Iaith").select_option("en-gb")
    page.get_by_role("button", name="Newid iaith").click()
    page.wait_for_url(f"{live_server.url}/ballots/")
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_role("button", name="Change language").is_visible()
