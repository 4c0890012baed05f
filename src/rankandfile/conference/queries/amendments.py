"""Reads for amendments: what may be amended (motions, composites, CAC-designated documents),
the amendments to each with their votes and the API's JSON, and the amendments an agenda
item waits for or has carried."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from rankandfile.conference import procedure
from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Composite,
    Conference,
    ConferenceDocument,
    Submission,
)


def documents_of(conference: Conference) -> QuerySet[ConferenceDocument]:
    return ConferenceDocument.objects.filter(conference=conference).order_by("number")


def amendment_targets(conference: Conference) -> list[tuple[str, str]]:
    """What may be amended (``("s:<id>" | "c:<id>" | "d:<id>", label)``): the motions and
    rule changes in order on this year's agenda, the composites agreed by every mover and
    the documents the CAC designated."""
    if getattr(conference, "dates", None) is None or conference.dates.agenda_published_at is None:
        return []
    out = [
        (f"c:{c.pk}", f"Composite {c.number}: {c.title}")
        for c in Composite.objects.filter(
            conference=conference, status=Composite.Status.AGREED
        ).order_by("number")
    ]
    out += [
        (f"s:{s.pk}", f"{s.reference} {s.title} ({s.organisation_name})")
        for s in Submission.objects.filter(
            debate_year=conference.year, status=Submission.Status.IN_ORDER
        )
        .select_related("clp", "affiliate")
        .order_by("reference")
    ]
    out += [(f"d:{d.pk}", d.label) for d in documents_of(conference)]
    return out


def amendment_target(
    conference: Conference, key: str
) -> Submission | Composite | ConferenceDocument | None:
    """The submission, composite or document a ``"s:<id>"`` / ``"c:<id>"`` / ``"d:<id>"``
    key names (any status: the service says why it cannot be amended)."""
    kind, _, pk = key.partition(":")
    if not pk.isdigit():
        return None
    if kind == "d":
        return ConferenceDocument.objects.filter(conference=conference, pk=int(pk)).first()
    if kind == "c":
        return Composite.objects.filter(conference=conference, pk=int(pk)).first()
    if kind == "s":
        return (
            Submission.objects.filter(pk=int(pk))
            .filter(Q(conference=conference) | Q(debate_year=conference.year))
            .first()
        )
    return None


def amendments_of(target: Submission | Composite | ConferenceDocument) -> QuerySet[Amendment]:
    """The amendments to a motion, rule change, composite or document that anyone may see
    (not withdrawn), with their votes."""
    qs = Amendment.objects.exclude(status=Amendment.Status.WITHDRAWN)
    if isinstance(target, Composite):
        qs = qs.filter(composite=target)
    elif isinstance(target, ConferenceDocument):
        qs = qs.filter(document=target)
    else:
        qs = qs.filter(submission=target)
    return qs.select_related("clp", "affiliate").prefetch_related("items").order_by("reference")


def amendment_vote(a: Amendment) -> AgendaItem | None:
    items = list(a.items.all())
    return items[0] if items else None


def amendment_json(a: Amendment) -> dict[str, Any]:
    vote = amendment_vote(a)
    return {
        "id": a.pk,
        "reference": a.reference,
        "conference": a.conference.year,
        "target": {
            "kind": "composite"
            if a.composite_id
            else "document"
            if a.document_id
            else "submission",
            "id": a.composite_id or a.document_id or a.submission_id,
            "label": a.target_label,
        },
        "organisation": a.organisation_name,
        "status": a.status,
        "ruling_reason": a.ruling_reason,
        "words_changed": a.words_changed,
        "base_text": a.base_text,
        "text": a.text,
        "note": a.note,
        "diff": [{"op": s.op, "text": s.text} for s in procedure.word_diff(a.base_text, a.text)],
        "submitted_at": a.submitted_at.isoformat(),
        "vote": None
        if vote is None
        else {
            "item": vote.pk,
            "method": vote.method,
            "state": vote.state,
            "outcome": vote.outcome,
            "for_percent": (vote.result or {}).get("for_percent"),
            "against_percent": (vote.result or {}).get("against_percent"),
        },
        "fell": a.fell,
        "text_after": a.text_after,
    }


def undecided_amendments(item: AgendaItem) -> list[Amendment]:
    """In-order amendments to the item's motion, composite or rule change whose own vote
    has not been decided (they must be voted before the item)."""
    if item.submission_id is None and item.composite_id is None and item.document_id is None:
        return []
    qs = Amendment.objects.filter(status=Amendment.Status.IN_ORDER)
    if item.composite_id is not None:
        qs = qs.filter(composite_id=item.composite_id)
    elif item.document_id is not None:
        qs = qs.filter(document_id=item.document_id)
    elif item.submission_id is not None:
        qs = qs.filter(submission_id=item.submission_id)
    decided = AgendaItem.objects.filter(amendment=OuterRef("pk"), state=AgendaItem.State.CLOSED)
    return list(qs.exclude(Exists(decided)).order_by("reference"))


def carried_amendments(item: AgendaItem) -> list[Amendment]:
    """The amendments carried (and applied) to the item's text, in the order voted."""
    if item.submission_id is None and item.composite_id is None and item.document_id is None:
        return []
    qs = Amendment.objects.filter(
        items__state=AgendaItem.State.CLOSED,
        items__outcome=AgendaItem.Outcome.CARRIED,
        fell=False,
    )
    if item.composite_id is not None:
        qs = qs.filter(composite_id=item.composite_id)
    elif item.document_id is not None:
        qs = qs.filter(document_id=item.document_id)
    elif item.submission_id is not None:
        qs = qs.filter(submission_id=item.submission_id)
    return list(qs.select_related("clp", "affiliate").order_by("items__closed_at", "reference"))
