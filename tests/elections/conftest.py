"""Election fixtures: the ``party`` fixture plus the browser fixtures."""

from __future__ import annotations

# Import the browser fixtures for tests/elections/test_browser_*.py.
from tests.browser.conftest import browser, new_page, page  # noqa: F401 - fixtures
