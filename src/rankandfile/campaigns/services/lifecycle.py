"""Campaigns: create, edit, launch, hand in, close (officers; audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_noop

from rankandfile.campaigns import permissions
from rankandfile.campaigns.models import (
    DEMAND_MAX,
    STORY_MAX,
    TITLE_MAX,
    Campaign,
    PartyEvent,
)
from rankandfile.campaigns.services.common import (
    check_field,
)
from rankandfile.campaigns.validation import (
    clean_text,
)
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.models import CLP, MP


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
        out["title"] = check_field(
            clean_text, out["title"], label=gettext_noop("title"), max_length=TITLE_MAX
        )
    if "demand" in out:
        out["demand"] = check_field(
            clean_text, out["demand"], label=gettext_noop("demand"), max_length=DEMAND_MAX
        )
    if "story" in out:
        story = (out["story"] or "").strip()
        if len(story) > STORY_MAX:
            raise DomainError(
                gettext("The story is too long: at most %(story_max)s characters.")
                % {"story_max": STORY_MAX}
            )
        out["story"] = story
    if "target" in out and out["target"] is not None and out["target"] < 1:
        raise DomainError(gettext("The target must be at least one signature."))
    if out.get("event_kind") and out.get("event_date") is None:
        raise DomainError(
            gettext("Give the date of the event (when the MP left or lost the whip).")
        )
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
        raise PermissionDenied(gettext("only the officers of this constituency party may do that"))
    if mp is not None and mp.constituency_id not in (None, clp.constituency_id):
        raise DomainError(
            gettext("%(mp_name)s is not the MP for %(constituency_name)s.")
            % {"mp_name": mp.name, "constituency_name": clp.constituency.name}
        )
    if event_kind not in PartyEvent.values:
        raise DomainError(gettext("Choose what the MP did from the list."))
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
        raise DomainError(gettext("The retention date must be in the future."))
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


def require_manager(actor: User | None, campaign: Campaign) -> None:
    if actor is not None and not permissions.can_manage_campaign(actor, campaign):
        raise PermissionDenied(gettext("only this campaign's officers may do that"))


@transaction.atomic
def campaign_update(*, actor: User | None, campaign: Campaign, **changes: Any) -> Campaign:
    """Edit the campaign's text, target, event and retention date."""
    require_manager(actor, campaign)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(
            gettext("cannot change %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.purged_at is not None:
        raise DomainError(
            gettext("This campaign's data has been deleted; it can no longer change.")
        )
    if "event_kind" in changes and changes["event_kind"] not in PartyEvent.values:
        raise DomainError(gettext("Choose what the MP did from the list."))
    merged = {"event_kind": campaign.event_kind, "event_date": campaign.event_date, **changes}
    checked = _check_campaign_fields(merged)
    if "retention_until" in changes and changes["retention_until"] < timezone.localdate():
        raise DomainError(gettext("The retention date cannot be in the past."))
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
    require_manager(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        raise DomainError(gettext("Only a draft can be launched."))
    if campaign.effective_target is None:
        raise DomainError(
            gettext(
                "Set a target: the constituency's electorate is not known, so there is no "
                "default of 10%."
            )
        )
    campaign.state = Campaign.State.LIVE
    campaign.launched_at = timezone.now()
    campaign.save(update_fields=["state", "launched_at"])
    audit.record(actor=actor, action="campaigns.campaign.launch", target=campaign)
    return campaign


@transaction.atomic
def campaign_hand_in(*, actor: User | None, campaign: Campaign, handed_in_to: str) -> Campaign:
    """Stop signing and record to whom the petition was handed in."""
    require_manager(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.LIVE:
        raise DomainError(gettext("Only a petition that is gathering signatures can be handed in."))
    to = check_field(clean_text, handed_in_to, label=gettext_noop("recipient"), max_length=200)
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
    require_manager(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state == Campaign.State.CLOSED:
        raise DomainError(gettext("The campaign is already closed."))
    campaign.state = Campaign.State.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save(update_fields=["state", "closed_at"])
    audit.record(actor=actor, action="campaigns.campaign.close", target=campaign)
    return campaign
