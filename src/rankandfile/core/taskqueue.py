"""Is queued work being done? The task queue's state for the health endpoint and the
warning on officers' pages (decision 0011).

Work queued for a worker -- ballot invitations and closings, petition confirmations,
score recomputes, the outbox -- is silently late when no worker runs. Workers started as
``rankandfile task_worker`` (django-tasks-db's ``db_worker`` plus a heartbeat thread)
write a :class:`~rankandfile.core.models.WorkerHeartbeat` row every
:func:`heartbeat_seconds`; :func:`status` reads the oldest task ready to run, the most
recent heartbeat and the outbox, and says what is wrong in words.

With a backend that runs tasks at once (``ImmediateBackend``, development and tests)
there is no queue and no worker to watch: the status is ``ok`` with ``queue: none``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from rankandfile.core.models import OutboxEmail, WorkerHeartbeat

DB_BACKEND = "django_tasks_db.DatabaseBackend"


def heartbeat_seconds() -> float:
    """How often a worker writes its heartbeat (``TASKS_HEARTBEAT_SECONDS``, 15)."""
    return float(getattr(settings, "TASKS_HEARTBEAT_SECONDS", 15))


def worker_stale_seconds() -> float:
    """A heartbeat older than this means no worker is alive (``TASKS_WORKER_STALE_SECONDS``,
    90)."""
    return float(getattr(settings, "TASKS_WORKER_STALE_SECONDS", 90))


def queue_stale_seconds() -> float:
    """A task ready this long without being picked up means the queue is stuck
    (``TASKS_QUEUE_STALE_SECONDS``, 300)."""
    return float(getattr(settings, "TASKS_QUEUE_STALE_SECONDS", 300))


def uses_queue() -> bool:
    return str(settings.TASKS.get("default", {}).get("BACKEND", "")) == DB_BACKEND


@dataclass
class QueueStatus:
    queue: str  # "database" or "none" (tasks run at once)
    ready: int = 0
    oldest_ready_age: float | None = None
    workers: int = 0
    last_heartbeat_age: float | None = None
    outbox: int = 0
    outbox_oldest_age: float | None = None
    outbox_failed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            "status": "ok" if self.ok else "degraded",
            "queue": self.queue,
            "ready": self.ready,
            "oldest_ready_age_seconds": rounded(self.oldest_ready_age),
            "workers_alive": self.workers,
            "last_heartbeat_age_seconds": rounded(self.last_heartbeat_age),
            "outbox": self.outbox,
            "outbox_oldest_age_seconds": rounded(self.outbox_oldest_age),
            "outbox_failed": self.outbox_failed,
            "problems": self.problems,
        }


def _age(now: dt.datetime, then: dt.datetime | None) -> float | None:
    return None if then is None else max((now - then).total_seconds(), 0.0)


def status(now: dt.datetime | None = None) -> QueueStatus:
    """The queue's state now (three or four small queries)."""
    now = now or timezone.now()
    if not uses_queue():
        result = QueueStatus(queue="none")
    else:
        from django_tasks_db.models import DBTaskResult, get_date_max

        result = QueueStatus(queue="database")
        ready = DBTaskResult.objects.ready()
        result.ready = ready.count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", "run_after").first()
        if oldest is not None:
            enqueued, run_after = oldest
            since = enqueued if run_after == get_date_max() else max(enqueued, run_after)
            result.oldest_ready_age = _age(now, since)
        stale_before = now - dt.timedelta(seconds=worker_stale_seconds())
        result.workers = WorkerHeartbeat.objects.filter(seen_at__gte=stale_before).count()
        last = (
            WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
        )
        result.last_heartbeat_age = _age(now, last)
        if result.workers == 0:
            seen = (
                "no worker has ever reported"
                if last is None
                else f"the last worker heartbeat was {_words(result.last_heartbeat_age)} ago"
            )
            if result.ready:
                result.problems.append(
                    f"{result.ready} task(s) waiting and no task worker running ({seen}): "
                    "start 'rankandfile task_worker'"
                )
            else:
                result.problems.append(f"no task worker running ({seen})")
        if result.oldest_ready_age is not None and result.oldest_ready_age > queue_stale_seconds():
            result.problems.append(
                f"the oldest waiting task has waited {_words(result.oldest_ready_age)}"
            )
    outbox = OutboxEmail.objects.all()
    result.outbox = outbox.count()
    if result.outbox:
        first = outbox.order_by("created_at").values_list("created_at", flat=True).first()
        result.outbox_oldest_age = _age(now, first)
        from rankandfile.core.outbox import RETRY_MINUTES

        result.outbox_failed = outbox.filter(attempts__gt=len(RETRY_MINUTES)).count()
        if result.outbox_failed:
            result.problems.append(
                f"{result.outbox_failed} email(s) could not be sent after every retry "
                "(see the outbox in the admin)"
            )
        elif (result.outbox_oldest_age or 0) > queue_stale_seconds():
            result.problems.append(
                f"an email has waited {_words(result.outbox_oldest_age)} to be sent"
            )
    return result


def officer_warning() -> str | None:
    """The banner for officers' pages: queued work that nobody is doing, or ``None``."""
    try:
        current = status()
    except DatabaseError:  # pragma: no cover - the page itself will fail louder
        return None
    if current.queue == "none" or current.ok:
        return None
    if current.ready == 0 and current.outbox == 0:
        return None  # no worker, but nothing waiting either: nothing is late yet
    return (
        "Queued work is not being done: "
        + "; ".join(current.problems)
        + ". Invitations, confirmations, closings and emails wait until a task worker runs."
    )


def _words(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 120:
        return f"{int(seconds)} seconds"
    if seconds < 7200:
        return f"{int(seconds // 60)} minutes"
    if seconds < 172800:
        return f"{int(seconds // 3600)} hours"
    return f"{int(seconds // 86400)} days"


# --- the heartbeat a worker writes -------------------------------------------------------
def beat(worker_id: str, *, queues: str = "", started_at: dt.datetime | None = None) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "seen_at": now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "queues": queues[:255],
        },
        create_defaults={
            "seen_at": now,
            "started_at": started_at or now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "queues": queues[:255],
        },
    )


def stop(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
