"""Meeting notices and officers' messages are sent exactly once (decision 0026, as
0018): a worker that dies after leasing is resumed with the same Message-ID, a send that
raised is retried, nothing is sent twice; a bounced address is skipped next time."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from rankandfile.meetings import mail as meetings_mail
from rankandfile.meetings import services, tasks
from rankandfile.meetings.models import CommunicationPreference, Delivery, OfficerMessage
from tests.conftest import Party

pytestmark = pytest.mark.django_db


def queue_message(p: Party) -> OfficerMessage:
    with services.notices_suppressed():
        return services.message_send(
            actor=p.clp_secretary,
            clp=p.northtown,
            audience="everyone",
            subject="Canvassing",
            body="Dear {first_name}",
        )


def test_a_worker_that_died_after_leasing_is_resumed_once_with_the_same_message_id(
    p: Party,
) -> None:
    msg = queue_message(p)
    rows = Delivery.objects.filter(message=msg)
    total = rows.count()
    assert total >= 2 and not mail.outbox
    dead = rows.order_by("pk").first()
    assert dead is not None
    # The dead worker leased the row and committed its intent, then died before sending.
    Delivery.objects.filter(pk=dead.pk).update(
        lease_owner="dead" * 4,
        lease_until=timezone.now() + dt.timedelta(seconds=60),
        email_id="<intent-1@rankandfile>",
    )
    # While the lease holds, the resume job leaves the row alone.
    tasks.resume_stalled()
    assert Delivery.objects.get(pk=dead.pk).state == "queued"
    assert len(mail.outbox) == total - 1
    # The lease expires: the job resumes it, with the Message-ID of the intent.
    Delivery.objects.filter(pk=dead.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.resume_stalled() == 1
    assert len(mail.outbox) == total
    resent = [m for m in mail.outbox if m.extra_headers["Message-ID"] == "<intent-1@rankandfile>"]
    assert len(resent) == 1 and resent[0].to == [dead.member.email]
    assert set(rows.values_list("state", flat=True)) == {"sent"}
    # Nothing left: running again sends nothing.
    assert tasks.resume_stalled() == 0
    tasks.send_deliveries.enqueue("message", msg.pk)
    assert len(mail.outbox) == total
    assert len({m.to[0] for m in mail.outbox}) == total


def test_a_send_that_raised_is_retried_with_the_same_message_id(p: Party, monkeypatch: Any) -> None:
    real = EmailMessage.send
    seen: list[str] = []

    def flaky(self: EmailMessage, fail_silently: bool = False) -> int:
        seen.append(self.extra_headers["Message-ID"])
        if len(seen) == 1:
            raise smtplib.SMTPServerDisconnected("dropped")
        return real(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    msg = queue_message(p)
    first = Delivery.objects.filter(message=msg).order_by("pk").first()
    assert first is not None
    tasks.send_deliveries.enqueue("message", msg.pk)
    first.refresh_from_db()
    assert first.state == "sent" and first.attempts == 2
    assert seen.count(first.email_id) == 2  # the retry carried the same Message-ID
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        Delivery.objects.filter(message=msg).values_list("member__email", flat=True)
    )


def test_a_permanent_refusal_or_the_last_attempt_fails_the_row(
    p: Party, monkeypatch: Any, settings: Any
) -> None:
    settings.MEETINGS_EMAIL_MAX_ATTEMPTS = 2

    def refuse(self: EmailMessage, fail_silently: bool = False) -> int:
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    msg = queue_message(p)
    tasks.send_deliveries.enqueue("message", msg.pk)
    rows = Delivery.objects.filter(message=msg)
    assert set(rows.values_list("state", "attempts")) == {("failed", 2)}
    assert tasks.resume_stalled() == 0


def test_two_workers_never_hold_the_same_row(p: Party) -> None:
    msg = queue_message(p)
    a = tasks._lease("message_id", msg.pk, 1, "a" * 16)
    b = tasks._lease("message_id", msg.pk, 100, "b" * 16)
    assert len(a) == 1 and a[0] not in b
    assert tasks._lease("message_id", msg.pk, 100, "c" * 16) == []
    row = Delivery.objects.select_related("member").get(pk=a[0])
    assert tasks.send_one(row, "b" * 16) == "taken"  # not b's lease
    assert tasks.send_one(row, "a" * 16) == "sent"
    assert tasks.send_one(row, "a" * 16) == "taken"  # already sent
    assert len(mail.outbox) == 1


def test_a_bounced_address_is_skipped_next_time_and_counted(p: Party) -> None:
    msg = queue_message(p)
    tasks.send_deliveries.enqueue("message", msg.pk)
    row = Delivery.objects.get(message=msg, member=p.me)
    assert meetings_mail.mark_bounced(message_id=row.email_id, why="bounced: no mailbox") == 1
    pref = CommunicationPreference.objects.get(member=p.me)
    assert pref.bounced_address == "mary@example.org" and pref.bounced_at is not None
    assert pref.officer_messages and pref.meeting_notices  # the choices are untouched
    # The officers' preview counts the skipped address before anything is sent.
    from django.test import Client
    from django.urls import reverse

    officer = Client()
    officer.force_login(p.clp_secretary)
    preview = {
        "unit": f"c:{p.northtown.pk}",
        "audience": "everyone",
        "subject": "Canvassing",
        "body": "Dear {first_name}",
        "preview": "1",
    }
    r = officer.post(reverse("meetings:message_new"), preview)
    assert r.status_code == 200 and "To <strong>2 members</strong>" in r.text
    assert "1 whose address bounced" in r.text
    again = queue_message(p)
    assert again.skipped_bounced == 1
    page = officer.get(reverse("meetings:message", args=[again.pk])).text
    assert "1 had an address that bounced" in page
    assert not Delivery.objects.filter(message=again, member=p.me).exists()
    # A meeting notice skips the address too.
    from tests.meetings.conftest import schedule

    meeting = schedule(p.branch_officer, branch=p.riverside)
    assert not Delivery.objects.filter(meeting=meeting, member=p.me).exists()
    # A corrected address is tried again.
    p.me.email = "mary.new@example.org"
    p.me.save(update_fields=["email"])
    third = queue_message(p)
    assert third.skipped_bounced == 0
    assert Delivery.objects.filter(message=third, member=p.me).exists()
