"""Background tasks of the core app (django-tasks): sending the outbox (``core.outbox``)
and running one periodic job that ``rankandfile scheduler`` claimed for a due time
(:mod:`rankandfile.core.scheduler`)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import default_task_backend, task

from rankandfile.core import audit, outbox, scheduler
from rankandfile.core.models import OutboxEmail

logger = logging.getLogger(__name__)


@task()
def send_outbox_email(outbox_id: int) -> str:
    """Send one queued email; delete it once sent. On failure record why and, when the
    backend can defer tasks, try again later (``outbox.RETRY_MINUTES``)."""
    row = OutboxEmail.objects.filter(pk=outbox_id).first()
    if row is None:
        return "already sent"
    now = timezone.now()
    try:
        outbox.message_of(row).send(fail_silently=False)
    except Exception as exc:  # SMTP down, refused, timed out: keep it for later
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.last_attempt_at = now
        row.save(update_fields=["attempts", "last_error", "last_attempt_at"])
        when = outbox.retry_at(row.attempts, now)
        logger.warning("outbox email %s not sent (attempt %s): %s", row.pk, row.attempts, exc)
        if when is not None and getattr(default_task_backend, "supports_defer", False):
            send_outbox_email.using(run_after=when).enqueue(row.pk)
            return f"failed, retry at {when.isoformat()}"
        return "failed, left in the outbox"
    row.delete()
    return "sent"


@task()
def run_scheduled_job(name: str, due_at: str) -> str:
    """Run the job ``name`` for its due time ``due_at`` (ISO 8601); skipped when a later
    due time has been claimed since (the later run covers this one)."""
    with audit.context("task"):
        return scheduler.execute(name, dt.datetime.fromisoformat(due_at))
