"""The client's address behind the reverse proxy (``core.proxy``, ``TRUSTED_PROXIES``)."""

from __future__ import annotations

from typing import Any

import pytest

from rankandfile.core.proxy import TrustedProxies, client_address, parse_networks

CADDY = parse_networks(["172.28.0.0/24", "127.0.0.1"])


@pytest.mark.parametrize(
    ("remote", "xff", "client"),
    [
        # Through the proxy: the address the proxy saw.
        ("172.28.0.5", "203.0.113.7", "203.0.113.7"),
        # A client's forged entries sit to the left of what the proxy appended.
        ("172.28.0.5", "10.9.9.9, 198.51.100.1, 203.0.113.7", "203.0.113.7"),
        # Proxies chained inside the trusted networks are skipped.
        ("127.0.0.1", "203.0.113.7, 172.28.0.9", "203.0.113.7"),
        # Straight to gunicorn from outside: the header is ignored.
        ("203.0.113.50", "1.2.3.4", "203.0.113.50"),
        # No header, or garbage: the peer stays.
        ("172.28.0.5", "", "172.28.0.5"),
        ("172.28.0.5", "not-an-ip", "172.28.0.5"),
        ("172.28.0.5", "203.0.113.7, junk", "172.28.0.5"),
        ("172.28.0.5", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(remote: str, xff: str, client: str) -> None:
    assert client_address(remote, xff, CADDY) == client


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("127.0.0.1", "203.0.113.7", ()) == "127.0.0.1"


def test_bad_entries_are_refused() -> None:
    with pytest.raises(ValueError, match="does not appear to be"):
        parse_networks(["caddy"])


def test_the_wsgi_wrapper_rewrites_remote_addr() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        return []

    TrustedProxies(app, CADDY)(
        {"REMOTE_ADDR": "172.28.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}, None
    )
    assert seen["REMOTE_ADDR"] == "203.0.113.7"


def test_a_malformed_setting_fails_the_system_check(settings: Any) -> None:
    from rankandfile.core.checks import trusted_proxies_check

    assert trusted_proxies_check() == []
    settings.TRUSTED_PROXIES = ["caddy"]
    assert [e.id for e in trusted_proxies_check()] == ["rankandfile.E003"]


def test_the_removed_hop_count_fails_the_system_check(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TRUSTED_PROXY_HOPS is no longer read (decision 0028): left in the environment it
    is a check error naming TRUSTED_PROXIES, not silently ignored."""
    from rankandfile.core.checks import trusted_proxies_check

    monkeypatch.delenv("TRUSTED_PROXY_HOPS", raising=False)
    assert trusted_proxies_check() == []
    for value in ("1", "0"):
        monkeypatch.setenv("TRUSTED_PROXY_HOPS", value)
        errors = trusted_proxies_check()
        assert [e.id for e in errors] == ["rankandfile.E004"]
        assert "no longer read" in errors[0].msg and "TRUSTED_PROXIES" in errors[0].hint
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "")
    assert trusted_proxies_check() == []


def test_rankandfile_check_refuses_the_hop_count(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    with pytest.raises(SystemCheckError, match=r"(?s)E004.*TRUSTED_PROXY_HOPS.*TRUSTED_PROXIES"):
        call_command("check")
