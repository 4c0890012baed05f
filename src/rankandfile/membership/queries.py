"""Reads for membership pages and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from rankandfile.membership import permissions
from rankandfile.membership.models import MP, Member, Period


def home_for(user: Any) -> dict[str, Any]:
    """Everything the member's home page shows, in a fixed number of queries."""
    member = (
        Member.objects.select_related("clp__constituency__region", "branch")
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
        "roles": permissions.active_roles(user),
        "ballots": [],
    }


class Status:
    def __init__(self, label: str, continuous_since: Any = None):
        self.label = label
        self.continuous_since = continuous_since


def member_status(member: Member, on: Any = None) -> Status:
    """The member's standing today: member, suspended, in arrears, lapsed or expelled."""
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
            return Status("Expelled")
        return Status("Lapsed" if ended else "Not a member")
    since = next(p.start for p in current if p.kind == Period.Kind.MEMBERSHIP)
    if Period.Kind.SUSPENSION in kinds:
        return Status("Suspended", since)
    if Period.Kind.ARREARS in kinds:
        return Status("In arrears", since)
    return Status("Member in good standing", since)


def clp_members(clp_id: int, *, search: str = "", branch_id: int | None = None) -> QuerySet[Member]:
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
    return qs.order_by("last_name", "first_name", "membership_number")
