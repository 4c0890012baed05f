"""Panels that other apps add to the member's home page.

Core sits below every app, so it cannot import them; instead each app names a function in
``settings.RANKANDFILE_HOME_PANELS`` (a dotted path) that takes the user and the home
page's context (``member``, ``mp``) and returns a :class:`HomePanel` or ``None``. Each
panel function must cost a fixed number of queries (the home page's query count is
pinned by tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class HomePanel:
    """A card on the home page: a template (rendered inside the card grid) and its context."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)


def panels_for(user: Any, context: Mapping[str, Any]) -> list[HomePanel]:
    panels = []
    for path in getattr(settings, "RANKANDFILE_HOME_PANELS", []):
        panel = import_string(path)(user, context)
        if panel is not None:
            panels.append(panel)
    return panels
