"""Where the current action comes from (web, api, cli, task) and the client address.

Kept free of model imports so the CLI and middleware can set it before Django is ready.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass


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
