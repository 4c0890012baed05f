"""The member's language: what the footer switcher records, and what the emails sent to
them outside a request are written in (issue 17.7; docs/decisions/0027-welsh.md).

A request renders in the reader's language (LocaleMiddleware, from the switcher's
cookie); a task has no request, so an email to a member is rendered inside
:func:`in_language`, which activates the language on their record.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation


def offered(language: str) -> str:
    """``language`` as one of settings.LANGUAGES ("en" -> "en-gb"), or "" if the site
    does not offer it."""
    if not language:
        return ""
    try:
        code = translation.get_supported_language_variant(language)
    except LookupError:
        return ""
    return code if code in dict(settings.LANGUAGES) else ""


def language_of(person: Any) -> str:
    """The language to write to ``person`` in: a member's preference if they have one
    the site still offers, else the site's default (a supporter, who is not a member,
    has no preference)."""
    return offered(getattr(person, "preferred_language", "") or "") or settings.LANGUAGE_CODE


def in_language(person: Any) -> translation.override:
    """``with in_language(member):`` around rendering an email's subject and body."""
    return translation.override(language_of(person))
