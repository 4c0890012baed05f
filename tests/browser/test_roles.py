"""In Chromium: each role signs in through the login form and sees the right pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import log_in, wait_for_js
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_member_sees_home_and_is_kept_out_of_clp_pages(
    party: Party, live_server: Any, page: Any
) -> None:
    log_in(page, live_server.url, "member@example.org")
    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Mary"
    assert "Northtown" in main.inner_text()  # my CLP
    assert "Riverside" in main.inner_text()  # my branch
    assert "Ada Lovelace" in main.inner_text()  # my MP
    assert "No ballots are open to you right now." in main.inner_text()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Constituency parties").count() == 0
    assert nav.get_by_role("link", name="Admin").count() == 0

    page.get_by_role("link", name="My record and history").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mary Member"
    assert "Membership history" in page.content()

    response = page.goto(f"{live_server.url}/clps/northtown/members/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/members/{party.neighbour.pk}/")
    assert response.status == 404
    page.goto(f"{live_server.url}/admin/")
    assert "/admin/login/" in page.url


def test_secretary_searches_with_htmx_and_paginates(
    party: Party, crowd: None, live_server: Any, page: Any
) -> None:
    base = live_server.url
    log_in(page, base, "secretary@example.org")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Constituency parties"
    ).click()
    page.get_by_role("link", name="Northtown").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Northtown: members"
    status = page.locator("#members-status")
    assert status.inner_text() == "63 members"
    rows = page.locator("#member-rows tbody tr")
    assert rows.count() == 50

    # Mark the document: an htmx swap keeps it, a full page load would not.
    page.evaluate("window.__sameDocument = true")

    # Live search: typing is enough, no button press.
    page.get_by_label("Search").press_sequentially("nell", delay=30)
    wait_for_js(page, "document.querySelectorAll('#member-rows tbody tr').length === 1")
    assert "Neighbour, Nell" in rows.first.inner_text()
    assert status.inner_text() == "1 member matches"
    page.wait_for_url(re.compile(r"q=nell"))
    assert page.evaluate("window.__sameDocument") is True

    # Filter by branch (htmx on change), then page through.
    page.get_by_label("Search").fill("")
    page.get_by_label("Branch").select_option(label="Hillside")
    wait_for_js(
        page, "document.querySelector('#members-status').textContent.trim() === '61 members match'"
    )
    pages = page.get_by_role("navigation", name="Pages")
    assert "Page 1 of 2" in pages.inner_text()
    pages.get_by_role("link", name="Next page").click()
    wait_for_js(
        page,
        "document.querySelector('nav.pagination .page-of').textContent.includes('Page 2 of 2')",
    )
    assert rows.count() == 11
    assert re.search(r"page=2", page.url) and re.search(rf"branch={party.hillside.pk}", page.url)
    assert page.evaluate("window.__sameDocument") is True

    # Open a record from the list, then come back to the same page of it.
    first = rows.first.get_by_role("link")
    name = first.inner_text()  # "Zed050, Crowd"
    first.click()
    last, given = name.split(", ")
    assert page.get_by_role("heading", level=1).inner_text() == f"{given} {last}"
    page.go_back()
    wait_for_js(
        page,
        "document.querySelector('nav.pagination .page-of').textContent.includes('Page 2 of 2')",
    )

    # Another CLP's list is not there for this secretary.
    assert page.goto(f"{base}/clps/southport/members/").status == 404


def test_search_works_without_javascript(party: Party, live_server: Any, new_page: Any) -> None:
    page = new_page(java_script_enabled=False)
    log_in(page, live_server.url, "secretary@example.org")
    page.goto(f"{live_server.url}/clps/northtown/members/")
    page.get_by_label("Search").fill("bert")
    page.get_by_label("Standing today").select_option("good")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=bert"))
    assert page.locator("#member-rows tbody tr").count() == 1
    assert "Branchmate, Bert" in page.locator("#member-rows").inner_text()


def test_national_admin_reaches_the_django_admin(party: Party, live_server: Any, page: Any) -> None:
    log_in(page, live_server.url, "admin@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    assert "national administration" in page.content()
    # ...and every CLP's members.
    assert page.goto(f"{live_server.url}/clps/southport/members/").status == 200
    assert "Southerner, Sam" in page.locator("#member-rows").inner_text()


def test_regional_officer_sees_their_regions_clps_only(
    party: Party, live_server: Any, page: Any
) -> None:
    log_in(page, live_server.url, "region@example.org")
    page.goto(f"{live_server.url}/clps/")
    table = page.locator("main table")
    assert table.get_by_role("link", name="Northtown").count() == 1
    assert table.get_by_role("link", name="Easton").count() == 1
    assert table.get_by_role("link", name="Southport").count() == 0
    assert page.goto(f"{live_server.url}/clps/southport/members/").status == 404


def test_branch_officer_sees_their_branch_members_only(
    party: Party, live_server: Any, page: Any
) -> None:
    log_in(page, live_server.url, "branch@example.org")
    assert page.goto(f"{live_server.url}/members/{party.branchmate.pk}/").status == 200
    assert page.goto(f"{live_server.url}/members/{party.neighbour.pk}/").status == 404
    assert page.goto(f"{live_server.url}/clps/northtown/members/").status == 404


@pytest.mark.parametrize("email", ["scrutineer@example.org", "affiliate@example.org"])
def test_scrutineer_and_affiliate_officer_see_no_member_records(
    party: Party, live_server: Any, page: Any, email: str
) -> None:
    log_in(page, live_server.url, email)
    assert "not linked to a membership record" in page.locator("main").inner_text()
    assert page.goto(f"{live_server.url}/members/{party.me.pk}/").status == 404
    assert page.goto(f"{live_server.url}/clps/northtown/members/").status == 404
    page.goto(f"{live_server.url}/admin/")
    assert "/admin/login/" in page.url


def test_sign_out(party: Party, live_server: Any, page: Any) -> None:
    log_in(page, live_server.url, "member@example.org")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.goto(f"{live_server.url}/")
    # Signed out, the home page is the public one (issue 17.2), and private pages ask
    # for a sign-in again.
    assert page.get_by_role("link", name="Activate your account").count() >= 1
    page.goto(f"{live_server.url}/account/")
    assert "/accounts/login/" in page.url


def test_secretary_records_a_suspension_on_a_members_page(
    party: Party, live_server: Any, page: Any
) -> None:
    """The history form on the member's page, through the membership services."""
    base = live_server.url
    log_in(page, base, "secretary@example.org")
    page.goto(f"{base}/members/{party.me.pk}/")
    page.get_by_text("Record a change to this history").click()
    page.get_by_label("What happened").select_option("suspend")
    page.get_by_label("From (the first day it applies)").fill("2024-06-01")
    page.get_by_label("Grounds or reference").fill("NEC ref 12")
    page.get_by_role("button", name="Record the change").click()
    page.wait_for_url(re.compile(rf"/members/{party.me.pk}/#history$"))
    assert "Recorded: Suspended." in page.locator("main").inner_text()
    history = page.get_by_role("table", name="Membership history").inner_text()
    assert "Suspension" in history and "1 Jun 2024" in history and "NEC ref 12" in history

    # A change the history rule refuses: shown on the page, nothing recorded.
    page.get_by_text("Record a change to this history").click()
    page.get_by_label("What happened").select_option("join")
    page.get_by_label("From (the first day it applies)").fill("2020-01-01")
    page.get_by_role("button", name="Record the change").click()
    assert "already has a membership history" in page.get_by_role("alert").inner_text()
    assert "1 Jan 2020" not in page.get_by_role("table", name="Membership history").inner_text()
