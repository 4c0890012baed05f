"""Personal API tokens: created and revoked by their owner; only digests are stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from rankandfile.core import audit
from rankandfile.core.errors import PermissionDenied
from rankandfile.core.models import ApiToken, User

TOKEN_PREFIX = "rf"  # noqa: S105 - a public marker, not a secret
LAST_USED_RESOLUTION = 300
"""Seconds: ``last_used_at`` is written at most this often per token (it is for showing
the owner roughly when a token was last used, not an access log)."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, name: str) -> IssuedToken:
    """Create a token for ``actor``. The returned secret is shown once and never again."""
    name = name.strip()[:100] or "API token"
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=actor, name=name, prefix=prefix, digest=_digest(secret))
    audit.record(actor=actor, action="core.api_token.create", target=token)
    return IssuedToken(token=token, secret=f"{TOKEN_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or token.user_id != actor.pk:
        raise PermissionDenied("no such token among yours")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="core.api_token.revoke", target=token)
    return token


def user_for_token(raw: str) -> User | None:
    """The active user a presented token belongs to, or ``None``. Constant-time compare."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    # The prefix is unique: a slice rather than ``first()``, which would add an ORDER BY
    # (this runs on every API request).
    token = next(iter(ApiToken.objects.select_related("user").filter(prefix=parts[1])[:1]), None)
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if not secrets.compare_digest(token.digest, _digest(parts[2])):
        return None
    now = timezone.now()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION:
        # At most one write per token every few minutes, and a conditional one: of
        # simultaneous first uses only one updates the row.
        ApiToken.objects.filter(pk=token.pk, last_used_at=last).update(last_used_at=now)
    return token.user
