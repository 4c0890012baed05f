"""Reads for the live hall (issue 16.2, 16.3): the current item, the speakers' list, the
gender balance of speakers, the turnout of an open card vote, and the hall's snapshot.

The snapshot (:func:`hall_snapshot`) is what every phone, the hall screen and the results
board poll. It is the same for everyone (no personal data, no running totals of an open
vote) and cheap (a handful of small queries), so it is served from a short shared cache
(``hall_fast``, decision 0020): its cost does not grow with the number of delegates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from rankandfile.conference.models import (
    AgendaItem,
    Card,
    CardRecord,
    Conference,
    Delegate,
    HallState,
    SpeakerRequest,
)
from rankandfile.membership.models import Gender

SECTION_LABELS = {"clp": "Constituency parties", "affiliate": "Affiliates"}


def hall_of(conference: Conference) -> HallState | None:
    return (
        HallState.objects.filter(conference=conference)
        .select_related("current_item__session", "current_item__submission")
        .select_related("current_item__composite", "current_item__amendment")
        .first()
    )


def speaking_seconds(hall: HallState | None) -> int:
    return hall.speaking_seconds if hall is not None else 180


def delegate_of(user: Any, conference: Conference) -> Delegate | None:
    """The user's own delegate record at ``conference`` (None for anyone else)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Delegate.objects.filter(conference=conference, member__user=user)
        .select_related("member", "clp")
        .first()
    )


# --- Turnout (never the running totals) ------------------------------------------------------
@dataclass(frozen=True)
class Turnout:
    cast: int
    cards: int
    by_section: dict[str, tuple[int, int]]  # section -> (cast, cards)

    @property
    def outstanding(self) -> int:
        return self.cards - self.cast


def turnout(item: AgendaItem) -> Turnout:
    """How many cards are out and how many are cast, per section: one aggregate query.
    While a vote is open this is all anyone but the count itself sees."""
    rows = (
        Card.objects.filter(item=item)
        .values("section")
        .annotate(n=Count("id"), cast=Count("id", filter=~Q(choice="")))
        .order_by()
    )
    by = {r["section"]: (r["cast"], r["n"]) for r in rows}
    return Turnout(
        cast=sum(c for c, _ in by.values()),
        cards=sum(n for _, n in by.values()),
        by_section={s: by.get(s, (0, 0)) for s in SECTION_LABELS},
    )


# --- Speakers --------------------------------------------------------------------------------
def speakers(item: AgendaItem | None) -> list[SpeakerRequest]:
    """The item's speakers' list: speaking, then waiting in the chair's order, then those
    who have spoken (withdrawn requests are left out)."""
    if item is None:
        return []
    rows = list(
        SpeakerRequest.objects.filter(item=item)
        .exclude(status=SpeakerRequest.Status.WITHDRAWN)
        .select_related("delegate__member", "delegate__clp")
        .order_by("position", "pk")
    )
    rank: dict[str, int] = {
        SpeakerRequest.Status.SPEAKING: 0,
        SpeakerRequest.Status.WAITING: 1,
        SpeakerRequest.Status.DONE: 2,
    }
    return sorted(rows, key=lambda r: (rank.get(r.status, 3), r.position, r.pk))


@dataclass(frozen=True)
class Balance:
    """Speakers called, by gender: on this item and at the whole conference."""

    women: int
    men: int
    other: int
    conf_women: int
    conf_men: int
    conf_other: int

    @property
    def women_percent(self) -> int | None:
        n = self.conf_women + self.conf_men + self.conf_other
        return None if n == 0 else round(100 * self.conf_women / n)


def speaker_balance(conference: Conference, item: AgendaItem | None) -> Balance:
    """Counts only (nobody's gender is shown): one aggregate query."""
    rows = (
        SpeakerRequest.objects.filter(
            item__session__conference=conference,
            status__in=[SpeakerRequest.Status.SPEAKING, SpeakerRequest.Status.DONE],
        )
        .values("item_id", "delegate__member__gender")
        .annotate(n=Count("id"))
        .order_by()
    )
    here: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for r in rows:
        g = r["delegate__member__gender"]
        key = "women" if g == Gender.WOMAN else "men" if g == Gender.MAN else "other"
        total[key] += r["n"]
        if item is not None and r["item_id"] == item.pk:
            here[key] += r["n"]
    return Balance(
        here["women"], here["men"], here["other"], total["women"], total["men"], total["other"]
    )


def my_requests(delegate: Delegate | None, item: AgendaItem | None) -> list[SpeakerRequest]:
    if delegate is None or item is None:
        return []
    return list(
        SpeakerRequest.objects.filter(item=item, delegate=delegate)
        .exclude(status=SpeakerRequest.Status.WITHDRAWN)
        .order_by("-pk")
    )


def waiting_ahead(req: SpeakerRequest) -> int:
    return SpeakerRequest.objects.filter(
        item_id=req.item_id, status=SpeakerRequest.Status.WAITING, position__lt=req.position
    ).count()


def remaining_seconds(req: SpeakerRequest, seconds: int, now: dt.datetime | None = None) -> int:
    """Seconds left of the speaker's time (negative: over time)."""
    if req.called_at is None:
        return seconds
    spent = ((now or timezone.now()) - req.called_at).total_seconds()
    return int(seconds - spent)


# --- Paper and proxy cards -------------------------------------------------------------------
def recorded_cards(item: AgendaItem) -> list[CardRecord]:
    """The cards the CAC recorded on paper or by proxy (shown as such on the board)."""
    return list(
        CardRecord.objects.filter(card__item=item)
        .select_related("card")
        .order_by("card__section", "card__unit_name", "pk")
    )


def cards_for_recording(item: AgendaItem, search: str = "") -> list[Card]:
    """The CAC's list on the paper-votes page: cards of delegates without a login first,
    then every card of the delegations matching ``search`` (at most 100)."""
    qs = Card.objects.filter(item=item).select_related("delegate__member", "record")
    if search.strip():
        qs = qs.filter(
            Q(unit_name__icontains=search.strip())
            | Q(delegate__member__last_name__icontains=search.strip())
        )
    else:
        qs = qs.filter(Q(user__isnull=True) | Q(record__isnull=False))
    return list(qs.order_by("section", "unit_name", "pk")[:100])


# --- The snapshot every screen polls ---------------------------------------------------------
def _item_json(it: AgendaItem) -> dict[str, Any]:
    r = it.result or {}
    return {
        "id": it.pk,
        "title": it.title,
        "method": it.method,
        "state": it.state,
        "outcome": it.outcome,
        "for_percent": r.get("for_percent") if it.state == AgendaItem.State.CLOSED else None,
        "against_percent": (
            r.get("against_percent") if it.state == AgendaItem.State.CLOSED else None
        ),
    }


@dataclass(frozen=True)
class Live:
    """What every hall page shows, read once: the hall row, the current item, its
    speakers, the balance, the agenda's states and the open vote's turnout."""

    conference: Conference
    hall: HallState | None
    current: AgendaItem | None
    speakers: list[SpeakerRequest]
    balance: Balance
    agenda: list[dict[str, Any]]
    open_item: int | None
    turnout: Turnout | None  # of the open vote


def hall_live(conference: Conference) -> Live:
    hall = hall_of(conference)
    current = hall.current_item if hall is not None else None
    items: list[dict[str, Any]] = [
        dict(row)
        for row in AgendaItem.objects.filter(session__conference=conference)
        .order_by("session__starts_at", "position", "pk")
        .values("pk", "state", "outcome")
    ]
    open_pk = next((i["pk"] for i in items if i["state"] == AgendaItem.State.OPEN), None)
    return Live(
        conference=conference,
        hall=hall,
        current=current,
        speakers=speakers(current),
        balance=speaker_balance(conference, current),
        agenda=items,
        open_item=open_pk,
        turnout=turnout(AgendaItem(pk=open_pk)) if open_pk is not None else None,
    )


def hall_snapshot(conference: Conference, live: Live | None = None) -> dict[str, Any]:
    """The hall's state as JSON: the agenda's states, the current item, the speakers'
    list, the balance and — for the open card vote — the turnout (never running totals).

    ``v`` is a digest of everything but the turnout: a page fetches its fragment again
    only when ``v`` changes, and writes the turnout in place.
    """
    lv = live or hall_live(conference)
    current, bal = lv.current, lv.balance
    body: dict[str, Any] = {
        "conference": conference.year,
        "agenda": [[i["pk"], i["state"], i["outcome"]] for i in lv.agenda],
        "current": _item_json(current) if current is not None else None,
        "speaking_seconds": speaking_seconds(lv.hall),
        "speakers": [
            {
                "id": r.pk,
                "name": f"{r.delegate.member.first_name} {r.delegate.member.last_name}",
                "clp": r.delegate.clp.name,
                "side": r.side,
                "status": r.status,
                "called_at": r.called_at.isoformat() if r.called_at else None,
            }
            for r in lv.speakers
        ],
        "balance": {
            "item": [bal.women, bal.men, bal.other],
            "conference": [bal.conf_women, bal.conf_men, bal.conf_other],
        },
    }
    v = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    out = {"v": v, **body, "open": None}
    t = lv.turnout
    if lv.open_item is not None and t is not None:
        out["open"] = {
            "item": lv.open_item,
            "cast": t.cast,
            "cards": t.cards,
            "sections": {k: list(v) for k, v in t.by_section.items()},
        }
    return out
