"""The client address behind the reverse proxy, named by network (TRUSTED_PROXIES, the
only mechanism: decision 0028): read in one place (``core.origin.client_ip``), used by
the audit log, the campaign rate limits (Django and the lean path) and allauth."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from rankandfile.core import origin
from rankandfile.core.auth import AccountAdapter
from rankandfile.core.middleware import client_ip
from rankandfile.core.models import AuditEntry
from rankandfile.core.proxy import TrustedProxies, parse_networks
from tests.conftest import Party

PROXY = "10.0.0.0/24"


@pytest.mark.parametrize(
    ("trusted", "remote", "xff", "expected"),
    [
        # No trusted proxy: the header is ignored, whatever it says.
        ([], "10.0.0.2", "198.51.100.1", "10.0.0.2"),
        ([], "10.0.0.2", None, "10.0.0.2"),
        # From the trusted proxy: the client it appended; a forged entry to its left is ignored.
        ([PROXY], "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ([PROXY], "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        ([PROXY], "10.0.0.2", "6.6.6.6,198.51.100.1", "198.51.100.1"),
        # Two proxies in the trusted network: the first untrusted entry from the right.
        ([PROXY], "10.0.0.3", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        # A header sent straight to the app (the peer is not a trusted proxy): ignored.
        ([PROXY], "198.51.100.9", "6.6.6.6", "198.51.100.9"),
        # From the proxy without a header: the proxy's own address.
        ([PROXY], "10.0.0.2", None, "10.0.0.2"),
        # Garbage in the chain: the last trusted address, never the garbage or beyond it.
        ([PROXY], "10.0.0.2", "6.6.6.6, not-an-address", "10.0.0.2"),
        # IPv6 is normalised.
        ([PROXY], "10.0.0.2", "2001:DB8::1", "2001:db8::1"),
        ([], "[2001:db8::1]", None, "2001:db8::1"),
        ([], None, None, None),
    ],
)
def test_client_ip(
    settings: Any, trusted: list[str], remote: str | None, xff: str | None, expected: str | None
) -> None:
    settings.TRUSTED_PROXIES = trusted
    meta = {k: v for k, v in (("REMOTE_ADDR", remote), ("HTTP_X_FORWARDED_FOR", xff)) if v}
    assert origin.client_ip(meta) == expected


@pytest.mark.parametrize(
    "xff", ["198.51.100.1", "6.6.6.6, 198.51.100.1", "198.51.100.1, 10.0.0.7", "x, 10.0.0.7"]
)
def test_after_the_wsgi_wrapper_the_address_is_the_same(settings: Any, xff: str) -> None:
    """Production rewrites REMOTE_ADDR in the outermost WSGI wrapper; client_ip applying
    the same rule again gives the same answer as on the raw request."""
    settings.TRUSTED_PROXIES = [PROXY]
    raw = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": xff}
    seen: dict[str, Any] = {}
    TrustedProxies(lambda environ, start: seen.update(environ), parse_networks([PROXY]))(
        dict(raw), None
    )
    assert origin.client_ip(seen) == origin.client_ip(raw)


def test_request_and_allauth_use_the_same_address(settings: Any) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1"
    )
    settings.TRUSTED_PROXIES = []
    assert client_ip(request) == "10.0.0.2"
    assert AccountAdapter().get_client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXIES = [PROXY]
    assert client_ip(request) == "198.51.100.1"
    assert AccountAdapter().get_client_ip(request) == "198.51.100.1"


@pytest.mark.parametrize(("trusted", "expected"), [([], "10.0.0.2"), ([PROXY], "198.51.100.1")])
def test_audit_entries_record_the_client_address(
    party: Party, settings: Any, trusted: list[str], expected: str
) -> None:
    settings.TRUSTED_PROXIES = trusted
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1")
    client.force_login(party.member)
    new = {"name": "laptop", "scopes": ["read"], "lifetime_days": "7"}
    assert client.post("/account/", new).status_code == 200
    entry = AuditEntry.objects.filter(action="core.api_token.create").latest("pk")
    assert entry.ip_address == expected
