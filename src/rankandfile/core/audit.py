"""Writing and verifying the audit log.

Every write service calls :func:`record` inside its transaction. The acting channel and
address come from the request context set by :class:`core.middleware.RequestContextMiddleware`
(web and API), :func:`context` (CLI and tasks), or default to ``"system"``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.core import origin, sealing
from rankandfile.core.models import AuditAnchor, AuditEntry, AuditHead, User

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
            object_label=(label if label is not None else _label(target))[:300],
            channel=where.channel,
            ip_address=where.ip_address,
            data=data or {},
            prev_digest=head.digest,
        )
        # Round-trip the JSON so the digest is computed on what the database returns.
        entry.data = _normalise_json(entry.data)
        entry.digest = entry.compute_digest()
        entry.key_id, entry.seal = sealing.seal_entry(entry.digest)
        entry.save()
        head.seq = entry.seq
        head.digest = entry.digest
        head.key_id, head.seal = sealing.seal_head(head.seq, head.digest)
        head.save(update_fields=["seq", "digest", "key_id", "seal"])
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


def _label(target: models.Model | None) -> str:
    """How an entry names its object. Objects holding personal data name themselves by
    reference (``audit_label``, e.g. a member's number), so erasing a person's data never
    needs an entry rewritten (docs/privacy.md)."""
    if target is None:
        return ""
    audit_label = getattr(target, "audit_label", None)
    return str(audit_label) if audit_label is not None else str(target)


def _normalise_json(data: Any) -> Any:
    import json

    return json.loads(json.dumps(data, default=str))


@dataclass(frozen=True)
class Expected:
    """A published head: the log had ``seq`` entries and the newest one's digest."""

    seq: int
    digest: str
    source: str = "expected"

    @classmethod
    def parse(cls, text: str) -> Expected:
        """``<count>:<digest>`` as printed in the head emails and on the ballot pages."""
        count, sep, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        if (
            not sep
            or not count.strip().isdigit()
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise ValueError(
                f"{text!r} is not a published head: write <count>:<64 hex digits>, e.g. "
                "1234:9f86d081884c7d65…"
            )
        return cls(seq=int(count), digest=digest)


@dataclass(frozen=True)
class Head:
    seq: int
    digest: str
    seal: str

    @property
    def text(self) -> str:
        return f"{self.seq}:{self.digest}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    problems: tuple[str, ...]
    head: Head | None = None
    anchors_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(expected: tuple[Expected, ...] = ()) -> VerifyReport:
    """Recompute the chain and every seal; check the head and every published head.

    Reports altered entries (digest mismatch), forged or re-chained ones (seal mismatch),
    deleted ones (gap, broken link), a truncated tail (head ahead of the log, or a head
    whose seal does not match because it was rolled back), and published heads — recorded
    in ``AuditAnchor`` or given as ``expected`` — that are no longer in the log.
    """
    problems: list[str] = []
    anchors = _anchors()
    wanted: dict[int, list[Expected]] = {}
    for e in (*anchors, *expected):
        wanted.setdefault(e.seq, []).append(e)
    walk = _walk_chain(wanted, problems)
    head_row = AuditHead.objects.filter(id=1).first()
    head = Head(head_row.seq, head_row.digest, head_row.seal) if head_row else None
    _check_head(head_row, walk, problems)
    _check_published(wanted, walk, problems)
    return VerifyReport(
        entries=walk.count, problems=tuple(problems), head=head, anchors_checked=len(anchors)
    )


@dataclass
class _Walk:
    """Where a walk along the chain has got to: entries seen, the last one's number and
    digest, and the digests of the entries a published head names."""

    count: int = 0
    last: int = 0
    digest: str = "0" * 64
    found: dict[int, str] = field(default_factory=dict)


def _anchors() -> list[Expected]:
    """The heads published so far (``AuditAnchor``), as expected heads naming where."""
    return [
        Expected(
            a.seq, a.digest, f"published head #{a.seq} ({a.medium} of {a.published_at:%Y-%m-%d})"
        )
        for a in AuditAnchor.objects.order_by("seq")
    ]


def _walk_chain(wanted: dict[int, list[Expected]], problems: list[str]) -> _Walk:
    """Every entry in order: its number follows the last, it links to the last one's
    digest, its digest is recomputed and its seal checked."""
    walk = _Walk()
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        walk.count += 1
        expected_seq = walk.last + 1
        if entry.seq != expected_seq:
            problems.append(
                f"entry #{expected_seq}"
                + (f" to #{entry.seq - 1}" if entry.seq - 1 > expected_seq else "")
                + " missing (deleted)"
            )
        if entry.prev_digest != walk.digest:
            problems.append(f"entry #{entry.seq} does not follow the entry before it")
        if entry.compute_digest() != entry.digest:
            problems.append(f"entry #{entry.seq} was altered after it was written")
        why = sealing.check(entry.key_id, entry.seal, sealing.entry_message(entry.digest))
        if why is not None:
            problems.append(
                f"entry #{entry.seq} {why}: it was forged or rewritten without the audit key"
            )
        if entry.seq in wanted:
            walk.found[entry.seq] = entry.digest
        walk.digest = entry.digest
        walk.last = entry.seq
    return walk


def _check_head(head_row: AuditHead | None, walk: _Walk, problems: list[str]) -> None:
    """The chain head must exist (once there are entries), record the last entry, and
    carry a good seal."""
    last = walk.last
    if head_row is None:
        if walk.count:
            problems.append("the chain head is missing: it was deleted")
        return
    if head_row.seq > last:
        problems.append(
            f"the log ends at #{last} but the chain head records #{head_row.seq}: "
            "entries at the end were deleted"
        )
    elif head_row.seq != last or head_row.digest != walk.digest:
        problems.append(
            f"the chain head records #{head_row.seq} but the log ends at #{last}: the "
            "head was rewritten"
        )
    if head_row.seq or walk.count:
        why = sealing.check(
            head_row.key_id, head_row.seal, sealing.head_message(head_row.seq, head_row.digest)
        )
        if why is not None:
            problems.append(
                f"the chain head (#{head_row.seq}) {why}: it was rewritten without the "
                "audit key — entries after it were probably deleted"
            )


def _check_published(wanted: dict[int, list[Expected]], walk: _Walk, problems: list[str]) -> None:
    """Every published head must still be in the log, with the digest published."""
    last, found = walk.last, walk.found
    for seq, published in sorted(wanted.items()):
        for e in published:
            if seq not in found:
                problems.append(
                    f"{e.source} {seq}:{e.digest[:16]}… is not in the log, which ends at "
                    f"#{last}: entries were deleted"
                    if seq > last
                    else f"{e.source} {seq}:{e.digest[:16]}… is not in the log: entry #{seq} "
                    "was deleted"
                )
            elif found[seq] != e.digest:
                problems.append(
                    f"{e.source} {seq}:{e.digest[:16]}… does not match entry #{seq} "
                    f"({found[seq][:16]}…): the log was rewritten after it was published"
                )


def current_head() -> Head:
    """The newest entry's number and digest, as published on pages and in emails."""
    row = AuditHead.objects.filter(id=1).first()
    if row is None:
        return Head(0, "0" * 64, "")
    return Head(row.seq, row.digest, row.seal)


def history(target: models.Model) -> models.QuerySet[AuditEntry]:
    """Audit entries about one object, oldest first."""
    return AuditEntry.objects.filter(
        object_type=target._meta.label_lower, object_id=str(target.pk)
    ).order_by("seq")


def latest(target: models.Model, actions: tuple[str, ...]) -> AuditEntry | None:
    """The newest entry about ``target`` with one of ``actions`` (an anchor for a page)."""
    return history(target).filter(action__in=actions).order_by("-seq").first()


@dataclass(frozen=True)
class Publication:
    anchor: AuditAnchor
    sent: int
    failed: tuple[str, ...]


def publish_head(*, actor: User | None, recipients: list[str]) -> Publication:
    """Email the chain head to ``recipients`` (scrutineers) and record it as published.

    The publication is itself an audit entry, and the head emailed is that entry: so the
    email names a sealed entry that says it was emailed. The entry and its ``AuditAnchor``
    commit before any email goes, so a head that reached someone is always in the log;
    addresses that could not be sent to are returned for the caller to report.
    """
    from django.conf import settings
    from django.core.mail import EmailMessage

    addresses = sorted({a.strip().lower() for a in recipients if a and a.strip()})
    if not addresses:
        from rankandfile.core.errors import DomainError

        raise DomainError(
            gettext("nobody to send the audit log head to: appoint a scrutineer or set %(setting)s")
            % {"setting": "AUDIT_HEAD_RECIPIENTS"}
        )
    with transaction.atomic():
        entry = record(
            actor=actor, action="core.audit.publish_head", data={"recipients": len(addresses)}
        )
        anchor = AuditAnchor(
            seq=entry.seq,
            digest=entry.digest,
            key_id=entry.key_id,
            seal=entry.seal,
            published_at=entry.at,
            medium="email",
            recipients=len(addresses),
        )
        anchor.save()
    site = settings.RANKANDFILE_SITE_NAME
    subject = f"{site}: audit log head #{entry.seq}"
    body = (
        f"The {site} audit log had {entry.seq} entries at "
        f"{timezone.localtime(entry.at):%H:%M on %d %B %Y}.\n\n"
        f"Published head (keep this email):\n\n    {anchor.text}\n\n"
        f"Seal ({entry.key_id}): {entry.seal}\n\n"
        "Anyone can check that the log still holds this entry, unchanged, with\n\n"
        f"    rankandfile audit_verify --expect {anchor.text}\n\n"
        "If that reports the head missing or different, entries were deleted or rewritten "
        "after this email was sent: tell the returning officer and the other scrutineers.\n"
    )
    failed: list[str] = []
    sent = 0
    for address in addresses:
        try:
            sent += EmailMessage(subject, body, to=[address]).send()
        except Exception:  # one bad address must not stop the others
            logging.getLogger(__name__).exception("audit head email to %s failed", address)
            failed.append(address)
    return Publication(anchor=anchor, sent=sent, failed=tuple(failed))
