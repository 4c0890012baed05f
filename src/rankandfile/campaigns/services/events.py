"""Campaign events, RSVPs (with emailed cancel links) and reminders."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rankandfile.campaigns.models import (
    NAME_MAX,
    STORY_MAX,
    TITLE_MAX,
    Campaign,
    CampaignEvent,
    Rsvp,
)
from rankandfile.campaigns.services.common import (
    LinkInvalid,
    check_field,
    setting,
)
from rankandfile.campaigns.services.lifecycle import require_manager
from rankandfile.campaigns.validation import (
    clean_text,
    normalise_email,
)
from rankandfile.core import audit
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User
from rankandfile.core.tokens import digest as token_digest


@transaction.atomic
def event_create(
    *,
    actor: User | None,
    campaign: Campaign,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    location: str,
    description: str = "",
    capacity: int | None = None,
) -> CampaignEvent:
    """Add a public meeting, street stall or canvassing session (§3)."""
    require_manager(actor, campaign)
    if kind not in CampaignEvent.Kind.values:
        raise DomainError(gettext("Choose the kind of event from the list."))
    if ends_at <= starts_at:
        raise DomainError(gettext("The event must end after it starts."))
    if capacity is not None and capacity < 1:
        raise DomainError(gettext("Capacity must be at least one, or blank for no limit."))
    if len(description) > STORY_MAX:
        raise DomainError(
            gettext("The description is too long: at most %(story_max)s characters.")
            % {"story_max": STORY_MAX}
        )
    event = CampaignEvent.objects.create(
        campaign=campaign,
        kind=kind,
        title=check_field(clean_text, title, label=gettext_noop("title"), max_length=TITLE_MAX),
        description=description.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        location=check_field(clean_text, location, label=gettext_noop("location"), max_length=200),
        capacity=capacity,
    )
    audit.record(actor=actor, action="campaigns.event.create", target=event)
    return event


@transaction.atomic
def event_cancel(*, actor: User | None, event: CampaignEvent) -> CampaignEvent:
    require_manager(actor, event.campaign)
    event = CampaignEvent.objects.select_for_update().get(pk=event.pk)
    if event.cancelled_at is None:
        event.cancelled_at = timezone.now()
        event.save(update_fields=["cancelled_at"])
        audit.record(actor=actor, action="campaigns.event.cancel", target=event)
    return event


class EventFull(DomainError):
    """No places left."""


@dataclass(frozen=True)
class RsvpResult:
    rsvp: Rsvp
    created: bool
    cancel_secret: str


def rsvp_create(
    *,
    event: CampaignEvent,
    name: str,
    email: str,
    user: User | None = None,
    notify: bool = True,
) -> RsvpResult:
    """Reply to an event, within its capacity (§3).

    Capacity holds under concurrency: the place is taken by one conditional UPDATE
    (``rsvp_count < capacity``) and the reply inserted in the same transaction; the
    database's check constraint is the backstop. Replying twice with one email address
    keeps the first reply.
    """
    name = check_field(clean_text, name, label=gettext_noop("name"), max_length=NAME_MAX)
    email = check_field(normalise_email, email)
    now = timezone.now()
    if event.cancelled_at is not None:
        raise DomainError(gettext("This event has been cancelled."))
    if event.starts_at <= now:
        raise DomainError(gettext("This event has already started."))
    if event.campaign.purged_at is not None or not event.campaign.is_public:
        raise DomainError(gettext("This campaign is not taking replies."))
    existing = Rsvp.objects.filter(event=event, email=email).first()
    if existing is not None:
        return RsvpResult(existing, False, "")
    secret = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            took = (
                CampaignEvent.objects.filter(pk=event.pk)
                .filter(Q(capacity__isnull=True) | Q(rsvp_count__lt=F("capacity")))
                .update(rsvp_count=F("rsvp_count") + 1)
            )
            if not took:
                raise EventFull(gettext("Sorry, this event is full."))
            rsvp = Rsvp.objects.create(
                event=event,
                name=name,
                email=email,
                user=user if user is not None and user.is_authenticated else None,
                cancel_digest=token_digest(secret),
                created_at=now,
            )
            if notify:
                transaction.on_commit(partial(_enqueue_rsvp, rsvp.pk, secret))
    except IntegrityError:
        existing = Rsvp.objects.filter(event=event, email=email).first()
        if existing is None:
            raise DomainError(gettext("Please try again.")) from None
        return RsvpResult(existing, False, "")
    return RsvpResult(rsvp, True, secret)


def _enqueue_rsvp(rsvp_id: int, secret: str) -> None:
    from rankandfile.campaigns import tasks

    tasks.send_rsvp_email.enqueue(rsvp_id, "rsvp", secret, tasks.reader_language())


@transaction.atomic
def rsvp_cancel(*, secret: str) -> CampaignEvent:
    """Cancel a reply by its emailed link; the place is freed and the reply deleted."""
    rsvp = (
        Rsvp.objects.select_related("event").filter(cancel_digest=token_digest(secret)).first()
        if secret
        else None
    )
    if rsvp is None:
        raise LinkInvalid(gettext("This link is not valid: the reply was already cancelled."))
    Rsvp.objects.filter(pk=rsvp.pk).delete()
    CampaignEvent.objects.filter(pk=rsvp.event_id, rsvp_count__gt=0).update(
        rsvp_count=F("rsvp_count") - 1
    )
    return rsvp.event


def reminders_due(
    now: dt.datetime | None = None, *, within: dt.timedelta | None = None
) -> list[int]:
    """Replies to events starting in the next day (``within``) not yet reminded."""
    now = now or timezone.now()
    within = within or dt.timedelta(hours=int(setting("CAMPAIGN_REMINDER_HOURS", 24)))
    return list(
        Rsvp.objects.filter(
            reminded_at__isnull=True,
            event__cancelled_at__isnull=True,
            event__starts_at__gt=now,
            event__starts_at__lte=now + within,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def send_reminders(now: dt.datetime | None = None) -> int:
    """Queue a reminder for each reply due one (``campaigns_send_reminders``). A reply is
    marked reminded when queued, so running the command twice sends nothing twice."""
    from rankandfile.campaigns import tasks

    queued = 0
    for rsvp_id in reminders_due(now):
        with transaction.atomic():
            marked = Rsvp.objects.filter(pk=rsvp_id, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if marked:
                transaction.on_commit(
                    partial(tasks.send_rsvp_email.enqueue, rsvp_id, "reminder", "")
                )
                queued += 1
    return queued
