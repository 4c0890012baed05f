"""The client's address behind a reverse proxy (Caddy): ``TRUSTED_PROXIES``.

Rate limits (petition signatures, sign-in attempts) and the audit log key on
``REMOTE_ADDR``. Behind a proxy that is the proxy's address for every request, so
:class:`TrustedProxies`, the outermost WSGI wrapper (``rankandfile/wsgi.py``), rewrites it
— only when the connection comes from a trusted proxy — to the nearest address in
``X-Forwarded-For`` that is not itself a trusted proxy. A client cannot forge its address:
a header sent straight to gunicorn (from an untrusted peer) is ignored, and Caddy replaces
the header of untrusted clients with their real address. :func:`core.origin.client_ip`
applies the same rule to every request, whatever the entry point.

``TRUSTED_PROXIES`` is the only setting for this; the hop count ``TRUSTED_PROXY_HOPS``
of earlier versions is gone, and setting it fails ``rankandfile check`` (decision 0028).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` entries (addresses or CIDR networks); raises ValueError."""
    return _parse(tuple(items))


@functools.lru_cache(maxsize=8)
def _parse(items: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(remote: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client's address given the peer ``remote`` and its ``X-Forwarded-For``."""
    peer = _address(remote)
    if not trusted or peer is None or not any(peer in net for net in trusted):
        return remote
    candidate = remote
    for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
        address = _address(hop)
        if address is None:  # garbage in the chain: stop at the last address we trust
            break
        candidate = str(address)
        if not any(address in net for net in trusted):
            break
    return candidate


class TrustedProxies:
    """WSGI wrapper: ``REMOTE_ADDR`` becomes the client's address (see the module)."""

    def __init__(self, app: Any, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.trusted:
            environ["REMOTE_ADDR"] = client_address(
                environ.get("REMOTE_ADDR", ""),
                environ.get("HTTP_X_FORWARDED_FOR", ""),
                self.trusted,
            )
        return self.app(environ, start_response)
