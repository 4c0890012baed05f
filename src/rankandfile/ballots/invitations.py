"""Inviting the electorate: one-time personal ballot links by email, reminders, progress.

Each elector gets a link ``<base URL>/ballots/vote/<secret>/`` (``core.links``) where the secret
is ``secrets.token_urlsafe(32)`` (256 random bits). Only its SHA-256 is stored
(:attr:`Elector.token_digest`); the secret itself exists only in the email. Sending a new
link (a re-invitation or a reminder) replaces the digest, so the older link stops working;
casting a vote clears it (``services.ballot_cast``), so a link is single-use.

Sending runs as background tasks (:mod:`rankandfile.ballots.tasks`, django-tasks), in
batches of ``BALLOT_INVITATION_BATCH_SIZE`` electors (default 200) per task. Within a task:

- **Throttling**: at most ``BALLOT_EMAILS_PER_SECOND`` SMTP transactions per second
  (default 20), enforced by sleeping between sends. The limit is per worker process: with
  N workers sending at once, set it to the provider's limit divided by N.
- **Retry**: a temporary failure (a 4xx reply, a dropped or refused connection) is tried
  again after ``BALLOT_EMAIL_RETRY_DELAYS`` seconds (default 2 then 8), up to
  ``BALLOT_EMAIL_MAX_ATTEMPTS`` attempts (default 3). A permanent refusal (a 5xx reply)
  is not retried. ``send_attempts`` and ``last_send_error`` record the outcome of the
  latest send; a non-empty ``last_send_error`` marks a permanently failed address, listed
  by :func:`invitation_failures` for the officers to correct.
- The digest is stored *before* the email goes out, so every delivered link works; if a
  send fails for good the previous link (if any) is restored, the elector is reported as
  failed, and inviting again retries them.

Electors whose member record has no email address are not sent anything and are counted
separately (:func:`electors_without_email`). Electors who have voted are never sent a
link. Audit entries record counts only, never which elector received what.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from rankandfile.ballots.models import Ballot, Elector, VoteRecord
from rankandfile.ballots.services import _require_manager, token_digest
from rankandfile.core import audit, links
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User

logger = logging.getLogger(__name__)

Kind = Literal["invitation", "reminder"]
KINDS: tuple[Kind, ...] = ("invitation", "reminder")


# --- settings ---------------------------------------------------------------------------
def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def batch_size() -> int:
    return max(1, int(_setting("BALLOT_INVITATION_BATCH_SIZE", 200)))


def emails_per_second() -> float:
    return float(_setting("BALLOT_EMAILS_PER_SECOND", 20))


def max_attempts() -> int:
    return max(1, int(_setting("BALLOT_EMAIL_MAX_ATTEMPTS", 3)))


def retry_delays() -> tuple[float, ...]:
    return tuple(float(d) for d in _setting("BALLOT_EMAIL_RETRY_DELAYS", (2.0, 8.0)))


def vote_url(secret: str) -> str:
    """The absolute one-time link for ``secret`` (URL name ``ballots:vote_token``)."""
    try:
        path = reverse("ballots:vote_token", args=[secret])
    except NoReverseMatch:  # the web layer is not installed (or not yet): the agreed path
        path = f"/ballots/vote/{secret}/"
    return links.absolute_url(path)


# --- the clock (tests replace it, so throttling and back-off need no real waiting) ------
class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


clock: Clock = SystemClock()


class Throttle:
    """At most ``rate`` events per second: :meth:`wait` sleeps until the next slot."""

    def __init__(self, rate: float, clock: Clock) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.next_at: float | None = None

    def wait(self) -> None:
        now = self.clock.monotonic()
        if self.next_at is not None and now < self.next_at:
            self.clock.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


# --- selecting electors -------------------------------------------------------------------
def _not_voted(ballot: Ballot) -> Any:
    return ~Exists(VoteRecord.objects.filter(ballot=ballot, member_id=OuterRef("member_id")))


def _has_email() -> Q:
    return ~Q(member__email="")


def electors_without_email(ballot: Ballot) -> QuerySet[Elector]:
    """Electors who cannot be sent a link: their member record has no email address."""
    return Elector.objects.filter(ballot=ballot, member__email="").select_related("member")


def invitation_failures(ballot: Ballot) -> QuerySet[Elector]:
    """Electors whose latest email failed for good (address, reply and attempts kept)."""
    return (
        Elector.objects.filter(ballot=ballot)
        .exclude(last_send_error="")
        .select_related("member")
        .order_by("member__last_name", "member__first_name", "pk")
    )


def invitation_progress(ballot: Ballot) -> dict[str, int]:
    """Counts for the ballot page: the electorate, how many were sent their invitation,
    how many failed for good, how many are still waiting to be sent one (not invited, not
    failed, not voted, with an address), how many were reminded, how many have voted, and
    how many have no email address. One query for the electors, one for the votes."""
    electors = Elector.objects.filter(ballot=ballot).annotate(
        voted=Exists(VoteRecord.objects.filter(ballot=ballot, member_id=OuterRef("member_id")))
    )
    no_email = Q(member__email="")
    agg = electors.aggregate(
        electorate=_count(Q()),
        invited=_count(Q(invited_at__isnull=False)),
        failed=_count(~Q(last_send_error="")),
        pending=_count(Q(invited_at__isnull=True, last_send_error="", voted=False) & ~no_email),
        reminded=_count(Q(reminded_at__isnull=False)),
        no_email=_count(no_email),
    )
    progress = {key: int(value or 0) for key, value in agg.items()}
    progress["voted"] = VoteRecord.objects.filter(ballot=ballot).count()
    return progress


def _count(condition: Q) -> Count:
    return Count("pk", filter=condition) if condition else Count("pk")


# --- the services -------------------------------------------------------------------------
@dataclass(frozen=True)
class SendRun:
    """What an invite or remind action queued."""

    kind: Kind
    queued: int
    batches: int
    no_email: int


def _queue(
    *, actor: User | None, ballot: Ballot, kind: Kind, electors: QuerySet[Elector], **extra: Any
) -> SendRun:
    from rankandfile.ballots import tasks

    ids = list(electors.filter(_has_email()).order_by("pk").values_list("pk", flat=True))
    no_email = electors.filter(member__email="").count()
    batches = chunked(ids, batch_size())
    for batch in batches:
        # After commit: a worker must find the ballot in the state this action saw, and
        # nothing is sent for an action that rolled back.
        transaction.on_commit(partial(tasks.send_ballot_emails.enqueue, ballot.pk, batch, kind))
    run = SendRun(kind=kind, queued=len(ids), batches=len(batches), no_email=no_email)
    audit.record(
        actor=actor,
        action=f"ballots.ballot.{'invite' if kind == 'invitation' else 'remind'}",
        target=ballot,
        data={"queued": run.queued, "batches": run.batches, "no_email": no_email, **extra},
    )
    return run


def _require_open(ballot: Ballot) -> None:
    if ballot.state != Ballot.State.OPEN:
        raise DomainError(
            "links can be sent only while the ballot is open; it is "
            f"{ballot.get_state_display().lower()}"
        )


@transaction.atomic
def ballot_invite(*, actor: User | None, ballot: Ballot, resend: bool = False) -> SendRun:
    """Queue invitations with a one-time link for the electors of an open ballot.

    By default only electors not yet sent an invitation (including those whose sending
    failed) who have not voted; with ``resend`` every elector who has not voted gets a new
    link, which invalidates the link they had. Electors without an email address are
    counted, not sent. Writes one audit entry (counts only). The emails go out from
    background tasks after this transaction commits.
    """
    _require_manager(actor, ballot)
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    _require_open(ballot)
    electors = Elector.objects.filter(ballot=ballot).filter(_not_voted(ballot))
    if not resend:
        electors = electors.filter(invited_at__isnull=True)
    return _queue(actor=actor, ballot=ballot, kind="invitation", electors=electors, resend=resend)


@transaction.atomic
def ballot_remind(*, actor: User | None, ballot: Ballot) -> SendRun:
    """Queue reminders to every elector of an open ballot who has not voted; each reminder
    carries a fresh link (the earlier one stops working). One audit entry (counts only)."""
    _require_manager(actor, ballot)
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    _require_open(ballot)
    electors = Elector.objects.filter(ballot=ballot).filter(_not_voted(ballot))
    return _queue(actor=actor, ballot=ballot, kind="reminder", electors=electors)


# --- delivery (runs inside a task) ------------------------------------------------------------
@dataclass
class BatchReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    no_email: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "no_email": self.no_email,
        }


def render_email(kind: Kind, ballot: Ballot, elector: Elector, link: str) -> tuple[str, str]:
    """Subject and plain-text body of an invitation or reminder."""
    closes = timezone.localtime(ballot.closes_at)
    context = {
        "ballot": ballot,
        "member": elector.member,
        "link": link,
        "closes": f"{closes:%H:%M} on {closes:%A} {closes.day} {closes:%B %Y}",
    }
    title = " ".join(ballot.title.split())  # no line breaks in a header
    subject = (
        f"Your ballot paper: {title}" if kind == "invitation" else f"Reminder: vote in {title}"
    )
    body = render_to_string(f"ballots/email/{kind}.txt", context)
    return subject, body


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        ]
        return ("recipient refused: " + "; ".join(parts))[:300]
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error
        text = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
        return f"{exc.smtp_code} {text}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def _permanent(exc: BaseException) -> bool:
    """A 5xx reply will not change on retry; anything else (4xx, a dropped connection)
    might."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(int(code) >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code) >= 500
    return False


def deliver(ballot_id: int, elector_ids: Sequence[int], kind: Kind) -> dict[str, int]:
    """Send one batch: for each elector, store a new link's digest, then email the link,
    throttled and with retries. Skips electors who voted meanwhile, and the whole batch if
    the ballot is no longer open. Returns counts; failures are recorded on the electors."""
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    report = BatchReport()
    ballot = Ballot.objects.filter(pk=ballot_id).first()
    if ballot is None or ballot.state != Ballot.State.OPEN:
        report.skipped = len(elector_ids)
        return report.as_dict()
    electors = (
        Elector.objects.filter(ballot=ballot, pk__in=list(elector_ids))
        .filter(_not_voted(ballot))
        .select_related("member")
        .order_by("pk")
    )
    throttle = Throttle(emails_per_second(), clock)
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 30
    connection = get_connection(fail_silently=False, timeout=timeout)
    seen = 0
    try:
        for elector in electors.iterator(chunk_size=500):
            seen += 1
            if not elector.member.email:
                report.no_email += 1
                continue
            if _deliver_one(ballot, elector, kind, connection, throttle):
                report.sent += 1
            else:
                report.failed += 1
    finally:
        connection.close()
    report.skipped = len(set(elector_ids)) - seen
    if report.failed:
        logger.warning(
            "ballot %s: %s of %s %ss failed for good", ballot.pk, report.failed, seen, kind
        )
    return report.as_dict()


def _deliver_one(
    ballot: Ballot, elector: Elector, kind: Kind, connection: Any, throttle: Throttle
) -> bool:
    secret = secrets.token_urlsafe(32)
    digest = token_digest(secret)
    previous = elector.token_digest
    issued = (
        Elector.objects.filter(pk=elector.pk)
        .filter(_not_voted(ballot))
        .update(token_digest=digest, send_attempts=0, last_send_error="")
    )
    if not issued:  # voted since the batch was read
        return True
    subject, body = render_email(kind, ballot, elector, vote_url(secret))
    message = EmailMessage(subject=subject, body=body, to=[elector.member.email])
    delays = retry_delays()
    attempts = max_attempts()
    error = ""
    for attempt in range(1, attempts + 1):
        throttle.wait()
        try:
            connection.send_messages([message])
        except (smtplib.SMTPException, OSError) as exc:
            error = _describe(exc)
            connection.close()  # start the next attempt on a fresh connection
            Elector.objects.filter(pk=elector.pk).update(
                send_attempts=attempt, last_send_error=error
            )
            if _permanent(exc) or attempt == attempts:
                # The new link never arrived: the one sent before (if any) works again.
                Elector.objects.filter(pk=elector.pk, token_digest=digest).update(
                    token_digest=previous
                )
                return False
            if delays:
                clock.sleep(delays[min(attempt - 1, len(delays) - 1)])
            continue
        now = timezone.now()
        fields: dict[str, Any] = {"send_attempts": attempt, "last_send_error": ""}
        if kind == "reminder":
            fields["reminded_at"] = now
            Elector.objects.filter(pk=elector.pk, invited_at__isnull=True).update(invited_at=now)
        else:
            fields["invited_at"] = now
        Elector.objects.filter(pk=elector.pk).update(**fields)
        return True
    return False  # pragma: no cover - the loop always returns


def chunked(ids: Iterable[int], size: int) -> list[list[int]]:
    ids = list(ids)
    return [ids[i : i + size] for i in range(0, len(ids), size)]
