"""In Chromium, at 1366 and 390 px: an officer invites a member, the member follows the
link in the email they were sent, chooses a password and is signed in (issue 17.1, 17.8)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, Party
from tests.membership import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LINK = re.compile(r"(https?://\S+/account/activate/[A-Za-z0-9_-]+/)")


def assert_fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


@pytest.mark.parametrize("size", WIDTHS)
def test_officer_invites_and_member_activates_from_the_email(
    party: Party, live_server: Any, new_page: Any, size: str
) -> None:
    nina = f.MemberFactory(
        first_name="Nina", last_name="Newcomer", email="nina@example.org", clp=party.northtown
    )
    officer = new_page(viewport=WIDTHS[size])
    log_in(officer, live_server.url, "secretary@example.org")
    officer.goto(f"{live_server.url}/clps/northtown/members/")
    assert_fits(officer)
    officer.get_by_label("Invite Nina Newcomer").check()
    officer.get_by_role("button", name="Invite the ticked members").click()
    assert (
        "1 invitation to activate an account is being sent."
        in officer.locator(".messages").inner_text()
    )
    assert "Sending invitation" in officer.locator("#member-rows").inner_text() or (
        "Invited" in officer.locator("#member-rows").inner_text()
    )

    # The email was sent by the task; the member follows its link.
    messages = [m for m in mail.outbox if m.to == ["nina@example.org"]]
    assert len(messages) == 1
    url = LINK.search(messages[0].body).group(1)  # type: ignore[union-attr]
    member = new_page(viewport=WIDTHS[size])
    member.goto(url)
    assert member.get_by_role("heading", level=1).inner_text() == "Activate your account"
    assert_fits(member)
    member.get_by_label("Choose a password").fill("short")
    member.get_by_label("Type it again").fill("short")
    member.get_by_role("button", name="Activate my account").click()
    assert "too short" in member.locator(".error-summary").inner_text()
    member.get_by_label("Choose a password").fill("a long river 7")
    member.get_by_label("Type it again").fill("a long river 7")
    member.get_by_role("button", name="Activate my account").click()
    member.wait_for_url(f"{live_server.url}/")
    assert member.get_by_role("heading", level=1).inner_text() == "Welcome, Nina"
    assert "Your account is active" in member.locator(".messages").inner_text()
    nina.refresh_from_db()
    assert nina.user is not None

    # The link worked once.
    again = new_page(viewport=WIDTHS[size])
    response = again.goto(url)
    assert response.status == 410
    # And the new password signs in through the ordinary form.
    log_in(again, live_server.url, "nina@example.org", "a long river 7")


def test_member_asks_for_a_link_from_the_sign_in_page(
    party: Party, live_server: Any, new_page: Any
) -> None:
    f.MemberFactory(first_name="Olu", email="olu@example.org", clp=party.easton)
    page = new_page(viewport=WIDTHS["phone"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Activate your account").click()
    page.get_by_label("Your email address or membership number").fill("olu@example.org")
    page.get_by_role("button", name="Email me a link").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    assert_fits(page)
    sent = [m for m in mail.outbox if m.to == ["olu@example.org"]]
    assert len(sent) == 1
    page.goto(LINK.search(sent[0].body).group(1))  # type: ignore[union-attr]
    page.get_by_label("Choose a password").fill(PASSWORD + "x")
    page.get_by_label("Type it again").fill(PASSWORD + "x")
    page.get_by_role("button", name="Activate my account").click()
    page.wait_for_url(f"{live_server.url}/")
