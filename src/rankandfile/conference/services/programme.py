"""The party programme: carried motions and composites (clause 3.I.2), and votes recorded
from before the software."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Conference,
    FloorSession,
    ProgrammeEntry,
    ProgrammeVersion,
    Submission,
)
from rankandfile.conference.queries import amendments as amendments_queries
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.services.common import clock
from rankandfile.core import audit
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User
from rankandfile.counting.cardvote import Section, count_card_vote
from rankandfile.counting.yesno import SIMPLE_MAJORITY


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


def _section_figures(result: dict[str, Any]) -> dict[str, Any]:
    """A card vote's published figures (the result's dict), as the programme keeps them."""
    return {
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


def _source(item: AgendaItem) -> tuple[str, str, str, ProgrammeEntry | None]:
    """Title, text (as amended on the floor), topic and the entry it supersedes, of the
    motion or composite an item decided."""
    if item.composite is not None:
        c = item.composite
        supersedes = next((s.supersedes for s in c.originals.all() if s.supersedes_id), None)
        return c.title, item.amended_text or c.text, c.topic.name, supersedes
    if item.document is not None:
        d = item.document
        return d.title, item.amended_text or d.text, d.get_kind_display(), None
    s = item.submission
    if s is not None:
        topic = s.topic.name if s.topic else "General"
        return s.title, item.amended_text or s.text, topic, s.supersedes
    return item.title, item.amended_text, "General", None


def _entry_create(
    *,
    actor: User | None,
    conference: Conference,
    version: ProgrammeVersion,
    item: AgendaItem,
    title: str,
    topic: str,
    text: str,
    figures: dict[str, Any],
    supersedes: ProgrammeEntry | None,
) -> ProgrammeEntry:
    """The entry, numbered in its conference; the entry it supersedes leaves the
    programme in the same version."""
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
        figures=figures,
    )
    if supersedes is not None and supersedes.removed_in_id is None:
        supersedes.removed_in = version
        supersedes.save(update_fields=["removed_in"])
    audit.record(
        actor=actor,
        action="conference.programme_add",
        target=entry,
        data={"version": version.number, "for_percent": figures.get("for_percent")},
    )
    return entry


@transaction.atomic
def programme_add(
    *, actor: User, item: AgendaItem, now: dt.datetime | None = None
) -> ProgrammeEntry:
    """Put a carried motion, composite or designated document in the programme (the
    conference's version). A motion that supersedes an entry removes that entry in the
    same version."""
    conference = item.session.conference
    version = _programme_version_for(conference, timezone.localdate(clock(now)))
    title, text, topic, supersedes = _source(item)
    figures = _section_figures(item.result)
    amendments = amendments_queries.carried_amendments(item)
    if amendments:
        figures["amendments"] = [_amendment_figures(a) for a in amendments]
    return _entry_create(
        actor=actor,
        conference=conference,
        version=version,
        item=item,
        title=title,
        topic=topic,
        text=text,
        figures=figures,
        supersedes=supersedes,
    )


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


def _historic_session(conference: Conference) -> FloorSession:
    return FloorSession.objects.filter(
        conference=conference
    ).first() or FloorSession.objects.create(
        conference=conference,
        title="Policy debates",
        starts_at=dt.datetime.combine(conference.starts_on, dt.time(14), tzinfo=dt.UTC),
    )


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
    kind: str = Submission.Kind.MOTION,
) -> AgendaItem:
    """Record a card vote taken before the software (from the CAC's published report):
    the section totals are counted exactly as a live vote would be, and a motion carried
    with at least the programme threshold enters the programme of that conference's year.
    A rule change (``kind="rule_change"``) never does: the programme is policy, the rule
    book is changed by publishing a version (clause 3.I.2). Used to load a party's history."""
    if kind not in Submission.Kind.values:
        raise DomainError(gettext("record a motion or a rule change"))
    p = parameters_in_force(on=conference.starts_on)
    shares = p.card_vote_section_shares
    result = count_card_vote(
        [
            Section("clp", shares["clp"], clp_for, clp_against),
            Section("affiliate", shares["affiliate"], affiliate_for, affiliate_against),
        ],
        threshold=SIMPLE_MAJORITY,
    )
    session = _historic_session(conference)
    pos = (AgendaItem.objects.filter(session=session).aggregate(m=Max("position"))["m"] or 0) + 1
    fs = result.for_share
    assert fs is not None
    what = "Rule change. " if kind == Submission.Kind.RULE_CHANGE else ""
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
        note=what
        + (f"Moved by {mover}. " if mover else "")
        + "Recorded from the published card-vote report.",
    )
    audit.record(
        actor=actor,
        action="conference.historic_vote_record",
        target=item,
        data={"for_share": item.for_share, "kind": kind},
    )
    if kind == Submission.Kind.MOTION and result.carried and fs >= p.programme_threshold:
        _entry_create(
            actor=actor,
            conference=conference,
            version=_programme_version_for(conference, conference.ends_on),
            item=item,
            title=title,
            topic=topic,
            text=text,
            figures={**_section_figures(result.to_dict()), "for_share": item.for_share},
            supersedes=supersedes,
        )
    return item
