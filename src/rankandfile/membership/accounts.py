"""Accounts for members: invitations to activate a login, and activation (decision 0024).

Only the Django admin could give a member a login before; now:

- **Officers invite** members of the CLPs they manage (:func:`invite_members`: one, a
  selection, or every member who has neither a login nor an invitation yet — "everyone new
  after an import"). Officers outside a member's CLP cannot (the member is skipped and
  counted, never revealed).
- **A member asks** for a link with their email address or membership number
  (:func:`request_link`). The answer is the same whether or not a member was found, and
  the work done in the request is the same (one look-up and one row write queued for the
  worker either way); the view rate-limits by address and by what was typed.
- **The email** is sent by a task (:func:`deliver`, ``membership.tasks``) through
  django-tasks, never in the request: owed sends are rows (``send_queued_at``) leased by
  workers, the intent (new link digest, Message-ID, sealed secret) committed before the
  server is spoken to, throttled to ``ACCOUNT_EMAILS_PER_SECOND`` — the pattern of
  ``ballots.invitations`` (decision 0018), so a killed worker neither loses nor doubles a
  message.
- **Activation** (:func:`activate`) takes the link's secret, finds the row by its SHA-256
  digest, refuses an expired or used link, creates (or links) the login with the member's
  address verified, sets the chosen password and marks the link used — all in one
  transaction, audited. Sending a new link replaces the digest: the older link stops
  working.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.core import audit, links
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User
from rankandfile.membership import permissions
from rankandfile.membership.language import in_language, offered
from rankandfile.membership.models import AccountInvitation, Member

logger = logging.getLogger(__name__)

LINK_LIFETIME = dt.timedelta(days=14)
"""How long an activation link works after it is sent."""


# --- settings ---------------------------------------------------------------------------
def emails_per_second() -> float:
    return float(getattr(settings, "ACCOUNT_EMAILS_PER_SECOND", 10))


def batch_size() -> int:
    return max(1, int(getattr(settings, "ACCOUNT_INVITATION_BATCH_SIZE", 100)))


def lease_seconds() -> float:
    return float(getattr(settings, "ACCOUNT_EMAIL_LEASE_SECONDS", 120))


# --- tokens -----------------------------------------------------------------------------
def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def activation_url(secret: str) -> str:
    return links.absolute_url(reverse("membership:activate", args=[secret]))


def _seal_key(message_id: str) -> bytes:
    """A 64-byte key stream (longer than any secret) from SECRET_KEY and the Message-ID."""
    return b"".join(
        hmac.new(
            settings.SECRET_KEY.encode(),
            b"rankandfile.activation-link:%d:" % block + message_id.encode(),
            "sha256",
        ).digest()
        for block in (0, 1)
    )


def _seal(secret: str, message_id: str) -> str:
    raw = secret.encode()
    key = _seal_key(message_id)
    return base64.urlsafe_b64encode(bytes(a ^ b for a, b in zip(raw, key, strict=False))).decode()


def _unseal(sealed: str, message_id: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode())
    key = _seal_key(message_id)
    return bytes(a ^ b for a, b in zip(raw, key, strict=False)).decode()


# --- who may be invited -----------------------------------------------------------------
def can_invite(user: Any, member: Member) -> bool:
    """Officers who manage the member's CLP (CLP and regional officers, national admins)."""
    return permissions.can_manage_member(user, member)


def _invitable() -> Q:
    """Members who can be sent a link: an address, no login yet, not erased."""
    return Q(user__isnull=True, erased_at__isnull=True) & ~Q(email="")


@dataclass(frozen=True)
class InviteResult:
    queued: int
    already_active: int
    no_email: int
    not_allowed: int


def _queue(member_ids: list[int], *, actor: User | None, by_member: bool) -> int:
    now = timezone.now()
    existing = set(
        AccountInvitation.objects.filter(member_id__in=member_ids).values_list(
            "member_id", flat=True
        )
    )
    AccountInvitation.objects.bulk_create(
        [  # member 0 never exists: request_link's "not found" does the same work
            AccountInvitation(member_id=mid, invited_by=actor, requested_by_member=by_member)
            for mid in member_ids
            if mid not in existing and mid != 0
        ]
    )
    AccountInvitation.objects.filter(member_id__in=member_ids).update(
        send_queued_at=now,
        last_send_error="",
        send_attempts=0,
        invited_by=actor,
        requested_by_member=by_member,
    )
    return len(member_ids)


def _enqueue_delivery() -> None:
    from rankandfile.membership import tasks

    transaction.on_commit(partial(tasks.send_account_invitations.enqueue))


@transaction.atomic
def invite_members(*, actor: User, member_ids: Iterable[int]) -> InviteResult:
    """Queue an activation email for each member ``actor`` may invite who has an address
    and no login. Members outside the actor's scope are counted as ``not_allowed`` (and
    nothing is done for them); the audit entry records counts only."""
    wanted = sorted({int(m) for m in member_ids})
    if not wanted:
        raise DomainError(gettext("Choose at least one member to invite."))
    members = list(Member.objects.filter(pk__in=wanted).select_related("clp__constituency", "user"))
    allowed = [m for m in members if can_invite(actor, m)]
    not_allowed = len(wanted) - len(allowed)
    active = [m for m in allowed if m.user_id is not None]
    no_email = [m for m in allowed if m.user_id is None and (not m.email or m.erased_at)]
    to_send = [m.pk for m in allowed if m.user_id is None and m.email and not m.erased_at]
    queued = _queue(to_send, actor=actor, by_member=False) if to_send else 0
    if queued:
        _enqueue_delivery()
    result = InviteResult(
        queued=queued,
        already_active=len(active),
        no_email=len(no_email),
        not_allowed=not_allowed,
    )
    audit.record(
        actor=actor,
        action="membership.accounts.invite",
        data={
            "queued": result.queued,
            "already_active": result.already_active,
            "no_email": result.no_email,
            "not_allowed": result.not_allowed,
        },
    )
    return result


def uninvited_in_clp(clp_id: int) -> list[int]:
    """Members of a CLP with an address, no login and never invited: who an officer means
    by "everyone new" after an import."""
    return list(
        Member.objects.filter(_invitable(), clp_id=clp_id, invitation__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def request_link(*, identifier: str, language: str = "") -> None:
    """A member asks for an activation link by email address or membership number.

    Returns nothing and raises nothing about whether anyone was found: the caller shows the
    same answer either way. A member with a login already is sent nothing here (they use
    "forgot password"). The audit entry names no member and no typed identifier.
    ``language`` is the page's: a member who asked in Welsh and has no preference recorded
    gets the link in Welsh, and keeps Welsh as their preference (what the footer switcher
    would record once they can sign in).
    """
    text = identifier.strip()
    if not text:
        raise DomainError(gettext("Enter your email address or membership number."))
    lookup = Q(email__iexact=text) if "@" in text else Q(membership_number__iexact=text)
    # Two members may share an address (a household): each is sent their own link.
    ids = list(
        Member.objects.filter(lookup, _invitable()).order_by("pk").values_list("pk", flat=True)[:5]
    )
    # The same queries and the same queued task whether or not anyone was found, so the
    # answer's timing says nothing either (the worker finds nothing to send).
    chosen = offered(language)
    if chosen and chosen != settings.LANGUAGE_CODE:
        Member.objects.filter(pk__in=ids or [0], preferred_language="").update(
            preferred_language=chosen
        )
    _queue(ids or [0], actor=None, by_member=True)
    _enqueue_delivery()
    audit.record(actor=None, action="membership.accounts.request_link", data={})


# --- delivering -------------------------------------------------------------------------
def _lease(owner: str) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            AccountInvitation.objects.select_for_update(skip_locked=True)
            .filter(send_queued_at__isnull=False)
            .filter(Q(send_lease="") | Q(send_lease_until__lt=now))
            .order_by("send_queued_at", "pk")
            .values_list("pk", flat=True)[: batch_size()]
        )
        AccountInvitation.objects.filter(pk__in=rows).update(
            send_lease=owner, send_lease_until=now + dt.timedelta(seconds=lease_seconds())
        )
    return rows


def _message(invitation: AccountInvitation, secret: str, message_id: str) -> EmailMessage:
    member = invitation.member
    context = {
        "member": member,
        "url": activation_url(secret),
        "days": LINK_LIFETIME.days,
        "site_name": getattr(settings, "RANKANDFILE_SITE_NAME", "Rank and File"),
        "requested": invitation.requested_by_member,
    }
    with in_language(member):
        body = render_to_string("membership/email/activation.txt", context)
        subject = gettext("Activate your %(site_name)s account") % {
            "site_name": context["site_name"]
        }
    return EmailMessage(
        subject=subject,
        body=body,
        to=[member.email],
        headers={"Message-ID": message_id},
    )


def _intent(pk: int, owner: str) -> tuple[AccountInvitation, str, str] | None:
    """Commit what is about to be sent; a retry after a crash sends the same message."""
    with transaction.atomic():
        inv = (
            AccountInvitation.objects.select_for_update()
            .select_related("member")
            .filter(pk=pk, send_lease=owner, send_queued_at__isnull=False)
            .first()
        )
        if inv is None:
            return None
        if inv.member.user_id is not None or not inv.member.email:
            inv.send_queued_at = None
            inv.send_lease = ""
            inv.save(update_fields=["send_queued_at", "send_lease"])
            return None
        if inv.message_id and inv.sealed_secret:  # an unconfirmed send: the same again
            return inv, _unseal(inv.sealed_secret, inv.message_id), inv.message_id
        secret = secrets.token_urlsafe(32)
        domain = links.absolute_url("/").split("//", 1)[-1].split("/", 1)[0].split(":")[0]
        message_id = f"<activation{inv.member_id}.{secrets.token_hex(8)}@{domain or 'localhost'}>"
        inv.message_id = message_id
        inv.sealed_secret = _seal(secret, message_id)
        inv.token_digest = token_digest(secret)
        inv.expires_at = timezone.now() + LINK_LIFETIME
        inv.used_at = None
        inv.save(
            update_fields=["message_id", "sealed_secret", "token_digest", "expires_at", "used_at"]
        )
        return inv, secret, message_id


def _confirm(pk: int, *, error: str = "") -> None:
    now = timezone.now()
    fields: dict[str, Any] = {
        "send_queued_at": None,
        "send_lease": "",
        "send_lease_until": None,
        "sealed_secret": "",
        "last_send_error": error[:300],
    }
    if not error:
        fields["sent_at"] = now
    else:
        fields["token_digest"] = ""
    AccountInvitation.objects.filter(pk=pk).update(**fields)


def deliver(*, owner: str | None = None, sleep: Any = time.sleep) -> dict[str, int]:
    """Send the activation emails owed, a leased batch at a time, throttled. Returns counts."""
    owner = owner or secrets.token_hex(16)
    interval = 1.0 / emails_per_second() if emails_per_second() > 0 else 0.0
    sent = failed = 0
    next_at: float | None = None
    while batch := _lease(owner):
        with get_connection() as connection:
            for pk in batch:
                intent = _intent(pk, owner)
                if intent is None:
                    continue
                inv, secret, message_id = intent
                now = time.monotonic()
                if next_at is not None and now < next_at:
                    sleep(next_at - now)
                    now = next_at
                next_at = now + interval
                AccountInvitation.objects.filter(pk=pk).update(send_attempts=inv.send_attempts + 1)
                message = _message(inv, secret, message_id)
                message.connection = connection
                try:
                    message.send(fail_silently=False)
                except (smtplib.SMTPException, OSError) as exc:
                    logger.warning("activation email to member %s failed: %s", inv.member_id, exc)
                    _confirm(pk, error=str(exc) or type(exc).__name__)
                    failed += 1
                else:
                    _confirm(pk)
                    sent += 1
    return {"sent": sent, "failed": failed}


# --- activation -------------------------------------------------------------------------
def invitation_for(secret: str) -> AccountInvitation | None:
    """The invitation a link's secret opens, if it is current (not expired, not used)."""
    if not secret or len(secret) > 100:
        return None
    inv = (
        AccountInvitation.objects.select_related("member__clp")
        .filter(token_digest=token_digest(secret))
        .first()
    )
    if inv is None or inv.used_at is not None or inv.expires_at is None:
        return None
    if inv.expires_at <= timezone.now() or inv.member.user_id is not None:
        return None
    return inv


@transaction.atomic
def activate(*, secret: str, password: str) -> User:
    """Activate the member's login from their link and set ``password``.

    Refused (``DomainError``, nothing changed) for an unknown, expired or used link, a
    weak password (Django's validators), or an address already used by another member's
    login. The link works once.
    """
    inv = invitation_for(secret)
    if inv is None:
        raise DomainError(
            gettext(
                "This activation link has expired or has already been used. "
                "Ask for a new one below."
            )
        )
    inv = AccountInvitation.objects.select_for_update().select_related("member").get(pk=inv.pk)
    member = Member.objects.select_for_update().get(pk=inv.member_id)
    if inv.used_at is not None or member.user_id is not None:
        raise DomainError(gettext("This activation link has already been used."))
    email = member.email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and Member.objects.filter(user=user).exists():
        raise DomainError(
            gettext(
                "Another member's account uses this email address; ask your CLP secretary "
                "to correct your record."
            )
        )
    if user is None:
        user = User(email=email, full_name=member.full_name)
    validate_password(password, user)
    user.set_password(password)
    user.is_active = True
    user.save()
    _verify_address(user, email)
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    inv.used_at = timezone.now()
    inv.token_digest = ""
    inv.save(update_fields=["used_at", "token_digest"])
    audit.record(actor=user, action="membership.accounts.activate", target=member)
    return user


def _verify_address(user: User, email: str) -> None:
    """The member proved they read this address by following the link."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=user).update(primary=False)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )


def resume_stalled(now: dt.datetime | None = None) -> int:
    """Queue one send task when activation emails are owed and nobody is working on them
    (a worker was killed, or its task was lost): run every minute by the scheduler
    (``accounts_resume_sends``). Returns how many were owed. Sends queued within the last
    lease period are left alone: the action that queued them enqueued their task."""
    from rankandfile.membership import tasks

    now = now or timezone.now()
    settled = now - dt.timedelta(seconds=lease_seconds())
    owed = (
        AccountInvitation.objects.filter(send_queued_at__lt=settled)
        .filter(Q(send_lease="") | Q(send_lease_until__lt=now))
        .count()
    )
    if owed:
        tasks.send_account_invitations.enqueue()
    return owed
