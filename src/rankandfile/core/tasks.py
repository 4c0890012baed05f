"""Background tasks of the platform (django-tasks).

- :func:`run_scheduled_job` runs one periodic job that ``rankandfile scheduler`` claimed
  for a due time (:mod:`rankandfile.core.scheduler`).
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from rankandfile.core import audit, scheduler


@task()
def run_scheduled_job(name: str, due_at: str) -> str:
    """Run the job ``name`` for its due time ``due_at`` (ISO 8601); skipped when a later
    due time has been claimed since (the later run covers this one)."""
    with audit.context("task"):
        return scheduler.execute(name, dt.datetime.fromisoformat(due_at))
