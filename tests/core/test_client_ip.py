"""The client address behind the documented TLS proxy (TRUSTED_PROXY_HOPS): read from
X-Forwarded-For from the right by hop count, in one place, used by the audit log, the
campaign rate limits (Django and the lean path) and allauth."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from rankandfile.core import origin
from rankandfile.core.auth import AccountAdapter
from rankandfile.core.middleware import client_ip
from rankandfile.core.models import AuditEntry
from tests.conftest import Party


@pytest.mark.parametrize(
    ("remote", "xff", "hops", "expected"),
    [
        # hops 0: the header is ignored, whatever it says.
        ("10.0.0.2", "198.51.100.1", 0, "10.0.0.2"),
        ("10.0.0.2", None, 0, "10.0.0.2"),
        # hops 1: the proxy appended the client; a forged entry to its left is ignored.
        ("10.0.0.2", "198.51.100.1", 1, "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", 1, "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6,198.51.100.1", 1, "198.51.100.1"),
        # hops 2: two proxies, the second appended the first's address.
        ("10.0.0.3", "6.6.6.6, 198.51.100.1, 10.0.0.2", 2, "198.51.100.1"),
        # A request that bypassed the proxy (no header, or too short): the socket peer.
        ("10.0.0.2", None, 1, "10.0.0.2"),
        ("10.0.0.3", "198.51.100.1", 2, "10.0.0.3"),
        # Garbage in the trusted position: the socket peer, never the garbage.
        ("10.0.0.2", "6.6.6.6, not-an-address", 1, "10.0.0.2"),
        # IPv6, bracketed forms and IPv4 with a port are normalised.
        ("10.0.0.2", "[2001:db8::1]", 1, "2001:db8::1"),
        ("10.0.0.2", "2001:DB8::1", 1, "2001:db8::1"),
        ("10.0.0.2", "198.51.100.1:5555", 1, "198.51.100.1"),
        (None, None, 0, None),
    ],
)
def test_client_ip_from(remote: str | None, xff: str | None, hops: int, expected: str) -> None:
    assert origin.client_ip_from(remote, xff, hops) == expected


def test_request_and_allauth_use_the_same_address(settings: object) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1"
    )
    settings.TRUSTED_PROXY_HOPS = 0  # type: ignore[attr-defined]
    assert client_ip(request) == "10.0.0.2"
    assert AccountAdapter().get_client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_HOPS = 1  # type: ignore[attr-defined]
    assert client_ip(request) == "198.51.100.1"
    assert AccountAdapter().get_client_ip(request) == "198.51.100.1"


@pytest.mark.parametrize(("hops", "expected"), [(0, "10.0.0.2"), (1, "198.51.100.1")])
def test_audit_entries_record_the_client_address(
    party: Party, settings: object, hops: int, expected: str
) -> None:
    settings.TRUSTED_PROXY_HOPS = hops  # type: ignore[attr-defined]
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1")
    client.force_login(party.member)
    new = {"name": "laptop", "scopes": ["read"], "lifetime_days": "7"}
    assert client.post("/account/", new).status_code == 200
    entry = AuditEntry.objects.filter(action="core.api_token.create").latest("pk")
    assert entry.ip_address == expected
