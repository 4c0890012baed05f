"""Bounces of meeting notices and officers' messages.

The email provider's tracking webhook (django-anymail) is recorded as an ``EmailEvent``
by :mod:`rankandfile.ballots.mail` (matched to the member by address); this receiver of
the same signal marks our :class:`~rankandfile.meetings.models.Delivery` bounced when the
report names its Message-ID, so the officers' page counts bounces per message, and records
the address on the member's :class:`CommunicationPreference` (``bounced_address``): later
notices and messages skip the member while that is still their address (counted as
skipped in the officers' preview); a corrected address is tried again.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from rankandfile.meetings.models import CommunicationPreference, Delivery

PERMANENT = {"bounced", "rejected", "failed", "complained"}


def on_tracking(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    if str(event.event_type) not in PERMANENT:
        return
    mark_bounced(
        message_id=str(event.message_id or ""),
        why=f"{event.event_type}: {event.description or event.reject_reason or esp_name}",
    )


def mark_bounced(*, message_id: str, why: str) -> int:
    """Mark the delivery with this Message-ID bounced; returns how many rows matched."""
    bare = message_id.strip().strip("<>")
    if not bare:
        return 0
    rows = Delivery.objects.filter(email_id__in=[bare, f"<{bare}>"])
    now = timezone.now()
    for row in rows.select_related("member"):
        if row.member.email:
            CommunicationPreference.objects.update_or_create(
                member=row.member,
                defaults={"bounced_address": row.member.email, "bounced_at": now},
            )
    return rows.update(state=Delivery.State.BOUNCED, error=why[:300])
