"""In Chromium, under the Content-Security-Policy: the pages that use JavaScript or
images — the TOTP set-up with its QR code, the API's
interactive docs, the site script (print button, focus) — run without a violation.
(Every browser test fails on a violation: ``new_page`` in conftest; htmx live search
and polling are driven in test_roles and test_ballots.)"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import csp_violations, log_in
from tests.conftest import PASSWORD, Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_violation_is_detected(live_server: Any, browser: Any) -> None:
    # The detector itself: a page that breaks the policy is reported.
    context = browser.new_context()
    from tests.browser.conftest import _CSP_LISTENER

    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto(f"{live_server.url}/healthz")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = '1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(300)
    context.close()
    assert csp_violations(messages)


def test_totp_set_up_page_and_banner_under_the_policy(
    party: Party, live_server: Any, new_page: Any
) -> None:
    page = new_page()
    log_in(page, live_server.url, "secretary@example.org")
    expect(page.get_by_text("Two-factor authentication needed")).to_be_visible()
    page.get_by_role("link", name="Set up two-factor authentication").click()
    if "/reauthenticate/" in page.url:
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/2fa/totp/activate/")
    qr = page.locator("img[src^='data:']").first
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0


def test_api_docs_render_under_the_policy(db: None, live_server: Any, new_page: Any) -> None:
    page = new_page()
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_text("Rank and File API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
