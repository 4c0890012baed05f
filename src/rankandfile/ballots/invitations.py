"""Inviting the electorate: one-time personal ballot links by email, reminders, progress.

Each elector gets a link ``<base URL>/ballots/vote/<secret>/`` (``core.links``) where the secret
is ``secrets.token_urlsafe(32)`` (256 random bits). Only its SHA-256 is stored
(:attr:`Elector.token_digest`); the secret itself exists only in the email. Sending a new
link (a re-invitation or a reminder) replaces the digest, so the older link stops working;
casting a vote clears it (``services.ballot_cast``), so a link is single-use.

Sending runs as background tasks (:mod:`rankandfile.ballots.tasks`, django-tasks). What is
owed is recorded in the electors' rows; each task leases the next
``BALLOT_INVITATION_BATCH_SIZE`` owed electors (default 200) and sends to them, so that a
worker killed mid-batch loses nobody and sends nobody a second, different email (see
"exactly one email per elector" below, and docs/decisions/0018). Within a task:

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
- Through an email provider's API (django-anymail, ``EMAIL_PROVIDER``) the same applies;
  the provider's message id is kept (``sent_message_id``) to match its bounce reports
  (:mod:`rankandfile.ballots.mail`).

Electors whose member record has no email address are not sent anything and are counted
separately (:func:`electors_without_email`). Electors who have voted are never sent a
link. Audit entries record counts only, never which elector received what.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hmac
import logging
import secrets
import smtplib
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, Protocol

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from rankandfile.ballots import outside
from rankandfile.ballots.models import Ballot, Elector, VoteRecord
from rankandfile.ballots.services import _require_manager
from rankandfile.core import audit, links
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User
from rankandfile.core.tokens import digest as token_digest
from rankandfile.membership.language import in_language

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
def _voted(ballot: Ballot) -> Any:
    """The elector — a member or a supporter (decision 0025) — has a vote record."""
    return Exists(
        VoteRecord.objects.filter(ballot=ballot, member_id=OuterRef("member_id"))
    ) | Exists(VoteRecord.objects.filter(ballot=ballot, supporter_id=OuterRef("supporter_id")))


def _not_voted(ballot: Ballot) -> Any:
    return ~Exists(
        VoteRecord.objects.filter(ballot=ballot, member_id=OuterRef("member_id"))
    ) & ~Exists(VoteRecord.objects.filter(ballot=ballot, supporter_id=OuterRef("supporter_id")))


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
    electors = Elector.objects.filter(ballot=ballot).annotate(voted=_voted(ballot))
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

    # The owed sends are rows (one UPDATE), so a worker killed mid-batch loses nothing:
    # whoever runs next claims what is still owed. Tasks only say "work on this ballot".
    queued = (
        Elector.objects.filter(pk__in=electors.filter(_has_email()).values("pk"))
        .exclude(send_queued_at__isnull=False, send_kind=kind)  # already owed that email
        .update(send_queued_at=timezone.now(), send_kind=kind, last_send_error="")
    )
    no_email = electors.filter(member__email="").count()
    batches = -(-queued // batch_size())
    for _ in range(batches):
        # After commit: a worker must find the ballot in the state this action saw, and
        # nothing is sent for an action that rolled back.
        transaction.on_commit(partial(tasks.send_ballot_emails.enqueue, ballot.pk))
    run = SendRun(kind=kind, queued=queued, batches=batches, no_email=no_email)
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
            gettext("links can be sent only while the ballot is open; it is %(state)s")
            % {"state": str(ballot.get_state_display()).lower()}
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
    resumed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "no_email": self.no_email,
            "resumed": self.resumed,
        }


def render_email(
    kind: Kind, ballot: Ballot, elector: Elector, link: str, person: Any = None
) -> tuple[str, str]:
    """Subject and plain-text body of an invitation or reminder (``person``: whom it is
    addressed to, the elector's member unless given — a supporter's contact), in the
    active language (the sender wraps it in ``membership.language.in_language``)."""
    closes = timezone.localtime(ballot.closes_at)
    context = {
        "ballot": ballot,
        "member": person if person is not None else elector.member,
        "link": link,
        "closes": gettext("%(time)s on %(date)s")
        % {"time": date_format(closes, "H:i"), "date": date_format(closes, "l j F Y")},
    }
    title = " ".join(ballot.title.split())  # no line breaks in a header
    subject = (
        gettext("Your ballot paper: %(title)s")
        if kind == "invitation"
        else gettext("Reminder: vote in %(title)s")
    ) % {"title": title}
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
    might. A provider's API refusing a recipient (anymail) is permanent too."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(int(code) >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code) >= 500
    return isinstance(exc, AnymailRecipientsRefused)


def _send_errors() -> tuple[type[BaseException], ...]:
    return (smtplib.SMTPException, OSError, AnymailError)


# --- exactly one email per elector -----------------------------------------------------------
# A send owed to an elector is a row state, not a task argument: ``send_queued_at`` is set
# by the invite/remind action. A worker leases the next owed electors of the ballot
# (``SELECT ... FOR UPDATE SKIP LOCKED``, ``send_lease`` + ``send_lease_until``), and for
# each one commits its *intent* before talking to the server: the new link's digest, a
# Message-ID, and the link's secret sealed (XOR with an HMAC of SECRET_KEY and that
# Message-ID). The send is confirmed in the same row right after the server accepts it,
# which clears the sealed secret. A worker killed at any point leaves either
#   - no intent (nothing was sent): the elector is sent a fresh message once the lease
#     expires; or
#   - an intent without a confirmation: the message may or may not have been accepted.
#     The retry sends the *same* message (same Message-ID, same link), so a server or
#     provider that deduplicates by Message-ID delivers it once and, where one does not,
#     the elector holds two identical emails whose link is the same working link. The
#     window is the time between the server's "250" after DATA and the confirming
#     UPDATE's commit (about a millisecond on one host).
# ``resume_stalled`` (run every minute by the scheduler, ``ballots_resume_sends``) queues
# tasks for owed electors nobody is working on, e.g. after a worker was killed.


def lease_seconds() -> float:
    return float(_setting("BALLOT_EMAIL_LEASE_SECONDS", 120))


def _seal_key(message_id: str) -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"rankandfile.ballot-link:" + message_id.encode(), "sha256"
    ).digest()


def seal(secret: str, message_id: str) -> str:
    """The link's secret, hidden under a one-time pad derived from SECRET_KEY and the
    Message-ID (the secret is 32 random bytes, the pad is 32 bytes of HMAC-SHA256)."""
    raw = base64.urlsafe_b64decode(secret + "=")
    pad = _seal_key(message_id)
    return base64.urlsafe_b64encode(bytes(a ^ b for a, b in zip(raw, pad, strict=True))).decode()


def unseal(sealed: str, message_id: str) -> str:
    raw = base64.urlsafe_b64decode(sealed)
    pad = _seal_key(message_id)
    out = bytes(a ^ b for a, b in zip(raw, pad, strict=True))
    return base64.urlsafe_b64encode(out).decode().rstrip("=")


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _message_id(ballot: Ballot, elector_id: int) -> str:
    domain = (settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost")[:80]
    return f"<ballot{ballot.pk}.elector{elector_id}.{secrets.token_hex(8)}@{domain}>"


def _owed(ballot: Ballot) -> QuerySet[Elector]:
    return Elector.objects.filter(ballot=ballot, send_queued_at__isnull=False)


def _claimable(now: Any) -> Q:
    return Q(send_lease_until__isnull=True) | Q(send_lease_until__lt=now)


def _claim(ballot: Ballot, limit: int, owner: str) -> list[int]:
    """Lease the next ``limit`` owed electors of ``ballot`` nobody else holds."""
    with transaction.atomic():
        now = timezone.now()
        ids = list(
            _owed(ballot)
            .filter(_claimable(now))
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            rate = emails_per_second()
            hold = lease_seconds() + (len(ids) / rate if rate > 0 else 0)
            Elector.objects.filter(pk__in=ids).update(
                send_lease=owner, send_lease_until=now + dt.timedelta(seconds=hold)
            )
    return ids


@dataclass(frozen=True)
class _Intent:
    secret: str
    message_id: str
    previous: str | None
    resumed: bool


def _write_intent(
    ballot: Ballot, elector: Elector, owner: str
) -> _Intent | Literal["voted"] | None:
    """Commit the link and Message-ID of the message about to be sent (or, for a send a
    crash interrupted, keep the ones it committed). One UPDATE, guarded by the lease and
    by "has not voted". ``None``: the lease was lost to another worker."""
    if elector.send_sealed and elector.send_message_id:
        secret = unseal(elector.send_sealed, elector.send_message_id)
        intent = _Intent(secret, elector.send_message_id, None, True)
    else:
        intent = _Intent(
            _new_secret(), _message_id(ballot, elector.pk), elector.token_digest, False
        )
    written = (
        Elector.objects.filter(pk=elector.pk, send_lease=owner, send_queued_at__isnull=False)
        .filter(_not_voted(ballot))
        .update(
            token_digest=token_digest(intent.secret),
            send_message_id=intent.message_id,
            send_sealed=seal(intent.secret, intent.message_id),
            send_lease_until=timezone.now() + dt.timedelta(seconds=lease_seconds()),
        )
    )
    if written:
        return intent
    voted = VoteRecord.objects.filter(ballot_id=ballot.pk)
    if elector.member_id is not None:
        voted = voted.filter(member_id=elector.member_id)
    else:
        voted = voted.filter(supporter_id=elector.supporter_id)
    if voted.exists():
        _release(elector.pk, owner)
        return "voted"
    return None


def _release(elector_id: int, owner: str, **fields: Any) -> int:
    """The owed send is done (sent, failed for good, or no longer wanted)."""
    return Elector.objects.filter(pk=elector_id, send_lease=owner).update(
        send_queued_at=None,
        send_kind="",
        send_lease="",
        send_lease_until=None,
        send_message_id="",
        send_sealed="",
        **fields,
    )


def _renew(elector_id: int, owner: str) -> None:
    Elector.objects.filter(pk=elector_id, send_lease=owner).update(
        send_lease_until=timezone.now() + dt.timedelta(seconds=lease_seconds())
    )


def deliver(ballot_id: int, limit: int | None = None) -> dict[str, int]:
    """Send the emails owed to the next ``limit`` electors (default: one batch) of a
    ballot, throttled and with retries. Electors who voted meanwhile are not sent
    anything; if the ballot is no longer open every owed send is dropped. Returns counts;
    failures are recorded on the electors."""
    report = BatchReport()
    ballot = Ballot.objects.filter(pk=ballot_id).first()
    if ballot is None:
        return report.as_dict()
    if ballot.state != Ballot.State.OPEN:
        report.skipped = _owed(ballot).update(
            send_queued_at=None,
            send_kind="",
            send_lease="",
            send_lease_until=None,
            send_message_id="",
            send_sealed="",
        )
        return report.as_dict()
    owner = secrets.token_hex(16)
    ids = _claim(ballot, limit or batch_size(), owner)
    if not ids:
        return report.as_dict()
    electors = list(Elector.objects.filter(pk__in=ids).select_related("member").order_by("pk"))
    # Supporters' addresses come from the elections app (``ballots.outside``).
    contacts = outside.contacts(e.supporter_id for e in electors if e.supporter_id is not None)
    throttle = Throttle(emails_per_second(), clock)
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 30
    connection = get_connection(fail_silently=False, timeout=timeout)
    try:
        with contextlib.suppress(*_send_errors()):
            connection.open()  # one connection for the batch (else one per message)
        for elector in electors:
            kind: Kind = "reminder" if elector.send_kind == "reminder" else "invitation"
            person: Any = (
                elector.member
                if elector.member_id is not None
                else contacts.get(elector.supporter_id or 0)
            )
            if person is None or not person.email:
                report.no_email += 1
                _release(elector.pk, owner)
                continue
            intent = _write_intent(ballot, elector, owner)
            if intent is None or intent == "voted":
                report.skipped += 1
                continue
            report.resumed += intent.resumed
            if _deliver_one(ballot, elector, person, kind, intent, owner, connection, throttle):
                report.sent += 1
            else:
                report.failed += 1
    finally:
        connection.close()
    if report.failed:
        logger.warning("ballot %s: %s email(s) failed for good", ballot.pk, report.failed)
    return report.as_dict()


def _deliver_one(
    ballot: Ballot,
    elector: Elector,
    person: Any,
    kind: Kind,
    intent: _Intent,
    owner: str,
    connection: Any,
    throttle: Throttle,
) -> bool:
    with in_language(person):  # the member's language; a supporter's: the default
        subject, body = render_email(kind, ballot, elector, vote_url(intent.secret), person)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[person.email],
        headers={"Message-ID": intent.message_id},
    )
    delays = retry_delays()
    attempts = max_attempts()
    errors = _send_errors()
    for attempt in range(1, attempts + 1):
        throttle.wait()
        try:
            connection.send_messages([message])
        except errors as exc:
            error = _describe(exc)
            connection.close()  # start the next attempt on a fresh connection
            if _permanent(exc) or attempt == attempts:
                # The new link never arrived: the one sent before (if any) works again.
                if not intent.resumed:
                    Elector.objects.filter(
                        pk=elector.pk, token_digest=token_digest(intent.secret)
                    ).update(token_digest=intent.previous)
                _release(elector.pk, owner, send_attempts=attempt, last_send_error=error)
                return False
            Elector.objects.filter(pk=elector.pk, send_lease=owner).update(
                send_attempts=attempt, last_send_error=error
            )
            if delays:
                clock.sleep(delays[min(attempt - 1, len(delays) - 1)])
            _renew(elector.pk, owner)
            continue
        _confirm(elector, kind, intent, owner, attempt, message)
        return True
    return False  # pragma: no cover - the loop always returns


def _confirm(
    elector: Elector, kind: Kind, intent: _Intent, owner: str, attempt: int, message: Any
) -> None:
    """The server (or provider) accepted the message: record it, forget the secret."""
    status = getattr(message, "anymail_status", None)
    esp_id = getattr(status, "message_id", None) if status is not None else None
    provider_id = "" if esp_id is None else str(esp_id)  # anymail: the provider's id
    now = timezone.now()
    fields: dict[str, Any] = {
        "send_attempts": attempt,
        "last_send_error": "",
        "sent_message_id": (provider_id or intent.message_id)[:200],
    }
    with transaction.atomic():
        if db_connection.vendor == "postgresql":
            # Not waiting for this commit to reach the disk (the intent did): if the
            # database itself crashed in the next few hundred milliseconds and lost it, the
            # send would be repeated as the identical message, as after a worker crash.
            with db_connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if kind == "reminder":
            fields["reminded_at"] = now
            Elector.objects.filter(pk=elector.pk, invited_at__isnull=True).update(invited_at=now)
        else:
            fields["invited_at"] = now
        _release(elector.pk, owner, **fields)


def resume_stalled(now: Any = None) -> dict[int, int]:
    """Queue send tasks for open ballots whose owed emails nobody is working on (a worker
    was killed, or its task was lost); returns ``{ballot id: tasks queued}``. Tasks
    already waiting in the database queue are counted first, so running this every minute
    does not pile up duplicates (and a duplicate would find nothing left to claim)."""
    from rankandfile.ballots import tasks

    now = now or timezone.now()
    queued: dict[int, int] = {}
    # Sends queued in the last lease period are left alone: the action that queued them
    # enqueues their tasks when it commits.
    settled = now - dt.timedelta(seconds=lease_seconds())
    rows = (
        Elector.objects.filter(send_queued_at__lt=settled, ballot__state=Ballot.State.OPEN)
        .filter(_claimable(now))
        .values("ballot_id")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        ballot_id, n = int(row["ballot_id"]), int(row["n"])
        needed = -(-n // batch_size()) - tasks.waiting_send_tasks(ballot_id)
        for _ in range(max(0, needed)):
            tasks.send_ballot_emails.enqueue(ballot_id)
        if needed > 0:
            queued[ballot_id] = needed
    return queued
