"""Personal data rights: export (access), erasure by anonymisation, and retention.

Every function takes an explicit ``actor`` (``None``: the system, e.g. the retention
job), runs in one transaction and records an audit entry. What erasure keeps and why is
in docs/privacy.md:

- kept: the member row (as a membership number, a CLP and a membership history, because
  past electorates are digests of member ids and must still verify), electorate and
  vote records (that they were eligible and voted — never how), delegate records and card
  votes (the conference's record), the name on a selection's ballot paper (it is on the
  published papers), campaign signature and reply *counts*, and the audit log, untouched;
- anonymised: names, email addresses, postal address, postcode, gender, date of birth,
  language preference, notes, contact details, the login's email and name (the login
  stays, unusable, because audit entries name it by id);
- deleted: API tokens, verified email addresses, two-factor authenticators, volunteer
  offers and alert preferences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import ApiToken, User
from rankandfile.elections.models import Supporter
from rankandfile.membership.models import Member, Period, Role
from rankandfile.privacy import permissions, queries

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never receive mail


def _erased_address(kind: str, pk: int) -> str:
    return f"erased-{kind}-{pk}@{ERASED_DOMAIN}"


# --- access -------------------------------------------------------------------------------
def subject_data_export(*, actor: User | None, member: Member, fmt: str) -> dict[str, Any]:
    """Everything held about ``member`` (``privacy.queries.subject_data``), audited.

    ``fmt`` (``json`` or ``pdf``) is recorded with who asked: the member themself, or an
    officer answering a subject access request.
    """
    if fmt not in ("json", "pdf"):
        raise DomainError(
            gettext("personal data is exported as json or pdf, not %(format)s")
            % {"format": repr(fmt)}
        )
    if actor is not None and not permissions.can_export_member(actor, member):
        raise PermissionDenied(
            gettext(
                "you may not export the personal data of member %(number)s: only the member, "
                "officers who manage their record and national admins may"
            )
            % {"number": member.membership_number}
        )
    own = actor is not None and member.user_id == actor.pk
    with transaction.atomic():
        data = queries.subject_data(member)
        audit.record(
            actor=actor,
            action="privacy.member.export",
            target=member,
            data={"format": fmt, "request": "own" if own else "subject_access"},
        )
    return data


# --- erasure ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Erasure:
    member: Member
    counts: dict[str, int]


@dataclass(frozen=True)
class SupporterErasure:
    supporter: Supporter
    counts: dict[str, int]


def _erasure_reason(reason: str) -> str:
    """The reason an erasure is recorded with (the request's reference): required."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("give the reason for the erasure (e.g. the request's reference)"))
    return reason


def _day(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "j F Y")


def member_erase(
    *, actor: User | None, member: Member, reason: str, now: dt.datetime | None = None
) -> Erasure:
    """Anonymise ``member``'s personal data everywhere, keeping the records that ballots,
    counts, conference and the audit chain need (module docstring).

    Refused — with the reason — for a member who is still a member (record the lapse or
    resignation first), who is on the electorate of a ballot not yet declared, or who was
    already erased.
    """
    from rankandfile.ballots.models import Ballot, Elector

    reason = _erasure_reason(reason)
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        locked = (
            Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
        )
        if actor is not None and not permissions.can_erase_member(actor, locked):
            raise PermissionDenied(
                gettext("only national admins may erase a member's personal data")
            )
        if locked.erased_at is not None:
            raise DomainError(
                gettext("member %(number)s's personal data was already erased on %(date)s")
                % {"number": locked.membership_number, "date": _day(locked.erased_at)}
            )
        current = locked.periods.filter(kind=Period.Kind.MEMBERSHIP, start__lte=today).filter(
            Q(end__isnull=True) | Q(end__gt=today)
        )
        if current.exists():
            raise DomainError(
                gettext(
                    "member %(number)s is still a member: record their resignation or lapse "
                    "first, then erase their personal data"
                )
                % {"number": locked.membership_number}
            )
        pending = (
            Elector.objects.filter(member=locked)
            .exclude(ballot__state=Ballot.State.DECLARED)
            .select_related("ballot")
            .first()
        )
        if pending is not None:
            raise DomainError(
                gettext(
                    "member %(number)s is on the electorate of “%(ballot)s”, which is not "
                    "declared yet: erase after the declaration"
                )
                % {"number": locked.membership_number, "ballot": pending.ballot.title}
            )
        counts = _anonymise(locked, today, now)
        audit.record(
            actor=actor,
            action="privacy.member.erase",
            target=locked,
            data={"reason": reason[:300], **counts},
        )
    return Erasure(member=locked, counts=counts)


def _anonymise(member: Member, today: dt.date, now: dt.datetime) -> dict[str, int]:
    """Erase ``member``'s personal data everywhere (module docstring: what is kept,
    anonymised and deleted); how many records of each kind were touched."""
    emails = queries.member_emails(member)
    user = member.user
    counts: dict[str, int] = {}
    counts["signatures"] = _anonymise_signatures(emails)
    counts["event_replies"] = _anonymise_event_replies(emails, user)
    counts["applications"] = _anonymise_applications(member)
    counts.update(_delete_offers_and_alerts(member))
    _forget_ballot_links_and_notes(member)
    _anonymise_member_row(member, now)
    counts["login"] = 0
    if user is not None:
        _disable_login(user, today)
        counts["login"] = 1
    return counts


def _anonymise_signatures(emails: list[str]) -> int:
    """Petition signatures made with the member's addresses: the count stays, the signer
    is anonymous and hidden, and the signature's links no longer work."""
    from rankandfile.campaigns.models import Signature

    signatures = list(Signature.objects.filter(email__in=emails))
    for s in signatures:
        s.first_name, s.last_name = "Erased", "signer"
        s.email = _erased_address("signature", s.pk)
        s.postcode, s.town = "", ""
        s.show_publicly = False
        s.confirm_digest = s.withdraw_digest = ""
        s.save(
            update_fields=[
                "first_name", "last_name", "email", "postcode", "town", "show_publicly",
                "confirm_digest", "withdraw_digest",
            ]
        )  # fmt: skip
    return len(signatures)


def _anonymise_event_replies(emails: list[str], user: User | None) -> int:
    """Replies to campaign events, by the member's addresses or login: kept as counts."""
    from rankandfile.campaigns.models import Rsvp

    rsvp_filter = Q(email__in=emails) | (Q(user=user) if user is not None else Q(pk__in=[]))
    rsvps = list(Rsvp.objects.filter(rsvp_filter))
    for r in rsvps:
        r.name, r.email, r.user, r.cancel_digest = (
            "Erased",
            _erased_address("reply", r.pk),
            None,
            "",
        )
        r.save(update_fields=["name", "email", "user", "cancel_digest"])
    return len(rsvps)


def _anonymise_applications(member: Member) -> int:
    """Selection applications: contact details and statement erased."""
    from rankandfile.selections.models import Application

    applications = list(Application.objects.filter(member=member))
    for a in applications:
        # The name on the ballot paper stays: it is on the published papers and result.
        a.contact_email = _erased_address("application", a.pk)
        a.contact_phone = a.trade_union = a.union_membership_number = ""
        a.statement = "(erased)"
        a.eligibility_note = ""
        a.save(
            update_fields=[
                "contact_email", "contact_phone", "trade_union", "union_membership_number",
                "statement", "eligibility_note",
            ]
        )  # fmt: skip
    return len(applications)


def _delete_offers_and_alerts(member: Member) -> dict[str, int]:
    """Volunteer offers and alert preferences (with the alerts sent) deleted; how many."""
    from rankandfile.accountability.models import AlertPreference, AlertSent
    from rankandfile.campaigns.models import Volunteer

    return {
        "volunteering": Volunteer.objects.filter(member=member).delete()[0],
        "alert_preferences": (
            AlertPreference.objects.filter(member=member).delete()[0]
            + AlertSent.objects.filter(member=member).delete()[0]
        ),
    }


def _forget_ballot_links_and_notes(member: Member) -> None:
    """The member's ballot links (digests) and send errors, and notes on their history."""
    from rankandfile.ballots.models import Elector

    Elector.objects.filter(member=member).update(token_digest=None, last_send_error="")
    member.periods.exclude(note="").update(note="")


def _anonymise_member_row(member: Member, now: dt.datetime) -> None:
    """The member row keeps its number, CLP and history; everything personal goes."""
    member.first_name, member.last_name = "Erased", "member"
    member.email = member.address = member.postcode = member.gender = ""
    member.preferred_language = ""
    member.date_of_birth = None
    member.erased_at = now
    member.save(
        update_fields=[
            "first_name", "last_name", "email", "address", "postcode", "gender",
            "preferred_language", "date_of_birth", "erased_at", "updated_at",
        ]
    )  # fmt: skip


def _disable_login(user: User, today: dt.date) -> None:
    """The login stays (audit entries name it by id, and its digest covers that id) but
    can no longer be used and says nothing about the person: its tokens, addresses and
    authenticators are deleted and its offices end today."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    user.email = _erased_address("login", user.pk)
    user.full_name = ""
    user.is_active = False
    user.is_staff = False
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "is_active", "is_staff", "password"])
    ApiToken.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    Role.objects.filter(user=user, end__isnull=True).update(end=today)
    Role.objects.filter(user=user, end__gt=today).update(end=today)


# --- election supporters (decision 0025) ----------------------------------------------------
def supporter_data_export(*, actor: User | None, supporter: Supporter) -> dict[str, Any]:
    """Everything held about an election's supporter (``privacy.queries.supporter_data``),
    audited like a member's export."""
    if actor is not None and not permissions.can_export_supporter(actor, supporter):
        raise PermissionDenied(
            gettext("only the supporter and national admins may export their data")
        )
    own = actor is not None and supporter.user_id == actor.pk
    with transaction.atomic():
        data = queries.supporter_data(supporter)
        audit.record(
            actor=actor,
            action="privacy.supporter.export",
            target=supporter,
            data={"format": "json", "request": "own" if own else "subject_access"},
        )
    return data


def supporter_erase(
    *, actor: User | None, supporter: Supporter, reason: str, now: dt.datetime | None = None
) -> SupporterErasure:
    """Anonymise an election supporter as a member is anonymised: the row stays (it is on
    a ballot's electorate, and the vote record says they voted — never how), the name and
    address go, and their voting login is anonymised and disabled unless it serves
    another purpose (a member's login is never touched here). Refused while they are on
    the electorate of a ballot not yet declared, or when already erased."""
    from rankandfile.ballots.models import Ballot, Elector

    reason = _erasure_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Supporter.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=supporter.pk)
        )
        if actor is not None and not permissions.can_erase_supporter(actor, locked):
            raise PermissionDenied(
                gettext("only national admins may erase a supporter's personal data")
            )
        if locked.erased_at is not None:
            raise DomainError(
                gettext("supporter %(number)s's personal data was already erased on %(date)s")
                % {"number": locked.pk, "date": _day(locked.erased_at)}
            )
        pending = (
            Elector.objects.filter(supporter_id=locked.pk)
            .exclude(ballot__state=Ballot.State.DECLARED)
            .select_related("ballot")
            .first()
        )
        if pending is not None:
            raise DomainError(
                gettext(
                    "the supporter is on the electorate of “%(ballot)s”, which is not "
                    "declared yet: erase after the declaration"
                )
                % {"ballot": pending.ballot.title}
            )
        counts = _anonymise_supporter(locked, now)
        audit.record(
            actor=actor,
            action="privacy.supporter.erase",
            target=locked,
            data={"reason": reason[:300], **counts},
        )
    return SupporterErasure(supporter=locked, counts=counts)


def _anonymise_supporter(supporter: Supporter, now: dt.datetime) -> dict[str, int]:
    from allauth.account.models import EmailAddress

    from rankandfile.ballots.models import Elector

    Elector.objects.filter(supporter_id=supporter.pk).update(token_digest=None, last_send_error="")
    user = supporter.user
    supporter.name = "Erased supporter"
    supporter.email = _erased_address("supporter", supporter.pk)
    supporter.erased_at = now
    supporter.user = None
    supporter.save(update_fields=["name", "email", "erased_at", "user"])
    counts = {"login": 0}
    others = user is not None and (
        Member.objects.filter(user=user).exists()
        or Role.objects.filter(user=user).exists()
        or user.is_staff
        or Supporter.objects.filter(user=user, erased_at__isnull=True).exists()
    )
    if user is not None and not others:
        user.email = _erased_address("login", user.pk)
        user.full_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["email", "full_name", "is_active", "password"])
        ApiToken.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        counts["login"] = 1
    return counts


# --- retention ----------------------------------------------------------------------------
@dataclass
class RetentionReport:
    cutoff: dt.date
    erased: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def retention_days() -> int:
    return int(settings.PRIVACY_LAPSED_RETENTION_DAYS)


def due_for_erasure(today: dt.date) -> tuple[dt.date, list[Member]]:
    """Members whose last membership ended before ``today - PRIVACY_LAPSED_RETENTION_DAYS``
    and whose data is not yet erased. Members who never had a membership period are not
    touched (nothing says when their data stopped being needed)."""
    cutoff = today - dt.timedelta(days=retention_days())
    recent = Period.objects.filter(member=OuterRef("pk"), kind=Period.Kind.MEMBERSHIP).filter(
        Q(end__isnull=True) | Q(end__gt=cutoff)
    )
    any_membership = Period.objects.filter(member=OuterRef("pk"), kind=Period.Kind.MEMBERSHIP)
    members = list(
        Member.objects.filter(erased_at__isnull=True)
        .filter(Exists(any_membership))
        .exclude(Exists(recent))
        .order_by("pk")
    )
    return cutoff, members


def retention_apply(*, actor: User | None = None, today: dt.date | None = None) -> RetentionReport:
    """Erase the personal data of every member lapsed for longer than the retention period.

    Each member is erased in its own transaction (and audited as ``privacy.member.erase``
    with reason ``retention``); a member who cannot be erased yet (on an undeclared
    ballot's electorate) is skipped with the reason and tried again on the next run.
    """
    today = today or timezone.localdate()
    cutoff, members = due_for_erasure(today)
    report = RetentionReport(cutoff=cutoff)
    for member in members:
        try:
            member_erase(
                actor=actor,
                member=member,
                reason=f"retention: lapsed before {cutoff.isoformat()}",
            )
        except DomainError as exc:
            report.skipped.append((member.membership_number, str(exc)))
        else:
            report.erased.append(member.membership_number)
    return report
