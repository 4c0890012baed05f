"""Where the current action comes from (web, api, cli, task) and the client address.

Kept free of model imports so the CLI and middleware can set it before Django is ready.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Origin:
    channel: str = "system"
    ip_address: str | None = None


_DEFAULT = Origin()
_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar(
    "audit_origin", default=None
)


@contextlib.contextmanager
def context(channel: str, ip_address: str | None = None) -> Iterator[None]:
    """Mark audit entries written inside the block as coming from ``channel``."""
    token = _origin.set(Origin(channel=channel, ip_address=ip_address))
    try:
        yield
    finally:
        _origin.reset(token)


def current() -> Origin:
    return _origin.get() or _DEFAULT


def _clean(value: str) -> str | None:
    """A syntactically valid IPv4/IPv6 address (brackets and an IPv4 port dropped)."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip_from(remote_addr: str | None, forwarded_for: str | None, hops: int) -> str | None:
    """The client's address given the socket peer, ``X-Forwarded-For`` and the number of
    trusted reverse proxies in front of the app.

    Each trusted proxy appends the address it received the request from, so with ``hops``
    proxies the client is the ``hops``-th entry from the right; anything left of it was
    sent by the client and may be forged. With ``hops == 0`` the header is ignored. A
    header shorter than ``hops`` (a request that did not pass every proxy) or an entry
    that is not an address falls back to the socket peer — never to a forged entry.
    """
    if hops > 0 and forwarded_for:
        entries = [e for e in forwarded_for.split(",") if e.strip()]
        if len(entries) >= hops:
            found = _clean(entries[-hops])
            if found is not None:
                return found
    return _clean(remote_addr) if remote_addr else None


def client_ip(meta: Mapping[str, Any]) -> str | None:
    """The client address of a request, from ``request.META`` or a WSGI ``environ``,
    honouring ``settings.TRUSTED_PROXY_HOPS``. The one place the address is read."""
    from django.conf import settings

    return client_ip_from(
        meta.get("REMOTE_ADDR"),
        meta.get("HTTP_X_FORWARDED_FOR"),
        int(getattr(settings, "TRUSTED_PROXY_HOPS", 0)),
    )
