"""Writing and verifying the audit log.

Every write service calls :func:`record` inside its transaction. The acting channel and
address come from the request context set by :class:`core.middleware.RequestContextMiddleware`
(web and API), :func:`context` (CLI and tasks), or default to ``"system"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from rankandfile.core import origin
from rankandfile.core.models import AuditEntry, AuditHead, User

context = origin.context


def record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    label: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit log.

    Must be called inside the caller's transaction so the entry commits or rolls back with
    the change it describes. Locks the chain head; writers are serialised.
    """
    where = origin.current()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=actor,
            actor_label=(actor.email if actor is not None else "system"),
            action=action,
            object_type=target._meta.label_lower if target is not None else "",
            object_id=str(target.pk) if target is not None else "",
            object_label=(label if label is not None else str(target) if target else "")[:300],
            channel=where.channel,
            ip_address=where.ip_address,
            data=data or {},
            prev_digest=head.digest,
        )
        # Round-trip the JSON so the digest is computed on what the database returns.
        entry.data = _normalise_json(entry.data)
        entry.digest = entry.compute_digest()
        entry.save()
        head.seq = entry.seq
        head.digest = entry.digest
        head.save(update_fields=["seq", "digest"])
    return entry


def record_read(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    label: str | None = None,
) -> AuditEntry:
    """Audit a read of personal data (an API read of member records, an export, an
    officer's lookup of a member by number): who read what, when, from where.

    :func:`record` runs in its own transaction when the read has none; the entry is
    written before the data leaves the server (a failure to audit is a failure to
    answer)."""
    return record(actor=actor, action=action, target=target, data=data, label=label)


def _normalise_json(data: Any) -> Any:
    import json

    return json.loads(json.dumps(data, default=str))


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify() -> VerifyReport:
    """Recompute the chain; report every altered, missing or reordered entry."""
    problems: list[str] = []
    prev = "0" * 64
    expected_seq = 1
    count = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if entry.seq != expected_seq:
            problems.append(
                f"entry #{expected_seq}"
                + (f" to #{entry.seq - 1}" if entry.seq - 1 > expected_seq else "")
                + " missing (deleted)"
            )
        if entry.prev_digest != prev:
            problems.append(f"entry #{entry.seq} does not follow the entry before it")
        if entry.compute_digest() != entry.digest:
            problems.append(f"entry #{entry.seq} was altered after it was written")
        prev = entry.digest
        expected_seq = entry.seq + 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.digest != prev):
        problems.append(
            f"the log ends at #{expected_seq - 1} but the chain head records #{head.seq}: "
            "entries at the end were deleted"
        )
    return VerifyReport(entries=count, problems=tuple(problems))


def history(target: models.Model) -> models.QuerySet[AuditEntry]:
    """Audit entries about one object, oldest first."""
    return AuditEntry.objects.filter(
        object_type=target._meta.label_lower, object_id=str(target.pk)
    ).order_by("seq")
