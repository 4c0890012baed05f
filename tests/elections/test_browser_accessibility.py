"""In Chromium: election pages have labelled controls, AA contrast, and fit a phone."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from rankandfile.conference.services import rulebook as conference_services
from rankandfile.elections import services
from rankandfile.elections.models import PastRound
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import (
    PHONE,
    assert_contrast_and_labels,
    assert_no_horizontal_scroll,
)
from tests.conftest import Party
from tests.elections.factories import mp_logins, open_contest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_election_pages_contrast_labels_and_phone(
    party: Party, live_server: Any, new_page: Any
) -> None:
    logins = mp_logins(3)
    contest = open_contest(party.national_admin)
    alice = services.candidate_add(actor=party.national_admin, contest=contest, name="Alice A")
    services.candidate_add(actor=party.national_admin, contest=contest, name="Bob B")
    services.nomination_by_mp(actor=logins[0][1], contest=contest, candidate=alice)
    conference_services.rule_book_load(actor=None)
    call_command("elections_load_past", stdout=StringIO())
    past = PastRound.objects.get(title__contains="2020")
    paths = (
        "/elections/",
        f"/elections/{contest.pk}/",
        f"/elections/{contest.pk}/candidates/{alice.pk}/",
        f"/elections/past/{past.pk}/",
        "/elections/new/",
    )
    base = live_server.url
    page = new_page()
    log_in(page, base, "admin@example.org")
    for path in paths:
        page.goto(base + path)
        assert_contrast_and_labels(page, path)
    phone = new_page(viewport=PHONE)
    log_in(phone, base, "member@example.org")
    for path in paths[:3]:
        phone.goto(base + path)
        assert_no_horizontal_scroll(phone, path)
