"""Reads for membership pages and the API.

Every function here returns data for one page or endpoint in a fixed number of queries,
whatever the number of rows; the tests pin the counts (``django_assert_num_queries``).
Visibility is decided by :mod:`rankandfile.membership.permissions` before these are
called: the functions take already-authorised objects or ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_noop

from rankandfile.core.models import AuditEntry
from rankandfile.membership import permissions
from rankandfile.membership.models import (
    CLP,
    MP,
    AccountInvitation,
    Branch,
    Member,
    Period,
    Role,
)

# --- Standing ---------------------------------------------------------------------------
# The codes a members list can be filtered by, in display order. "lapsed" covers everyone
# without a membership period covering the day (lapsed, resigned, expelled, never joined).
STANDING_GOOD = "good"
STANDING_ARREARS = "arrears"
STANDING_SUSPENDED = "suspended"
STANDING_LAPSED = "lapsed"
STANDING_CHOICES: tuple[tuple[str, str], ...] = (
    (STANDING_GOOD, gettext_noop("Member in good standing")),
    (STANDING_ARREARS, gettext_noop("In arrears")),
    (STANDING_SUSPENDED, gettext_noop("Suspended")),
    (STANDING_LAPSED, gettext_noop("Lapsed / not a member")),
)
STANDING_LABELS = dict(STANDING_CHOICES)


def _covering(kind: str, day: dt.date) -> Exists:
    """``EXISTS`` a period of ``kind`` of the outer member covering ``day`` (half-open)."""
    return Exists(
        Period.objects.filter(member=OuterRef("pk"), kind=kind, start__lte=day).filter(
            Q(end__isnull=True) | Q(end__gt=day)
        )
    )


def with_standing(qs: QuerySet[Member], on: dt.date | None = None) -> QuerySet[Member]:
    """Annotate ``standing`` (one of the ``STANDING_*`` codes) on ``day``.

    Computed in the database by correlated ``EXISTS`` subqueries on :class:`Period`, so a
    page of members needs no further query. Suspension outranks arrears: a suspended
    member in arrears is shown as suspended.
    """
    day = on or permissions.today()
    return qs.annotate(
        standing=Case(
            When(~_covering(Period.Kind.MEMBERSHIP, day), then=Value(STANDING_LAPSED)),
            When(_covering(Period.Kind.SUSPENSION, day), then=Value(STANDING_SUSPENDED)),
            When(_covering(Period.Kind.ARREARS, day), then=Value(STANDING_ARREARS)),
            default=Value(STANDING_GOOD),
        )
    )


def standing_filter(standing: str, on: dt.date | None = None) -> Q:
    """A ``Q`` selecting members with ``standing`` on the day (unknown codes select all)."""
    day = on or permissions.today()
    member = _covering(Period.Kind.MEMBERSHIP, day)
    suspended = _covering(Period.Kind.SUSPENSION, day)
    arrears = _covering(Period.Kind.ARREARS, day)
    if standing == STANDING_GOOD:
        return Q(member) & ~Q(suspended) & ~Q(arrears)
    if standing == STANDING_ARREARS:
        return Q(member) & ~Q(suspended) & Q(arrears)
    if standing == STANDING_SUSPENDED:
        return Q(member) & Q(suspended)
    if standing == STANDING_LAPSED:
        return ~Q(member)
    return Q()


# --- Home -------------------------------------------------------------------------------
def home_for(user: Any) -> dict[str, Any]:
    """Everything the member's home page shows, in a fixed number of queries.

    Queries: the member with CLP, constituency, region and branch (1), their history (1),
    their MP (1) and the user's roles (1, shared with the navigation). The cards of the
    apps above membership (my ballots, conference, ...) are added by ``rankandfile.home``.
    """
    member = (
        Member.objects.select_related("clp__constituency__region", "branch")
        .prefetch_related("periods")
        .filter(user=user)
        .first()
    )
    mp = None
    status = None
    if member is not None:
        mp = (
            MP.objects.filter(constituency_id=member.clp.constituency_id, in_office=True)
            .order_by("-pk")
            .first()
        )
        status = member_status(member)
    return {
        "member": member,
        "mp": mp,
        "status": status,
        "roles": role_summary(permissions.active_roles(user)),
    }


@dataclass(frozen=True)
class Status:
    """A member's standing on one day, for display."""

    label: str
    continuous_since: dt.date | None = None
    code: str = STANDING_LAPSED


def member_status(member: Member, on: dt.date | None = None) -> Status:
    """The member's standing on ``on`` (today by default): in good standing, in arrears,
    suspended, lapsed, expelled or never a member. Uses ``member.periods.all()``, so a
    prefetched history costs no query."""
    day = on or permissions.today()
    periods = list(member.periods.all())
    current = [p for p in periods if p.covers(day)]
    kinds = {p.kind for p in current}
    if Period.Kind.MEMBERSHIP not in kinds:
        ended = sorted(
            (p for p in periods if p.kind == Period.Kind.MEMBERSHIP and p.end and p.end <= day),
            key=lambda p: p.end or day,
        )
        if ended and ended[-1].end_reason == Period.EndReason.EXPELLED:
            return Status(gettext_noop("Expelled"))
        return Status(gettext_noop("Lapsed") if ended else gettext_noop("Not a member"))
    since = next(p.start for p in current if p.kind == Period.Kind.MEMBERSHIP)
    if Period.Kind.SUSPENSION in kinds:
        return Status(gettext_noop("Suspended"), since, STANDING_SUSPENDED)
    if Period.Kind.ARREARS in kinds:
        return Status(gettext_noop("In arrears"), since, STANDING_ARREARS)
    return Status(gettext_noop("Member in good standing"), since, STANDING_GOOD)


# --- CLP members list -------------------------------------------------------------------
def clp_members(
    clp_id: int,
    *,
    search: str = "",
    branch_id: int | None = None,
    standing: str = "",
    on: dt.date | None = None,
) -> QuerySet[Member]:
    """A CLP's members, searched and filtered, with ``standing`` annotated.

    ``search`` matches every word (at most four) against names (substring), membership
    number and email (exact) and postcode (prefix). ``standing`` is a ``STANDING_*`` code.
    """
    qs = Member.objects.filter(clp_id=clp_id).select_related("branch")
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    if search:
        for word in search.split()[:4]:
            qs = qs.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(membership_number__iexact=word)
                | Q(email__iexact=word)
                | Q(postcode__istartswith=word)
            )
    if standing in STANDING_LABELS:
        qs = qs.filter(standing_filter(standing, on))
    qs = qs.annotate(
        invitation_sent_at=F("invitation__sent_at"),
        invitation_owed_at=F("invitation__send_queued_at"),
    )
    return with_standing(qs, on).order_by("last_name", "first_name", "membership_number")


def clp_branches(clp: CLP) -> list[Branch]:
    """The CLP's branches, for the filter (one query)."""
    return list(Branch.objects.filter(clp=clp).only("pk", "name", "clp_id").order_by("name"))


# --- One member -------------------------------------------------------------------------
def member_history(member: Member) -> list[Period]:
    """The member's periods, oldest first."""
    return list(member.periods.order_by("start", "kind"))


def member_audit_trail(member: Member, limit: int = 50) -> list[AuditEntry]:
    """The newest audit entries about the member record (for officers who manage it)."""
    return list(
        AuditEntry.objects.filter(object_type=member._meta.label_lower, object_id=str(member.pk))
        .order_by("-seq")
        .only("seq", "at", "actor_label", "action", "channel", "data")[:limit]
    )


def role_summary(roles: list[Role]) -> list[Role]:
    """Roles ordered for display: national first, then region, CLP, branch, affiliate."""
    order: dict[str, int] = {
        Role.Kind.NATIONAL_ADMIN: 0,
        Role.Kind.SCRUTINEER: 1,
        Role.Kind.REGIONAL_OFFICER: 2,
        Role.Kind.CLP_SECRETARY: 3,
        Role.Kind.CLP_CHAIR: 4,
        Role.Kind.CLP_OFFICER: 5,
        Role.Kind.BRANCH_OFFICER: 6,
        Role.Kind.AFFILIATE_OFFICER: 7,
    }
    return sorted(roles, key=lambda r: (order.get(r.kind, 9), r.scope_label))


# --- Scrutineers --------------------------------------------------------------------------
def scrutineer_emails(on: dt.date | None = None) -> list[str]:
    """Email addresses of the active logins holding a scrutineer role in force on ``on``
    (today by default): who receives the audit log head (``audit_publish_head``)."""
    day = on or permissions.today()
    return sorted(
        set(
            Role.objects.filter(kind=Role.Kind.SCRUTINEER, user__is_active=True, start__lte=day)
            .filter(Q(end__isnull=True) | Q(end__gt=day))
            .values_list("user__email", flat=True)
        )
    )


def member_invitation(member: Member) -> AccountInvitation | None:
    """The member's latest account invitation, if any (``membership.accounts``)."""
    return AccountInvitation.objects.filter(member=member).first()


def member_without_login(*, clp_slug: str) -> Member | None:
    """A member of the CLP with an address and no login (the demo's activation example)."""
    return (
        Member.objects.filter(user__isnull=True, erased_at__isnull=True, clp__slug=clp_slug)
        .exclude(email="")
        .order_by("membership_number")
        .first()
    )
