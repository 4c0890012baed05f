"""Template tags of the live hall: the snapshot's version a page starts from, and the
cards the CAC recorded on paper or by proxy (shown as such on the results board)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from rankandfile.conference.models import AgendaItem, CardRecord, Conference
from rankandfile.conference.queries import hall as hall_queries

register = template.Library()


@register.simple_tag
def hall_version(conference: Conference) -> str:
    return str(hall_queries.hall_snapshot(conference)["v"])


@register.simple_tag
def card_records(item: AgendaItem) -> list[CardRecord]:
    return hall_queries.recorded_cards(item)


@register.filter
def mmss(seconds: Any) -> str:
    try:
        s = int(seconds)
    except (TypeError, ValueError):
        return ""
    text = f"{abs(s) // 60}:{abs(s) % 60:02d}"
    return gettext("over by {time}").replace("{time}", text) if s < 0 else text
