"""The audit log is append-only and hash-chained; audit_verify detects tampering."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from rankandfile.core import audit
from rankandfile.core.models import AppendOnlyError, AuditEntry, AuditHead, User
from tests.core import tamper


@pytest.fixture
def actor(db: None) -> User:
    return User.objects.create_user("officer@example.org", "pw-123456789")


@pytest.fixture
def three_entries(actor: User) -> list[AuditEntry]:
    return [
        audit.record(actor=actor, action="test.thing", target=actor, data={"n": i})
        for i in range(3)
    ]


def test_entries_chain_and_record_actor_channel_and_address(actor: User) -> None:
    with audit.context("web", "203.0.113.9"):
        first = audit.record(actor=actor, action="test.one", target=actor, data={"a": 1})
    second = audit.record(actor=None, action="test.two")
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_digest == "0" * 64
    assert second.prev_digest == first.digest
    assert first.actor_label == "officer@example.org"
    assert first.channel == "web" and first.ip_address == "203.0.113.9"
    assert first.object_type == "core.user" and first.object_id == str(actor.pk)
    assert second.actor_label == "system" and second.channel == "system"
    head = AuditHead.objects.get()
    assert (head.seq, head.digest) == (2, second.digest)
    assert audit.verify().ok


def test_entries_refuse_update_and_delete(three_entries: list[AuditEntry]) -> None:
    entry = AuditEntry.objects.get(seq=2)
    entry.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert audit.verify().ok


def test_verify_command_passes_on_intact_log(three_entries: list[AuditEntry], capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("audit_verify")
    assert "intact: 3 entries" in capsys.readouterr().out


def _raw(sql: str, params: list[object]) -> None:
    # Tampering bypasses the model on purpose, as someone with database access would.
    tamper.raw(sql, params)


def test_altered_entry_is_detected(three_entries: list[AuditEntry]) -> None:
    _raw("UPDATE core_auditentry SET action = %s WHERE seq = %s", ["test.innocent", 2])
    report = audit.verify()
    assert report.problems == ("entry #2 was altered after it was written",)
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify")


def test_altered_data_payload_is_detected(three_entries: list[AuditEntry]) -> None:
    _raw("UPDATE core_auditentry SET data = %s WHERE seq = %s", ['{"n": 99}', 1])
    assert "entry #1 was altered after it was written" in audit.verify().problems


def test_deleted_entry_is_detected(three_entries: list[AuditEntry]) -> None:
    _raw("DELETE FROM core_auditentry WHERE seq = %s", [2])
    problems = audit.verify().problems
    assert "entry #2 missing (deleted)" in problems
    assert "entry #3 does not follow the entry before it" in problems


def test_deleted_tail_is_detected(three_entries: list[AuditEntry]) -> None:
    _raw("DELETE FROM core_auditentry WHERE seq = %s", [3])
    (problem,) = audit.verify().problems
    assert "ends at #2 but the chain head records #3" in problem


def test_recomputed_digest_still_breaks_the_chain(three_entries: list[AuditEntry]) -> None:
    # A forger who rewrites an entry and recomputes its digest breaks the next link, and
    # cannot seal the new digest without the audit key.
    entry = AuditEntry.objects.get(seq=2)
    entry.action = "test.forged"
    forged = entry.compute_digest()
    _raw(
        "UPDATE core_auditentry SET action = %s, digest = %s WHERE seq = %s",
        ["test.forged", forged, 2],
    )
    assert audit.verify().problems == (
        "entry #2 has a seal that does not match: it was forged or rewritten without the audit key",
        "entry #3 does not follow the entry before it",
    )


def test_entry_rolls_back_with_the_failed_change(actor: User) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=actor, action="test.doomed")
        raise RuntimeError("the service failed")
    assert AuditEntry.objects.count() == 0
    assert audit.verify().ok


def test_history_lists_entries_about_one_object(actor: User) -> None:
    other = User.objects.create_user("other@example.org", "pw-123456789")
    audit.record(actor=actor, action="test.a", target=actor)
    audit.record(actor=actor, action="test.b", target=other)
    audit.record(actor=actor, action="test.c", target=actor)
    assert [e.action for e in audit.history(actor)] == ["test.a", "test.c"]
