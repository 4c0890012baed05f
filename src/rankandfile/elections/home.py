"""The home-page card for party elections under way (listed in rankandfile.home.PANELS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rankandfile.core.home import HomePanel
from rankandfile.elections.models import Contest, Stage


def panel(user: Any, context: Mapping[str, Any]) -> HomePanel | None:
    """Elections taking nominations or votes (1 query). Every member may see them
    (``permissions.can_see_elections``); the member is already in the home context."""
    if context.get("member") is None:
        return None
    contests = list(
        Contest.objects.filter(stage__in=[Stage.NOMINATIONS, Stage.BALLOT]).order_by(
            "nominations_close", "pk"
        )[:3]
    )
    if not contests:
        return None
    return HomePanel("elections/_home_panel.html", {"contests": contests})
