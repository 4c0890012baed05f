"""Reads for the party programme: its versions, the entries in each, two versions compared
and the API's JSON."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rankandfile.conference.models import ProgrammeEntry, ProgrammeVersion


def programme_versions() -> list[ProgrammeVersion]:
    return list(ProgrammeVersion.objects.select_related("conference").order_by("-number"))


def programme_entries(version: ProgrammeVersion | None) -> list[ProgrammeEntry]:
    """Entries of a version (None: in force), with what the list and downloads show."""
    qs = ProgrammeEntry.objects.select_related("conference", "added_in", "supersedes")
    qs = qs.in_version(version) if version is not None else qs.current()
    return list(qs.order_by("topic", "reference"))


def programme_by_topic(entries: list[ProgrammeEntry]) -> list[tuple[str, list[ProgrammeEntry]]]:
    groups: dict[str, list[ProgrammeEntry]] = defaultdict(list)
    for e in entries:
        groups[e.topic].append(e)
    return sorted(groups.items())


@dataclass(frozen=True)
class ProgrammeComparison:
    old: ProgrammeVersion
    new: ProgrammeVersion
    added: list[ProgrammeEntry]
    removed: list[ProgrammeEntry]
    kept: int


def programme_compare(old: ProgrammeVersion, new: ProgrammeVersion) -> ProgrammeComparison:
    a = {e.pk: e for e in programme_entries(old)}
    b = {e.pk: e for e in programme_entries(new)}
    return ProgrammeComparison(
        old=old,
        new=new,
        added=[e for k, e in b.items() if k not in a],
        removed=[e for k, e in a.items() if k not in b],
        kept=len(set(a) & set(b)),
    )


def programme_json(version: ProgrammeVersion | None) -> dict[str, Any]:
    entries = programme_entries(version)
    return {
        "version": version.number if version else None,
        "published_on": version.published_on.isoformat() if version else None,
        "entries": [
            {
                "reference": e.reference,
                "title": e.title,
                "topic": e.topic,
                "text": e.text,
                "conference": e.conference.year,
                "added_in": e.added_in.number,
                "supersedes": e.supersedes.reference if e.supersedes else None,
                "figures": e.figures,
            }
            for e in entries
        ],
    }
