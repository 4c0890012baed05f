"""Background tasks (django-tasks): meeting notices and officers' messages.

Every email owed is a :class:`Delivery` row written by the service that queued it (in the
request's transaction). A task leases a batch of a source's queued rows
(``MEETINGS_EMAIL_BATCH`` per run: the throttle) and enqueues itself again while rows
remain. Exactly once, as the ballots' invitations (decision 0018, applied in 0026): the
Message-ID is committed with the lease before the message leaves and the row is marked
sent after the server accepted it; a worker that dies leaves a leased row whose lease
expires (``MEETINGS_EMAIL_LEASE_SECONDS``), and ``resume_stalled`` (a scheduled job)
re-enqueues its source, so the row is re-sent with the same Message-ID. A send that raised
is retried up to ``MEETINGS_EMAIL_MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from email.utils import make_msgid

from anymail.exceptions import AnymailError
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django_tasks import task

from rankandfile.core import audit
from rankandfile.core.links import absolute_url
from rankandfile.meetings import ics, services
from rankandfile.meetings.models import Delivery, Meeting, OfficerMessage
from rankandfile.membership.language import in_language

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


def _change(meeting: Meeting, row: Delivery) -> str:
    if meeting.state == Meeting.State.CANCELLED:
        return "cancelled"
    return "changed" if row.sequence > 0 else ""


def _message_for(row: Delivery, message_id: str) -> EmailMessage:
    """The notice or officer's message for ``row``, written in its member's language."""
    with in_language(row.member):
        return _compose(row, message_id)


def _compose(row: Delivery, message_id: str) -> EmailMessage:
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
                "change": _change(meeting, row),
                **_context(member.pk, "meeting_notices"),
            },
        )
        subject = {
            "cancelled": gettext_noop("Meeting cancelled: %(title)s"),
            "changed": gettext_noop("Meeting changed: %(title)s"),
        }.get(_change(meeting, row), gettext_noop("Notice of meeting: %(title)s"))
        email = EmailMessage(
            subject=gettext(subject) % {"title": " ".join(meeting.title.split())},
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


def lease_seconds() -> float:
    return float(getattr(settings, "MEETINGS_EMAIL_LEASE_SECONDS", 300))


def max_attempts() -> int:
    return max(1, int(getattr(settings, "MEETINGS_EMAIL_MAX_ATTEMPTS", 3)))


def _claimable(now: dt.datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def _owed(field: str, source_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(state=Delivery.State.QUEUED, **{field: source_id})


def _lease(field: str, source_id: int, limit: int, owner: str) -> list[int]:
    """Lease the next queued rows of a source nobody holds (``SKIP LOCKED``: two workers
    never hold the same row); a row whose lease expired (its worker died) is leased again."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            _owed(field, source_id)
            .filter(_claimable(now))
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                lease_owner=owner, lease_until=now + dt.timedelta(seconds=lease_seconds())
            )
    return ids


def _permanent(exc: BaseException) -> bool:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    return isinstance(code, int) and 500 <= code < 600


def send_one(row: Delivery, owner: str) -> str:
    """Send one leased row exactly once: the intent (the Message-ID, kept from an
    interrupted attempt) is committed first, guarded by the lease; then the message;
    then the row is marked sent. A temporary failure releases the row for a retry with
    the same Message-ID; a permanent one (or the last attempt) marks it failed."""
    message_id = row.email_id or make_msgid(domain="rankandfile")
    hold = timezone.now() + dt.timedelta(seconds=lease_seconds())
    won = Delivery.objects.filter(pk=row.pk, lease_owner=owner, state=Delivery.State.QUEUED).update(
        email_id=message_id, lease_until=hold
    )
    if not won:
        return "taken"
    attempts = row.attempts + 1
    try:
        _message_for(row, message_id).send(fail_silently=False)
    except (smtplib.SMTPException, OSError, AnymailError) as exc:
        error = type(exc).__name__
        logger.warning("meetings email %s failed (attempt %s): %s", row.pk, attempts, error)
        if _permanent(exc) or attempts >= max_attempts():
            Delivery.objects.filter(pk=row.pk, lease_owner=owner).update(
                state=Delivery.State.FAILED,
                error=error,
                attempts=attempts,
                lease_owner="",
                lease_until=None,
            )
            return "failed"
        Delivery.objects.filter(pk=row.pk, lease_owner=owner).update(
            error=error, attempts=attempts, lease_owner="", lease_until=None
        )
        return "retry"
    Delivery.objects.filter(pk=row.pk, lease_owner=owner).update(
        state=Delivery.State.SENT,
        sent_at=timezone.now(),
        attempts=attempts,
        error="",
        lease_owner="",
        lease_until=None,
    )
    return "sent"


def _field(kind: str) -> str:
    return "meeting_id" if kind == "meeting" else "message_id"


@task()
def send_deliveries(kind: str, source_id: int) -> str:
    """Send up to a batch of the queued emails of a meeting's notices (``kind``
    "meeting") or an officer's message ("message"); enqueue the next batch while any
    remain that nobody holds."""
    with audit.context("task"):
        field = _field(kind)
        owner = secrets.token_hex(8)
        ids = _lease(field, source_id, _batch(), owner)
        rows = Delivery.objects.filter(pk__in=ids).select_related("member").order_by("pk")
        sent = sum(1 for row in rows if send_one(row, owner) == "sent")
        if _owed(field, source_id).filter(_claimable(timezone.now())).exists():
            send_deliveries.enqueue(kind, source_id)
        return f"sent {sent}"


def resume_stalled() -> int:
    """Enqueue every source with queued emails nobody holds: never leased, released for a
    retry, or leased by a worker that died (lease expired). Idempotent: a job."""
    n = 0
    rows = Delivery.objects.filter(_claimable(timezone.now()), state=Delivery.State.QUEUED)
    for kind in ("meeting", "message"):
        field = _field(kind)
        for source_id in set(
            rows.filter(**{f"{field}__isnull": False}).values_list(field, flat=True)
        ):
            if source_id is not None:
                send_deliveries.enqueue(kind, source_id)
                n += 1
    return n
