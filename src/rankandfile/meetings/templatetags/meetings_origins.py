"""``{% sentence_origins entry=... composite=... as sources %}``: each sentence of a
programme entry or a composite with the branch where it began (meetings.queries), for
the conference pages' include ``meetings/_entry_origins.html``."""

from __future__ import annotations

from typing import Any

from django import template

from rankandfile.meetings import queries

register = template.Library()


@register.simple_tag
def sentence_origins(entry: Any = None, composite: Any = None) -> list[queries.SentenceSource]:
    if entry is not None:
        return queries.entry_sources(entry)
    if composite is not None:
        return queries.composite_sources(composite)
    return []
