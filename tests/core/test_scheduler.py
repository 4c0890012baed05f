"""The periodic jobs' scheduler: schedules, the lease row, the command (decision 0012).

time-machine moves the clock; two "schedulers" are two callers of ``tick`` with
different identities (and, in the race test, two threads on two connections).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import os
import threading
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from rankandfile.core import scheduler
from rankandfile.core.models import ScheduledJob
from rankandfile.core.scheduler import Daily, Every, Job
from rankandfile.schedule import JOBS

UTC = dt.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
CALLS: list[str] = []


def record_call() -> int:
    CALLS.append("called")
    return len(CALLS)


def fail_call() -> None:
    raise RuntimeError("the job broke")


MINUTELY = Job("minutely", Every(minutes=1), "test", call="tests.core.test_scheduler.record_call")
HOURLY = Job(
    "hourly", Every(hours=1, at_minute=5), "test", call="tests.core.test_scheduler.record_call"
)
NIGHTLY = Job("nightly", Daily("03:30"), "test", call="tests.core.test_scheduler.record_call")
REGISTRY = (MINUTELY, HOURLY, NIGHTLY)


@pytest.fixture(autouse=True)
def _calls() -> None:
    CALLS.clear()


@pytest.fixture
def test_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker side looks jobs up in the registry: make it the test registry."""
    failing = Job("failing", Every(minutes=1), "x", call="tests.core.test_scheduler.fail_call")
    monkeypatch.setattr(scheduler, "jobs", lambda: (*REGISTRY, failing))


@contextlib.contextmanager
def at(when: dt.datetime, capture: Any) -> Iterator[Any]:
    """The clock stopped at ``when``; on-commit callbacks (the enqueued runs) executed."""
    with time_machine.travel(when, tick=False), capture(execute=True) as callbacks:
        yield callbacks


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- schedules ------------------------------------------------------------------------
def test_every_minute_is_due_on_each_whole_minute() -> None:
    every = Every(minutes=1)
    assert every.last_due(utc(2026, 5, 1, 10, 7, 59)) == utc(2026, 5, 1, 10, 7)
    assert every.last_due(utc(2026, 5, 1, 10, 7)) == utc(2026, 5, 1, 10, 7)
    assert every.next_due(utc(2026, 5, 1, 10, 7, 0)) == utc(2026, 5, 1, 10, 8)


def test_hourly_at_a_minute_past() -> None:
    hourly = Every(hours=1, at_minute=5)
    assert hourly.last_due(utc(2026, 5, 1, 10, 4)) == utc(2026, 5, 1, 9, 5)
    assert hourly.last_due(utc(2026, 5, 1, 10, 5)) == utc(2026, 5, 1, 10, 5)
    assert hourly.next_due(utc(2026, 5, 1, 10, 5)) == utc(2026, 5, 1, 11, 5)
    assert hourly.describe() == "every hour at minute 5"


def test_every_fifteen_minutes() -> None:
    quarter = Every(minutes=15)
    assert quarter.last_due(utc(2026, 5, 1, 10, 44)) == utc(2026, 5, 1, 10, 30)
    assert quarter.describe() == "every 15 minutes"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "positive period"),
        ({"minutes": -5}, "positive period"),
        ({"hours": 1, "at_minute": 60}, "inside the period"),
        ({"minutes": 10, "at_minute": 10}, "inside the period"),
    ],
)
def test_bad_every_is_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Every(**kwargs)


@pytest.mark.parametrize(("at", "days"), [("3:30", ()), ("24:00", ()), ("03:30", ("monday",))])
def test_bad_daily_is_refused(at: str, days: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=r"HH:MM|unknown day"):
        Daily(at, days=days)


def test_daily_is_local_time_in_summer_and_winter() -> None:
    nightly = Daily("03:30")
    # Winter: London is UTC. Summer: BST, so 03:30 local is 02:30 UTC.
    assert nightly.last_due(utc(2026, 1, 15, 12)) == utc(2026, 1, 15, 3, 30)
    assert nightly.last_due(utc(2026, 7, 15, 12)) == utc(2026, 7, 15, 2, 30)
    assert nightly.last_due(utc(2026, 7, 15, 2, 29)) == utc(2026, 7, 14, 2, 30)
    assert nightly.next_due(utc(2026, 7, 15, 2, 30)) == utc(2026, 7, 16, 2, 30)


@pytest.mark.parametrize("first_day", [dt.date(2026, 3, 27), dt.date(2026, 10, 23)])
def test_daily_is_due_exactly_once_each_day_across_the_clock_change(first_day: dt.date) -> None:
    for at in ("01:30", "03:30", "00:00", "23:59"):
        nightly = Daily(at)
        start = dt.datetime.combine(first_day, dt.time(0), tzinfo=LONDON).astimezone(UTC)
        due_times = set()
        now = start
        while now < start + dt.timedelta(days=5):
            due_times.add(nightly.last_due(now))
            now += dt.timedelta(minutes=10)
        local_days = sorted(t.astimezone(LONDON).date() for t in due_times)
        assert len(local_days) == len(set(local_days)), (at, sorted(due_times))
        # Consecutive due times are about a day apart (23 to 25 hours).
        ordered = sorted(due_times)
        for a, b in itertools.pairwise(ordered):
            assert dt.timedelta(hours=22) < b - a < dt.timedelta(hours=26), (at, a, b)


def test_weekly_runs_only_on_its_days() -> None:
    mondays = Daily("06:00", days=("mon",))
    # 2026-05-06 is a Wednesday: the last Monday 06:00 BST was 2026-05-04 05:00 UTC.
    assert mondays.last_due(utc(2026, 5, 6, 12)) == utc(2026, 5, 4, 5)
    assert mondays.next_due(utc(2026, 5, 6, 12)) == utc(2026, 5, 11, 5)


# --- the registry ----------------------------------------------------------------------
def test_a_job_names_exactly_one_target() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Job("both", Every(minutes=1), "x", call="a.b", command=("clearsessions",))
    with pytest.raises(ValueError, match="exactly one"):
        Job("neither", Every(minutes=1), "x")
    with pytest.raises(ValueError, match="lower-case"):
        Job("Bad Name", Every(minutes=1), "x", call="a.b")


def test_the_shipped_schedule_resolves_and_covers_the_periodic_commands() -> None:
    assert scheduler.problems(JOBS) == []
    names = {job.name for job in JOBS}
    assert {
        "ballots_close_due",
        "selections_send_reminders",
        "campaigns_send_reminders",
        "campaigns_purge_expired",
        "accountability_alert_digests",
    } <= names
    assert len(names) == len(JOBS)


def test_problems_name_duplicates_and_unresolvable_targets() -> None:
    broken = (
        MINUTELY,
        MINUTELY,
        Job("gone", Every(minutes=1), "x", call="rankandfile.nowhere.nothing"),
        Job("typo", Every(minutes=1), "x", command=("no_such_command",)),
    )
    found = scheduler.problems(broken)
    assert "job 'minutely' is listed more than once" in found
    assert any("'gone'" in p and "cannot be imported" in p for p in found)
    assert "job 'typo': no management command 'no_such_command'" in found


def test_system_check_reports_a_broken_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    from rankandfile.core.checks import schedule_check

    assert schedule_check() == []
    monkeypatch.setattr(scheduler, "jobs", lambda: (MINUTELY, MINUTELY))
    errors = schedule_check()
    assert [e.id for e in errors] == ["rankandfile.E010"]


# --- ticking ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_each_due_time_fires_once(django_capture_on_commit_callbacks: Any, test_jobs: None) -> None:
    with at(utc(2026, 5, 1, 10, 7, 30), django_capture_on_commit_callbacks):
        first = scheduler.tick(registry=REGISTRY, by="a")
    # A job never run before is run once for its latest due time (catch-up).
    assert {(f.job, f.due_at) for f in first} == {
        ("minutely", utc(2026, 5, 1, 10, 7)),
        ("hourly", utc(2026, 5, 1, 10, 5)),
        ("nightly", utc(2026, 5, 1, 2, 30)),
    }
    assert len(CALLS) == 3
    with at(utc(2026, 5, 1, 10, 7, 59), django_capture_on_commit_callbacks):
        assert scheduler.tick(registry=REGISTRY, by="a") == []
        assert scheduler.tick(registry=REGISTRY, by="b") == []
    with at(utc(2026, 5, 1, 10, 8, 1), django_capture_on_commit_callbacks):
        again = scheduler.tick(registry=REGISTRY, by="b")
    assert [(f.job, f.due_at) for f in again] == [("minutely", utc(2026, 5, 1, 10, 8))]
    assert len(CALLS) == 4
    row = ScheduledJob.objects.get(name="minutely")
    assert row.last_due_at == utc(2026, 5, 1, 10, 8)
    assert row.claimed_by == "b"
    assert row.status == ScheduledJob.Status.OK
    assert row.runs == 2
    assert row.result == "4"


@pytest.mark.django_db
def test_missed_due_times_are_coalesced_into_one_run(
    django_capture_on_commit_callbacks: Any, test_jobs: None
) -> None:
    with at(utc(2026, 5, 1, 10, 0, 30), django_capture_on_commit_callbacks):
        scheduler.tick(registry=(MINUTELY,), by="a")
    # The scheduler was down for three hours: one run, for the latest due time.
    with at(utc(2026, 5, 1, 13, 0, 30), django_capture_on_commit_callbacks):
        fired = scheduler.tick(registry=(MINUTELY,), by="a")
    assert [f.due_at for f in fired] == [utc(2026, 5, 1, 13, 0)]
    assert len(CALLS) == 2


@pytest.mark.django_db
def test_a_stale_claim_never_moves_the_lease_backwards() -> None:
    scheduler.ensure_rows((MINUTELY,))
    now = utc(2026, 5, 1, 10, 8, 1)
    assert scheduler.claim(MINUTELY, utc(2026, 5, 1, 10, 8), now=now, by="a")
    # A scheduler whose clock runs a minute slow claims an older due time: refused.
    assert not scheduler.claim(MINUTELY, utc(2026, 5, 1, 10, 7), now=now, by="slow")
    assert not scheduler.claim(MINUTELY, utc(2026, 5, 1, 10, 8), now=now, by="b")
    assert ScheduledJob.objects.get(name="minutely").claimed_by == "a"


@pytest.mark.django_db
def test_worker_skips_a_run_superseded_by_a_later_due_time() -> None:
    scheduler.ensure_rows((MINUTELY,))
    now = utc(2026, 5, 1, 10, 9, 1)
    scheduler.claim(MINUTELY, utc(2026, 5, 1, 10, 9), now=now, by="a")
    # The worker reaches the 10:08 run only after 10:09 was queued: the later run covers it.
    outcome = scheduler.execute("minutely", utc(2026, 5, 1, 10, 8), registry=(MINUTELY,))
    assert outcome == "superseded by a later due time"
    assert CALLS == []
    assert ScheduledJob.objects.get(name="minutely").status == ScheduledJob.Status.QUEUED
    assert scheduler.execute("minutely", utc(2026, 5, 1, 10, 9), registry=(MINUTELY,)) == "1"
    assert ScheduledJob.objects.get(name="minutely").status == ScheduledJob.Status.OK


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_raised() -> None:
    failing = Job("failing", Every(minutes=1), "x", call="tests.core.test_scheduler.fail_call")
    scheduler.ensure_rows((failing,))
    due = utc(2026, 5, 1, 10, 9)
    scheduler.claim(failing, due, now=due, by="a")
    with pytest.raises(RuntimeError, match="the job broke"):
        scheduler.execute("failing", due, registry=(failing,))
    row = ScheduledJob.objects.get(name="failing")
    assert row.status == ScheduledJob.Status.FAILED
    assert "RuntimeError: the job broke" in row.error
    assert (row.runs, row.failures) == (1, 1)


@pytest.mark.django_db
def test_an_unknown_job_is_reported_not_run() -> None:
    assert "unknown job 'retired'" in scheduler.execute("retired", utc(2026, 5, 1), registry=())


@pytest.mark.django_db
def test_command_jobs_run_the_management_command() -> None:
    job = Job("sessions", Daily("04:00"), "x", command=("clearsessions",))
    assert job.run() == "done"


@pytest.mark.django_db
def test_tick_runs_the_task_through_the_task_backend(
    django_capture_on_commit_callbacks: Any,
    test_jobs: None,
) -> None:
    from django_tasks_db.models import DBTaskResult

    with at(utc(2026, 5, 1, 10, 7, 30), django_capture_on_commit_callbacks) as callbacks:
        scheduler.tick(registry=(MINUTELY,), by="a")
    # Immediate backend (tests): enqueued after the claim commits, run at once.
    assert len(callbacks) == 1
    assert CALLS == ["called"]
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db
def test_with_the_database_queue_the_claim_and_the_queued_task_commit_together(
    settings: Any,
    test_jobs: None,
) -> None:
    from django_tasks_db.models import DBTaskResult

    # django-tasks drops its cached backends when the setting changes.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with time_machine.travel(utc(2026, 5, 1, 10, 7, 30), tick=False):
        fired = scheduler.tick(registry=(MINUTELY, HOURLY), by="a")
    queued = list(DBTaskResult.objects.all())
    assert len(fired) == 2 == len(queued)
    assert sorted(r.args_kwargs["args"][0] for r in queued) == ["hourly", "minutely"]
    assert CALLS == []  # nothing ran in the scheduler: a worker will
    # What a worker does with each queued row (the worker process itself is exercised by
    # the production-stack test; it closes connections, which a test transaction forbids).
    from rankandfile.core.tasks import run_scheduled_job

    for row in queued:
        run_scheduled_job.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    assert len(CALLS) == 2
    assert set(ScheduledJob.objects.values_list("status", flat=True)) == {"ok"}


def _require_postgres_if_asked() -> None:
    if connection.vendor != "postgresql" and os.environ.get("RANKANDFILE_REQUIRE_POSTGRES") == "1":
        pytest.fail("RANKANDFILE_REQUIRE_POSTGRES=1 but the tests run on " + connection.vendor)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_schedulers_racing_fire_each_due_time_once(test_jobs: None) -> None:
    """Eight schedulers tick at the same instant, each on its own connection: each job
    is claimed by exactly one. On PostgreSQL they really overlap (the conditional UPDATE
    waits for the row lock, then re-checks); SQLite's in-memory test database allows one
    writer at a time, so there they start together and tick one after the other."""
    _require_postgres_if_asked()
    scheduler.ensure_rows(REGISTRY)
    barrier = threading.Barrier(8)
    gate: Any = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    fired: list[list[scheduler.Fired]] = [[] for _ in range(8)]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with gate:
                fired[i] = scheduler.tick(registry=REGISTRY, by=f"scheduler-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(utc(2026, 5, 1, 10, 7, 30), tick=False):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    claimed = sorted(f.job for batch in fired for f in batch)
    assert claimed == ["hourly", "minutely", "nightly"]
    assert len(CALLS) == 3


# --- the command ------------------------------------------------------------------------
@pytest.mark.django_db
def test_list_shows_every_job_with_its_schedule_and_last_run() -> None:
    out = io.StringIO()
    with time_machine.travel(utc(2026, 5, 1, 10, 7, 30), tick=False):
        call_command("scheduler", "--list", stdout=out)
    text = out.getvalue()
    for job in JOBS:
        assert job.name in text
        assert job.schedule.describe() in text
    assert "every minute; next 2026-05-01 11:08; never run" in text


@pytest.mark.django_db
def test_once_queues_what_is_due_and_a_second_run_queues_nothing() -> None:
    with time_machine.travel(utc(2026, 5, 1, 10, 7, 30), tick=False):
        out = io.StringIO()
        call_command("scheduler", "--once", stdout=out)
        assert out.getvalue().count(" queued ") == len(JOBS)
        again = io.StringIO()
        call_command("scheduler", "--once", stdout=again)
        assert again.getvalue() == ""
    out = io.StringIO()
    call_command("scheduler", "--list", stdout=out)
    assert "never run" not in out.getvalue()


@pytest.mark.django_db
def test_run_runs_one_job_and_refuses_unknown_names() -> None:
    out = io.StringIO()
    call_command("scheduler", "--run", "ballots_close_due", stdout=out)
    assert out.getvalue().strip() == "ballots_close_due: 0 item(s)"
    with pytest.raises(CommandError, match="no job 'nope'; the jobs are: ballots_close_due"):
        call_command("scheduler", "--run", "nope")


def test_interval_must_be_positive() -> None:
    with pytest.raises(CommandError, match="--interval must be a positive"):
        call_command("scheduler", "--interval", "0")


@pytest.mark.django_db
def test_the_long_running_loop_ticks_until_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    """``rankandfile scheduler`` ticks at once, then at each due time or interval, and
    stops cleanly on SIGTERM (what systemd and compose send)."""
    import signal

    from rankandfile.core.management.commands.scheduler import Command

    monkeypatch.setattr(scheduler, "jobs", lambda: REGISTRY)
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    timer = threading.Timer(1.5, os.kill, args=(os.getpid(), signal.SIGTERM))
    out = io.StringIO()
    try:
        timer.start()
        # Mid-minute, so no new due time comes round during the 1.5 seconds.
        with time_machine.travel(utc(2026, 5, 1, 10, 7, 30), tick=True):
            call_command(Command(), "--interval", "0.2", stdout=out)
    finally:
        timer.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    text = out.getvalue()
    assert "running 3 job(s); ticking at least every 0.2s" in text
    assert text.count(" queued ") == 3  # the first tick; later ticks find nothing new
    assert text.rstrip().endswith("scheduler stopped")
    assert ScheduledJob.objects.filter(last_due_at__isnull=False).count() == 3
