"""The periodic email of the audit log head to the scrutineers (audit_publish_head)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from rankandfile.core.models import AuditAnchor, AuditEntry
from rankandfile.membership import queries, tasks
from rankandfile.membership.models import Role
from tests.conftest import Party
from tests.membership import factories as f


def test_scrutineer_emails_are_the_active_scrutineers_only(party: Party) -> None:
    ended = f.UserFactory(email="former@example.org")
    f.RoleFactory(user=ended, kind=Role.Kind.SCRUTINEER, end=dt.date(2020, 1, 1))
    inactive = f.UserFactory(email="inactive@example.org", is_active=False)
    f.RoleFactory(user=inactive, kind=Role.Kind.SCRUTINEER)
    regional = f.UserFactory(email="regional-scrutineer@example.org")
    f.RoleFactory(user=regional, kind=Role.Kind.SCRUTINEER, region=party.north)
    assert queries.scrutineer_emails() == [
        "regional-scrutineer@example.org",
        "scrutineer@example.org",
    ]


def test_command_emails_the_head_to_scrutineers_and_extra_recipients(
    party: Party, settings, capsys
) -> None:  # type: ignore[no-untyped-def]
    settings.AUDIT_HEAD_RECIPIENTS = ["outside@independent.example"]
    call_command("audit_publish_head")
    anchor = AuditAnchor.objects.get()
    entry = AuditEntry.objects.get(seq=anchor.seq)
    assert entry.channel == "cli" and entry.action == "core.audit.publish_head"
    assert sorted(m.to[0] for m in mail.outbox) == [
        "outside@independent.example",
        "scrutineer@example.org",
    ]
    assert all(anchor.text in m.body for m in mail.outbox)
    assert f"published head {anchor.text} to 2 recipient(s)" in capsys.readouterr().out
    call_command("audit_verify", "--expect", anchor.text)


def test_command_fails_clearly_with_nobody_to_tell(db: None) -> None:
    with pytest.raises(CommandError, match="appoint a scrutineer"):
        call_command("audit_publish_head")
    assert not AuditAnchor.objects.exists()


def test_a_failed_address_is_reported_and_the_others_still_get_the_head(
    party: Party, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from django.core.mail import EmailMessage

    settings.AUDIT_HEAD_RECIPIENTS = ["broken@example.org"]
    real_send = EmailMessage.send

    def send(self, fail_silently: bool = False) -> int:  # type: ignore[no-untyped-def]
        if self.to == ["broken@example.org"]:
            raise OSError("connection refused")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", send)
    with pytest.raises(CommandError, match=r"could not send the head to: broken@example\.org"):
        call_command("audit_publish_head")
    assert [m.to for m in mail.outbox] == [["scrutineer@example.org"]]
    assert AuditAnchor.objects.count() == 1  # the head that did go out is on record


def test_task_publishes_through_the_task_backend(party: Party) -> None:
    result = tasks.publish_audit_head.enqueue()
    value = result.return_value
    anchor = AuditAnchor.objects.get()
    assert value == {"head": anchor.text, "sent": 1, "failed": []}
    assert AuditEntry.objects.get(seq=anchor.seq).channel == "task"
