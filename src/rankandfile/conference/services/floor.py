"""The floor: sessions and items, card votes (clause 3.IV.1) and decisions."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext

from rankandfile.conference.models import (
    AffiliateDelegation,
    AgendaItem,
    Amendment,
    Card,
    Composite,
    Conference,
    ConferenceDocument,
    Delegate,
    FloorSession,
    Submission,
)
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import delegates as delegates_queries
from rankandfile.conference.queries import floor as floor_queries
from rankandfile.conference.queries import submissions as submissions_queries
from rankandfile.conference.rules import RuleParameters
from rankandfile.conference.services import amendments, programme
from rankandfile.conference.services.common import clock, require_manager
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User


@transaction.atomic
def session_create(
    *, actor: User, conference: Conference, title: str, starts_at: dt.datetime
) -> FloorSession:
    require_manager(actor)
    s = FloorSession.objects.create(conference=conference, title=title.strip(), starts_at=starts_at)
    audit.record(actor=actor, action="conference.session_create", target=s)
    return s


def _check_submission_for_floor(submission: Submission, session: FloorSession) -> None:
    """In order, debated at this conference, and for a rule change its clause text and
    parameter changes agreeing (issue 16.1)."""
    if submission.status != Submission.Status.IN_ORDER:
        raise DomainError(
            gettext("%(reference)s is %(status)s; only a submission in order goes on the floor")
            % {"reference": submission.reference, "status": submission.get_status_display().lower()}
        )
    if submission.debate_year != session.conference.year:
        raise DomainError(
            gettext("%(reference)s is timetabled for the %(year)s conference")
            % {"reference": submission.reference, "year": submission.debate_year}
        )
    if submission.kind == Submission.Kind.RULE_CHANGE:
        disagree = submissions_queries.rule_change_disagreements(submission)
        if disagree:
            raise DomainError(
                gettext(
                    "%(reference)s: its clause text and its parameter changes disagree — "
                    "%(problems)s. Attach the parameter changes the new text states first."
                )
                % {"reference": submission.reference, "problems": "; ".join(disagree)}
            )


@transaction.atomic
def item_create(
    *,
    actor: User,
    session: FloorSession,
    title: str = "",
    submission: Submission | None = None,
    composite: Composite | None = None,
    amendment: Amendment | None = None,
    document: ConferenceDocument | None = None,
    method: str = AgendaItem.Method.CARD,
) -> AgendaItem:
    """Put business on the floor: a motion or rule change in order, an agreed composite or
    a designated document. An amendment goes immediately before the item it amends (which
    must already be on the floor and not yet voted on)."""
    require_manager(actor)
    if sum(x is not None for x in (submission, composite, document)) > 1:
        raise DomainError(gettext("an item is one motion, composite or document, not several"))
    if amendment is not None:
        return _amendment_item_create(actor, session, amendment, method)
    if submission is not None:
        _check_submission_for_floor(submission, session)
    if composite is not None and composite.status != Composite.Status.AGREED:
        raise DomainError(gettext("the composite must be agreed by every mover first"))
    if document is not None and document.conference_id != session.conference_id:
        raise DomainError(
            gettext("%(label)s is before another conference") % {"label": document.label}
        )
    title = (
        title.strip()
        or (composite and f"Composite {composite.number}: {composite.title}")
        or (submission and f"{submission.reference} {submission.title}")
        or (document and document.label)
        or ""
    )
    if not title:
        raise DomainError(gettext("an agenda item needs a title"))
    pos = (AgendaItem.objects.filter(session=session).aggregate(m=Max("position"))["m"] or 0) + 1
    item = AgendaItem.objects.create(
        session=session,
        position=pos,
        title=title[:200],
        submission=submission,
        composite=composite,
        document=document,
        method=method,
    )
    audit.record(actor=actor, action="conference.item_create", target=item)
    return item


def _amendment_item_create(
    actor: User, session: FloorSession, amendment: Amendment, method: str
) -> AgendaItem:
    if amendment.status != Amendment.Status.IN_ORDER:
        raise DomainError(
            gettext(
                "amendment %(reference)s is %(status)s; only an amendment in order goes on "
                "the floor"
            )
            % {"reference": amendment.reference, "status": amendment.get_status_display().lower()}
        )
    if amendment.conference_id != session.conference_id:
        raise DomainError(
            gettext("amendment %(reference)s is to another conference")
            % {"reference": amendment.reference}
        )
    if amendment.items.exists():
        raise DomainError(
            gettext("amendment %(reference)s is already on the floor")
            % {"reference": amendment.reference}
        )
    target = amendments.target_agenda_item(amendment)
    if target is None:
        raise DomainError(
            gettext(
                "put %(target)s on the floor first; its amendments are voted immediately before it"
            )
            % {"target": amendment.target_label}
        )
    if target.state != AgendaItem.State.PENDING:
        raise DomainError(
            gettext("%(title)s has already been put to the vote") % {"title": target.title}
        )
    AgendaItem.objects.filter(session=target.session, position__gte=target.position).update(
        position=F("position") + 1
    )
    item = AgendaItem.objects.create(
        session=target.session,
        position=target.position,
        title=f"Amendment {amendment.reference} ({amendment.organisation_name}) to "
        f"{amendment.target_label}"[:200],
        amendment=amendment,
        method=method,
    )
    audit.record(actor=actor, action="conference.item_create", target=item)
    return item


@transaction.atomic
def card_vote_open(*, actor: User, item: AgendaItem, now: dt.datetime | None = None) -> int:
    """Open a card vote: issue a card to every checked-in CLP delegate and every checked-in
    affiliate delegation (clause 3.IV.1). A CLP's membership at the census date is shared
    equally among its delegates present; the cards are frozen now, so a late arrival does
    not change the weights mid-vote. Returns the number of cards."""
    require_manager(actor)
    item = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("session__conference__dates")
        .get(pk=item.pk)
    )
    if item.method != AgendaItem.Method.CARD:
        raise DomainError(gettext("this item is decided by a show of hands"))
    if item.state != AgendaItem.State.PENDING:
        raise DomainError(
            gettext("the vote is %(state)s") % {"state": item.get_state_display().lower()}
        )
    amendments.require_amendments_decided(item)
    conference = item.session.conference
    if AgendaItem.objects.filter(
        session__conference=conference, state=AgendaItem.State.OPEN
    ).exists():
        raise DomainError(gettext("another vote is open; close it first"))
    p = common_queries.conference_parameters(conference)
    present = list(
        Delegate.objects.filter(conference=conference, checked_in_at__isnull=False).select_related(
            "member__user", "clp"
        )
    )
    by_clp: dict[int, list[Delegate]] = {}
    for d in present:
        by_clp.setdefault(d.clp_id, []).append(d)
    weights = delegates_queries.clp_membership(conference.dates.census_date, p, list(by_clp))
    cards = []
    for clp_id, ds in by_clp.items():
        weight = weights.get(clp_id, (0, 0, 0))[0]
        for d in ds:
            # A delegate without a login still has a card: the CAC records it on paper.
            user_id = d.member.user_id
            cards.append(
                Card(
                    item=item,
                    section="clp",
                    unit_id=clp_id,
                    unit_name=d.clp.name,
                    unit_weight=weight,
                    unit_present=len(ds),
                    user_id=user_id,
                    delegate=d,
                )
            )
    for dl in AffiliateDelegation.objects.filter(
        conference=conference, checked_in_at__isnull=False
    ).select_related("affiliate"):
        cards.append(
            Card(
                item=item,
                section="affiliate",
                unit_id=dl.affiliate_id,
                unit_name=dl.affiliate.name,
                unit_weight=dl.affiliated_members,
                unit_present=1,
                user_id=dl.leader_id,
                delegation=dl,
            )
        )
    if not cards:
        raise DomainError(gettext("no delegates are checked in: nobody could vote"))
    Card.objects.bulk_create(cards, batch_size=1000)
    item.state = AgendaItem.State.OPEN
    item.opened_at = clock(now)
    item.save(update_fields=["state", "opened_at"])
    audit.record(
        actor=actor, action="conference.card_vote_open", target=item, data={"cards": len(cards)}
    )
    return len(cards)


def card_cast(*, actor: User, card_id: int, choice: str, now: dt.datetime | None = None) -> None:
    """Cast (or change, while the vote is open) the actor's card: one UPDATE.

    Refused for someone else's card (the same error as a card that does not exist), an
    unknown choice, or a vote that is not open."""
    if choice not in (Card.Choice.FOR, Card.Choice.AGAINST, Card.Choice.ABSTAIN):
        raise DomainError(gettext("vote for, against or abstain"))
    n = Card.objects.filter(pk=card_id, user=actor, item__state=AgendaItem.State.OPEN).update(
        choice=choice, cast_at=clock(now)
    )
    if n == 0:
        if Card.objects.filter(pk=card_id, user=actor).exists():
            raise DomainError(gettext("this vote is not open"))
        raise PermissionDenied(gettext("no such card of yours"))


def _programme_threshold_met(for_share: Fraction | None, p: RuleParameters) -> bool:
    return for_share is not None and for_share >= p.programme_threshold


@transaction.atomic
def item_close(
    *,
    actor: User,
    item: AgendaItem,
    outcome: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> AgendaItem:
    """Decide an item.

    * A card vote: the tally is computed (exact) and stored; carried on a simple majority.
      A motion or composite carried with at least the programme threshold (clause 3.I.2)
      enters the party programme.
    * A show of hands: the chair's declared ``outcome`` (carried or lost) is recorded.
    * Either way, ``outcome`` may instead record a reference back, a remission to the NEC
      or a withdrawal (nothing enters the programme).
    """
    require_manager(actor)
    item = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("session__conference__dates", "submission", "composite", "document")
        .get(pk=item.pk)
    )
    if item.state == AgendaItem.State.CLOSED:
        raise DomainError(gettext("this item has already been decided"))
    conference = item.session.conference
    p = common_queries.conference_parameters(conference)
    at = clock(now)
    procedural = {
        AgendaItem.Outcome.REFERRED_BACK,
        AgendaItem.Outcome.REMITTED,
        AgendaItem.Outcome.WITHDRAWN,
    }
    if outcome not in procedural:
        amendments.require_amendments_decided(item)
    if outcome in procedural:
        item.outcome = outcome
    elif item.method == AgendaItem.Method.CARD:
        if item.state != AgendaItem.State.OPEN:
            raise DomainError(gettext("open the card vote first"))
        tally = floor_queries.card_tally(item, p)
        if tally.result is None:
            raise DomainError(gettext("no cards have been cast yet"))
        item.result = tally.result.to_dict()
        fs = tally.result.for_share
        item.for_share = f"{fs.numerator}/{fs.denominator}" if fs is not None else ""
        item.outcome = (
            AgendaItem.Outcome.CARRIED if tally.result.carried else AgendaItem.Outcome.LOST
        )
    else:
        if outcome not in (AgendaItem.Outcome.CARRIED, AgendaItem.Outcome.LOST):
            raise DomainError(gettext("record whether the show of hands carried or lost the item"))
        item.outcome = outcome
    item.state = AgendaItem.State.CLOSED
    item.closed_at = at
    item.note = note.strip()
    item.save(update_fields=["state", "closed_at", "outcome", "result", "for_share", "note"])
    audit.record(
        actor=actor,
        action="conference.item_close",
        target=item,
        data={"outcome": item.outcome, "for_share": item.for_share},
    )
    if item.amendment_id is not None and item.outcome == AgendaItem.Outcome.CARRIED:
        amendments.apply_carried_amendment(actor, item)
    is_rule_change = (
        item.submission is not None and item.submission.kind == Submission.Kind.RULE_CHANGE
    )
    if (
        item.outcome == AgendaItem.Outcome.CARRIED
        and item.method == AgendaItem.Method.CARD
        and not is_rule_change
        and (item.submission is not None or item.composite is not None or item.document_id)
        and _programme_threshold_met(Fraction(item.for_share), p)
    ):
        programme.programme_add(actor=actor, item=item, now=at)
    return item
