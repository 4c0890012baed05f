"""Helpers shared by the campaign use cases: settings, field checks, savepoints."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext

from rankandfile.campaigns.validation import (
    Invalid,
)
from rankandfile.core.errors import DomainError


class LinkInvalid(DomainError):
    """An emailed link that matches nothing (withdrawn, purged, mistyped)."""


def savepoint_if_nested() -> contextlib.AbstractContextManager[Any]:
    """A savepoint inside an enclosing transaction (so a failed statement does not break
    it); nothing in autocommit, where one statement is its own transaction. Keeps the
    public signing path to one round trip per statement."""
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


def setting(name: str, default: Any) -> Any:
    """A campaigns setting: the Django setting, else the environment variable of the same
    name (so a deployment can tune rate limits without a code change), else ``default``."""
    return getattr(settings, name, os.environ.get(name, default))


def check_field(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Invalid as exc:
        raise DomainError(_in_readers_language(str(exc), kwargs)) from exc


def _in_readers_language(message: str, kwargs: dict[str, Any]) -> str:
    """The pure validation module words its refusals in English; say them in the reader's
    language (callers mark their English labels with gettext_noop)."""
    label, max_length = kwargs.get("label"), kwargs.get("max_length")
    if label is not None and message == f"Enter your {label}.":
        return gettext("Enter your %(label)s.") % {"label": gettext(label)}
    too_long = f"Your {label} is too long: at most {max_length} characters."
    if label is not None and message == too_long:
        return gettext("Your %(label)s is too long: at most %(max_length)s characters.") % {
            "label": gettext(label),
            "max_length": max_length,
        }
    return gettext(message)  # the fixed sentences are in the catalogue (forms.py)
