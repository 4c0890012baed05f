"""In Chromium, at 1366 and 390 px: a visitor finds an MP by constituency and reads both
scores of an MP who left; the constituency party's secretary starts a by-election campaign
from the MP page and its page shows the record since leaving (issues 15.3, 15.5, 17.2)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from rankandfile.accountability import importer, services
from rankandfile.accountability.models import Division
from rankandfile.campaigns.models import Campaign
from tests.accountability.conftest import division_json, member_entry, write_json
from tests.accountability.test_departures import programme_entry
from tests.browser.conftest import log_in
from tests.conftest import Party
from tests.membership import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


@pytest.mark.parametrize("width", [1366, 390])
def test_departure_journey(
    party: Party, live_server: Any, new_page: Any, tmp_path: Path, width: int
) -> None:
    mp = party.mp
    other = f.MPFactory(name="Edna Easton", constituency=party.easton.constituency)
    divisions = [
        division_json(9501, date="2026-09-01", ayes=[member_entry(mp), member_entry(other)]),
        division_json(
            9502,
            date="2026-10-06",
            ayes=[member_entry(other)],
            noes=[member_entry(mp, party="Independent")],
        ),
    ]
    importer.import_paths(actor=None, paths=[write_json(tmp_path, "d.json", divisions)])
    policy = services.policy_create(actor=None, programme_entry=programme_entry())
    for division_id in (9501, 9502):
        services.link_save(
            actor=None,
            policy=policy,
            division=Division.objects.get(division_id=division_id),
            aye_supports=True,
            strength="strong",
            justification="The motion would bring water back into public ownership.",
        )
    base = live_server.url
    viewport = {"width": width, "height": 900}

    visitor = new_page(viewport=viewport)
    visitor.goto(f"{base}/accountability/")
    visitor.get_by_label("MP or constituency").fill("northtown")
    visitor.get_by_role("button", name="Search").click()
    expect(visitor.get_by_role("heading", name="1 MP matching “northtown”")).to_be_visible()
    visitor.get_by_role("link", name=mp.name).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(mp.name)
    expect(visitor.get_by_role("columnheader", name="All votes in this parliament")).to_be_visible()
    expect(
        visitor.get_by_text(f"{mp.name} consistently voted for Public ownership")
    ).to_be_visible()
    expect(visitor.get_by_role("link", name="Start a by-election campaign")).to_have_count(0)
    no_sideways_scroll(visitor)
    visitor.screenshot(path=str(tmp_path / f"mp-left-{width}.png"), full_page=True)

    secretary = new_page(viewport=viewport)
    log_in(secretary, base, "secretary@example.org")
    secretary.goto(f"{base}/accountability/mps/{mp.mnis_id}/")
    secretary.get_by_role("link", name="Start a by-election campaign").click()
    expect(secretary.get_by_label("MP", exact=True)).to_have_value(str(mp.pk))
    expect(secretary.get_by_label("Constituency party")).to_have_value(str(party.northtown.pk))
    secretary.get_by_label("Title").fill("Northtown deserves a by-election")
    secretary.get_by_label("Demand").fill("Our MP should resign and stand again.")
    secretary.get_by_role("button", name="Create draft").click()
    expect(secretary.get_by_text("Campaign created as a draft")).to_be_visible()
    campaign = Campaign.objects.get(title="Northtown deserves a by-election")
    # Tied to the departure the records show (6 October, the first division as an
    # Independent), and its page shows the record since then.
    assert (campaign.mp_id, campaign.event_date) == (mp.pk, dt.date(2026, 10, 6))
    secretary.goto(f"{base}/campaigns/{campaign.slug}/")
    expect(
        secretary.get_by_role("heading", name=f"{mp.name}'s record since 6 October 2026")
    ).to_be_visible()
    expect(secretary.get_by_role("link", name="Public ownership of water")).to_be_visible()
    secretary.screenshot(path=str(tmp_path / f"campaign-record-{width}.png"), full_page=True)
    no_sideways_scroll(secretary)
