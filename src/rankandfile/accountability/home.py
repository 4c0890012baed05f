"""The home-page card "How my MP votes" (one of the panels of ``rankandfile.home``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rankandfile.accountability.queries import mp_scorecard
from rankandfile.core.home import HomePanel


def panel(user: Any, context: Mapping[str, Any]) -> HomePanel | None:
    """The member's MP's stored scores, weakest agreement first (1 query)."""
    mp = context.get("mp")
    if mp is None:
        return None
    lines = sorted(
        mp_scorecard(mp),
        key=lambda line: (line.agreement is None, line.agreement or 0.0, line.policy_title),
    )
    return HomePanel(
        "accountability/_home_panel.html",
        {"mp": mp, "lines": lines[:5], "more": max(0, len(lines) - 5)},
    )
