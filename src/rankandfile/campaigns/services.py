"""Campaign use cases: campaigns, the double opt-in petition, events and RSVPs,
volunteers, the pledge register and the recall petition tracker.

Officers' actions take an explicit ``actor``, run in a transaction and write an audit
entry. The public's actions (signing, confirming, withdrawing, RSVPs) write no audit
entry: the log is append-only and must not keep personal data past the retention date.
Rule clauses: ``docs/rules/campaigns.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from rankandfile.campaigns import permissions, recall
from rankandfile.campaigns.models import (
    DEMAND_MAX,
    NAME_MAX,
    STATEMENT_MAX,
    STORY_MAX,
    TITLE_MAX,
    TOWN_MAX,
    Campaign,
    CampaignEvent,
    PartyEvent,
    Pledge,
    RateWindow,
    RecallCount,
    RecallPetition,
    Rsvp,
    Signature,
    Volunteer,
)
from rankandfile.campaigns.validation import (
    Invalid,
    clean_text,
    normalise_email,
    normalise_postcode,
)
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.models import CLP, MP, Constituency, Member


class LinkInvalid(DomainError):
    """An emailed link that matches nothing (withdrawn, purged, mistyped)."""


def _savepoint_if_nested() -> contextlib.AbstractContextManager[Any]:
    """A savepoint inside an enclosing transaction (so a failed statement does not break
    it); nothing in autocommit, where one statement is its own transaction. Keeps the
    public signing path to one round trip per statement."""
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def setting(name: str, default: Any) -> Any:
    """A campaigns setting: the Django setting, else the environment variable of the same
    name (so a deployment can tune rate limits without a code change), else ``default``."""
    return getattr(settings, name, os.environ.get(name, default))


def _check(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Invalid as exc:
        raise DomainError(str(exc)) from exc


# --- campaigns ------------------------------------------------------------------------------
def default_data_use(clp: CLP) -> str:
    return (
        f"{clp.name} will use your name and postcode to show the petition's support to "
        "the MP and the press when it is handed in, and your email address only to confirm "
        "your signature and to tell you what happens to the petition. Nothing is shared "
        "with anyone else, and everything is deleted after the campaign."
    )


def _unique_slug(base: str) -> str:
    root = slugify(base)[:70] or "campaign"
    slug, n = root, 2
    while Campaign.objects.filter(slug=slug).exists():
        slug, n = f"{root}-{n}", n + 1
    return slug


def _check_campaign_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "title" in out:
        out["title"] = _check(clean_text, out["title"], label="title", max_length=TITLE_MAX)
    if "demand" in out:
        out["demand"] = _check(clean_text, out["demand"], label="demand", max_length=DEMAND_MAX)
    if "story" in out:
        story = (out["story"] or "").strip()
        if len(story) > STORY_MAX:
            raise DomainError(f"The story is too long: at most {STORY_MAX} characters.")
        out["story"] = story
    if "target" in out and out["target"] is not None and out["target"] < 1:
        raise DomainError("The target must be at least one signature.")
    if out.get("event_kind") and out.get("event_date") is None:
        raise DomainError("Give the date of the event (when the MP left or lost the whip).")
    return out


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    clp: CLP,
    title: str,
    demand: str,
    story: str = "",
    mp: MP | None = None,
    event_kind: str = "",
    event_date: dt.date | None = None,
    event_note: str = "",
    event_source: str = "",
    target: int | None = None,
    data_use: str = "",
    retention_until: dt.date | None = None,
) -> Campaign:
    """Open a campaign (as a draft) in ``clp``'s constituency (§1).

    ``target`` blank means 10% of the constituency's electorate. ``retention_until``
    defaults to a year from today: signers' data is deleted after it (§2).
    """
    if actor is not None and not permissions.can_run_campaigns_in(actor, clp):
        raise PermissionDenied("only the officers of this constituency party may do that")
    if mp is not None and mp.constituency_id not in (None, clp.constituency_id):
        raise DomainError(f"{mp.name} is not the MP for {clp.constituency.name}.")
    if event_kind not in PartyEvent.values:
        raise DomainError("Choose what the MP did from the list.")
    fields = _check_campaign_fields(
        {
            "title": title,
            "demand": demand,
            "story": story,
            "target": target,
            "event_kind": event_kind,
            "event_date": event_date,
        }
    )
    today = timezone.localdate()
    retention = retention_until or today + dt.timedelta(days=365)
    if retention <= today:
        raise DomainError("The retention date must be in the future.")
    campaign = Campaign.objects.create(
        slug=_unique_slug(f"{clp.constituency.name} {today.year}"),
        clp=clp,
        constituency=clp.constituency,
        mp=mp,
        event_note=event_note.strip()[:300],
        event_source=event_source,
        data_use=(data_use.strip() or default_data_use(clp))[:2000],
        retention_until=retention,
        created_by=actor,
        **fields,
    )
    audit.record(actor=actor, action="campaigns.campaign.create", target=campaign)
    return campaign


EDITABLE = (
    "title",
    "demand",
    "story",
    "target",
    "mp",
    "event_kind",
    "event_date",
    "event_note",
    "data_use",
    "retention_until",
)


def _require_manager(actor: User | None, campaign: Campaign) -> None:
    if actor is not None and not permissions.can_manage_campaign(actor, campaign):
        raise PermissionDenied("only this campaign's officers may do that")


@transaction.atomic
def campaign_update(*, actor: User | None, campaign: Campaign, **changes: Any) -> Campaign:
    """Edit the campaign's text, target, event and retention date."""
    _require_manager(actor, campaign)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(f"cannot change {', '.join(sorted(unknown))}")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.purged_at is not None:
        raise DomainError("This campaign's data has been deleted; it can no longer change.")
    if "event_kind" in changes and changes["event_kind"] not in PartyEvent.values:
        raise DomainError("Choose what the MP did from the list.")
    merged = {"event_kind": campaign.event_kind, "event_date": campaign.event_date, **changes}
    checked = _check_campaign_fields(merged)
    if "retention_until" in changes and changes["retention_until"] < timezone.localdate():
        raise DomainError("The retention date cannot be in the past.")
    changed = {}
    for name in changes:
        value = checked[name] if name in checked else changes[name]
        if name in ("event_note",):
            value = (value or "").strip()[:300]
        if getattr(campaign, name) != value:
            changed[name] = str(value)
            setattr(campaign, name, value)
    if changed:
        campaign.save()
        audit.record(actor=actor, action="campaigns.campaign.update", target=campaign, data=changed)
    return campaign


@transaction.atomic
def campaign_launch(*, actor: User | None, campaign: Campaign) -> Campaign:
    """Publish a draft: the page becomes public and the petition opens."""
    _require_manager(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        raise DomainError("Only a draft can be launched.")
    if campaign.effective_target is None:
        raise DomainError(
            "Set a target: the constituency's electorate is not known, so there is no "
            "default of 10%."
        )
    campaign.state = Campaign.State.LIVE
    campaign.launched_at = timezone.now()
    campaign.save(update_fields=["state", "launched_at"])
    audit.record(actor=actor, action="campaigns.campaign.launch", target=campaign)
    return campaign


@transaction.atomic
def campaign_hand_in(*, actor: User | None, campaign: Campaign, handed_in_to: str) -> Campaign:
    """Stop signing and record to whom the petition was handed in."""
    _require_manager(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.LIVE:
        raise DomainError("Only a petition that is gathering signatures can be handed in.")
    to = _check(clean_text, handed_in_to, label="recipient", max_length=200)
    campaign.state = Campaign.State.HANDED_IN
    campaign.handed_in_at = timezone.now()
    campaign.handed_in_to = to
    campaign.save(update_fields=["state", "handed_in_at", "handed_in_to"])
    audit.record(
        actor=actor,
        action="campaigns.campaign.hand_in",
        target=campaign,
        data={"to": to, "confirmed": campaign.confirmed_count},
    )
    return campaign


@transaction.atomic
def campaign_close(*, actor: User | None, campaign: Campaign) -> Campaign:
    """End the campaign. Data stays until the retention date (or an explicit purge)."""
    _require_manager(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state == Campaign.State.CLOSED:
        raise DomainError("The campaign is already closed.")
    campaign.state = Campaign.State.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save(update_fields=["state", "closed_at"])
    audit.record(actor=actor, action="campaigns.campaign.close", target=campaign)
    return campaign


# --- the petition --------------------------------------------------------------------------
SignKind = Literal["new", "resent", "already_signed", "throttled"]


@dataclass(frozen=True)
class SignResult:
    kind: SignKind
    signature_id: int | None


@dataclass(frozen=True)
class SignatureInput:
    """What the public signing form carries, checked by :func:`check_signature_input`."""

    first_name: str
    last_name: str
    email: str
    postcode: str
    town: str
    lives_in_constituency: bool
    consent: bool
    show_publicly: bool


def check_signature_input(raw: SignatureInput) -> tuple[SignatureInput, dict[str, str]]:
    """Normalise every field; return the cleaned input and a message per bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    checks: dict[str, Callable[[str], str]] = {
        "first_name": partial(clean_text, label="first name", max_length=NAME_MAX),
        "last_name": partial(clean_text, label="last name", max_length=NAME_MAX),
        "email": normalise_email,
        "postcode": normalise_postcode,
        "town": partial(clean_text, label="town", max_length=TOWN_MAX, required=False),
    }
    for name, fn in checks.items():
        try:
            values[name] = fn(getattr(raw, name))
        except Invalid as exc:
            errors[name] = str(exc)
    if not raw.consent:
        errors["consent"] = "Tick the box to agree to the use of your data, or we cannot count you."
    if not raw.lives_in_constituency:
        errors["lives_in_constituency"] = (
            "This petition is for people who live in the constituency: tick the box if you do."
        )
    if errors:
        return raw, errors
    return (
        SignatureInput(
            lives_in_constituency=True,
            consent=True,
            show_publicly=bool(raw.show_publicly),
            **values,
        ),
        {},
    )


def emails_per_address() -> int:
    """At most this many petition emails to one address for one signature (default 3)."""
    return int(setting("CAMPAIGN_EMAILS_PER_ADDRESS", 3))


def allow(key: str, limit: int, window: int) -> bool:
    """Count one more event for ``key`` in the current fixed window of ``window`` seconds;
    whether it is within ``limit``.

    One atomic statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, PostgreSQL
    and SQLite 3.35+), in its own transaction: concurrent requests each get their own
    count, and a refused request still counts. ``limit`` 0 or less disables the limit."""
    if limit <= 0:
        return True
    now = time.time()
    index = int(now // window)
    digest = hashlib.sha256(f"{key}|{window}|{index}".encode()).hexdigest()
    expires = dt.datetime.fromtimestamp((index + 1) * window, tz=dt.UTC)
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    # One statement: in autocommit it is its own transaction (no BEGIN/COMMIT round trips).
    with _savepoint_if_nested(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - the table name is ours
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [digest, expires],
        )
        row = cursor.fetchone()
    return bool(row) and int(row[0]) <= limit


def purge_rate_windows(now: dt.datetime | None = None) -> int:
    deleted, _ = RateWindow.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def signature_sign(*, campaign: Campaign, data: SignatureInput, notify: bool = True) -> SignResult:
    """Record a signature awaiting confirmation and email the confirmation link (§2).

    ``data`` must have passed :func:`check_signature_input`. One signature per email per
    campaign (a database constraint): signing again with the same address creates
    nothing; an unconfirmed signer is sent their link again, a confirmed one is told they
    have already signed — by email, so this page never reveals who has signed. At most
    ``CAMPAIGN_EMAILS_PER_ADDRESS`` emails per signature.
    """
    if not campaign.accepts_signatures:
        raise DomainError("This petition is not open for signatures.")
    now = timezone.now()
    try:
        with _savepoint_if_nested():
            sig = Signature.objects.create(
                campaign=campaign,
                first_name=data.first_name,
                last_name=data.last_name,
                email=data.email,
                postcode=data.postcode,
                town=data.town,
                lives_in_constituency=data.lives_in_constituency,
                consent=data.consent,
                show_publicly=data.show_publicly,
                created_at=now,
                emails_sent=1 if notify else 0,
            )
            kind: SignKind = "new"
            if notify:
                _queue_email(sig.pk, "confirm")
    except IntegrityError:
        existing = next(
            iter(Signature.objects.filter(campaign=campaign, email=data.email)[:1]), None
        )
        if existing is None:  # withdrawn between the insert and this read
            raise DomainError("Please try again.") from None
        # At most CAMPAIGN_EMAILS_PER_ADDRESS emails to one address for one signature,
        # counted on the row (no extra write when signing for the first time).
        if existing.emails_sent >= emails_per_address():
            return SignResult("throttled", existing.pk)
        kind = "already_signed" if existing.confirmed_at else "resent"
        if notify:
            # Counted now (conditionally), so simultaneous duplicates cannot all send.
            claimed = Signature.objects.filter(
                pk=existing.pk, emails_sent__lt=emails_per_address()
            ).update(emails_sent=F("emails_sent") + 1)
            if not claimed:
                return SignResult("throttled", existing.pk)
            transaction.on_commit(
                partial(_enqueue, existing.pk, "already" if existing.confirmed_at else "confirm")
            )
        return SignResult(kind, existing.pk)
    return SignResult(kind, sig.pk)


def _enqueue(signature_id: int, kind: str) -> None:
    from rankandfile.campaigns import tasks

    tasks.send_signature_email.enqueue(signature_id, kind)


def _queue_email(signature_id: int, kind: str) -> None:
    transaction.on_commit(partial(_enqueue, signature_id, kind))


@dataclass(frozen=True)
class SignatureLinks:
    confirm: str
    withdraw: str


def signature_issue_links(signature_id: int, *, confirm: bool = True) -> SignatureLinks | None:
    """New secrets for a signature's confirm and withdraw links; only their digests are
    stored, so older links stop working. ``None`` if the signature is gone."""
    confirm_secret = secrets.token_urlsafe(32)
    withdraw_secret = secrets.token_urlsafe(32)
    fields: dict[str, Any] = {"withdraw_digest": token_digest(withdraw_secret)}
    if confirm:
        fields["confirm_digest"] = token_digest(confirm_secret)
    updated = Signature.objects.filter(pk=signature_id).update(**fields)
    if not updated:
        return None
    return SignatureLinks(confirm=confirm_secret if confirm else "", withdraw=withdraw_secret)


ConfirmKind = Literal["confirmed", "already_confirmed"]


@dataclass(frozen=True)
class ConfirmResult:
    kind: ConfirmKind
    campaign: Campaign
    first_name: str


@transaction.atomic
def signature_confirm(*, secret: str) -> ConfirmResult:
    """Count a signature: the second step of double opt-in (§2). Idempotent: a replayed
    or duplicated confirmation finds it already confirmed and counts nothing."""
    digest = token_digest(secret)
    sig = (
        next(
            iter(
                Signature.objects.select_related("campaign__constituency").filter(
                    confirm_digest=digest
                )[:1]
            ),
            None,
        )
        if secret
        else None
    )
    if sig is None:
        raise LinkInvalid(
            "This confirmation link is not valid: the signature may have been withdrawn or "
            "deleted, or a newer link was sent. Sign again to get a new link."
        )
    if sig.confirmed_at is not None:
        return ConfirmResult("already_confirmed", sig.campaign, sig.first_name)
    if not sig.campaign.accepts_signatures:
        raise DomainError(
            "This petition is no longer taking signatures, so your signature could not be counted."
        )
    updated = Signature.objects.filter(pk=sig.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    if not updated:  # a simultaneous confirmation won
        return ConfirmResult("already_confirmed", sig.campaign, sig.first_name)
    Campaign.objects.filter(pk=sig.campaign_id).update(confirmed_count=F("confirmed_count") + 1)
    sig.campaign.refresh_from_db(fields=["confirmed_count"])
    return ConfirmResult("confirmed", sig.campaign, sig.first_name)


def signature_for_withdrawal(secret: str) -> Signature:
    sig = (
        Signature.objects.select_related("campaign")
        .filter(withdraw_digest=token_digest(secret))
        .first()
        if secret
        else None
    )
    if sig is None:
        raise LinkInvalid(
            "This link is not valid: the signature has already been withdrawn and deleted, "
            "or the campaign's data has been deleted."
        )
    return sig


@transaction.atomic
def signature_withdraw(*, secret: str) -> Campaign:
    """Withdraw a signature and delete it with all its personal data (§2)."""
    sig = signature_for_withdrawal(secret)
    deleted, _ = Signature.objects.filter(pk=sig.pk).delete()
    if deleted and sig.confirmed_at is not None:
        Campaign.objects.filter(pk=sig.campaign_id, confirmed_count__gt=0).update(
            confirmed_count=F("confirmed_count") - 1
        )
    return sig.campaign


# --- data protection --------------------------------------------------------------------------
@dataclass(frozen=True)
class PurgeReport:
    campaigns: int
    signatures: int
    rsvps: int
    volunteers: int
    unconfirmed: int


@transaction.atomic
def campaign_purge(*, actor: User | None, campaign: Campaign) -> PurgeReport:
    """Delete a campaign's personal data (signatures, RSVPs, volunteers), keeping the
    counts: confirmed signatures, RSVPs per event (§2)."""
    _require_manager(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state in (Campaign.State.DRAFT, Campaign.State.LIVE):
        raise DomainError("Hand in or close the petition before deleting its data.")
    signatures, _ = Signature.objects.filter(campaign=campaign).delete()
    rsvps, _ = Rsvp.objects.filter(event__campaign=campaign).delete()
    volunteers, _ = Volunteer.objects.filter(campaign=campaign).delete()
    campaign.purged_at = timezone.now()
    if campaign.state != Campaign.State.CLOSED:
        campaign.state = Campaign.State.CLOSED
        campaign.closed_at = campaign.purged_at
    campaign.save(update_fields=["purged_at", "state", "closed_at"])
    report = PurgeReport(1, signatures, rsvps, volunteers, 0)
    audit.record(
        actor=actor,
        action="campaigns.campaign.purge",
        target=campaign,
        data={
            "signatures": signatures,
            "rsvps": rsvps,
            "volunteers": volunteers,
            "confirmed_count_kept": campaign.confirmed_count,
        },
    )
    return report


def unconfirmed_days() -> int:
    return int(setting("CAMPAIGN_UNCONFIRMED_DAYS", 30))


def purge_expired(*, today: dt.date | None = None) -> PurgeReport:
    """Delete personal data of every campaign whose retention date has passed, and
    signatures never confirmed within ``CAMPAIGN_UNCONFIRMED_DAYS`` (default 30)."""
    today = today or timezone.localdate()
    totals = [0, 0, 0, 0]
    due = Campaign.objects.filter(retention_until__lt=today, purged_at__isnull=True)
    for campaign in due:
        with transaction.atomic():
            # A live campaign past its retention date is closed first: data may not outlive it.
            if campaign.state in (Campaign.State.DRAFT, Campaign.State.LIVE):
                campaign_close(actor=None, campaign=campaign)
            report = campaign_purge(actor=None, campaign=campaign)
        totals[0] += 1
        totals[1] += report.signatures
        totals[2] += report.rsvps
        totals[3] += report.volunteers
    cutoff = timezone.now() - dt.timedelta(days=unconfirmed_days())
    with transaction.atomic():
        stale, _ = Signature.objects.filter(
            confirmed_at__isnull=True, created_at__lt=cutoff
        ).delete()
        if stale:
            audit.record(
                actor=None,
                action="campaigns.signature.purge_unconfirmed",
                data={"deleted": stale, "older_than_days": unconfirmed_days()},
            )
    purge_rate_windows()
    return PurgeReport(totals[0], totals[1], totals[2], totals[3], stale)


# --- events and RSVPs -------------------------------------------------------------------------
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
    _require_manager(actor, campaign)
    if kind not in CampaignEvent.Kind.values:
        raise DomainError("Choose the kind of event from the list.")
    if ends_at <= starts_at:
        raise DomainError("The event must end after it starts.")
    if capacity is not None and capacity < 1:
        raise DomainError("Capacity must be at least one, or blank for no limit.")
    if len(description) > STORY_MAX:
        raise DomainError(f"The description is too long: at most {STORY_MAX} characters.")
    event = CampaignEvent.objects.create(
        campaign=campaign,
        kind=kind,
        title=_check(clean_text, title, label="title", max_length=TITLE_MAX),
        description=description.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        location=_check(clean_text, location, label="location", max_length=200),
        capacity=capacity,
    )
    audit.record(actor=actor, action="campaigns.event.create", target=event)
    return event


@transaction.atomic
def event_cancel(*, actor: User | None, event: CampaignEvent) -> CampaignEvent:
    _require_manager(actor, event.campaign)
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
    name = _check(clean_text, name, label="name", max_length=NAME_MAX)
    email = _check(normalise_email, email)
    now = timezone.now()
    if event.cancelled_at is not None:
        raise DomainError("This event has been cancelled.")
    if event.starts_at <= now:
        raise DomainError("This event has already started.")
    if event.campaign.purged_at is not None or not event.campaign.is_public:
        raise DomainError("This campaign is not taking replies.")
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
                raise EventFull("Sorry, this event is full.")
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
            raise DomainError("Please try again.") from None
        return RsvpResult(existing, False, "")
    return RsvpResult(rsvp, True, secret)


def _enqueue_rsvp(rsvp_id: int, secret: str) -> None:
    from rankandfile.campaigns import tasks

    tasks.send_rsvp_email.enqueue(rsvp_id, "rsvp", secret)


@transaction.atomic
def rsvp_cancel(*, secret: str) -> CampaignEvent:
    """Cancel a reply by its emailed link; the place is freed and the reply deleted."""
    rsvp = (
        Rsvp.objects.select_related("event").filter(cancel_digest=token_digest(secret)).first()
        if secret
        else None
    )
    if rsvp is None:
        raise LinkInvalid("This link is not valid: the reply was already cancelled.")
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


# --- volunteers ------------------------------------------------------------------------------
@transaction.atomic
def volunteer_signup(
    *,
    actor: User,
    campaign: Campaign,
    activities: Sequence[str],
    availability: str = "",
    member: Member | None = None,
) -> Volunteer:
    """A member offers to help (§3). Signing up again updates the offer.

    With ``member``, one of the campaign's officers records a member who offered in person
    (at a stall or a meeting); otherwise the actor volunteers themselves.
    """
    if member is not None:
        _require_manager(actor, campaign)
    else:
        member = Member.objects.filter(user=actor).first() if actor.is_authenticated else None
    if member is None:
        raise PermissionDenied("Only party members can volunteer: sign in with your member login.")
    if campaign.state not in (Campaign.State.LIVE, Campaign.State.HANDED_IN):
        raise DomainError("This campaign is not taking volunteers.")
    bad = [a for a in activities if a not in Volunteer.Activity.values]
    if bad or not activities:
        raise DomainError("Choose at least one way to help from the list.")
    availability = _check(
        clean_text, availability, label="availability", max_length=300, required=False
    )
    volunteer, created = Volunteer.objects.update_or_create(
        campaign=campaign,
        member=member,
        defaults={
            "activities": sorted(set(activities)),
            "availability": availability,
        },
        create_defaults={
            "activities": sorted(set(activities)),
            "availability": availability,
            "created_at": timezone.now(),
        },
    )
    audit.record(
        actor=actor,
        action="campaigns.volunteer.signup" if created else "campaigns.volunteer.update",
        target=campaign,
        label=f"volunteer for {campaign.title}",
    )
    return volunteer


@transaction.atomic
def volunteer_withdraw(*, actor: User, campaign: Campaign) -> bool:
    deleted, _ = Volunteer.objects.filter(campaign=campaign, member__user=actor).delete()
    if deleted:
        audit.record(actor=actor, action="campaigns.volunteer.withdraw", target=campaign)
    return bool(deleted)


# --- pledges --------------------------------------------------------------------------------
@transaction.atomic
def pledge_record(
    *,
    actor: User | None,
    constituency: Constituency,
    name: str,
    role: str,
    statement: str,
    pledged_on: dt.date,
    mp: MP | None = None,
) -> Pledge:
    """Enter a candidate's or sitting MP's pledge in the public register (§4)."""
    if actor is not None and not permissions.can_record_for(actor, constituency):
        raise PermissionDenied("only the officers of this constituency party may do that")
    if role not in Pledge.Role.values:
        raise DomainError("Choose candidate or sitting MP.")
    if pledged_on > timezone.localdate():
        raise DomainError("The pledge date cannot be in the future.")
    if mp is not None and mp.constituency_id not in (None, constituency.pk):
        raise DomainError(f"{mp.name} is not the MP for {constituency.name}.")
    statement = _check_statement(statement)
    pledge = Pledge.objects.create(
        constituency=constituency,
        name=_check(clean_text, name, label="name", max_length=200),
        role=role,
        mp=mp,
        statement=statement,
        pledged_on=pledged_on,
        recorded_by=actor,
    )
    audit.record(actor=actor, action="campaigns.pledge.record", target=pledge)
    return pledge


def _check_statement(statement: str) -> str:
    statement = (statement or "").strip()
    if not statement:
        raise DomainError("Enter the pledge's statement, in the signer's words.")
    if len(statement) > STATEMENT_MAX:
        raise DomainError(f"The statement is too long: at most {STATEMENT_MAX} characters.")
    return statement


@transaction.atomic
def pledge_submit(
    *,
    actor: User,
    constituency: Constituency,
    role: str,
    statement: str,
    name: str = "",
) -> Pledge:
    """A candidate or sitting MP makes their own pledge (§4). It is dated today and stays
    out of the public register until an officer of the constituency party or a national
    admin verifies that the signer is who they say (:func:`pledge_verify`)."""
    member = Member.objects.filter(user=actor).first() if actor.is_authenticated else None
    if member is None:
        raise PermissionDenied(
            "Only party members can make a pledge: sign in with your member login."
        )
    if role not in Pledge.Role.values:
        raise DomainError("Choose candidate or sitting MP.")
    if Pledge.objects.filter(
        submitted_by=actor, constituency=constituency, verified=False
    ).exists():
        raise DomainError("Your pledge for this constituency is already waiting to be verified.")
    mp = None
    if role == Pledge.Role.MP:
        mp = MP.objects.filter(constituency=constituency).order_by("-pk").first()
    full_name = name.strip() or f"{member.first_name} {member.last_name}".strip()
    pledge = Pledge.objects.create(
        constituency=constituency,
        name=_check(clean_text, full_name, label="name", max_length=200),
        role=role,
        mp=mp,
        statement=_check_statement(statement),
        pledged_on=timezone.localdate(),
        submitted_by=actor,
        verified=False,
    )
    audit.record(actor=actor, action="campaigns.pledge.submit", target=pledge)
    return pledge


@transaction.atomic
def pledge_verify(*, actor: User | None, pledge: Pledge, accept: bool) -> Pledge | None:
    """An officer of the pledge's constituency party (or a national admin) accepts a
    submitted pledge into the public register, or rejects it (it is deleted)."""
    if actor is not None and not permissions.can_record_for(actor, pledge.constituency):
        raise PermissionDenied("only the officers of this constituency party may do that")
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.verified:
        raise DomainError("This pledge is already in the register.")
    if not accept:
        audit.record(
            actor=actor,
            action="campaigns.pledge.reject",
            target=pledge,
            data={"name": pledge.name},
        )
        pledge.delete()
        return None
    pledge.verified = True
    pledge.verified_by = actor
    pledge.verified_at = timezone.now()
    pledge.recorded_by = actor
    pledge.save(update_fields=["verified", "verified_by", "verified_at", "recorded_by"])
    audit.record(actor=actor, action="campaigns.pledge.verify", target=pledge)
    return pledge


@transaction.atomic
def pledge_set_status(
    *,
    actor: User | None,
    pledge: Pledge,
    status: str,
    left_party_on: dt.date | None = None,
    event_kind: str = "",
    note: str = "",
) -> Pledge:
    """Record what became of a pledge when its signer left the party (§4): kept (they
    resigned to stand again), honoured (they stood in the by-election), broken (they kept
    the seat), or back in force (a correction)."""
    if actor is not None and not permissions.can_record_for(actor, pledge.constituency):
        raise PermissionDenied("only the officers of this constituency party may do that")
    if status not in Pledge.Status.values:
        raise DomainError("Choose a status from the list.")
    if status != Pledge.Status.IN_FORCE and left_party_on is None:
        raise DomainError("Give the date the signer left the party.")
    if left_party_on is not None and left_party_on < pledge.pledged_on:
        raise DomainError("They left before they pledged: check the dates.")
    if event_kind not in PartyEvent.values:
        raise DomainError("Choose what the signer did from the list.")
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    before = pledge.status
    pledge.status = status
    pledge.left_party_on = left_party_on if status != Pledge.Status.IN_FORCE else None
    pledge.event_kind = event_kind if status != Pledge.Status.IN_FORCE else ""
    pledge.status_note = _check(clean_text, note, label="note", max_length=500, required=False)
    pledge.status_changed_at = timezone.now()
    pledge.save()
    audit.record(
        actor=actor,
        action="campaigns.pledge.status",
        target=pledge,
        data={"from": before, "to": status},
    )
    return pledge


# --- recall petitions --------------------------------------------------------------------------
@transaction.atomic
def recall_record(
    *,
    actor: User | None,
    constituency: Constituency,
    mp_name: str,
    ground: str,
    opens_on: dt.date,
    closes_on: dt.date | None = None,
    signing_places: Sequence[str] = (),
    ground_detail: str = "",
    mp: MP | None = None,
    electorate_at_close: int | None = None,
    campaign: Campaign | None = None,
) -> RecallPetition:
    """Record a triggered recall petition (§5). ``closes_on`` defaults to six weeks after
    opening (s.9); at most ten signing places (s.7)."""
    if actor is not None and not permissions.can_record_for(actor, constituency):
        raise PermissionDenied("only the officers of this constituency party may do that")
    if ground not in RecallPetition.Ground.values:
        raise DomainError("Choose the ground from the list (Recall of MPs Act 2015, s.1).")
    closes_on = closes_on or recall.default_closing_day(opens_on)
    if closes_on <= opens_on:
        raise DomainError("The petition must close after it opens.")
    places = [p.strip() for p in signing_places if p.strip()]
    problems = recall.check_signing_places(places)
    if problems:
        raise DomainError("; ".join(problems).capitalize() + ".")
    if electorate_at_close is not None and electorate_at_close < 1:
        raise DomainError("The electorate must be a positive number.")
    petition = RecallPetition.objects.create(
        constituency=constituency,
        mp=mp,
        mp_name=_check(clean_text, mp_name, label="MP's name", max_length=200),
        ground=ground,
        ground_detail=_check(
            clean_text, ground_detail, label="details", max_length=500, required=False
        ),
        opens_on=opens_on,
        closes_on=closes_on,
        signing_places=places,
        electorate_at_close=electorate_at_close,
        campaign=campaign,
    )
    audit.record(actor=actor, action="campaigns.recall.record", target=petition)
    return petition


@transaction.atomic
def recall_add_count(
    *,
    actor: User | None,
    petition: RecallPetition,
    published_on: dt.date,
    signatures: int,
    electorate: int | None = None,
    is_final: bool = False,
    source: str = "",
) -> RecallCount:
    """Enter an official count as published (§5). A final count after the closing day
    with the register size settles the outcome."""
    if actor is not None and not permissions.can_record_for(actor, petition.constituency):
        raise PermissionDenied("only the officers of this constituency party may do that")
    if signatures < 0:
        raise DomainError("Signatures cannot be negative.")
    if published_on < petition.opens_on:
        raise DomainError("A count cannot be published before the petition opens.")
    if is_final and published_on < petition.closes_on:
        raise DomainError("The final count comes on or after the closing day.")
    if electorate is not None and electorate < 1:
        raise DomainError("The electorate must be a positive number.")
    petition = RecallPetition.objects.select_for_update().get(pk=petition.pk)
    if petition.counts.filter(is_final=True).exists():
        raise DomainError("The final count is already recorded.")
    previous = petition.counts.order_by("-published_on", "-pk").first()
    if previous is not None and published_on < previous.published_on:
        raise DomainError("Counts are entered in order: this one predates the last.")
    count = RecallCount.objects.create(
        petition=petition,
        published_on=published_on,
        signatures=signatures,
        electorate=electorate,
        is_final=is_final,
        source=source.strip()[:300],
    )
    if is_final and electorate is not None:
        petition.electorate_at_close = electorate
        petition.save(update_fields=["electorate_at_close"])
    audit.record(
        actor=actor,
        action="campaigns.recall.count",
        target=petition,
        data={"signatures": signatures, "final": is_final, "published_on": published_on},
    )
    return count
