"""Housekeeping jobs of the platform, run by the scheduler (``rankandfile.schedule``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

TASK_RESULTS_KEEP_DAYS = 14
FAILED_TASK_RESULTS_KEEP_DAYS = 60


def prune_task_results() -> str:
    """Delete finished task results of the database queue: successful ones after
    ``TASK_RESULTS_KEEP_DAYS`` days, failed ones (kept longer, for diagnosis) after
    ``FAILED_TASK_RESULTS_KEEP_DAYS``. Queued and running tasks are never touched."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    aliases = [b.alias for b in task_backends.all() if isinstance(b, DatabaseBackend)]
    if not aliases:
        return "no database task queue is configured"
    now = timezone.now()
    deleted, _ = (
        DBTaskResult.objects.finished()
        .filter(backend_name__in=aliases)
        .filter(
            Q(
                status=TaskResultStatus.SUCCESSFUL,
                finished_at__lte=now - dt.timedelta(days=TASK_RESULTS_KEEP_DAYS),
            )
            | Q(
                status=TaskResultStatus.FAILED,
                finished_at__lte=now - dt.timedelta(days=FAILED_TASK_RESULTS_KEEP_DAYS),
            )
        )
        .delete()
    )
    return f"{deleted} task result(s) deleted"
