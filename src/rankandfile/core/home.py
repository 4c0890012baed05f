"""The card an app adds to the member's home page (``rankandfile.home`` lists them).

Core sits below every app, so the home page that gathers the cards lives above them all
(``rankandfile/home.py``); this module only defines the card every app returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HomePanel:
    """A card on the home page: a template (rendered inside the card grid) and its context."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
