"""In Chromium (issue 16.5): the CAC changes a conference's dates after set-up — a date the
set-up would refuse is refused with the typed values kept, a good one is saved — and puts a
policy document before conference."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rankandfile.conference.models import Conference, ConferenceDocument
from tests.browser.conftest import log_in
from tests.conference.conftest import conference_next_year
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("width", [1366, 390])
def test_the_cac_changes_the_dates_and_puts_a_document_before_conference(
    party: Party, live_server: Any, new_page: Any, width: int
) -> None:
    conf = conference_next_year(party.national_admin)
    year = conf.year
    base = live_server.url
    cac = new_page(viewport={"width": width, "height": 900})
    log_in(cac, base, "admin@example.org")

    cac.goto(f"{base}/conference/{conf.year}/dates/")
    cac.locator("input[name=ends_on]").fill(f"{year}-09-20")  # before it starts
    cac.get_by_role("button", name="Change the dates").click()
    cac.wait_for_load_state()
    assert "cannot end before it starts" in cac.content()
    assert cac.locator("input[name=ends_on]").input_value() == f"{year}-09-20"
    assert Conference.objects.get(pk=conf.pk).ends_on == dt.date(year, 9, 30)

    cac.locator("input[name=ends_on]").fill(f"{year}-10-01")
    cac.get_by_role("button", name="Change the dates").click()
    cac.wait_for_url(f"{base}/conference/{conf.year}/arrangements/")
    assert Conference.objects.get(pk=conf.pk).ends_on == dt.date(year, 10, 1)

    cac.goto(f"{base}/conference/{conf.year}/documents/new/")
    cac.locator("input[name=kind][value=policy_document]").check()
    cac.locator("input[name=title]").fill("Climate")
    cac.locator("textarea[name=text]").fill("Conference adopts a green industrial plan.")
    cac.get_by_role("button", name="Put it before conference").click()
    cac.wait_for_load_state()
    doc = ConferenceDocument.objects.get(conference=conf)
    assert doc.title == "Climate"
    assert "Climate" in cac.content()
    assert cac.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
