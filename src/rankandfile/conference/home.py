"""The home-page conference card (one of the panels of ``rankandfile.home``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rankandfile.conference.queries.common import current_conference
from rankandfile.conference.queries.floor import open_items_with_my_cards
from rankandfile.core.home import HomePanel


def panel(user: Any, context: Mapping[str, Any]) -> HomePanel | None:
    """This year's conference, and the votes open to the user's delegate card (2 queries)."""
    conference = current_conference()
    if conference is None:
        return None
    return HomePanel(
        "conference/_home_panel.html",
        {"conference": conference, "items": open_items_with_my_cards(user, conference)},
    )
