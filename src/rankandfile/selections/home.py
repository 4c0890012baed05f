"""The home-page card for the member's CLP selection (one of the panels of
``rankandfile.home``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rankandfile.core.home import HomePanel
from rankandfile.selections.models import Selection


def panel(user: Any, context: Mapping[str, Any]) -> HomePanel | None:
    """The latest selection of the member's own CLP (1 query).

    Every member of a CLP may follow its selection (``permissions.visible_selections``);
    the member record is already in the home page's context, so no permission lookup.
    """
    member = context.get("member")
    if member is None:
        return None
    selection = (
        Selection.objects.select_related("clp")
        .filter(clp_id=member.clp_id)
        .order_by("-round__created_at", "-pk")
        .first()
    )
    if selection is None:
        return None
    return HomePanel("selections/_home_panel.html", {"selection": selection})
