"""Every emailed, shared or stored link starts from one base URL (``core.links``)."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from rankandfile.core import links
from rankandfile.core.links import ServingOrigin, absolute_url, expand_paths, runserver_url
from tests.conftest import Party


@pytest.fixture
def no_base(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Development as ``make demo`` runs it: no configured base URL."""
    settings.RANKANDFILE_BASE_URL = ""
    monkeypatch.delenv(links.SERVED_URL_ENV, raising=False)


# --- the one function -----------------------------------------------------------------
def test_configured_base_url_is_used_as_is(settings: Any) -> None:
    settings.RANKANDFILE_BASE_URL = "https://members.example.org/"
    assert absolute_url("/ballots/vote/x/") == "https://members.example.org/ballots/vote/x/"
    settings.RANKANDFILE_BASE_URL = "https://example.org/party"
    assert absolute_url("/campaigns/") == "https://example.org/party/campaigns/"


@pytest.mark.parametrize("bad", ["ballots/", "https://evil.example/x", "//evil.example/x", ""])
def test_absolute_url_takes_site_paths_only(bad: str) -> None:
    with pytest.raises(ValueError, match="site path"):
        absolute_url(bad)


def test_production_never_guesses(settings: Any) -> None:
    settings.ENV = "production"
    settings.RANKANDFILE_BASE_URL = ""
    with links.serving("http://attacker.example"), pytest.raises(ImproperlyConfigured):
        absolute_url("/")


def test_configured_base_wins_over_the_request_host(settings: Any) -> None:
    settings.RANKANDFILE_BASE_URL = "https://members.example.org"
    with links.serving("http://attacker.example"):
        assert absolute_url("/x/") == "https://members.example.org/x/"


def test_development_falls_back_to_the_runserver_address_then_the_default(
    no_base: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert absolute_url("/x/") == "http://127.0.0.1:8000/x/"
    monkeypatch.setenv(links.SERVED_URL_ENV, "http://127.0.0.1:8123")
    assert absolute_url("/x/") == "http://127.0.0.1:8123/x/"
    with links.serving("http://localhost:8124"):
        assert absolute_url("/x/") == "http://localhost:8124/x/"


@pytest.mark.parametrize(
    ("args", "url"),
    [
        ([], "http://127.0.0.1:8000"),
        (["8123"], "http://127.0.0.1:8123"),
        (["127.0.0.1:8123", "--insecure"], "http://127.0.0.1:8123"),
        (["--noreload", "0.0.0.0:8123"], "http://127.0.0.1:8123"),
        (["0:9000"], "http://127.0.0.1:9000"),
        (["localhost:9000"], "http://localhost:9000"),
        (["[::1]:8001"], "http://[::1]:8001"),
        (["-6"], "http://[::1]:8000"),
    ],
)
def test_runserver_address(args: list[str], url: str) -> None:
    assert runserver_url(args) == url


def test_rankandfile_runserver_records_the_address_it_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import django.core.management

    from rankandfile import cli

    seen: list[list[str]] = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", seen.append)
    monkeypatch.delenv(links.SERVED_URL_ENV, raising=False)
    cli.main(["runserver", "127.0.0.1:8123", "--insecure"])
    assert seen == [["rankandfile", "runserver", "127.0.0.1:8123", "--insecure"]]
    import os

    assert os.environ[links.SERVED_URL_ENV] == "http://127.0.0.1:8123"


# --- stored text ------------------------------------------------------------------------
def test_expand_paths_links_site_pages_only(settings: Any) -> None:
    settings.RANKANDFILE_BASE_URL = "https://members.example.org"
    text = (
        "Record: /campaigns/. Also (/ballots/) and/or 1/2, /no-such-page/, "
        "https://elsewhere.example/campaigns/ and /campaigns/?page=2"
    )
    assert expand_paths(text) == (
        "Record: https://members.example.org/campaigns/. Also "
        "(https://members.example.org/ballots/) and/or 1/2, /no-such-page/, "
        "https://elsewhere.example/campaigns/ and https://members.example.org/campaigns/?page=2"
    )


# --- development: links follow the address being served ----------------------------------
@pytest.mark.django_db
def test_password_reset_email_links_to_the_port_being_served(
    no_base: None, party: Party, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    client = Client(HTTP_HOST="127.0.0.1:8123")
    response = client.post("/accounts/password/reset/", {"email": "member@example.org"})
    assert response.status_code == 302
    assert re.search(
        r"http://127\.0\.0\.1:8123/accounts/password/reset/key/\S+/", mail.outbox[0].body
    )


@pytest.mark.django_db
def test_production_password_reset_email_uses_the_base_url_not_the_host(
    party: Party, settings: Any
) -> None:
    settings.RANKANDFILE_BASE_URL = "https://members.example.org"
    settings.ALLOWED_HOSTS = ["*"]  # even a permissive host list cannot steer the link
    client = Client(HTTP_HOST="attacker.example")
    client.post("/accounts/password/reset/", {"email": "member@example.org"})
    body = mail.outbox[0].body
    assert "attacker.example" not in body
    assert re.search(r"https://members\.example\.org/accounts/password/reset/key/\S+/", body)


def _origin_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [links.base_url().encode()]


def _call(app: Any, host: str) -> str:
    environ = {"HTTP_HOST": host, "wsgi.url_scheme": "http", "REQUEST_METHOD": "GET"}
    return b"".join(app(environ, lambda *a: None)).decode()


def test_wsgi_wrapper_serves_links_from_the_request_host_for_the_fast_paths(
    no_base: None, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    app = ServingOrigin(_origin_app)
    assert _call(app, "127.0.0.1:8123") == "http://127.0.0.1:8123"
    assert _call(app, "localhost:9000") == "http://localhost:9000"
    # A host outside ALLOWED_HOSTS is never used.
    assert _call(app, "attacker.example") == "http://127.0.0.1:8000"
    settings.RANKANDFILE_BASE_URL = "https://members.example.org"
    assert _call(app, "127.0.0.1:8123") == "https://members.example.org"


@pytest.mark.django_db(transaction=True)
def test_a_demo_on_any_port_emails_links_that_work(
    no_base: None, party: Party, live_server: Any, settings: Any
) -> None:
    """Over real HTTP on the live server's (random) port: the password-reset email links
    to that port, and following the link opens the set-a-new-password form."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{live_server.url}/accounts/password/reset/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"email": "member@example.org", "csrfmiddlewaretoken": token})
    request = urllib.request.Request(  # noqa: S310 - the live server on 127.0.0.1
        f"{live_server.url}/accounts/password/reset/",
        data=data.encode(),
        headers={"Referer": f"{live_server.url}/accounts/password/reset/"},
    )
    opener.open(request, timeout=30).read()
    found = re.search(r"(http://\S+/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    link = found.group(1)
    assert link.startswith(live_server.url + "/")
    # A fresh browser (allauth moves the key into the session, then redirects).
    fresh = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = fresh.open(link, timeout=30).read().decode()
    assert "id_password1" in page
