"""The party programme: carried motions and composites (clause 3.I.2), and votes recorded
from before the software."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from rankandfile.conference import queries
from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Conference,
    FloorSession,
    ProgrammeEntry,
    ProgrammeVersion,
)
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.services.common import clock
from rankandfile.core import audit
from rankandfile.core.models import User


def _programme_version_for(conference: Conference, day: dt.date) -> ProgrammeVersion:
    v = ProgrammeVersion.objects.filter(conference=conference).first()
    if v is None:
        n = (ProgrammeVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1
        v = ProgrammeVersion.objects.create(
            number=n,
            conference=conference,
            published_on=day,
            note=f"Policy adopted by the {conference.year} conference",
        )
    return v


@transaction.atomic
def programme_add(
    *, actor: User, item: AgendaItem, now: dt.datetime | None = None
) -> ProgrammeEntry:
    """Put a carried motion or composite in the programme (the conference's version).
    A motion that supersedes an entry removes that entry in the same version."""
    conference = item.session.conference
    at = clock(now)
    version = _programme_version_for(conference, timezone.localdate(at))
    src_title = (
        item.composite.title
        if item.composite
        else item.submission.title
        if item.submission
        else item.title
    )
    text = item.amended_text or (
        item.composite.text if item.composite else item.submission.text if item.submission else ""
    )
    topic = (
        item.composite.topic.name
        if item.composite
        else item.submission.topic.name
        if item.submission and item.submission.topic
        else "General"
    )
    supersedes = item.submission.supersedes if item.submission else None
    if item.composite is not None:
        supersedes = next(
            (s.supersedes for s in item.composite.originals.all() if s.supersedes_id), None
        )
    seq = ProgrammeEntry.objects.filter(conference=conference).count() + 1
    result = item.result
    figures = {
        "method": "card vote",
        "for_share": result.get("for_share"),
        "for_percent": result.get("for_percent"),
        "against_percent": result.get("against_percent"),
        "sections": [
            {
                "name": s["name"],
                "for_percent": s.get("for_percent"),
                "against_percent": s.get("against_percent"),
                "for": s["for"],
                "against": s["against"],
            }
            for s in result.get("sections", [])
        ],
    }
    amendments = queries.carried_amendments(item)
    if amendments:
        figures["amendments"] = [_amendment_figures(a) for a in amendments]
    entry = ProgrammeEntry.objects.create(
        reference=f"{conference.year}/{seq:02d}",
        title=src_title[:200],
        topic=topic,
        text=text,
        conference=conference,
        added_in=version,
        supersedes=supersedes,
        agenda_item=item,
        figures=figures,
    )
    if supersedes is not None and supersedes.removed_in_id is None:
        supersedes.removed_in = version
        supersedes.save(update_fields=["removed_in"])
    audit.record(
        actor=actor,
        action="conference.programme_add",
        target=entry,
        data={"version": version.number, "for_percent": figures["for_percent"]},
    )
    return entry


def _amendment_figures(a: Amendment) -> dict[str, Any]:
    vote = a.items.filter(state=AgendaItem.State.CLOSED).first()
    out: dict[str, Any] = {
        "id": a.pk,
        "reference": a.reference,
        "organisation": a.organisation_name,
        "method": vote.get_method_display().lower() if vote else "",
        "item": vote.pk if vote else None,
    }
    if vote is not None and vote.result:
        out["for_percent"] = vote.result.get("for_percent")
        out["against_percent"] = vote.result.get("against_percent")
        out["for_share"] = vote.for_share
    return out


@transaction.atomic
def historic_vote_record(
    *,
    actor: User | None,
    conference: Conference,
    title: str,
    topic: str,
    text: str,
    clp_for: int,
    clp_against: int,
    affiliate_for: int,
    affiliate_against: int,
    mover: str = "",
    supersedes: ProgrammeEntry | None = None,
) -> AgendaItem:
    """Record a card vote taken before the software (from the CAC's published report):
    the section totals are counted exactly as a live vote would be, and a motion carried
    with at least the programme threshold enters the programme of that conference's year.
    Used to load a party's programme history."""
    from rankandfile.counting.cardvote import Section, count_card_vote
    from rankandfile.counting.yesno import SIMPLE_MAJORITY

    p = parameters_in_force(on=conference.starts_on)
    shares = p.card_vote_section_shares
    result = count_card_vote(
        [
            Section("clp", shares["clp"], clp_for, clp_against),
            Section("affiliate", shares["affiliate"], affiliate_for, affiliate_against),
        ],
        threshold=SIMPLE_MAJORITY,
    )
    session = FloorSession.objects.filter(
        conference=conference
    ).first() or FloorSession.objects.create(
        conference=conference,
        title="Policy debates",
        starts_at=dt.datetime.combine(conference.starts_on, dt.time(14), tzinfo=dt.UTC),
    )
    pos = (AgendaItem.objects.filter(session=session).aggregate(m=Max("position"))["m"] or 0) + 1
    fs = result.for_share
    assert fs is not None
    item = AgendaItem.objects.create(
        session=session,
        position=pos,
        title=title[:200],
        method=AgendaItem.Method.CARD,
        state=AgendaItem.State.CLOSED,
        outcome=AgendaItem.Outcome.CARRIED if result.carried else AgendaItem.Outcome.LOST,
        closed_at=dt.datetime.combine(conference.ends_on, dt.time(12), tzinfo=dt.UTC),
        for_share=f"{fs.numerator}/{fs.denominator}",
        result=result.to_dict(),
        note=f"Moved by {mover}. Recorded from the published card-vote report."
        if mover
        else "Recorded from the published card-vote report.",
    )
    audit.record(
        actor=actor,
        action="conference.historic_vote_record",
        target=item,
        data={"for_share": item.for_share},
    )
    if result.carried and fs >= p.programme_threshold:
        version = _programme_version_for(conference, conference.ends_on)
        seq = ProgrammeEntry.objects.filter(conference=conference).count() + 1
        entry = ProgrammeEntry.objects.create(
            reference=f"{conference.year}/{seq:02d}",
            title=title[:200],
            topic=topic,
            text=text,
            conference=conference,
            added_in=version,
            supersedes=supersedes,
            agenda_item=item,
            figures={
                "method": "card vote",
                "for_share": item.for_share,
                "for_percent": result.to_dict()["for_percent"],
                "against_percent": result.to_dict()["against_percent"],
                "sections": [
                    {
                        "name": s["name"],
                        "for_percent": s["for_percent"],
                        "against_percent": s["against_percent"],
                        "for": s["for"],
                        "against": s["against"],
                    }
                    for s in result.to_dict()["sections"]
                ],
            },
        )
        if supersedes is not None and supersedes.removed_in_id is None:
            supersedes.removed_in = version
            supersedes.save(update_fields=["removed_in"])
        audit.record(actor=actor, action="conference.programme_add", target=entry)
    return item
