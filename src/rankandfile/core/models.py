"""Platform models: accounts, personal API tokens and the hash-chained audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an account needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. Party membership lives in :class:`membership.Member`, linked one-to-one."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="May use the Django admin (national admins only)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    mfa_grace_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When this login was first seen needing two-factor authentication "
        "without having it; the grace period (MFA_GRACE_DAYS) runs from here.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def audit_label(self) -> str:
        """How audit entries name a login they are about: by id, not by name or email."""
        return f"login #{self.pk}"

    def roles_in_force(self) -> list[Any]:
        """The offices this login holds today: ``membership.Role`` rows, read through the
        reverse relation ``roles`` (the login model sits below the membership app and
        imports nothing from it). Cached on the object for the request;
        ``membership.permissions.active_roles`` is this list."""
        cached: list[Any] | None = getattr(self, "_active_roles", None)
        if cached is None:
            today = timezone.localdate()
            roles = self.roles.select_related("clp", "branch", "region", "affiliate")
            cached = [r for r in roles if r.active_on(today)]
            self._active_roles = cached
        return cached

    def holds_office(self, kind: str) -> bool:
        """Holds a role of ``kind`` (a ``membership.Role.Kind`` value) today."""
        return any(r.kind == kind for r in self.roles_in_force())


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is stored.

    The token shown once to the member is ``rf_<prefix>_<secret>``; ``prefix`` lets the
    member tell tokens apart and lets the server find the row without scanning.

    A token carries *scopes* (what it may do: see :class:`Scope`), an expiry, and may be
    revoked; each is checked on every request (``core.tokens.check_token``).
    """

    class Scope(models.TextChoices):
        READ = "read", "Read (ballots, results, conference business; no member records)"
        WRITE = "write", "Write (vote, cast cards, submit and rule on amendments)"
        PERSONAL = "personal", "Personal data (member records you may see)"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    scopes = models.CharField(
        max_length=100,
        default="read",
        help_text="Space-separated scopes: read, write, personal.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (rf_{self.prefix}_…)"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class AppendOnlyError(RuntimeError):
    """Raised on an attempt to change or delete an audit entry."""


class AuditHead(models.Model):
    """Single row holding the newest entry's sequence and hash, sealed (``core.sealing``).

    Appends lock this row, which serialises writers and lets ``audit_verify`` detect a
    truncated tail (the last entries deleted) as well as altered or removed entries. The
    seal covers ``(seq, digest)``: rolling the head back to an older entry after deleting
    the newest ones needs a seal only the holder of the audit key can make.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    digest = models.CharField(max_length=64, default="0" * 64)
    key_id = models.CharField(max_length=40, blank=True)
    seal = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audithead_single")]

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditEntry(models.Model):
    """One administrative action: who did what to which object, when, and from where.

    Append-only: ``save`` refuses updates and ``delete`` refuses deletion; each entry's
    ``digest`` covers its content and the previous entry's digest, so any alteration,
    deletion or reordering is detected by ``rankandfile audit_verify``.
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    # PROTECT: the digest covers the actor's id, so a login that acted is never deleted
    # (personal data is erased by anonymising the login instead: privacy.services).
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=20, help_text="web, api, cli or task")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    # HMAC of ``digest`` under the audit key named by ``key_id`` (core.sealing).
    key_id = models.CharField(max_length=40, blank=True)
    seal = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries are append-only")

    def canonical(self) -> bytes:
        """The bytes the digest covers (stable across databases)."""
        body = {
            "seq": self.seq,
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_label": self.object_label,
            "channel": self.channel,
            "ip": self.ip_address,
            "data": self.data,
            "prev": self.prev_digest,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class WorkerHeartbeat(models.Model):
    """One row per running task worker (``rankandfile task_worker``), touched every few
    seconds by a thread of the worker and removed when it stops; the health endpoint and
    officers' pages read it (``core.taskqueue``, decision 0011)."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    queues = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.hostname or '?'} (pid {self.pid})"


class OutboxEmail(models.Model):
    """An email rendered during a request (password reset, address confirmation...) and
    sent by a task, so an SMTP failure cannot fail the request (``core.outbox``). The row
    is deleted once the message is sent; until then it holds the message."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    message = models.JSONField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        to = ", ".join(self.message.get("to", []))
        return f"email to {to} queued {self.created_at:%Y-%m-%d %H:%M}"


class AuditAnchor(models.Model):
    """A chain head published outside the database (emailed to scrutineers).

    Each row copies what was sent: ``audit_verify`` checks that every published head is
    still in the log with the same digest. The copies that matter are the ones outside
    the database (the emails, the printed declarations): ``audit_verify --expect`` checks
    those. Append-only, like the log.
    """

    seq = models.BigIntegerField()
    digest = models.CharField(max_length=64)
    key_id = models.CharField(max_length=40)
    seal = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)
    medium = models.CharField(max_length=20, default="email")
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"published head #{self.seq} {self.digest[:12]}…"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("published audit heads are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("published audit heads are append-only")

    @property
    def text(self) -> str:
        """The head as people copy it: ``<count>:<digest>`` (``audit_verify --expect``)."""
        return f"{self.seq}:{self.digest}"


class ScheduledJob(models.Model):
    """The lease row of one periodic job (``rankandfile scheduler``, ``core.scheduler``).

    ``last_due_at`` is the latest due time some scheduler process has claimed. A scheduler
    fires a job only by moving ``last_due_at`` forward with a conditional UPDATE
    (compare-and-set), so two schedulers started by mistake still fire each due time once.
    The other fields describe the latest run for operators (``scheduler --list``, admin).
    Operational bookkeeping, not a domain record: it is not audited (decision 0012).
    """

    class Status(models.TextChoices):
        NEVER = "never", "never run"
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        OK = "ok", "finished"
        FAILED = "failed", "failed"

    name = models.CharField(max_length=100, unique=True)
    last_due_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEVER)
    result = models.TextField(blank=True)
    error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
