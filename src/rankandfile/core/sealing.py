"""The audit log's seal: HMAC-SHA256 with a key from the environment (decision 0015).

The SHA-256 chain (``AuditEntry.digest``) shows that no entry was changed *unless* whoever
changed it recomputed every digest after it — which anyone who can write to the database
can do. The seal closes that gap: each entry's ``seal`` is an HMAC of its digest under a
key that lives in the application's environment, never in the database, so a forged,
rewritten or re-chained entry cannot carry a valid seal. The chain head carries its own
seal over ``(seq, digest)``, so rolling the head back after deleting the newest entries
needs a seal the attacker cannot compute either.

Keys have ids (``AUDIT_HMAC_KEY_ID``) stored beside each seal, so the key can be rotated:
new entries use the current key; retired keys stay listed in ``AUDIT_HMAC_PREVIOUS_KEYS``
to verify the entries sealed with them.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ENTRY_CONTEXT = b"rankandfile-audit-entry\x00"
HEAD_CONTEXT = b"rankandfile-audit-head\x00"


def current_key_id() -> str:
    return str(settings.AUDIT_HMAC_KEY_ID)


def keys() -> dict[str, bytes]:
    """Every configured key by id: the retired ones, then the current one."""
    found: dict[str, bytes] = {}
    for item in str(settings.AUDIT_HMAC_PREVIOUS_KEYS).split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, key = item.partition(":")
        if not sep or not key_id.strip() or not key:
            raise ImproperlyConfigured(
                "AUDIT_HMAC_PREVIOUS_KEYS must be a comma-separated list of id:key pairs"
            )
        found[key_id.strip()] = key.encode()
    found[current_key_id()] = str(settings.AUDIT_HMAC_KEY).encode()
    return found


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def entry_message(digest: str) -> bytes:
    return ENTRY_CONTEXT + digest.encode()


def head_message(seq: int, digest: str) -> bytes:
    return HEAD_CONTEXT + f"{seq}\x00{digest}".encode()


def seal_entry(digest: str) -> tuple[str, str]:
    """``(key_id, seal)`` for a new entry with this digest, under the current key."""
    key_id = current_key_id()
    return key_id, _mac(keys()[key_id], entry_message(digest))


def seal_head(seq: int, digest: str) -> tuple[str, str]:
    key_id = current_key_id()
    return key_id, _mac(keys()[key_id], head_message(seq, digest))


def check(key_id: str, seal: str, message: bytes) -> str | None:
    """``None`` if ``seal`` is right for ``message`` under key ``key_id``, else why not."""
    if not key_id or not seal:
        return "has no seal"
    key = keys().get(key_id)
    if key is None:
        return (
            f"is sealed with key {key_id!r}, which is not configured (list retired keys in "
            "AUDIT_HMAC_PREVIOUS_KEYS)"
        )
    if not hmac.compare_digest(_mac(key, message), seal):
        return "has a seal that does not match"
    return None
