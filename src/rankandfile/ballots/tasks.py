"""Background tasks for ballots (django-tasks, the package that became Django 6's tasks).

- :func:`send_ballot_emails` sends the invitations or reminders owed to the next batch of
  a ballot's electors (:func:`rankandfile.ballots.invitations.deliver`: leased, throttled,
  retried, exactly one email per elector).
- :func:`resume_sends_task` and ``ballots_resume_sends`` queue work for owed emails nobody
  is sending (after a worker was killed).
- :func:`close_ballot_task` closes and counts one ballot at its closing time.
- :func:`mix_ballot_task` moves a ballot's pending sealed papers into the sealed box
  (:func:`rankandfile.ballots.secrecy.mix`), enqueued by the vote that completes a batch.

Which backend runs them is the ``TASKS`` setting: ``django_tasks_db.DatabaseBackend`` in
production (a worker runs ``rankandfile task_worker``: ``db_worker`` with a heartbeat),
the ``ImmediateBackend`` in development and tests, which runs a task as soon as it is
enqueued.

Closing at the right time needs a backend that can defer a task
(``supports_defer``, i.e. ``run_after``). :func:`schedule_close` — called by
``services.ballot_open`` — enqueues :func:`close_ballot_task` with
``run_after=closes_at`` only when the backend supports that; the immediate backend does
not (it would run the task at once, while the ballot is still open), so there nothing is
enqueued and ballots are closed by ``manage.py ballots_close_due`` (run it every minute
from cron or a systemd timer; it is harmless to run it in production as well, as a
safety net behind the deferred task) or lazily by the web layer when a closed-but-due
ballot is viewed. Closing is idempotent: whichever runs first closes and counts the
ballot, the others find it no longer open and do nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from rankandfile.ballots import invitations, secrecy, tally
from rankandfile.ballots.models import Ballot
from rankandfile.core import audit

logger = logging.getLogger(__name__)


@task()
def send_ballot_emails(ballot_id: int) -> dict[str, int]:
    """Send the emails owed to the next batch of a ballot's electors."""
    with audit.context("task"):
        return invitations.deliver(ballot_id)


def waiting_send_tasks(ballot_id: int) -> int:
    """How many :func:`send_ballot_emails` tasks for ``ballot_id`` wait in the database
    queue (0 with a backend that keeps no queue, such as the immediate one)."""
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return 0
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(send_ballot_emails.get_backend(), DatabaseBackend):
        return 0

    return DBTaskResult.objects.filter(
        status="READY",
        task_path=send_ballot_emails.module_path,
        args_kwargs__args=[ballot_id],
    ).count()


@task()
def close_ballot_task(ballot_id: int) -> str:
    """Close and count a ballot whose closing time has come (a no-op if it is not open).

    If the task runs early (a worker clock behind the database's, or a backend that ran
    it before ``run_after``), it schedules itself again rather than closing early.
    """
    ballot = Ballot.objects.filter(pk=ballot_id).first()
    if ballot is None or ballot.state != Ballot.State.OPEN:
        return "not open"
    if timezone.now() < ballot.closes_at:
        schedule_close(ballot)
        return "not due"
    with audit.context("task"):
        ballot = tally.ballot_close(actor=None, ballot=ballot)
    return str(ballot.state)


@task()
def mix_ballot_task(ballot_id: int) -> int:
    """Mix the ballot's pending papers (a no-op below a batch, or if another mixer is at
    it); the number moved."""
    return secrecy.mix(ballot_id)


def supports_deferred_tasks() -> bool:
    """Whether the configured task backend can run a task at a given time."""
    return bool(getattr(default_task_backend, "supports_defer", False))


def schedule_close(ballot: Ballot) -> bool:
    """Arrange for :func:`close_ballot_task` to run at the ballot's closing time, after
    the current transaction commits. Returns ``False`` (and enqueues nothing) when the
    backend cannot defer tasks: ``ballots_close_due`` then does the closing."""
    if not supports_deferred_tasks():
        return False
    ballot_id, closes_at = ballot.pk, ballot.closes_at

    def enqueue() -> Any:
        return close_ballot_task.using(run_after=closes_at).enqueue(ballot_id)

    transaction.on_commit(enqueue)
    return True
