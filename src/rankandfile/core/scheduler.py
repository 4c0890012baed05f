"""The periodic jobs' scheduler: ``rankandfile scheduler`` (decision 0012).

The jobs and their schedules are one table, :data:`rankandfile.schedule.JOBS`; adding a
job is adding one :class:`Job` entry there. One scheduler process runs :func:`tick`
every few seconds. A tick finds, for each job, its latest due time; if no scheduler has
claimed that due time yet, it claims it — a conditional UPDATE of the job's lease row
(:class:`~rankandfile.core.models.ScheduledJob`) that moves ``last_due_at`` forward — and,
in the same transaction, enqueues :func:`rankandfile.core.tasks.run_scheduled_job` for a
task worker. The UPDATE succeeds for exactly one claimant (PostgreSQL re-checks the
condition after waiting for the row lock; SQLite serialises writers), so a second
scheduler started by mistake enqueues nothing twice.

Missed due times are coalesced: a scheduler that was stopped for a day fires each job
once when it comes back, not once per missed slot; a worker that finds a newer due time
already claimed skips the older run ("superseded"). Every job is therefore written as
"do everything that is due now", idempotent, like ``ballots_close_due``.

Times: :class:`Every` slots are aligned to the Unix epoch (so ``Every(hours=1,
at_minute=5)`` is five past every hour, in UTC and in London alike); :class:`Daily`
times are wall-clock times in ``settings.TIME_ZONE``. Keep daily jobs out of 01:00–02:00
local time, which happens twice or not at all on the clock-change days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import io
import os
import re
import socket
import traceback
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


# --- schedules ------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Every:
    """Every ``hours``/``minutes``, at ``at_minute`` past the slot (epoch-aligned)."""

    minutes: int = 0
    hours: int = 0
    at_minute: int = 0

    def __post_init__(self) -> None:
        if self.period <= dt.timedelta(0):
            raise ValueError("Every(...) needs a positive period")
        if self.period % dt.timedelta(minutes=1):
            raise ValueError("Every(...) periods are whole minutes")
        if not 0 <= self.at_minute * 60 < self.period.total_seconds():
            raise ValueError("at_minute must fall inside the period")

    @property
    def period(self) -> dt.timedelta:
        return dt.timedelta(hours=self.hours, minutes=self.minutes)

    def last_due(self, now: dt.datetime) -> dt.datetime:
        offset = dt.timedelta(minutes=self.at_minute)
        slots = (now - EPOCH - offset) // self.period
        return EPOCH + offset + slots * self.period

    def next_due(self, now: dt.datetime) -> dt.datetime:
        return self.last_due(now) + self.period

    def describe(self) -> str:
        total = int(self.period.total_seconds() // 60)
        unit = (
            f"{total // 60} hour(s)"
            if total % 60 == 0
            else ("minute" if total == 1 else f"{total} minutes")
        )
        if total == 60:
            unit = "hour"
        text = f"every {unit}"
        return text + (f" at minute {self.at_minute}" if self.at_minute else "")


@dataclasses.dataclass(frozen=True)
class Daily:
    """Every day (or only on ``days``, e.g. ``("mon",)``) at ``at`` ("HH:MM") local time."""

    at: str
    days: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.at):
            raise ValueError(f"Daily(at=...) must be HH:MM, not {self.at!r}")
        unknown = [d for d in self.days if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}: use {', '.join(WEEKDAYS)}")

    @property
    def time(self) -> dt.time:
        hour, minute = (int(x) for x in self.at.split(":"))
        return dt.time(hour, minute)

    def _runs_on(self, day: dt.date) -> bool:
        return not self.days or WEEKDAYS[day.weekday()] in self.days

    def _at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.time, tzinfo=_zone()).astimezone(UTC)

    def last_due(self, now: dt.datetime) -> dt.datetime:
        today = now.astimezone(_zone()).date()
        for back in range(8):
            day = today - dt.timedelta(days=back)
            if self._runs_on(day) and self._at(day) <= now:
                return self._at(day)
        raise AssertionError("unreachable: a week always holds a due day")  # pragma: no cover

    def next_due(self, now: dt.datetime) -> dt.datetime:
        today = now.astimezone(_zone()).date()
        for ahead in range(9):
            day = today + dt.timedelta(days=ahead)
            if self._runs_on(day) and self._at(day) > now:
                return self._at(day)
        raise AssertionError("unreachable: a week always holds a due day")  # pragma: no cover

    def describe(self) -> str:
        when = "daily" if not self.days else "on " + ", ".join(self.days)
        return f"{when} at {self.at} ({settings.TIME_ZONE})"


Schedule = Every | Daily


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(str(settings.TIME_ZONE))


# --- jobs -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Job:
    """One periodic job: exactly one of ``call`` (a dotted path to a function taking no
    arguments) or ``command`` (a management command and its arguments)."""

    name: str
    schedule: Schedule
    description: str
    call: str = ""
    command: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ValueError(f"job name {self.name!r}: lower-case letters, digits and _")
        if bool(self.call) == bool(self.command):
            raise ValueError(f"job {self.name!r}: give exactly one of call= or command=")

    @property
    def target(self) -> str:
        return self.call or "rankandfile " + " ".join(self.command)

    def run(self) -> str:
        """Run the job here and now; return a one-line summary of what it did."""
        if self.call:
            return summarise(resolve(self.call)())
        from django.core.management import call_command

        out = io.StringIO()
        call_command(*self.command, stdout=out)
        return " ".join(out.getvalue().split())[:2000] or "done"


def resolve_value(path: str) -> Any:
    """The object a dotted path names (``module.attribute``)."""
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def resolve(path: str) -> Callable[[], Any]:
    found = resolve_value(path)
    if not callable(found):
        raise TypeError(f"{path} is not callable")
    return found  # type: ignore[no-any-return]


def summarise(result: Any) -> str:
    if result is None:
        return "done"
    if isinstance(result, bool | int | float | str):
        return str(result)[:2000]
    if isinstance(result, list | tuple | set | frozenset):
        return f"{len(result)} item(s)"
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        fields = dataclasses.asdict(result)
        return ", ".join(f"{k}={v}" for k, v in fields.items())[:2000]
    return str(result)[:2000]


def jobs() -> tuple[Job, ...]:
    """The registry named by ``settings.RANKANDFILE_SCHEDULE``
    (:data:`rankandfile.schedule.JOBS`): the table sits above every app, core below them,
    so core reads it by name, as Django reads ``ROOT_URLCONF``."""
    return tuple(resolve_value(settings.RANKANDFILE_SCHEDULE))


def get_job(name: str, registry: Sequence[Job] | None = None) -> Job | None:
    return next((j for j in (registry or jobs()) if j.name == name), None)


def problems(registry: Sequence[Job]) -> list[str]:
    """What is wrong with a registry: duplicate names, targets that do not resolve."""
    from django.core.management import get_commands

    found: list[str] = []
    names = [j.name for j in registry]
    for name in sorted({n for n in names if names.count(n) > 1}):
        found.append(f"job {name!r} is listed more than once")
    commands = get_commands()
    for job in registry:
        if job.call:
            try:
                resolve(job.call)
            except (ImportError, AttributeError, TypeError, ValueError) as exc:
                found.append(f"job {job.name!r}: {job.call} cannot be imported ({exc})")
        elif job.command[0] not in commands:
            found.append(f"job {job.name!r}: no management command {job.command[0]!r}")
    return found


# --- claiming and running ---------------------------------------------------------------
def identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


@dataclasses.dataclass(frozen=True)
class Fired:
    job: str
    due_at: dt.datetime


def _runs_in_process() -> bool:
    """Whether the task backend runs a task inside ``enqueue`` (the immediate backend)."""
    from django_tasks.backends.immediate import ImmediateBackend

    from rankandfile.core.tasks import run_scheduled_job

    return isinstance(run_scheduled_job.get_backend(), ImmediateBackend)


def ensure_rows(registry: Iterable[Job]) -> None:
    from rankandfile.core.models import ScheduledJob

    ScheduledJob.objects.bulk_create(
        [ScheduledJob(name=j.name) for j in registry], ignore_conflicts=True
    )


def claim(job: Job, due_at: dt.datetime, *, now: dt.datetime, by: str) -> bool:
    """Move the job's ``last_due_at`` to ``due_at`` if nobody has claimed it yet.

    Must run inside a transaction. The conditional UPDATE is the lease: of two
    schedulers racing for the same due time, exactly one updates a row.
    """
    from rankandfile.core.models import ScheduledJob

    return (
        ScheduledJob.objects.filter(name=job.name)
        .filter(Q(last_due_at__isnull=True) | Q(last_due_at__lt=due_at))
        .update(
            last_due_at=due_at,
            claimed_at=now,
            claimed_by=by,
            status=ScheduledJob.Status.QUEUED,
        )
        == 1
    )


def tick(
    now: dt.datetime | None = None, *, registry: Sequence[Job] | None = None, by: str = ""
) -> list[Fired]:
    """Claim and enqueue every job whose latest due time nobody has claimed yet."""
    from rankandfile.core.tasks import run_scheduled_job

    now = now or timezone.now()
    registry = tuple(registry if registry is not None else jobs())
    by = by or identity()
    ensure_rows(registry)
    fired: list[Fired] = []
    for job in registry:
        due_at = job.schedule.last_due(now)
        with transaction.atomic():
            if not claim(job, due_at, now=now, by=by):
                continue
            args = (job.name, due_at.isoformat())
            if _runs_in_process():
                # Development and tests: the task would run inside this transaction.
                transaction.on_commit(partial(run_scheduled_job.enqueue, *args))
            else:
                # The database queue: the claim and the queued run commit together.
                run_scheduled_job.enqueue(*args)
        fired.append(Fired(job.name, due_at))
    return fired


def next_wake(now: dt.datetime, registry: Sequence[Job] | None = None) -> dt.datetime:
    return min(j.schedule.next_due(now) for j in (registry or jobs()))


def execute(name: str, due_at: dt.datetime, registry: Sequence[Job] | None = None) -> str:
    """Run one claimed job (the worker side), recording the outcome on its lease row."""
    from rankandfile.core.models import ScheduledJob

    job = get_job(name, registry)
    if job is None:
        return f"unknown job {name!r} (removed from the schedule?)"
    current = ScheduledJob.objects.filter(name=name).values_list("last_due_at", flat=True).first()
    if current is not None and current > due_at:
        return "superseded by a later due time"
    mine = ScheduledJob.objects.filter(name=name, last_due_at=due_at)
    mine.update(status=ScheduledJob.Status.RUNNING, started_at=timezone.now(), error="")
    try:
        summary = job.run()
    except Exception:
        mine.update(
            status=ScheduledJob.Status.FAILED,
            finished_at=timezone.now(),
            error=traceback.format_exc()[-4000:],
            runs=F("runs") + 1,
            failures=F("failures") + 1,
        )
        raise
    mine.update(
        status=ScheduledJob.Status.OK,
        finished_at=timezone.now(),
        result=summary,
        runs=F("runs") + 1,
    )
    return summary
