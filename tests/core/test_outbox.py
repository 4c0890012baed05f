"""Mail sent during a request goes through the outbox (``core.outbox``, decision 0011): an
SMTP server that refuses cannot fail the request, the message waits and is retried, and
a sent message leaves nothing behind."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.test import Client, RequestFactory

from rankandfile.core import outbox
from rankandfile.core.admin import OutboxEmailAdmin
from rankandfile.core.models import AuditEntry, OutboxEmail
from rankandfile.core.tasks import send_outbox_email
from tests.conftest import Party


def _closed_port() -> int:
    """A port in this project's range with nothing listening (connections are refused)."""
    for port in range(18590, 18600):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18590-18599")


@pytest.fixture
def refusing_smtp(settings: Any) -> None:
    """The real SMTP backend, pointed at a port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def test_password_reset_succeeds_when_smtp_refuses(
    party: Party, client: Client, refusing_smtp: None
) -> None:
    response = client.post("/accounts/password/reset/", {"email": "member@example.org"})
    assert response.status_code == 302  # before the outbox: ConnectionRefusedError, a 500
    row = OutboxEmail.objects.get()
    assert row.message["to"] == ["member@example.org"]
    assert "/accounts/password/reset/key/" in row.message["body"]
    assert row.attempts == 1 and "ConnectionRefusedError" in row.last_error


def test_the_queued_message_is_sent_later_and_removed(
    party: Party, client: Client, refusing_smtp: None, settings: Any
) -> None:
    client.post("/accounts/password/reset/", {"email": "member@example.org"})
    row = OutboxEmail.objects.get()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_outbox_email.call(row.pk) == "sent"
    assert not OutboxEmail.objects.exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["member@example.org"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert send_outbox_email.call(row.pk) == "already sent"  # a second run sends nothing


def test_with_a_queue_the_request_sends_nothing_itself(
    party: Party, client: Client, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    response = client.post("/accounts/password/reset/", {"email": "member@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
    task = DBTaskResult.objects.get()
    assert task.task_path == "rankandfile.core.tasks.send_outbox_email"
    assert task.args_kwargs["args"] == [OutboxEmail.objects.get().pk]  # no secret in the queue


def test_a_failed_send_is_retried_later_when_the_backend_defers(
    db: None, refusing_smtp: None, settings: Any
) -> None:
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    row = outbox.queue(mail.EmailMessage("s", "b", "x@example.org", ["y@example.org"]))
    result = send_outbox_email.call(row.pk)
    assert result.startswith("failed, retry at")
    row.refresh_from_db()
    assert row.attempts == 1
    deferred = [r for r in default_task_backend.results if r.task.run_after is not None]  # type: ignore[attr-defined]
    assert len(deferred) == 1 and deferred[0].args == [row.pk]
    row.attempts = len(outbox.RETRY_MINUTES) + 1
    row.save()
    assert outbox.retry_at(row.attempts) is None


def test_html_alternatives_and_headers_survive_the_outbox(db: None, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = mail.EmailMultiAlternatives(
        "Subject", "text", "from@example.org", ["to@example.org"], headers={"X-Tag": "t"}
    )
    message.attach_alternative("<p>html</p>", "text/html")
    outbox.queue(message)
    sent = mail.outbox[0]
    assert sent.subject == "Subject" and sent.body == "text"
    assert sent.alternatives[0][0] == "<p>html</p>" and sent.extra_headers["X-Tag"] == "t"


def test_an_admin_can_send_again_with_an_audit_entry(party: Party, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxEmail.objects.create(
        message=outbox._serialise(mail.EmailMessage("s", "b", "x@example.org", ["y@example.org"])),
        attempts=6,
    )
    request = RequestFactory().post("/admin/")
    request.user = party.national_admin
    model_admin = OutboxEmailAdmin(OutboxEmail, site)
    model_admin.message_user = lambda *a, **k: None  # type: ignore[method-assign]
    model_admin.send_again(request, OutboxEmail.objects.all())
    assert not OutboxEmail.objects.exists() and len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="core.outbox.retry").count() == 1
