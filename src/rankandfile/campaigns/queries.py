"""Reads for campaign pages, exports and the API. Query counts are pinned in tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from rankandfile.accountability import queries as accountability_queries
from rankandfile.campaigns import recall
from rankandfile.campaigns.models import (
    Campaign,
    CampaignEvent,
    PartyEvent,
    Pledge,
    RecallCount,
    RecallPetition,
    Rsvp,
    Signature,
    Volunteer,
)
from rankandfile.membership.models import MP, Constituency


@dataclass(frozen=True)
class Progress:
    confirmed: int
    target: int | None
    percent: int  # 0..100, for the bar

    @property
    def reached(self) -> bool:
        return self.target is not None and self.confirmed >= self.target


def progress(campaign: Campaign) -> Progress:
    """Confirmed signatures against the target (default 10% of the electorate, §1)."""
    target = campaign.effective_target
    confirmed = campaign.confirmed_count
    percent = min(100, confirmed * 100 // target) if target else 0
    return Progress(confirmed, target, percent)


@dataclass(frozen=True)
class Supporter:
    first_name: str
    town: str
    confirmed_at: dt.datetime


def recent_supporters(campaign: Campaign, limit: int = 10) -> list[Supporter]:
    """First names and towns of the latest confirmed signers who agreed to be shown."""
    rows = (
        Signature.objects.filter(campaign=campaign, confirmed_at__isnull=False, show_publicly=True)
        .order_by("-confirmed_at")
        .values_list("first_name", "town", "confirmed_at")[:limit]
    )
    return [Supporter(first, town, at) for first, town, at in rows if at is not None]


def public_campaigns() -> QuerySet[Campaign]:
    return (
        Campaign.objects.exclude(state=Campaign.State.DRAFT)
        .select_related("constituency", "mp")
        .order_by("constituency__name")
    )


def upcoming_events(campaign: Campaign, now: dt.datetime | None = None) -> QuerySet[CampaignEvent]:
    now = now or timezone.now()
    return CampaignEvent.objects.filter(campaign=campaign, ends_at__gte=now).order_by("starts_at")


def confirmed_signatures(campaign: Campaign) -> QuerySet[Signature]:
    """For the officers' export only (personal data)."""
    return Signature.objects.filter(campaign=campaign, confirmed_at__isnull=False).order_by(
        "confirmed_at", "pk"
    )


def signature_counts(campaign: Campaign) -> dict[str, int]:
    agg = Signature.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        confirmed=Count("pk", filter=~_q_unconfirmed()),
        public=Count("pk", filter=~_q_unconfirmed() & _q_public()),
    )
    counts = {k: int(v or 0) for k, v in agg.items()}
    counts["pending"] = counts["total"] - counts["confirmed"]
    return counts


def _q_unconfirmed() -> Any:
    from django.db.models import Q

    return Q(confirmed_at__isnull=True)


def _q_public() -> Any:
    from django.db.models import Q

    return Q(show_publicly=True)


def volunteers(campaign: Campaign) -> QuerySet[Volunteer]:
    return Volunteer.objects.filter(campaign=campaign).select_related("member__branch")


def events_with_rsvps(campaign: Campaign) -> QuerySet[CampaignEvent]:
    return CampaignEvent.objects.filter(campaign=campaign).prefetch_related("rsvps")


@dataclass(frozen=True)
class EventChoice:
    """A party-change event to tie a campaign to (from accountability or the MP record)."""

    kind: str
    date: dt.date
    note: str
    source: str

    @property
    def label(self) -> str:
        return f"{PartyEvent(self.kind).label} on {self.date:%-d %B %Y}" + (
            f" ({self.note})" if self.note else ""
        )


def mp_events(mp: MP) -> list[EventChoice]:
    """What the MP did, from the accountability records (``queries.party_changes``), else
    from the MP record's ``left_party_on``."""
    choices: list[EventChoice] = []
    for change in accountability_queries.party_changes(mp):
        if change.kind in PartyEvent.values and change.kind:
            note = change.note or (
                f"{change.from_party} → {change.to_party}" if change.to_party else ""
            )
            choices.append(EventChoice(change.kind, change.date, note, "accountability"))
    if not choices and mp.left_party_on:
        choices.append(
            EventChoice(PartyEvent.LEFT_PARTY, mp.left_party_on, mp.left_party_note, "mp record")
        )
    return choices


def campaign_event(choices: list[EventChoice]) -> EventChoice | None:
    """The event a campaign answers: the latest departure (left the party, lost the
    whip); else the latest change of any kind (e.g. joined another party)."""
    departures = [c for c in choices if c.kind in (PartyEvent.LEFT_PARTY, PartyEvent.LOST_WHIP)]
    pool = departures or choices
    return max(pool, key=lambda c: c.date) if pool else None


def pledge_register(constituency_id: int | None = None) -> QuerySet[Pledge]:
    """The public register: verified pledges only."""
    qs = (
        Pledge.objects.filter(verified=True)
        .select_related("constituency", "mp")
        .order_by("constituency__name", "-pledged_on", "name")
    )
    if constituency_id is not None:
        qs = qs.filter(constituency_id=constituency_id)
    return qs


def pending_pledges(constituencies: QuerySet[Any]) -> QuerySet[Pledge]:
    """Pledges submitted by their signers, awaiting verification, in ``constituencies``
    (those the viewer records for: ``permissions.recordable_constituencies``)."""
    return (
        Pledge.objects.filter(verified=False, constituency__in=constituencies)
        .select_related("constituency", "submitted_by")
        .order_by("created_at", "pk")
    )


def my_pending_pledges(user_id: int) -> QuerySet[Pledge]:
    return Pledge.objects.filter(verified=False, submitted_by_id=user_id).select_related(
        "constituency"
    )


def recall_petitions() -> QuerySet[RecallPetition]:
    return RecallPetition.objects.select_related("constituency", "mp").prefetch_related(
        Prefetch("counts", queryset=RecallCount.objects.order_by("published_on", "pk"))
    )


@dataclass(frozen=True)
class RecallStatus:
    petition: RecallPetition
    latest: RecallCount | None
    electorate: int | None
    assessment: recall.Assessment | None
    state: str  # "not open yet" | "open" | "closed: awaiting the result" | "succeeded" | "failed"


def recall_status(petition: RecallPetition, today: dt.date | None = None) -> RecallStatus:
    """The latest count against 10% of the register on the closing day (s.14)."""
    today = today or timezone.localdate()
    counts = list(petition.counts.all())
    latest = counts[-1] if counts else None
    electorate = (
        petition.electorate_at_close
        or (latest.electorate if latest else None)
        or (petition.constituency.electorate)
    )
    final = bool(latest and latest.is_final)
    assessment = (
        recall.assess(signatures=latest.signatures, electorate=electorate, final=final)
        if latest is not None and electorate
        else None
    )
    if final and assessment is not None:
        state = "succeeded" if assessment.met else "failed"
    elif today < petition.opens_on:
        state = "not open yet"
    elif today <= petition.closes_on:
        state = "open"
    else:
        state = "closed: awaiting the result"
    return RecallStatus(petition, latest, electorate, assessment, state)


def pledge_constituencies() -> QuerySet[Constituency]:
    """Constituencies with at least one pledge (the register's filter)."""
    return Constituency.objects.filter(pledges__isnull=False).distinct()


def sitting_mp(constituency: Constituency) -> MP | None:
    """The constituency's MP in office, if any (pledges and recall petitions name them)."""
    return constituency.mps.filter(in_office=True).first()


def event_rsvps(event: CampaignEvent) -> QuerySet[Rsvp]:
    """An event's replies, for the campaign's officers."""
    return event.rsvps.all()
