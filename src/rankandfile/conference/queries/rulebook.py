"""Reads for the rule book: its versions, their clauses, the comparison of two versions
(clause by clause, parameter by parameter) and the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rankandfile.conference import procedure
from rankandfile.conference.models import RuleBookVersion, RuleClause


def rule_book_versions() -> list[RuleBookVersion]:
    return list(RuleBookVersion.objects.select_related("adopted_by").order_by("-number"))


def clauses(version: RuleBookVersion) -> list[RuleClause]:
    return list(version.clauses.select_related("agenda_item").order_by("position"))


@dataclass(frozen=True)
class ClauseChange:
    number: str
    heading: str
    status: str  # "added" | "removed" | "changed" | "same"
    segments: list[procedure.Segment]
    new: RuleClause | None


@dataclass(frozen=True)
class ParameterChange:
    name: str
    old: str
    new: str


def rule_book_compare(
    old: RuleBookVersion, new: RuleBookVersion
) -> tuple[list[ClauseChange], list[ParameterChange]]:
    a = {c.number: c for c in clauses(old)}
    b = {c.number: c for c in clauses(new)}
    changes: list[ClauseChange] = []
    order = [*b, *(c for c in a if c not in b)]
    for num in order:
        oc, nc = a.get(num), b.get(num)
        if oc is None and nc is not None:
            changes.append(
                ClauseChange(num, nc.heading, "added", [procedure.Segment("ins", nc.text)], nc)
            )
        elif nc is None and oc is not None:
            changes.append(
                ClauseChange(num, oc.heading, "removed", [procedure.Segment("del", oc.text)], None)
            )
        elif oc is not None and nc is not None:
            status = "same" if oc.text == nc.text else "changed"
            changes.append(
                ClauseChange(num, nc.heading, status, procedure.word_diff(oc.text, nc.text), nc)
            )
    pa, pb = old.parameters, new.parameters
    params = [
        ParameterChange(k, str(pa.get(k, "—")), str(pb.get(k, "—")))
        for k in sorted(set(pa) | set(pb))
        if pa.get(k) != pb.get(k)
    ]
    return changes, params


def rule_book_json(version: RuleBookVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "title": version.title,
        "effective_from": version.effective_from.isoformat(),
        "adopted_by": version.adopted_by.year if version.adopted_by else None,
        "parameters": version.parameters,
        "clauses": [
            {
                "number": c.number,
                "chapter": c.chapter,
                "heading": c.heading,
                "text": c.text,
                "origin": c.origin,
                "since_year": c.since_year,
            }
            for c in clauses(version)
        ],
    }
