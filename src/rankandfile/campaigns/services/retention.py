"""Data protection: deleting a campaign's personal data and the retention purge (§2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.campaigns.models import (
    Campaign,
    Rsvp,
    Signature,
    Volunteer,
)
from rankandfile.campaigns.services.common import (
    setting,
)
from rankandfile.campaigns.services.lifecycle import campaign_close, require_manager
from rankandfile.campaigns.services.ratelimit import purge_rate_windows
from rankandfile.core import audit
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User


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
    require_manager(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state in (Campaign.State.DRAFT, Campaign.State.LIVE):
        raise DomainError(gettext("Hand in or close the petition before deleting its data."))
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
