"""Normalising and checking what the public types in: emails, UK postcodes, plain text.

Pure functions (no Django) so forms, services and the API share one definition.
"""

from __future__ import annotations

import re
import unicodedata

# The shape of a UK postcode (outward code, space, inward code), plus the Girobank
# special "GIR 0AA". Format only: whether the postcode exists is not checked.
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR) ?[0-9][A-Z]{2}$")
_EMAIL = re.compile(
    r"^[^@\s<>\"'()\[\],;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Invalid(ValueError):
    """The value cannot be accepted; the message says why, for the person who typed it."""


def normalise_postcode(raw: str) -> str:
    """``"sw16 1aa"`` → ``"SW16 1AA"``; raises :class:`Invalid` for anything not shaped
    like a UK postcode."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if not compact:
        raise Invalid("Enter your postcode.")
    if len(compact) > 7 or not _POSTCODE.match(compact):
        raise Invalid("Enter a UK postcode, like SW16 1AA.")
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_email(raw: str) -> str:
    """Trimmed and lower-cased, so the same person cannot sign twice by changing case."""
    email = (raw or "").strip().lower()
    if not email:
        raise Invalid("Enter your email address.")
    if len(email) > 254:
        raise Invalid("That email address is too long (at most 254 characters).")
    if not _EMAIL.match(email) or ".." in email:
        raise Invalid("Enter an email address like name@example.org.")
    return email


def clean_text(raw: str, *, label: str, max_length: int, required: bool = True) -> str:
    """Collapse whitespace, drop control characters, check the length.

    Markup is kept as typed and escaped on output (Django's autoescape), never stripped
    into something else or marked safe.
    """
    text = unicodedata.normalize("NFC", _CONTROL.sub("", raw or ""))
    text = " ".join(text.split())
    if required and not text:
        raise Invalid(f"Enter your {label}.")
    if len(text) > max_length:
        raise Invalid(f"Your {label} is too long: at most {max_length} characters.")
    return text
