"""``rankandfile scheduler``: the one process that runs the periodic jobs on time.

    rankandfile scheduler                 run until SIGTERM/SIGINT, ticking at each due time
    rankandfile scheduler --interval 15   ... and at least every 15 seconds (default 30)
    rankandfile scheduler --once          one tick: enqueue what is due now, then exit
    rankandfile scheduler --list          the schedule (rankandfile/schedule.py), last/next runs
    rankandfile scheduler --run NAME      run one job now, in this process (not a due time)

Jobs are enqueued on the task queue for ``rankandfile db_worker`` (run inline by the
immediate backend in development). Starting two schedulers is harmless: each due time
is claimed by one of them (``core.scheduler``, decision 0012).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from rankandfile.core import audit, scheduler

logger = logging.getLogger("rankandfile.scheduler")


class Command(BaseCommand):
    help = "Run the periodic jobs (ballot closing, reminders, purges…) on their schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--list", action="store_true", help="show the schedule and exit")
        mode.add_argument("--once", action="store_true", help="one tick, then exit")
        mode.add_argument("--run", metavar="NAME", help="run one job now, here, and exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="longest wait between ticks, in seconds (default 30)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        registry = scheduler.jobs()
        found = scheduler.problems(registry)
        if found:
            raise CommandError("the schedule is broken: " + "; ".join(found))
        if options["list"]:
            self._list(registry)
        elif options["run"]:
            job = scheduler.get_job(options["run"], registry)
            if job is None:
                names = ", ".join(j.name for j in registry)
                raise CommandError(f"no job {options['run']!r}; the jobs are: {names}")
            with audit.context("cli"):
                self.stdout.write(f"{job.name}: {job.run()}")
        elif options["once"]:
            self._tick(registry)
        else:
            if options["interval"] <= 0:
                raise CommandError("--interval must be a positive number of seconds")
            self._loop(registry, float(options["interval"]))

    def _tick(self, registry: tuple[scheduler.Job, ...]) -> None:
        for fired in scheduler.tick(registry=registry):
            self.stdout.write(
                f"{timezone.now():%Y-%m-%d %H:%M:%S%z} queued {fired.job} "
                f"(due {fired.due_at:%Y-%m-%d %H:%M:%S%z})"
            )
        self.stdout.flush()

    def _loop(self, registry: tuple[scheduler.Job, ...], interval: float) -> None:
        stop = threading.Event()

        def ask_to_stop(signum: int, _frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)
        self.stdout.write(
            f"scheduler {scheduler.identity()} running {len(registry)} job(s); "
            f"ticking at least every {interval:g}s"
        )
        self.stdout.flush()
        while not stop.is_set():
            close_old_connections()
            try:
                self._tick(registry)
            except DatabaseError:
                # The database went away (restart, failover): try again next tick.
                logger.exception("scheduler tick failed; retrying")
            now = timezone.now()
            wait = (scheduler.next_wake(now, registry) - now).total_seconds()
            stop.wait(max(0.05, min(interval, wait)))
        close_old_connections()
        self.stdout.write("scheduler stopped")

    def _list(self, registry: tuple[scheduler.Job, ...]) -> None:
        from rankandfile.core.models import ScheduledJob

        rows = {r.name: r for r in ScheduledJob.objects.filter(name__in=[j.name for j in registry])}
        now = timezone.now()
        for job in registry:
            row = rows.get(job.name)
            last = (
                f"last due {timezone.localtime(row.last_due_at):%Y-%m-%d %H:%M} "
                f"{row.get_status_display()}"
                + (f" ({row.result})" if row.result and row.status == "ok" else "")
                + (f": {row.error.strip().splitlines()[-1]}" if row.error else "")
                if row and row.last_due_at
                else "never run"
            )
            next_due = timezone.localtime(job.schedule.next_due(now))
            self.stdout.write(
                f"{job.name}\n"
                f"    {job.schedule.describe()}; next {next_due:%Y-%m-%d %H:%M}; {last}\n"
                f"    runs {job.target}\n"
                f"    {job.description}"
            )
