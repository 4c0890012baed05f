"""Personal API tokens: created and revoked by their owner; only digests are stored.

A token has *scopes* (``read``: everything the owner may read except member records;
``write``: unsafe methods — voting, cards, amendments; ``personal``: member records), an
expiry (at most :data:`MAX_LIFETIME`) and can be revoked. Every API request checks all of
them (:func:`authenticate` then :func:`check_use`), and refuses the token of a login whose
roles require two-factor authentication while it has none (``core.mfa``): a token is never
a way round the front door.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from rankandfile.core import audit, mfa
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import ApiToken, User

TOKEN_PREFIX = "rf"  # noqa: S105 - a public marker, not a secret
LAST_USED_RESOLUTION = 300
"""Seconds: ``last_used_at`` is written at most this often per token (it is for showing
the owner roughly when a token was last used, not an access log)."""

SCOPES: tuple[str, ...] = tuple(ApiToken.Scope.values)
READ, WRITE, PERSONAL = "read", "write", "personal"
DEFAULT_LIFETIME = dt.timedelta(days=90)
MAX_LIFETIME = dt.timedelta(days=365)
LIFETIME_CHOICES_DAYS = (7, 30, 90, 365)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


# --- the token helpers every token check uses -------------------------------------------
# Personal API tokens, one-time ballot links, petition confirm/withdraw links and event
# reply cancel links: a random secret is handed out once and only its SHA-256 is stored.


def digest(secret: str) -> str:
    """The stored form of a secret (API token, ballot link, petition or reply link)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(stored_digest: str, secret: str) -> bool:
    """Whether ``secret`` is the one ``stored_digest`` was made from, in constant time.
    (Links found *by* their digest are compared by the database's index lookup.)"""
    return secrets.compare_digest(stored_digest, digest(secret))


def split(raw: str) -> tuple[str, str] | None:
    """``rf_<prefix>_<secret>`` -> (prefix, secret); ``None`` for any other shape."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    return parts[1], parts[2]


def is_live(
    *,
    stored_digest: str,
    secret: str,
    revoked: bool,
    expires_at: dt.datetime,
    user_active: bool,
    now: dt.datetime,
) -> bool:
    """The API token rule: not revoked, its login active, the secret right (constant
    time), not expired. The one check of the API and of the lean vote path."""
    return not revoked and user_active and matches(stored_digest, secret) and expires_at > now


def use_due(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether ``last_used_at`` is to be written now (at most every
    :data:`LAST_USED_RESOLUTION` seconds, conditionally on the value read)."""
    return last_used_at is None or (now - last_used_at).total_seconds() > LAST_USED_RESOLUTION


def record_use(token_id: int, last_used_at: dt.datetime | None, now: dt.datetime) -> None:
    """Write a token's use; of simultaneous first uses only one updates the row."""
    ApiToken.objects.filter(pk=token_id, last_used_at=last_used_at).update(last_used_at=now)


def missing_scopes(granted: Iterable[str], needed: Iterable[str]) -> list[str]:
    have = set(granted)
    return [s for s in needed if s not in have]


def lacks_required_mfa(user: User) -> bool:
    """The token's owner must use two factors (``core.mfa``) and has none."""
    return mfa.user_must_have_mfa(user) and not mfa.user_has_mfa(user)


def clean_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes in canonical order; a clear error for none or an unknown one."""
    wanted = {s.strip().lower() for s in scopes if s and s.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise DomainError(
            gettext("unknown token scope %(unknown)s: choose from %(scopes)s")
            % {"unknown": ", ".join(unknown), "scopes": ", ".join(SCOPES)}
        )
    if not wanted:
        raise DomainError(
            gettext("choose at least one scope for the token (%(scopes)s)")
            % {"scopes": ", ".join(SCOPES)}
        )
    return tuple(s for s in SCOPES if s in wanted)


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    name: str,
    scopes: Iterable[str] = SCOPES,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
) -> IssuedToken:
    """Create a token for ``actor``. The returned secret is shown once and never again.

    Refused (``PermissionDenied``) for a login whose roles require two-factor
    authentication while it has none; a bad scope or lifetime is a ``DomainError``.
    """
    chosen = clean_scopes(scopes)
    if lifetime <= dt.timedelta(0) or lifetime > MAX_LIFETIME:
        raise DomainError(
            gettext("a token must expire after at least one day and at most %(days)s days")
            % {"days": MAX_LIFETIME.days}
        )
    if mfa.user_must_have_mfa(actor) and not mfa.user_has_mfa(actor):
        raise PermissionDenied(
            gettext(
                "your roles (member records, ballots or scrutiny) require two-factor "
                "authentication: set up an authenticator app on your account page before "
                "creating an API token"
            )
        )
    name = name.strip()[:100] or "API token"
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=prefix,
        digest=digest(secret),
        scopes=" ".join(chosen),
        created_at=now,
        expires_at=now + lifetime,
    )
    audit.record(
        actor=actor,
        action="core.api_token.create",
        target=token,
        data={"scopes": list(chosen), "expires_at": token.expires_at.isoformat()},
    )
    return IssuedToken(token=token, secret=f"{TOKEN_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or token.user_id != actor.pk:
        raise PermissionDenied(gettext("no such token among yours"))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="core.api_token.revoke", target=token)
    return token


def authenticate(raw: str) -> ApiToken | None:
    """The live token (with its user) a presented secret belongs to, or ``None``: unknown,
    wrong secret, revoked, expired, or an inactive login (:func:`is_live`)."""
    found = split(raw)
    if found is None:
        return None
    prefix, secret = found
    # The prefix is unique: a slice rather than ``first()``, which would add an ORDER BY
    # (this runs on every API request).
    token = next(iter(ApiToken.objects.select_related("user").filter(prefix=prefix)[:1]), None)
    now = timezone.now()
    if token is None or not is_live(
        stored_digest=token.digest,
        secret=secret,
        revoked=token.revoked_at is not None,
        expires_at=token.expires_at,
        user_active=token.user.is_active,
        now=now,
    ):
        return None
    if use_due(token.last_used_at, now):
        record_use(token.pk, token.last_used_at, now)
    return token


def check_use(token: ApiToken, needed: Iterable[str]) -> None:
    """Raise ``PermissionDenied`` (with the reason) unless ``token`` may be used for a
    request needing the scopes ``needed``: each scope granted, and its owner not one who
    must have two-factor authentication but has none."""
    missing = missing_scopes(token.scope_set, needed)
    if missing:
        raise PermissionDenied(
            ngettext(
                "this API token lacks the %(missing)s scope (it has: %(has)s); create a "
                "token with the scopes you need on your account page",
                "this API token lacks the %(missing)s scopes (it has: %(has)s); create a "
                "token with the scopes you need on your account page",
                len(missing),
            )
            % {"missing": " and ".join(missing), "has": ", ".join(sorted(token.scope_set))}
        )
    if lacks_required_mfa(token.user):
        raise PermissionDenied(
            gettext(
                "your roles (member records, ballots or scrutiny) require two-factor "
                "authentication: set up an authenticator app on your account page; until "
                "then your API tokens do not work"
            )
        )


def user_for_token(raw: str) -> User | None:
    """The active user a presented live token belongs to, or ``None`` (no scope check)."""
    token = authenticate(raw)
    return token.user if token is not None else None
