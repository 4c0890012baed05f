"""The home-page card for the member's meetings (listed in rankandfile.home.PANELS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q
from django.utils import timezone

from rankandfile.core.home import HomePanel
from rankandfile.meetings.models import Meeting


def panel(user: Any, context: Mapping[str, Any]) -> HomePanel | None:
    """The next meeting of the member's branch or CLP (1 query)."""
    member = context.get("member")
    if member is None:
        return None
    unit = Q(clp_id=member.clp_id)
    if member.branch_id is not None:
        unit |= Q(branch_id=member.branch_id)
    upcoming = (
        Meeting.objects.filter(unit, ends_at__gte=timezone.now())
        .filter(state__in=[Meeting.State.SCHEDULED, Meeting.State.OPEN])
        .select_related("branch", "clp")
        .order_by("starts_at")
        .first()
    )
    return HomePanel("meetings/_home_panel.html", {"next": upcoming})
