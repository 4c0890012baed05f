"""``rankandfile task_worker``: django-tasks-db's ``db_worker`` plus a heartbeat.

Takes every option of ``db_worker`` (``--queue-name``, ``--interval``, ``--batch``...).
A daemon thread writes this worker's :class:`~rankandfile.core.models.WorkerHeartbeat`
row every ``TASKS_HEARTBEAT_SECONDS`` (on its own database connection) while the worker
runs, including while it runs a long task; the row is removed when the worker stops. The
health endpoint and officers' pages read it (``core.taskqueue``, decision 0011). A
process that is killed outright leaves its row, which goes stale after
``TASKS_WORKER_STALE_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import DatabaseError, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from rankandfile.core import taskqueue

logger = logging.getLogger(__name__)


class Heartbeat:
    """Beats for ``worker_id`` every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, worker_id: str, queues: str, interval: float) -> None:
        self.worker_id = worker_id
        self.queues = queues
        self.interval = interval
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="task-heartbeat", daemon=True)

    def beat(self) -> None:
        try:
            taskqueue.beat(self.worker_id, queues=self.queues, started_at=self.started_at)
        except DatabaseError as exc:  # a locked SQLite file, a dropped connection: next time
            logger.warning("task worker heartbeat not written: %s", exc)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.beat()
        finally:
            connection.close()  # this thread's connection

    def start(self) -> None:
        self.beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=self.interval + 5)
        try:
            taskqueue.stop(self.worker_id)
        except DatabaseError as exc:  # pragma: no cover - it goes stale instead
            logger.warning("task worker heartbeat not removed: %s", exc)


class Command(DbWorkerCommand):
    help = "Run the database task worker (db_worker) and report its heartbeat."

    def handle(self, *args: Any, **options: Any) -> None:
        heartbeat = Heartbeat(
            str(options["worker_id"]),
            str(options.get("queue_name", "")),
            taskqueue.heartbeat_seconds(),
        )
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()
