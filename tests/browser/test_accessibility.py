"""In Chromium: keyboard access, labels, contrast and a 375px-wide phone screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in, wait_for_js
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 375, "height": 740}


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: tuple[float, float, float], bg: tuple[float, float, float]) -> float:
    """WCAG 2 contrast ratio."""
    lighter, darker = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# For every element with its own visible text: its colour and the first opaque background
# behind it (walking up the ancestors).
_COLOURS_JS = """
() => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // visually hidden
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    let bg = null;
    for (let a = el; a; a = a.parentElement) {
      const c = rgb(getComputedStyle(a).backgroundColor);
      if (c.length < 4 || c[3] > 0.99) { bg = c.slice(0, 3); break; }
    }
    out.push({text: el.textContent.trim().slice(0, 40), tag: el.tagName,
              fg: rgb(style.color).slice(0, 3), bg: bg || [255, 255, 255]});
  }
  return out;
}
"""

_UNLABELLED_JS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(c => !['hidden', 'submit', 'button'].includes(c.type))
  .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')
               && !c.getAttribute('aria-labelledby'))
  .map(c => c.name || c.id)
"""


def assert_contrast_and_labels(page: Any, where: str) -> None:
    items = page.evaluate(_COLOURS_JS)
    assert len(items) > 5, f"{where}: found almost no text to check"
    low = [
        (item["text"], round(contrast(item["fg"], item["bg"]), 2))
        for item in items
        if contrast(item["fg"], item["bg"]) < 4.5
    ]
    assert not low, f"{where}: text below WCAG AA contrast (4.5:1): {low}"
    assert page.evaluate(_UNLABELLED_JS) == [], f"{where}: form controls without labels"


def assert_no_horizontal_scroll(page: Any, where: str) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert max(widths[:2]) <= widths[2], f"{where} scrolls sideways at 375px: {widths}"


# --- Keyboard ---------------------------------------------------------------------------
@pytest.mark.parametrize("signed_in", [False, True])
def test_skip_link_is_the_first_tab_stop(
    party: Party, live_server: Any, page: Any, signed_in: bool
) -> None:
    if signed_in:
        log_in(page, live_server.url, "member@example.org")
    else:
        page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.textContent.trim()]"
    )
    assert focused == ["skip-link", "Skip to main content"]
    # Visible once focused, with a focus indicator.
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    assert page.url.endswith("#main")


def test_members_list_by_keyboard_alone(party: Party, live_server: Any, page: Any) -> None:
    log_in(page, live_server.url, "secretary@example.org")
    page.goto(f"{live_server.url}/clps/northtown/members/")
    # Tab from the top of the page until the search box has focus: past the skip link, the
    # menu (one link per app) and the page's own actions, well within 30 presses.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "q":
            break
    else:
        pytest.fail("the search box cannot be reached with the Tab key")
    page.keyboard.type("bert")
    page.keyboard.press("Enter")
    wait_for_js(page, "document.querySelectorAll('#member-rows tbody tr').length === 1")
    # On to the first result and open it with Enter.
    page.locator("#member-rows a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/members/{party.branchmate.pk}/")


# --- Contrast and labels ----------------------------------------------------------------
def test_contrast_and_labels_signed_out(party: Party, live_server: Any, page: Any) -> None:
    for path in ("/accounts/login/", "/accounts/password/reset/"):
        page.goto(f"{live_server.url}{path}")
        assert_contrast_and_labels(page, path)


def test_contrast_and_labels_signed_in(party: Party, live_server: Any, page: Any) -> None:
    import datetime as dt

    from rankandfile.membership.models import Period

    # Every standing badge on the list.
    Period.objects.create(member=party.neighbour, kind="arrears", start=dt.date(2024, 1, 1))
    Period.objects.create(member=party.branchmate, kind="suspension", start=dt.date(2024, 1, 1))
    log_in(page, live_server.url, "admin@example.org")
    for path in (
        "/",
        "/clps/",
        "/clps/northtown/members/",
        f"/members/{party.me.pk}/",
        "/account/",
        "/accounts/password/change/",
        "/accounts/2fa/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert_contrast_and_labels(page, path)


# --- A 375px-wide phone ------------------------------------------------------------------
def test_home_on_a_phone_has_no_horizontal_scroll(
    party: Party, live_server: Any, new_page: Any
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, live_server.url, "member@example.org")
    assert_no_horizontal_scroll(page, "/")
    # The cards stack: each is no wider than the screen.
    widths = page.locator(".card").evaluate_all(
        "cards => cards.map(c => c.getBoundingClientRect().right)"
    )
    assert widths and max(widths) <= PHONE["width"]
    # The navigation is all on screen once the menu is opened (it folds on a phone).
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Menu").click()
    for link in page.get_by_role("navigation", name="Main").get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize(
    "path",
    [
        "/clps/northtown/members/",
        "/members/{me}/",
        "/account/",
        "/accounts/2fa/",
        "/accounts/password/change/",
    ],
)
def test_officer_pages_on_a_phone_have_no_horizontal_scroll(
    party: Party, live_server: Any, new_page: Any, path: str
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, live_server.url, "secretary@example.org")
    page.goto(live_server.url + path.format(me=party.me.pk))
    assert_no_horizontal_scroll(page, path)


def test_login_page_on_a_phone(party: Party, live_server: Any, new_page: Any) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/accounts/login/")
    assert_no_horizontal_scroll(page, "/accounts/login/")
    button = page.get_by_role("button", name="Sign in").bounding_box()
    assert button is not None and button["height"] >= 40  # a comfortable touch target


def test_contrast_formula() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((255, 255, 255), (163, 0, 27)) > 4.5  # header text on the accent
    assert contrast((119, 119, 119), (255, 255, 255)) < 4.5  # #777 on white fails AA
