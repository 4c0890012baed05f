"""Queued work is visible when nobody does it (``core.taskqueue``, decision 0011): the
health endpoint reports the oldest waiting task and the workers' heartbeat, officers'
pages warn, and ``rankandfile task_worker`` writes the heartbeat."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rankandfile.core import taskqueue
from rankandfile.core.management.commands.task_worker import Heartbeat
from rankandfile.core.models import OutboxEmail, WorkerHeartbeat
from rankandfile.core.tasks import send_outbox_email
from tests.conftest import Party

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_tasks(settings: Any) -> None:
    settings.TASKS = DB_TASKS


def test_healthz_without_a_queue_is_ok(db: None, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["tasks"]["queue"] == "none" and body["tasks"]["problems"] == []


def test_healthz_reports_waiting_work_and_no_worker(
    db: None, client: Client, db_tasks: None
) -> None:
    send_outbox_email.enqueue(12345)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    tasks = body["tasks"]
    assert tasks["queue"] == "database" and tasks["ready"] == 1
    assert tasks["workers_alive"] == 0 and tasks["last_heartbeat_age_seconds"] is None
    assert tasks["oldest_ready_age_seconds"] is not None
    assert tasks["problems"] == [
        "1 task(s) waiting and no task worker running (no worker has ever reported): "
        "start 'rankandfile task_worker'"
    ]
    assert client.get("/healthz").status_code == 200  # load balancers keep the web server
    assert client.get("/healthz?strict=1").status_code == 503  # monitors see the problem


def test_a_fresh_heartbeat_and_a_fresh_queue_are_ok(
    db: None, client: Client, db_tasks: None
) -> None:
    send_outbox_email.enqueue(12345)
    taskqueue.beat("w1", queues="default")
    response = client.get("/healthz?strict=1")
    assert response.status_code == 200, response.json()
    assert response.json()["tasks"]["workers_alive"] == 1


def test_a_stale_heartbeat_and_a_stuck_task_are_reported(
    db: None, client: Client, db_tasks: None
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send_outbox_email.enqueue(12345)
        taskqueue.beat("w1")
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        body = client.get("/healthz?strict=1")
        assert body.status_code == 503
        problems = body.json()["tasks"]["problems"]
    assert "the last worker heartbeat was 10 minutes ago" in problems[0]
    assert problems[1] == "the oldest waiting task has waited 10 minutes"


def test_a_worker_alive_but_stuck_queue_is_reported(db: None, db_tasks: None) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send_outbox_email.enqueue(1)
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        taskqueue.beat("w1")
        current = taskqueue.status()
    assert current.workers == 1
    assert current.problems == ["the oldest waiting task has waited 6 minutes"]


def test_a_task_deferred_to_later_is_not_waiting(db: None, db_tasks: None) -> None:
    send_outbox_email.using(run_after=timezone.now() + dt.timedelta(hours=1)).enqueue(1)
    taskqueue.beat("w1")
    current = taskqueue.status()
    assert current.ready == 0 and current.ok


def test_an_email_that_used_every_retry_is_reported(db: None) -> None:
    OutboxEmail.objects.create(message={"to": ["a@example.org"]}, attempts=6)
    current = taskqueue.status()
    assert current.outbox == 1 and current.outbox_failed == 1
    assert current.problems == [
        "1 email(s) could not be sent after every retry (see the outbox in the admin)"
    ]


# --- officers' pages --------------------------------------------------------------------------
WARNING = "Queued work is not being done"


def test_officers_pages_warn_when_work_waits_without_a_worker(
    party: Party, client: Client, db_tasks: None
) -> None:
    from tests.ballots.factories import BallotFactory

    ballot = BallotFactory(clp=party.northtown)
    client.force_login(party.clp_secretary)
    manage = f"/ballots/{ballot.pk}/manage/"
    assert WARNING not in client.get(manage).content.decode()  # nothing waiting yet
    send_outbox_email.enqueue(1)
    html = client.get(manage).content.decode()
    assert WARNING in html and "no task worker running" in html
    taskqueue.beat("w1")
    assert WARNING not in client.get(manage).content.decode()  # a worker is on it


def test_the_warning_is_on_officer_pages_only(party: Party, client: Client, db_tasks: None) -> None:
    send_outbox_email.enqueue(1)
    client.force_login(party.member)
    assert WARNING not in client.get("/").content.decode()
    client.force_login(party.clp_secretary)
    html = client.get("/members/import/").content.decode()
    assert WARNING in html


# --- the worker's heartbeat -------------------------------------------------------------------
def test_the_heartbeat_is_written_and_removed(db: None) -> None:
    beat = Heartbeat("worker-a", "default", 0.01)
    beat.beat()
    row = WorkerHeartbeat.objects.get(worker_id="worker-a")
    assert row.queues == "default" and row.pid > 0
    first = row.seen_at
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5), tick=False):
        beat.beat()
    assert WorkerHeartbeat.objects.get(worker_id="worker-a").seen_at > first
    assert WorkerHeartbeat.objects.get(worker_id="worker-a").started_at == row.started_at
    beat.stop()
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_command_runs_tasks_and_reports_while_it_runs(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS = DB_TASKS
    seen: list[int] = []
    original = Heartbeat.beat

    def beat_and_note(self: Heartbeat) -> None:
        original(self)
        seen.append(WorkerHeartbeat.objects.filter(worker_id=self.worker_id).count())

    monkeypatch.setattr(Heartbeat, "beat", beat_and_note)
    row = OutboxEmail.objects.create(
        message={
            "subject": "s", "body": "b", "from_email": "x@example.org", "to": ["y@example.org"],
            "cc": [], "bcc": [], "reply_to": [], "headers": {}, "alternatives": [],
        }
    )  # fmt: skip
    send_outbox_email.enqueue(row.pk)
    call_command("task_worker", "--batch", "--no-startup-delay", "--worker-id", "w-test", "-v", "0")
    assert seen and seen[0] == 1  # the heartbeat was there while the worker ran
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert not OutboxEmail.objects.exists()  # sent and deleted
    assert not WorkerHeartbeat.objects.exists()  # removed when the worker stopped
