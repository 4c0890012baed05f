"""In Chromium: selection pages have labelled controls, AA contrast, and fit a phone."""

from __future__ import annotations

from typing import Any

import pytest

from rankandfile.membership.models import AffiliateCLP
from rankandfile.selections import services
from rankandfile.selections.models import Application, Selection
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import (
    PHONE,
    assert_contrast_and_labels,
    assert_no_horizontal_scroll,
)
from tests.conftest import Party
from tests.selections.conftest import northtown_selection, to_nominations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_selection_pages_contrast_and_labels(
    party: Party,
    selection: Selection,
    three_applications: list[Application],
    live_server: Any,
    page: Any,
) -> None:
    selection = to_nominations(party, selection, three_applications)
    ann = three_applications[0]
    base = live_server.url
    log_in(page, base, "admin@example.org")
    for path in (
        "/selections/",
        f"/selections/{selection.pk}/",
        f"/selections/{selection.pk}/manage/",
        f"/selections/{selection.pk}/candidates/{ann.pk}/",
        f"/selections/rounds/{selection.round_id}/",
        "/selections/rounds/new/",
    ):
        page.goto(base + path)
        assert_contrast_and_labels(page, path)


def test_trigger_management_page_labels(party: Party, live_server: Any, new_page: Any) -> None:
    AffiliateCLP.objects.create(affiliate=party.affiliate, clp=party.northtown)
    selection = northtown_selection(party, mode="trigger_2018")
    services.trigger_record_branch(
        actor=party.clp_secretary, selection=selection, branch=party.riverside,
        members_present=10, votes_for=6, votes_against=4,
    )  # fmt: skip
    page = new_page()
    log_in(page, live_server.url, "secretary@example.org")
    for path in (f"/selections/{selection.pk}/manage/", f"/selections/{selection.pk}/"):
        page.goto(live_server.url + path)
        assert_contrast_and_labels(page, path)
    admin = new_page()
    log_in(admin, live_server.url, "admin@example.org")
    path = f"/selections/rounds/{selection.round_id}/compare/"
    admin.goto(live_server.url + path)
    assert_contrast_and_labels(admin, path)


def test_selection_page_on_a_phone(
    party: Party,
    selection: Selection,
    three_applications: list[Application],
    live_server: Any,
    new_page: Any,
) -> None:
    selection = to_nominations(party, selection, three_applications)
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, live_server.url, "member@example.org")
    for path in (f"/selections/{selection.pk}/", "/selections/"):
        page.goto(live_server.url + path)
        assert_no_horizontal_scroll(page, path)
