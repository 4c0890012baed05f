"""Accounts (django-allauth): email login, password reset by email, TOTP second factor,
login throttling, closed sign-up, and the account pages rendered in the site layout."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
)
from django.core import mail
from django.test import Client

from rankandfile.core.auth import AccountAdapter
from rankandfile.core.models import User
from tests.conftest import PASSWORD, Party

LOGIN = "/accounts/login/"
NOW = dt.datetime(2025, 3, 3, 12, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    # TOTP codes, rate limits and reauthentication all read the clock: hold it still.
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def totp_code(secret: str, at: dt.datetime) -> str:
    """The authenticator app's code at ``at`` (RFC 6238: 30-second steps, 6 digits)."""
    return format_hotp_value(hotp_value(secret, int(at.timestamp()) // 30))


def login(client: Client, email: str, password: str = PASSWORD) -> object:
    return client.post(LOGIN, {"login": email, "password": password})


def is_signed_in(client: Client) -> bool:
    # "/" is public (the visitors' home page, issue 17.2); the account page is not.
    return bool(client.get("/account/").status_code == 200)


# --- Email login --------------------------------------------------------------------------
def test_login_by_email_reaches_home(party: Party, client: Client) -> None:
    response = login(client, "member@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "Welcome, Mary" in client.get("/").content.decode()


def test_login_email_is_case_insensitive(party: Party, client: Client) -> None:
    assert login(client, "Member@Example.org").status_code == 302
    assert is_signed_in(client)


def test_wrong_password_is_refused(party: Party, client: Client) -> None:
    response = login(client, "member@example.org", "not the password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert not is_signed_in(client)


def test_inactive_account_cannot_log_in(party: Party, client: Client) -> None:
    party.member.is_active = False
    party.member.save(update_fields=["is_active"])
    login(client, "member@example.org")
    assert not is_signed_in(client)


def test_pages_need_a_login(db: None, client: Client) -> None:
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_logout_by_post(party: Party, client: Client) -> None:
    login(client, "member@example.org")
    page = client.get("/accounts/logout/")  # a confirmation page, never a GET side effect
    assert page.status_code == 200
    assert is_signed_in(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not is_signed_in(client)


# --- Password reset -----------------------------------------------------------------------
def test_password_reset_email_carries_a_working_link(party: Party, client: Client) -> None:
    response = client.post("/accounts/password/reset/", {"email": "member@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["member@example.org"]
    match = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body)
    assert match, message.body

    # allauth moves the key into the session and redirects to a key-less URL.
    page = client.get(match.group(1), follow=True)
    assert page.status_code == 200
    assert b"id_password1" in page.content
    set_url = page.redirect_chain[-1][0] if page.redirect_chain else match.group(1)
    done = client.post(
        set_url,
        {"password1": "a new and long passphrase", "password2": "a new and long passphrase"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/key/done/"

    party.member.refresh_from_db()
    assert party.member.check_password("a new and long passphrase")
    assert login(Client(), "member@example.org").status_code == 200  # old password refused
    assert login(client, "member@example.org", "a new and long passphrase").status_code == 302


def test_password_reset_link_works_once(party: Party, client: Client) -> None:
    client.post("/accounts/password/reset/", {"email": "member@example.org"})
    path = re.search(r"http://testserver(\S+/key/\S+/)", mail.outbox[0].body).group(1)  # type: ignore[union-attr]
    page = client.get(path, follow=True)
    set_url = page.redirect_chain[-1][0]
    client.post(
        set_url, {"password1": "another long passphrase", "password2": "another long passphrase"}
    )
    again = Client().get(path, follow=True)
    assert b"id_password1" not in again.content
    assert b"invalid" in again.content.lower()


def test_password_reset_for_an_unknown_address_sends_no_reset_link(
    party: Party, client: Client
) -> None:
    response = client.post("/accounts/password/reset/", {"email": "stranger@example.org"})
    assert response.status_code == 302  # same answer: addresses cannot be probed
    assert all("/reset/key/" not in m.body for m in mail.outbox)
    # The address's owner is told no account uses it, and where a member asks for an
    # activation link — not invited to sign up (sign-up is closed).
    (sent,) = [m for m in mail.outbox if "stranger@example.org" in m.to]
    assert "No account with this address" in sent.subject
    assert "/account/activate/" in sent.body and "sign up" not in sent.body.lower()


def test_password_change_needs_the_current_password(party: Party, client: Client) -> None:
    login(client, "member@example.org")
    refused = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "wrong",
            "password1": "fresh long passphrase",
            "password2": "fresh long passphrase",
        },
    )
    assert refused.status_code == 200
    changed = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "fresh long passphrase",
            "password2": "fresh long passphrase",
        },
    )
    assert changed.status_code == 302
    party.member.refresh_from_db()
    assert party.member.check_password("fresh long passphrase")


# --- TOTP second factor -------------------------------------------------------------------
def enable_totp(client: Client, traveller: time_machine.Coordinates) -> str:
    """Sign in, activate an authenticator app and return its secret."""
    assert login(client, "member@example.org").status_code == 302
    # Changing the second factor asks for the password again, even just after login.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    again = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert again.status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()  # shown as text beside the QR code

    refused = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert refused.status_code == 200
    assert not Authenticator.objects.filter(type=Authenticator.Type.TOTP).exists()

    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret, NOW)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(
        user=User.objects.get(email="member@example.org"), type=Authenticator.Type.TOTP
    ).exists()
    return str(secret)


def test_enabling_totp_then_login_requires_the_code(
    party: Party, client: Client, clock: time_machine.Coordinates
) -> None:
    secret = enable_totp(client, clock)
    html = client.get("/account/").content.decode()
    assert '<span class="badge ok">On</span>' in html
    client.post("/accounts/logout/")

    clock.shift(dt.timedelta(seconds=60))
    later = NOW + dt.timedelta(seconds=60)
    fresh = Client()
    first = login(fresh, "member@example.org")
    assert first.status_code == 302
    assert first["Location"] == "/accounts/2fa/authenticate/"
    assert not is_signed_in(fresh)  # the password alone is not enough

    wrong = fresh.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert wrong.status_code == 200
    assert not is_signed_in(fresh)

    right = fresh.post("/accounts/2fa/authenticate/", {"code": totp_code(secret, later)})
    assert right.status_code == 302
    assert is_signed_in(fresh)


def test_a_totp_code_cannot_be_replayed(
    party: Party, client: Client, clock: time_machine.Coordinates
) -> None:
    secret = enable_totp(client, clock)
    client.post("/accounts/logout/")
    clock.shift(dt.timedelta(seconds=30))
    code = totp_code(secret, NOW + dt.timedelta(seconds=30))
    first = Client()
    login(first, "member@example.org")
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    second = Client()
    login(second, "member@example.org")
    assert second.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 200
    assert not is_signed_in(second)


def test_totp_is_optional(party: Party, client: Client) -> None:
    login(client, "member@example.org")
    assert is_signed_in(client)
    assert '<span class="badge warn">Off</span>' in client.get("/account/").content.decode()


# --- Throttling ---------------------------------------------------------------------------
def test_sixth_failed_login_within_five_minutes_is_refused(
    party: Party, client: Client, clock: time_machine.Coordinates
) -> None:
    for _ in range(5):
        response = login(client, "member@example.org", "guess")
        assert response.status_code == 200
        assert "Too many failed login attempts" not in response.content.decode()
        clock.shift(dt.timedelta(seconds=30))
    # 2.5 minutes later: even the right password is refused now.
    refused = login(client, "member@example.org")
    assert refused.status_code == 200
    assert "Too many failed login attempts" in refused.content.decode()
    assert not is_signed_in(client)

    clock.shift(dt.timedelta(minutes=5))
    assert login(client, "member@example.org").status_code == 302
    assert is_signed_in(client)


def test_failures_from_other_addresses_cannot_lock_the_owner_out(
    party: Party, clock: time_machine.Coordinates
) -> None:
    # An attacker fails on the owner's account from five addresses, five times each...
    for n in range(5):
        attacker = Client(REMOTE_ADDR=f"198.51.100.{n}")
        for _ in range(5):
            login(attacker, "member@example.org", "guess")
        refused = login(attacker, "member@example.org")
        assert "Too many failed login attempts" in refused.content.decode()
    # ...and the owner, from their own address, still signs in.
    owner = Client(REMOTE_ADDR="203.0.113.7")
    assert login(owner, "member@example.org").status_code == 302
    assert is_signed_in(owner)


def test_one_address_is_throttled_across_accounts(
    party: Party, clock: time_machine.Coordinates
) -> None:
    # Spraying one guess at many accounts from one address hits the per-address limit.
    attacker = Client(REMOTE_ADDR="198.51.100.1")
    emails = [u.email for u in User.objects.exclude(email="member@example.org")]
    for n in range(20):  # the per-address limit: 20 in 5 minutes
        login(attacker, emails[n % len(emails)], "guess")
    refused = login(attacker, "member@example.org")
    assert "Too many failed login attempts" in refused.content.decode()
    assert not is_signed_in(attacker)


def test_throttle_uses_the_forwarded_client_address_behind_the_proxy(
    party: Party, clock: time_machine.Coordinates, settings: object
) -> None:
    # Behind one trusted proxy every request comes from the proxy's socket address;
    # the limit must follow the client address the proxy reports, not the proxy's.
    settings.TRUSTED_PROXIES = ["10.0.0.2"]  # type: ignore[attr-defined]
    proxy = "10.0.0.2"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    for _ in range(5):
        login(attacker, "member@example.org", "guess")
    assert (
        "Too many failed login attempts" in login(attacker, "member@example.org").content.decode()
    )
    owner = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert login(owner, "member@example.org").status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_throttle(
    party: Party, clock: time_machine.Coordinates, settings: object
) -> None:
    # With no trusted proxy X-Forwarded-For is ignored: a new forged value per
    # attempt does not give the attacker fresh limits.
    settings.TRUSTED_PROXIES = []  # type: ignore[attr-defined]
    for n in range(5):
        login(
            Client(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"),
            "member@example.org",
            "guess",
        )
    again = Client(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert "Too many failed login attempts" in login(again, "member@example.org").content.decode()


# --- Sign-up is closed --------------------------------------------------------------------
def test_public_signup_is_closed(db: None, client: Client) -> None:
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert "Sign Up Closed" in page.content.decode()
    client.post(
        "/accounts/signup/",
        {
            "email": "new@example.org",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )
    assert not User.objects.filter(email="new@example.org").exists()


def test_adapter_refuses_signup(rf: object) -> None:
    assert AccountAdapter().is_open_for_signup(rf.get("/")) is False  # type: ignore[attr-defined]


# --- The account pages use the site layout ------------------------------------------------
class _Labels(HTMLParser):
    """Collects form controls and the ids labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.skip_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"] or "")
        if tag == "a" and a.get("class") == "skip-link":
            self.skip_link = True
        hidden = a.get("type") in {"hidden", "submit", "button"}
        if tag in {"input", "select", "textarea"} and not hidden:
            self.controls.append(a.get("id") or "(no id)")


def assert_site_layout_with_labels(html: str) -> None:
    parser = _Labels()
    parser.feed(html)
    assert parser.skip_link, "page is not in the site layout (no skip link)"
    assert 'id="main"' in html
    unlabelled = [c for c in parser.controls if c not in parser.labelled]
    assert not unlabelled, f"controls without a label: {unlabelled}"


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/"]
)
def test_entrance_pages_use_the_site_layout(db: None, client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert_site_layout_with_labels(response.content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/change/",
        "/accounts/logout/",
        "/accounts/2fa/",
        "/accounts/reauthenticate/",
        "/account/",
    ],
)
def test_manage_pages_use_the_site_layout(party: Party, client: Client, path: str) -> None:
    login(client, "member@example.org")
    response = client.get(path)
    assert response.status_code == 200
    assert_site_layout_with_labels(response.content.decode())


def test_account_page_links_to_mfa_setup(party: Party, client: Client) -> None:
    client.force_login(party.member)
    html = client.get("/account/").content.decode()
    assert 'href="/accounts/2fa/"' in html
    assert 'href="/accounts/password/change/"' in html
