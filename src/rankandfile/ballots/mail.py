"""Delivery reports for the emails we send: bounces, rejections, complaints.

An email provider (through django-anymail, ``EMAIL_PROVIDER``) reports what became of a
message by calling its tracking webhook (``/anymail/<provider>/tracking/``, authenticated
as anymail does for that provider: a signature, or the ``ANYMAIL_WEBHOOK_SECRET`` basic
credentials). Anymail turns the call into a ``tracking`` signal; :func:`on_tracking`
records the reports that matter as :class:`EmailEvent` rows matched to the elector by the
message id recorded when the message was accepted (``Elector.sent_message_id``: the
provider's id, or our Message-ID over SMTP), else to the member by address. A permanent
failure (bounced, rejected, failed, complained) marks the elector's invitation as failed
(``last_send_error``), so it is listed for the officers and re-sent by "Send invitations"
once the address is corrected. One audit entry per recorded report (channel
``webhook``). A report the provider sends again (same event id) is recorded once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rankandfile.ballots.models import Elector, EmailEvent
from rankandfile.core import audit
from rankandfile.membership.models import Member

# anymail's normalised event types we keep, and which of them mean "never delivered".
RECORDED = {
    "bounced": EmailEvent.Kind.BOUNCED,
    "rejected": EmailEvent.Kind.REJECTED,
    "complained": EmailEvent.Kind.COMPLAINED,
    "unsubscribed": EmailEvent.Kind.UNSUBSCRIBED,
    "deferred": EmailEvent.Kind.DEFERRED,
    "failed": EmailEvent.Kind.FAILED,
}
PERMANENT = {
    EmailEvent.Kind.BOUNCED,
    EmailEvent.Kind.REJECTED,
    EmailEvent.Kind.FAILED,
    EmailEvent.Kind.COMPLAINED,
}


def on_tracking(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """anymail's ``tracking`` signal: record bounces, rejections and complaints."""
    kind = RECORDED.get(str(event.event_type))
    if kind is None:  # delivered, opened, clicked, queued...: not kept
        return
    with audit.context("webhook"):
        record_event(
            provider=str(esp_name),
            kind=kind,
            event_id=str(event.event_id or ""),
            message_id=str(event.message_id or ""),
            recipient=str(event.recipient or ""),
            reason=str(event.reject_reason or ""),
            description=str(event.description or event.mta_response or ""),
            occurred_at=event.timestamp or timezone.now(),
        )


def record_event(
    *,
    provider: str,
    kind: str,
    recipient: str,
    event_id: str = "",
    message_id: str = "",
    reason: str = "",
    description: str = "",
    occurred_at: dt.datetime | None = None,
) -> EmailEvent | None:
    """Record one delivery report (``None``: this event was recorded before)."""
    kind = EmailEvent.Kind(kind)
    try:
        with transaction.atomic():
            return _record(
                provider=provider[:40],
                kind=kind,
                recipient=recipient[:254],
                event_id=event_id[:200],
                message_id=message_id[:200],
                reason=reason[:40],
                description=description[:500],
                occurred_at=occurred_at or timezone.now(),
            )
    except IntegrityError:  # the same event, delivered twice at once
        if event_id and EmailEvent.objects.filter(provider=provider, event_id=event_id).exists():
            return None
        raise


def _record(
    *,
    provider: str,
    kind: EmailEvent.Kind,
    recipient: str,
    event_id: str,
    message_id: str,
    reason: str,
    description: str,
    occurred_at: dt.datetime,
) -> EmailEvent | None:
    if event_id and EmailEvent.objects.filter(provider=provider, event_id=event_id).exists():
        return None
    # Providers differ on angle brackets around ids: match either spelling.
    bare = message_id.strip().strip("<>")
    elector = (
        Elector.objects.filter(sent_message_id__in=[bare, f"<{bare}>"])
        .select_related("member")
        .first()
        if bare
        else None
    )
    member = elector.member if elector is not None else None
    if member is None and recipient:
        member = Member.objects.filter(email__iexact=recipient).order_by("pk").first()
    event = EmailEvent.objects.create(
        provider=provider,
        kind=kind,
        event_id=event_id,
        message_id=message_id,
        recipient=recipient,
        reason=reason,
        description=description,
        occurred_at=occurred_at,
        elector=elector,
        member=member,
    )
    if elector is not None and kind in PERMANENT:
        why = f"{kind}: {description or reason or 'reported by ' + provider}"
        Elector.objects.filter(pk=elector.pk).update(last_send_error=why[:300])
    audit.record(
        actor=None,
        action=f"ballots.email.{kind}",
        target=member,
        label=None if member is not None else recipient,
        data={
            "provider": provider,
            "ballot": elector.ballot_id if elector is not None else None,
            "reason": reason,
            "matched": "message" if elector is not None else ("address" if member else "none"),
        },
    )
    return event
