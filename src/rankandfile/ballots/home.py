"""The home-page card "My ballots" (one of the panels of ``rankandfile.home``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rankandfile.ballots.queries import home_ballots
from rankandfile.core.home import HomePanel


def panel(user: Any, context: Mapping[str, Any]) -> HomePanel:
    """Open ballots the member is on the electorate of, and recent results (one query;
    none for a login without a member record, which sees the card empty)."""
    member = context.get("member")
    ballots = home_ballots(user, member) if member is not None else []
    return HomePanel("ballots/_home_panel.html", {"ballots": ballots})
