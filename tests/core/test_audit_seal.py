"""The audit log is sealed with a key outside the database, and its heads are published.

The attack these tests are about: someone who can write to the database deletes the newest
entries and rewrites the chain head to match what is left. Before the seal, that passed
``audit_verify``. Now the head's seal gives it away, and so does any published head.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from rankandfile.core import audit, sealing
from rankandfile.core.models import AuditAnchor, AuditEntry, AuditHead, User
from tests.core import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(db: None) -> User:
    return User.objects.create_user("officer@example.org", "pw-123456789")


def _entries(actor: User, n: int) -> list[AuditEntry]:
    return [
        audit.record(actor=actor, action="test.thing", target=actor, data={"n": i})
        for i in range(n)
    ]


def _truncate_and_rewrite_head(keep: int) -> None:
    """The attack: delete every entry after ``keep`` and make the head match the rest,
    copying the last remaining entry's seal into the head for good measure."""
    last = AuditEntry.objects.get(seq=keep)
    tamper.raw("DELETE FROM core_auditentry WHERE seq > %s", [keep])
    tamper.raw(
        "UPDATE core_audithead SET seq = %s, digest = %s, seal = %s, key_id = %s WHERE id = 1",
        [keep, last.digest, last.seal, last.key_id],
    )


def _chain_only_problems() -> list[str]:
    """What the unsealed chain check alone (before decision 0015) reports."""
    return [
        p
        for p in audit.verify().problems
        if "seal" not in p and "published head" not in p and "expected" not in p
    ]


# --- sealing --------------------------------------------------------------------------
def test_every_entry_and_the_head_are_sealed_with_the_key_from_the_environment(
    actor: User, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.AUDIT_HMAC_KEY = "k" * 40
    settings.AUDIT_HMAC_KEY_ID = "2026-a"
    entry = audit.record(actor=actor, action="test.one")
    expected = hmac.new(
        b"k" * 40, b"rankandfile-audit-entry\x00" + entry.digest.encode(), hashlib.sha256
    ).hexdigest()
    assert (entry.key_id, entry.seal) == ("2026-a", expected)
    head = AuditHead.objects.get()
    assert head.key_id == "2026-a"
    assert (
        head.seal
        == hmac.new(
            b"k" * 40,
            f"rankandfile-audit-head\x00{entry.seq}\x00{entry.digest}".encode(),
            hashlib.sha256,
        ).hexdigest()
    )
    assert audit.verify().ok


def test_tests_run_with_the_insecure_development_key_under_its_own_id(actor: User) -> None:
    entry = audit.record(actor=actor, action="test.one")
    assert entry.key_id == "insecure-dev"


def test_rechaining_the_whole_log_with_fresh_digests_is_caught_by_the_seals(
    actor: User,
) -> None:
    # Rewrite entry 2 and recompute every digest after it and the head: the chain is
    # consistent again (the old check passed), but none of the new digests is sealed.
    _entries(actor, 4)
    prev = AuditEntry.objects.get(seq=1).digest
    for entry in AuditEntry.objects.filter(seq__gte=2).order_by("seq"):
        if entry.seq == 2:
            entry.action = "test.innocent"
        entry.prev_digest = prev
        digest = entry.compute_digest()
        tamper.raw(
            "UPDATE core_auditentry SET action = %s, prev_digest = %s, digest = %s WHERE seq = %s",
            [entry.action, prev, digest, entry.seq],
        )
        prev = digest
    tamper.raw("UPDATE core_audithead SET digest = %s WHERE id = 1", [prev])
    assert _chain_only_problems() == []  # the attack the chain alone cannot see
    problems = audit.verify().problems
    for seq in (2, 3, 4):
        assert (
            f"entry #{seq} has a seal that does not match: it was forged or rewritten "
            "without the audit key"
        ) in problems
    assert any(p.startswith("the chain head (#4) has a seal that does not match") for p in problems)


def test_truncation_with_a_rewritten_head_is_reported(actor: User) -> None:
    _entries(actor, 5)
    _truncate_and_rewrite_head(keep=3)
    assert _chain_only_problems() == []  # what passed audit_verify before the seal
    assert audit.verify().problems == (
        "the chain head (#3) has a seal that does not match: it was rewritten without the "
        "audit key — entries after it were probably deleted",
    )
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify")


def test_an_unsealed_entry_is_reported(actor: User) -> None:
    _entries(actor, 2)
    tamper.raw("UPDATE core_auditentry SET seal = '', key_id = '' WHERE seq = 1", [])
    assert audit.verify().problems == (
        "entry #1 has no seal: it was forged or rewritten without the audit key",
    )


def test_a_deleted_head_is_reported(actor: User) -> None:
    _entries(actor, 2)
    tamper.raw("DELETE FROM core_audithead", [])
    assert audit.verify().problems == ("the chain head is missing: it was deleted",)


# --- key rotation -----------------------------------------------------------------------
def test_rotated_key_verifies_old_entries_only_while_the_old_key_is_listed(
    actor: User, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEY_ID = "a" * 40, "old"
    _entries(actor, 2)
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEY_ID = "b" * 40, "new"
    settings.AUDIT_HMAC_PREVIOUS_KEYS = "old:" + "a" * 40
    audit.record(actor=actor, action="test.after-rotation")
    assert list(AuditEntry.objects.values_list("key_id", flat=True)) == ["old", "old", "new"]
    assert audit.verify().ok
    settings.AUDIT_HMAC_PREVIOUS_KEYS = ""
    assert audit.verify().problems == tuple(
        f"entry #{seq} is sealed with key 'old', which is not configured (list retired keys "
        "in AUDIT_HMAC_PREVIOUS_KEYS): it was forged or rewritten without the audit key"
        for seq in (1, 2)
    )
    settings.AUDIT_HMAC_PREVIOUS_KEYS = "old:" + "x" * 40  # the wrong key under that id
    assert "entry #1 has a seal that does not match" in audit.verify().problems[0]


def test_malformed_previous_keys_are_refused(settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ImproperlyConfigured

    settings.AUDIT_HMAC_PREVIOUS_KEYS = "no-colon-here"
    with pytest.raises(ImproperlyConfigured, match="id:key pairs"):
        sealing.keys()


# --- entries from before the key: sealed by the migration -------------------------------
def test_migration_seals_entries_written_before_the_key_existed(actor: User) -> None:
    entries = _entries(actor, 3)
    tamper.raw("UPDATE core_auditentry SET seal = '', key_id = ''", [])
    tamper.raw("UPDATE core_audithead SET seal = '', key_id = ''", [])
    assert len(audit.verify().problems) == 4  # three unsealed entries and the head
    migration = importlib.import_module("rankandfile.core.migrations.0004_audit_seal_and_anchors")
    _seal_with_triggers_off(migration)
    assert audit.verify().ok
    assert [e.seal for e in AuditEntry.objects.order_by("seq")] == [e.seal for e in entries]


def _seal_with_triggers_off(migration) -> None:  # type: ignore[no-untyped-def]
    # The migration seals before it creates the triggers; reproduce that order here.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tamper.AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        migration.seal_existing(django_apps, None)
        if connection.vendor == "postgresql":
            for table in tamper.AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- published heads --------------------------------------------------------------------
def test_publishing_emails_the_head_and_records_it(actor: User) -> None:
    _entries(actor, 3)
    publication = audit.publish_head(
        actor=None, recipients=["Scrutineer@example.org", "scrutineer@example.org", "x@y.org"]
    )
    anchor = AuditAnchor.objects.get()
    entry = AuditEntry.objects.get(seq=4)
    assert (entry.action, entry.data) == ("core.audit.publish_head", {"recipients": 2})
    assert (anchor.seq, anchor.digest, anchor.seal) == (4, entry.digest, entry.seal)
    assert publication.sent == 2 and publication.failed == ()
    assert sorted(m.to[0] for m in mail.outbox) == ["scrutineer@example.org", "x@y.org"]
    body = mail.outbox[0].body
    assert f"4:{entry.digest}" in body
    assert f"rankandfile audit_verify --expect 4:{entry.digest}" in body
    assert audit.verify().ok and audit.verify().anchors_checked == 1


def test_publishing_to_nobody_is_refused(actor: User) -> None:
    from rankandfile.core.errors import DomainError

    with pytest.raises(DomainError, match="appoint a scrutineer or set AUDIT_HEAD_RECIPIENTS"):
        audit.publish_head(actor=None, recipients=[" "])
    assert not AuditAnchor.objects.exists() and not AuditEntry.objects.exists()


def test_truncation_past_a_published_head_is_reported_with_that_head(actor: User) -> None:
    _entries(actor, 3)
    published = audit.publish_head(actor=None, recipients=["s@example.org"]).anchor
    _entries(actor, 2)
    _truncate_and_rewrite_head(keep=2)
    problems = audit.verify().problems
    assert any(
        p.startswith(f"published head #4 (email of {published.published_at:%Y-%m-%d}) 4:")
        and p.endswith("is not in the log, which ends at #2: entries were deleted")
        for p in problems
    ), problems


def test_a_patient_attacker_who_replays_an_old_head_is_caught_by_the_emailed_head(
    actor: User, capsys
) -> None:  # type: ignore[no-untyped-def]
    # The attacker saved a genuine, sealed head row at #3, let the log grow, then deleted
    # everything after #3 — including the publication and its AuditAnchor row — and put
    # the saved head back. Inside the database everything is consistent; only the copy of
    # the head that went out by email tells.
    _entries(actor, 3)
    saved = AuditHead.objects.values("seq", "digest", "key_id", "seal").get()
    _entries(actor, 1)
    audit.publish_head(actor=None, recipients=["s@example.org"])
    # The head's own line ("5:<digest>"), not a line that merely contains "5:" (a time
    # such as "at 05:17" in the email's text would).
    emailed = next(
        line.strip()
        for line in mail.outbox[0].body.splitlines()
        if re.fullmatch(r"5:[0-9a-f]{64}", line.strip())
    )
    _entries(actor, 2)
    tamper.raw("DELETE FROM core_auditentry WHERE seq > 3", [])
    tamper.raw("DELETE FROM core_auditanchor", [])
    tamper.raw(
        "UPDATE core_audithead SET seq = %s, digest = %s, key_id = %s, seal = %s WHERE id = 1",
        [saved["seq"], saved["digest"], saved["key_id"], saved["seal"]],
    )
    assert audit.verify().ok  # the limit of what the database alone can show
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify", "--expect", emailed)
    err = capsys.readouterr().err
    assert f"expected 5:{emailed[2:18]}… is not in the log, which ends at #3" in err


def test_expect_reports_a_rewritten_entry_and_passes_when_the_head_is_there(
    actor: User, capsys
) -> None:  # type: ignore[no-untyped-def]
    entries = _entries(actor, 3)
    call_command("audit_verify", "--expect", f"2:{entries[1].digest}")
    assert "1 published head(s) found" in capsys.readouterr().out
    other = "f" * 64
    with pytest.raises(CommandError):
        call_command("audit_verify", "--expect", f"2:{other}")
    assert "does not match entry #2" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["12", "x:" + "a" * 64, "3:abc", "3:" + "g" * 64])
def test_expect_refuses_what_is_not_a_head(actor: User, text: str) -> None:
    with pytest.raises(CommandError, match="is not a published head"):
        call_command("audit_verify", "--expect", text)


def test_published_heads_are_append_only_in_the_model(actor: User) -> None:
    from rankandfile.core.models import AppendOnlyError

    anchor = audit.publish_head(actor=None, recipients=["s@example.org"]).anchor
    with pytest.raises(AppendOnlyError):
        anchor.save()
    with pytest.raises(AppendOnlyError):
        anchor.delete()


# --- PostgreSQL: the database refuses, and a superuser who gets past it is caught --------
def _require_postgres() -> None:
    import os

    if connection.vendor != "postgresql":
        if os.environ.get("RANKANDFILE_REQUIRE_POSTGRES") == "1":
            pytest.fail("RANKANDFILE_REQUIRE_POSTGRES=1 but the tests run elsewhere")
        pytest.skip("the append-only triggers exist on PostgreSQL only")


def _refused(sql: str, params: list[object]) -> str:
    with (
        pytest.raises(DatabaseError) as excinfo,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return str(excinfo.value)


def test_postgresql_refuses_update_and_delete_then_audit_verify_catches_a_superuser(
    actor: User,
) -> None:
    _require_postgres()
    _entries(actor, 5)
    audit.publish_head(actor=None, recipients=["s@example.org"])  # entry 6
    _entries(actor, 2)
    last_kept = AuditEntry.objects.get(seq=6)
    assert "the audit log is append-only: DELETE on core_auditentry refused" in _refused(
        "DELETE FROM core_auditentry WHERE seq > %s", [6]
    )
    assert "the audit log is append-only: UPDATE on core_auditentry refused" in _refused(
        "UPDATE core_auditentry SET action = 'x' WHERE seq = %s", [2]
    )
    assert "the audit log is append-only: DELETE on core_auditanchor refused" in _refused(
        "DELETE FROM core_auditanchor", []
    )
    assert "only moves forward (#8 to #6 refused)" in _refused(
        "UPDATE core_audithead SET seq = %s, digest = %s WHERE id = 1", [6, last_kept.digest]
    )
    assert "cannot be deleted" in _refused("DELETE FROM core_audithead", [])
    assert AuditEntry.objects.count() == 8 and audit.verify().ok

    # A superuser disables the triggers and does it anyway (tamper.raw).
    _truncate_and_rewrite_head(keep=5)
    assert AuditEntry.objects.count() == 5
    problems = audit.verify().problems
    assert any(p.startswith("the chain head (#5) has a seal that does not match") for p in problems)
    assert any(
        p.startswith("published head #6") and "not in the log, which ends at #5" in p
        for p in problems
    )
