"""Mail rendered during a request is sent by a task (decision 0011).

allauth's adapter (``core.auth.AccountAdapter.send_mail``: password reset, address
confirmation, security notices) renders the message in the request and calls
:func:`queue`, which stores it in an :class:`~rankandfile.core.models.OutboxEmail` row and
enqueues :func:`rankandfile.core.tasks.send_outbox_email`. The request answers as soon as
the row is written: an SMTP server that is down, slow or refusing cannot fail it. The task
sends through the configured ``EMAIL_BACKEND``, deletes the row once sent, and on failure
records the error and tries again later (:data:`RETRY_MINUTES`) when the task backend can
defer tasks; a message that has used its attempts stays in the outbox, counted by the
health endpoint (``core.taskqueue``).

Until it is sent, the row holds the message, as any mail spool does (a password-reset
link among them); it is deleted as soon as it is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from rankandfile.core.models import OutboxEmail

logger = logging.getLogger(__name__)

RETRY_MINUTES = (1, 5, 15, 60, 240)
"""Delays before the 2nd, 3rd... attempt; after the last, the message waits in the outbox
(``OutboxEmail.attempts`` == len + 1) for an administrator."""


def _serialise(message: EmailMessage) -> dict[str, Any]:
    alternatives = [
        [str(content), str(mimetype)]
        for content, mimetype in getattr(message, "alternatives", None) or []
    ]
    if message.attachments:
        raise ValueError("the outbox does not carry attachments")  # none of ours have any
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": str(message.from_email),
        "to": [str(a) for a in message.to],
        "cc": [str(a) for a in message.cc],
        "bcc": [str(a) for a in message.bcc],
        "reply_to": [str(a) for a in message.reply_to],
        "headers": {str(k): str(v) for k, v in (message.extra_headers or {}).items()},
        "content_subtype": str(message.content_subtype),
        "alternatives": alternatives,
    }


def message_of(row: OutboxEmail) -> EmailMultiAlternatives:
    data = row.message
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    message.content_subtype = data.get("content_subtype", "plain")
    for content, mimetype in data.get("alternatives", []):
        message.attach_alternative(content, mimetype)
    return message


def _enqueue(row_id: int) -> None:
    from rankandfile.core import tasks

    tasks.send_outbox_email.enqueue(row_id)


def queue(message: EmailMessage) -> OutboxEmail:
    """Store ``message`` and have a task send it after the current transaction commits.
    Raises nothing about SMTP: sending happens in the task."""
    row = OutboxEmail.objects.create(message=_serialise(message))
    _enqueue_after_commit(row.pk)
    return row


def _enqueue_after_commit(row_id: int) -> None:
    """Enqueue now when the task row commits with the outbox row (the database backend)
    or the task runs at once on this connection (the immediate backend, which records a
    failure instead of raising it); otherwise after the commit, so an outside queue never
    sees the task before its row exists."""
    from django.conf import settings

    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    if backend.endswith((".DatabaseBackend", ".ImmediateBackend")):
        _enqueue(row_id)
    else:
        transaction.on_commit(partial(_enqueue, row_id))


def retry_at(attempts: int, now: dt.datetime | None = None) -> dt.datetime | None:
    """When to try again after ``attempts`` failed attempts (``None``: give up)."""
    if attempts > len(RETRY_MINUTES):
        return None
    return (now or timezone.now()) + dt.timedelta(minutes=RETRY_MINUTES[attempts - 1])


def resend(ids: list[int]) -> list[int]:
    """Give the outbox rows ``ids`` their attempts back and send them again (after the
    current transaction commits). The caller audits."""
    found = list(OutboxEmail.objects.filter(pk__in=ids).values_list("pk", flat=True))
    OutboxEmail.objects.filter(pk__in=found).update(attempts=0)
    for pk in found:
        _enqueue_after_commit(pk)
    return found
