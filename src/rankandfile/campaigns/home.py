"""The home-page card for campaigns in the member's constituency (one of the panels of
``rankandfile.home``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rankandfile.campaigns.queries import progress, public_campaigns
from rankandfile.core.home import HomePanel


def panel(user: Any, context: Mapping[str, Any]) -> HomePanel | None:
    """The newest public campaign in the member's constituency (1 query)."""
    member = context.get("member")
    if member is None:
        return None
    campaign = (
        public_campaigns()
        .filter(constituency_id=member.clp.constituency_id)
        .order_by("-created_at")
        .first()
    )
    if campaign is None:
        return None
    return HomePanel(
        "campaigns/_home_panel.html", {"campaign": campaign, "progress": progress(campaign)}
    )
