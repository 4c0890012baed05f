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


def client_ip(meta: Mapping[str, Any]) -> str | None:
    """The client address of a request, from ``request.META`` or a WSGI ``environ``:
    ``REMOTE_ADDR``, or — when the connection comes from a reverse proxy named in
    ``settings.TRUSTED_PROXIES`` — the nearest ``X-Forwarded-For`` entry that is not a
    trusted proxy (:func:`core.proxy.client_address`, the one rule, decision 0028). The
    one place the address is read: Django's middleware, allauth and the lean paths.

    The outermost WSGI wrapper (``core.proxy.TrustedProxies``) has already applied the
    same rule to ``REMOTE_ADDR`` in production; applying it again changes nothing (the
    rewritten address is either untrusted, so kept, or the end of the same trusted
    chain), and entry points that skip the wrapper (the test client, ``runserver``)
    answer the same."""
    from django.conf import settings

    from rankandfile.core.proxy import client_address, parse_networks

    remote = meta.get("REMOTE_ADDR")
    if not remote:
        return None
    trusted = parse_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    return _clean(client_address(remote, meta.get("HTTP_X_FORWARDED_FOR") or "", trusted))
