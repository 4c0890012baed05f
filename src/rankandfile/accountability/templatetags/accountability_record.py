"""Template tags other apps use to show accountability data on their pages.

``{% load accountability_record %}{% record_since mp date %}``: a former member's votes
against the programme since ``date`` (rule A9), e.g. on a by-election campaign's page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import reverse

from rankandfile.accountability import queries
from rankandfile.membership.models import MP

register = template.Library()


@register.inclusion_tag("accountability/_record_since.html")
def record_since(mp: MP | None, since: dt.date | None) -> dict[str, Any]:
    if mp is None or since is None:
        return {"record": None}
    return {
        "record": queries.record_since(mp, since),
        "mp": mp,
        "mp_url": reverse("accountability:mp", kwargs={"mnis_id": mp.mnis_id}),
    }
