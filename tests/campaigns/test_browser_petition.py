"""In Chromium: a visitor signs the petition (a mistake first), confirms by the emailed
link, and sees the count and their first name on the campaign page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from rankandfile.campaigns.models import Campaign
from tests.campaigns.factories import CampaignFactory
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def live_campaign(party: Party) -> Campaign:
    constituency = party.northtown.constituency
    constituency.electorate = 70_001
    constituency.save(update_fields=["electorate"])
    return CampaignFactory(
        clp=party.northtown, slug="northtown", title="Northtown deserves a by-election"
    )


def test_visitor_signs_confirms_and_is_counted(
    live_campaign: Campaign, live_server: Any, page: Any
) -> None:
    base = live_server.url
    page.goto(f"{base}/campaigns/{live_campaign.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northtown deserves a by-election")
    page.get_by_label("First name", exact=True).fill("Ruth")
    page.get_by_label("Last name").fill("Signer")
    page.get_by_label("Email address").fill("Ruth@Example.org")
    page.get_by_label("Postcode").fill("12345")
    page.get_by_label("Town or area (optional)").fill("Northtown")
    page.get_by_label("I live in this constituency").check()
    page.get_by_label("Show my first name and town among recent supporters").check()
    page.get_by_label("I agree to the use of my data described above").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a UK postcode, like SW16 1AA.")
    # What was typed is kept; fix the postcode and sign.
    expect(page.get_by_label("First name", exact=True)).to_have_value("Ruth")
    page.get_by_label("Postcode").fill("nt1 1aa")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert mail.outbox and mail.outbox[-1].to == ["ruth@example.org"]
    link = re.search(r"http://\S+/campaigns/confirm/\S+/", mail.outbox[-1].body)
    assert link is not None
    path = link.group(0).split("/campaigns/", 1)[1]
    page.goto(f"{base}/campaigns/{path}")
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Ruth")
    page.goto(f"{base}/campaigns/{live_campaign.slug}/")
    expect(page.locator("#campaign-progress")).to_contain_text(
        "1 confirmed signature of a target of 7,001"
    )
    expect(page.get_by_role("complementary")).to_contain_text("Ruth, Northtown")
