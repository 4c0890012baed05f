"""The live hall (issue 16.2, 16.4): the current item, the speakers' list, the chair's
vote controls and the cards the CAC records on paper or by proxy.

Writes only, as everywhere: keyword-only, an explicit ``actor``, one transaction, an audit
entry each. Opening and closing votes are the floor's own services
(``floor.card_vote_open``, ``floor.item_close``); the chair's console adds the
confirmation asked for when cards are still out. Rule clauses: docs/rules/conference.md
("The hall").
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.conference import permissions
from rankandfile.conference.models import (
    AgendaItem,
    Card,
    CardRecord,
    Conference,
    Delegate,
    HallState,
    SpeakerRequest,
)
from rankandfile.conference.queries import hall as hall_queries
from rankandfile.conference.services import floor
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User

#: Bounds of the speaking time the chair may set (seconds).
SPEAKING_SECONDS_MIN = 30
SPEAKING_SECONDS_MAX = 1200


class OutstandingCards(DomainError):
    """Closing a card vote while cards are still out needs the chair's confirmation."""

    def __init__(self, outstanding: int, cards: int) -> None:
        self.outstanding = outstanding
        self.cards = cards
        super().__init__(
            gettext(
                "%(outstanding)s of %(cards)s cards have not been cast; confirm to close the "
                "vote anyway"
            )
            % {"outstanding": f"{outstanding:,}", "cards": f"{cards:,}"}
        )


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _require_manager(actor: User) -> None:
    if not permissions.can_manage_conference(actor):
        raise PermissionDenied(gettext("only the conference arrangements committee may do this"))


def _hall(conference: Conference) -> HallState:
    """The hall row of ``conference``, locked for this transaction (created on first use)."""
    HallState.objects.get_or_create(conference=conference)
    return HallState.objects.select_for_update().get(conference=conference)


def _item_of(conference: Conference, item: AgendaItem) -> AgendaItem:
    it = (
        AgendaItem.objects.filter(pk=item.pk, session__conference=conference)
        .select_related("session")
        .first()
    )
    if it is None:
        raise DomainError(gettext("that item is not on this conference's agenda"))
    return it


# --- The current item ------------------------------------------------------------------------
@transaction.atomic
def hall_set_current(*, actor: User, conference: Conference, item: AgendaItem | None) -> HallState:
    """Put ``item`` before conference (None: nothing, e.g. between sessions)."""
    _require_manager(actor)
    hall = _hall(conference)
    hall.current_item = _item_of(conference, item) if item is not None else None
    hall.save(update_fields=["current_item", "updated_at"])
    audit.record(
        actor=actor,
        action="conference.hall_current",
        target=conference,
        data={"item": hall.current_item_id},
    )
    return hall


@transaction.atomic
def hall_next(*, actor: User, conference: Conference) -> HallState:
    """Move to the next item not yet decided, in agenda order after the current one
    (from the top when nothing is current)."""
    _require_manager(actor)
    hall = _hall(conference)
    order = list(
        AgendaItem.objects.filter(session__conference=conference).order_by(
            "session__starts_at", "position", "pk"
        )
    )
    ids = [i.pk for i in order]
    start = ids.index(hall.current_item_id) + 1 if hall.current_item_id in ids else 0
    nxt = next((i for i in order[start:] if i.state != AgendaItem.State.CLOSED), None)
    if nxt is None:
        raise DomainError(gettext("no business left on the agenda after this item"))
    hall.current_item = nxt
    hall.save(update_fields=["current_item", "updated_at"])
    audit.record(
        actor=actor, action="conference.hall_current", target=conference, data={"item": nxt.pk}
    )
    return hall


@transaction.atomic
def hall_speaking_time(*, actor: User, conference: Conference, seconds: int) -> HallState:
    _require_manager(actor)
    if not SPEAKING_SECONDS_MIN <= seconds <= SPEAKING_SECONDS_MAX:
        raise DomainError(
            gettext("speaking time must be between %(seconds)s seconds and %(minutes)s minutes")
            % {"seconds": SPEAKING_SECONDS_MIN, "minutes": SPEAKING_SECONDS_MAX // 60}
        )
    hall = _hall(conference)
    hall.speaking_seconds = seconds
    hall.save(update_fields=["speaking_seconds", "updated_at"])
    audit.record(
        actor=actor,
        action="conference.hall_speaking_time",
        target=conference,
        data={"seconds": seconds},
    )
    return hall


# --- Votes from the console ------------------------------------------------------------------
@transaction.atomic
def hall_vote_open(*, actor: User, item: AgendaItem, now: dt.datetime | None = None) -> int:
    """Open the item's card vote (``floor.card_vote_open``) and make it the current
    item, so every phone and the hall screen show it. Returns the number of cards."""
    n = floor.card_vote_open(actor=actor, item=item, now=now)
    hall = _hall(item.session.conference)
    if hall.current_item_id != item.pk:
        hall.current_item = item
        hall.save(update_fields=["current_item", "updated_at"])
    return n


@transaction.atomic
def hall_vote_close(
    *,
    actor: User,
    item: AgendaItem,
    confirm_outstanding: bool = False,
    outcome: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> AgendaItem:
    """Close and decide the item (``floor.item_close``). A card vote with cards still
    out is closed only when the chair confirms (:class:`OutstandingCards` otherwise):
    closing shuts out every delegate who has not yet voted."""
    _require_manager(actor)
    locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
    if (
        locked.method == AgendaItem.Method.CARD
        and locked.state == AgendaItem.State.OPEN
        and not confirm_outstanding
    ):
        t = hall_queries.turnout(locked)
        if t.cast < t.cards:
            raise OutstandingCards(t.cards - t.cast, t.cards)
    return floor.item_close(actor=actor, item=locked, outcome=outcome, note=note, now=now)


# --- Speakers' list --------------------------------------------------------------------------
def _delegate_of(actor: User, conference: Conference) -> Delegate:
    d = hall_queries.delegate_of(actor, conference)
    if d is None:
        raise PermissionDenied(gettext("only a delegate to this conference may ask to speak"))
    if d.checked_in_at is None:
        raise DomainError(gettext("check in at the credentials desk first; then ask to speak"))
    return d


@transaction.atomic
def speaker_request(
    *, actor: User, item: AgendaItem, side: str, now: dt.datetime | None = None
) -> SpeakerRequest:
    """A delegate asks to speak on an item (for or against), from their phone."""
    if side not in SpeakerRequest.Side.values:
        raise DomainError(gettext("say whether you wish to speak for or against"))
    item = (
        AgendaItem.objects.select_for_update().select_related("session__conference").get(pk=item.pk)
    )
    d = _delegate_of(actor, item.session.conference)
    if item.state == AgendaItem.State.CLOSED:
        raise DomainError(gettext("this item has been decided; the debate is over"))
    live = SpeakerRequest.objects.filter(
        item=item,
        delegate=d,
        status__in=[SpeakerRequest.Status.WAITING, SpeakerRequest.Status.SPEAKING],
    )
    if live.exists():
        raise DomainError(gettext("you have already asked to speak on this item"))
    pos = (SpeakerRequest.objects.filter(item=item).aggregate(m=Max("position"))["m"] or 0) + 1
    req = SpeakerRequest.objects.create(
        item=item, delegate=d, side=side, position=pos, asked_at=_now(now)
    )
    audit.record(actor=actor, action="conference.speaker_request", target=req)
    return req


@transaction.atomic
def speaker_withdraw(*, actor: User, request: SpeakerRequest) -> SpeakerRequest:
    """The delegate (their own request only) or the chair takes a request off the list."""
    req = (
        SpeakerRequest.objects.select_for_update()
        .select_related("delegate__member")
        .get(pk=request.pk)
    )
    own = req.delegate.member.user_id is not None and req.delegate.member.user_id == actor.pk
    if not own and not permissions.can_manage_conference(actor):
        raise PermissionDenied(gettext("no such request of yours"))
    if req.status != SpeakerRequest.Status.WAITING:
        raise DomainError(
            gettext("this request is %(status)s") % {"status": req.get_status_display().lower()}
        )
    req.status = SpeakerRequest.Status.WITHDRAWN
    req.save(update_fields=["status"])
    audit.record(actor=actor, action="conference.speaker_withdraw", target=req)
    return req


@transaction.atomic
def speaker_move(*, actor: User, request: SpeakerRequest, direction: str) -> SpeakerRequest:
    """The chair orders the list: ``up``, ``down`` (swap with the neighbour waiting) or
    ``top`` (call next)."""
    _require_manager(actor)
    req = SpeakerRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != SpeakerRequest.Status.WAITING:
        raise DomainError(gettext("only a speaker still waiting can be moved"))
    waiting = list(
        SpeakerRequest.objects.select_for_update()
        .filter(item_id=req.item_id, status=SpeakerRequest.Status.WAITING)
        .order_by("position", "pk")
    )
    i = next(k for k, r in enumerate(waiting) if r.pk == req.pk)
    if direction == "up":
        j = i - 1
    elif direction == "down":
        j = i + 1
    elif direction == "top":
        j = 0
    else:
        raise DomainError(gettext("move a speaker up, down or to the top"))
    if not 0 <= j < len(waiting) or j == i:
        return req
    moved = waiting.pop(i)
    waiting.insert(j, moved)
    positions = sorted(r.position for r in waiting)
    for r, p in zip(waiting, positions, strict=True):
        if r.position != p:
            r.position = p
            r.save(update_fields=["position"])
    audit.record(
        actor=actor,
        action="conference.speaker_move",
        target=moved,
        data={"direction": direction},
    )
    return moved


@transaction.atomic
def speaker_call(
    *, actor: User, request: SpeakerRequest, now: dt.datetime | None = None
) -> SpeakerRequest:
    """The chair calls a speaker: whoever is speaking on the item has finished; the
    speaking timer starts now."""
    _require_manager(actor)
    at = _now(now)
    req = SpeakerRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != SpeakerRequest.Status.WAITING:
        raise DomainError(
            gettext("this request is %(status)s") % {"status": req.get_status_display().lower()}
        )
    SpeakerRequest.objects.filter(
        item_id=req.item_id, status=SpeakerRequest.Status.SPEAKING
    ).update(status=SpeakerRequest.Status.DONE, finished_at=at)
    req.status = SpeakerRequest.Status.SPEAKING
    req.called_at = at
    req.save(update_fields=["status", "called_at"])
    audit.record(actor=actor, action="conference.speaker_call", target=req)
    return req


@transaction.atomic
def speaker_finish(
    *, actor: User, request: SpeakerRequest, now: dt.datetime | None = None
) -> SpeakerRequest:
    _require_manager(actor)
    req = SpeakerRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != SpeakerRequest.Status.SPEAKING:
        raise DomainError(gettext("this speaker is not speaking"))
    req.status = SpeakerRequest.Status.DONE
    req.finished_at = _now(now)
    req.save(update_fields=["status", "finished_at"])
    audit.record(actor=actor, action="conference.speaker_finish", target=req)
    return req


# --- Paper and proxy cards (16.4) ------------------------------------------------------------
@transaction.atomic
def card_record(
    *,
    actor: User,
    card: Card,
    choice: str,
    kind: str,
    proxy_holder: str = "",
    now: dt.datetime | None = None,
) -> CardRecord:
    """The CAC records a delegation's card: a paper card handed in by a delegate without a
    phone, or a vote cast by proxy (the holder's name is required). Refused for a card
    already cast from a phone (the delegate's own vote stands), an unknown choice, or a
    vote that is not open. The record and the audit entry say who recorded it."""
    _require_manager(actor)
    if choice not in (Card.Choice.FOR, Card.Choice.AGAINST, Card.Choice.ABSTAIN):
        raise DomainError(gettext("record for, against or abstain"))
    if kind not in CardRecord.Kind.values:
        raise DomainError(gettext("record a paper card or a proxy vote"))
    holder = proxy_holder.strip()
    if kind == CardRecord.Kind.PROXY and not holder:
        raise DomainError(gettext("name the proxy holder who cast this vote"))
    c = Card.objects.select_for_update().select_related("item").get(pk=card.pk)
    if c.item.state != AgendaItem.State.OPEN:
        raise DomainError(gettext("this vote is not open"))
    existing = CardRecord.objects.filter(card=c).first()
    if c.choice and existing is None:
        raise DomainError(
            gettext("%(unit)s's card was already cast from a phone; the delegate's own vote stands")
            % {"unit": c.unit_name}
        )
    at = _now(now)
    c.choice = choice
    c.cast_at = at
    c.save(update_fields=["choice", "cast_at"])
    rec, _ = CardRecord.objects.update_or_create(
        card=c,
        defaults={
            "kind": kind,
            "proxy_holder": holder if kind == CardRecord.Kind.PROXY else "",
            "recorded_by": actor,
            "recorded_at": at,
        },
    )
    audit.record(
        actor=actor,
        action="conference.card_record",
        target=c.item,
        data={
            "card": c.pk,
            "unit": c.unit_name,
            "kind": kind,
            "choice": choice,
            "proxy_holder": rec.proxy_holder,
        },
    )
    return rec
