"""Background tasks (django-tasks): meeting notices and officers' messages.

Every email owed is a :class:`Delivery` row written by the service that queued it (in the
request's transaction). A task sends a batch of a source's queued rows and enqueues itself
again while rows remain (``MEETINGS_EMAIL_BATCH`` per run: the throttle). A row is claimed
by writing its Message-ID before sending (one worker wins the claim), so an email is sent
at most once; ``resume_stalled`` (a scheduled job) re-enqueues sources whose rows no worker
has claimed.
"""

from __future__ import annotations

import logging
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from rankandfile.core import audit
from rankandfile.core.links import absolute_url
from rankandfile.meetings import ics, services
from rankandfile.meetings.models import Delivery, Meeting, OfficerMessage

logger = logging.getLogger(__name__)


def _batch() -> int:
    return max(1, int(getattr(settings, "MEETINGS_EMAIL_BATCH", 200)))


def _headers(member_id: int, category: str, message_id: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 one-click unsubscribe, and our Message-ID (matched by bounces)."""
    token = services.unsubscribe_token(member_id, category)
    url = absolute_url(reverse("meetings:unsubscribe", args=[token]))
    return {
        "Message-ID": message_id,
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _context(member_id: int, category: str) -> dict[str, str]:
    token = services.unsubscribe_token(member_id, category)
    return {
        "unsubscribe_url": absolute_url(reverse("meetings:unsubscribe", args=[token])),
        "preferences_url": absolute_url(reverse("meetings:preferences")),
    }


def _message_for(row: Delivery, message_id: str) -> EmailMessage:
    member = row.member
    if row.meeting_id is not None:
        meeting = Meeting.objects.select_related("branch", "clp").get(pk=row.meeting_id)
        url = absolute_url(reverse("meetings:meeting", args=[meeting.pk]))
        body = render_to_string(
            "meetings/email/notice.txt",
            {
                "member": member,
                "meeting": meeting,
                "items": list(meeting.items.all()),
                "url": url,
                "starts": timezone.localtime(meeting.starts_at),
                **_context(member.pk, "meeting_notices"),
            },
        )
        email = EmailMessage(
            subject=f"Notice of meeting: {' '.join(meeting.title.split())}",
            body=body,
            to=[member.email],
            headers=_headers(member.pk, "meeting_notices", message_id),
        )
        email.attach("meeting.ics", ics.meeting_ics(meeting, url=url), "text/calendar")
        return email
    assert row.message_id is not None
    msg = OfficerMessage.objects.select_related("branch", "clp").get(pk=row.message_id)
    body = render_to_string(
        "meetings/email/message.txt",
        {
            "text": services.personalise(msg.body, member),
            "unit": msg.unit_name,
            **_context(member.pk, "officer_messages"),
        },
    )
    return EmailMessage(
        subject=" ".join(msg.subject.split()),
        body=body,
        to=[member.email],
        headers=_headers(member.pk, "officer_messages", message_id),
    )


def _claim(row: Delivery) -> str | None:
    message_id = make_msgid(domain="rankandfile")
    won = Delivery.objects.filter(pk=row.pk, state=Delivery.State.QUEUED, email_id="").update(
        email_id=message_id
    )
    return message_id if won else None


def send_one(row: Delivery) -> str:
    message_id = _claim(row)
    if message_id is None:
        return "taken"
    try:
        _message_for(row, message_id).send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        Delivery.objects.filter(pk=row.pk).update(
            state=Delivery.State.FAILED, error=type(exc).__name__
        )
        logger.warning("meetings email %s failed: %s", row.pk, type(exc).__name__)
        return "failed"
    Delivery.objects.filter(pk=row.pk, state=Delivery.State.QUEUED).update(
        state=Delivery.State.SENT, sent_at=timezone.now()
    )
    return "sent"


@task()
def send_deliveries(kind: str, source_id: int) -> str:
    """Send up to a batch of the queued emails of a meeting's notice (``kind`` "meeting")
    or an officer's message ("message"); enqueue the next batch while any remain."""
    with audit.context("task"):
        field = "meeting_id" if kind == "meeting" else "message_id"
        queued = Delivery.objects.filter(
            state=Delivery.State.QUEUED, email_id="", **{field: source_id}
        )
        rows = list(queued.select_related("member").order_by("pk")[: _batch()])
        sent = sum(1 for row in rows if send_one(row) == "sent")
        if queued.exists():
            send_deliveries.enqueue(kind, source_id)
        return f"sent {sent}"


def resume_stalled() -> int:
    """Enqueue every source with emails no worker has claimed (idempotent: a job)."""
    n = 0
    rows = Delivery.objects.filter(state=Delivery.State.QUEUED, email_id="")
    for meeting_id in set(rows.filter(meeting__isnull=False).values_list("meeting_id", flat=True)):
        if meeting_id is not None:
            send_deliveries.enqueue("meeting", meeting_id)
            n += 1
    for message_id in set(rows.filter(message__isnull=False).values_list("message_id", flat=True)):
        if message_id is not None:
            send_deliveries.enqueue("message", message_id)
            n += 1
    return n
