"""Browser fixtures: Debian's Chromium driven by Playwright against ``live_server``.

Chromium is part of the test contract (``make browser-deps`` installs it): when it is
missing these tests fail, they never skip. Playwright's own browser download is not used.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("RANKANDFILE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 30_000


def _warm_up(base_url: str) -> None:
    """Load the URL map and templates once with a generous timeout, so the first page a
    test opens is not slowed past Playwright's timeout on a busy machine."""
    import urllib.request

    for path in ("/healthz", "/accounts/login/"):
        with urllib.request.urlopen(f"{base_url}{path}", timeout=120) as response:  # noqa: S310 - loopback test server
            response.read()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, for one test module.

    Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    from a thread with a running loop unless ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set. It is
    set only while the browser runs (module scope, so it is restored before other tests:
    it must never reach the subprocesses that run ``check --deploy``).
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser-deps` "
            "(apt-get install chromium). Browser tests never skip.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


_warmed: set[str] = set()


# Reported on the page by the browser for anything the Content-Security-Policy blocks
# (an inline script or style, an event handler attribute, a foreign source). Playwright's
# init scripts are injected by the browser itself and are not subject to the policy.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "CSP violation" in m or "Content Security Policy" in m]


@pytest.fixture
def new_page(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """A factory for pages in fresh contexts (own cookies); all closed after the test.

    Every page records the browser's console: a test fails if anything on any page it
    opened broke the Content-Security-Policy (htmx, charts, forms must all work under it).
    """
    if live_server.url not in _warmed:
        _warm_up(live_server.url)
        _warmed.add(live_server.url)
    contexts: list[Any] = []
    console: list[str] = []

    def make(**context_options: Any) -> Any:
        context = browser.new_context(locale="en-GB", **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(_CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: console.append(f"{page.url}: {message.text}"))
        # Irreversible actions ask first (site.js data-confirm): the person says yes.
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield make
    for context in contexts:
        context.close()
    violations = csp_violations(console)
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


@pytest.fixture
def crowd(party: Any) -> None:
    """60 more members of Northtown, so its list has two pages of 50."""
    from tests.membership import factories as f

    for n in range(60):
        f.MemberFactory(
            clp=party.northtown,
            branch=party.hillside,
            first_name="Crowd",
            last_name=f"Zed{n:03d}",
            joined=dt.date(2020, 1, 1),
        )


def log_in(page: Any, base_url: str, email: str, password: str | None = None) -> None:
    """Sign in through the real login form, as a person would."""
    from tests.conftest import PASSWORD

    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password or PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def wait_for_js(page: Any, expression: str, timeout: float = TIMEOUT_MS) -> None:
    """Wait until ``expression`` is truthy in the page. Playwright's ``wait_for_function``
    compiles its predicate inside the page, which the Content-Security-Policy (no
    ``unsafe-eval``) forbids; ``page.evaluate`` runs from outside the page's policy."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(100)
