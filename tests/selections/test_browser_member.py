"""In Chromium: a member reads the shortlisted candidates' pages (with the sitting MP's
record) and votes in the selection through the ballots app."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rankandfile.ballots.models import VoteRecord
from rankandfile.selections import services
from rankandfile.selections.models import Application, Selection
from tests.browser.conftest import log_in
from tests.conftest import Party
from tests.selections.conftest import to_nominations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_member_reads_candidates_and_votes(
    party: Party,
    selection: Selection,
    three_applications: list[Application],
    live_server: Any,
    new_page: Any,
) -> None:
    selection = to_nominations(party, selection, three_applications)
    selection = services.selection_advance(actor=party.clp_secretary, selection=selection)
    now = timezone.now()
    ballot = services.selection_ballot_open(
        actor=party.clp_secretary,
        selection=selection,
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(days=3),
    )
    base = live_server.url
    page = new_page()
    page.goto(f"{base}/healthz", timeout=120_000)
    log_in(page, base, "member@example.org")
    page.goto(f"{base}/selections/")
    page.get_by_role("link", name="Northtown").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Northtown: selection of the parliamentary candidate"
    )
    expect(page.get_by_role("heading", name="Shortlisted candidates")).to_be_visible()
    assert page.get_by_role("link", name="Cal Cooper").count() == 0  # not shortlisted
    page.get_by_role("link", name="Bob Baker").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bob Baker")
    expect(page.get_by_text("I am Bob Baker")).to_be_visible()
    assert page.get_by_text("private.example.org").count() == 0
    page.go_back()
    page.get_by_role("link", name="Vote in the selection").click()
    page.get_by_label("Bob Baker").fill("1")
    page.get_by_label("Ann Archer").fill("2")
    page.get_by_label("Ann Archer").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your vote")
    page.get_by_role("button", name="Cast my vote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your vote is cast")
    assert VoteRecord.objects.filter(ballot=ballot, member=party.me).exists()
