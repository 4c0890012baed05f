"""Reads for delegates: membership at the census date (entitlement and card-vote weights),
each CLP's entitlement, the delegates, the ballots that elected them and a member looked up
by number."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from rankandfile.ballots.models import Ballot
from rankandfile.conference import procedure
from rankandfile.conference.models import Conference, Delegate
from rankandfile.conference.queries.common import conference_parameters
from rankandfile.conference.rules import RuleParameters
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, Gender, Member, Period


def _youth_cutoff(census: dt.date, age: int) -> dt.date:
    try:
        return census.replace(year=census.year - age)
    except ValueError:  # 29 February
        return census.replace(year=census.year - age, day=28)


def clp_membership(
    census: dt.date, p: RuleParameters, clp_ids: list[int] | None = None
) -> dict[int, tuple[int, int, int]]:
    """``{clp_id: (members, women, under_youth_age)}`` on the census date, one query.

    A member counts if a membership period covers the census date (half-open periods).
    """
    on = Period.objects.filter(
        member=OuterRef("pk"), kind=Period.Kind.MEMBERSHIP, start__lte=census
    ).filter(Q(end__isnull=True) | Q(end__gt=census))
    qs = Member.objects.filter(Exists(on))
    if clp_ids is not None:
        qs = qs.filter(clp_id__in=clp_ids)
    cutoff = _youth_cutoff(census, p.youth_age_under)
    rows = qs.values("clp_id").annotate(
        n=Count("id"),
        women=Count("id", filter=Q(gender=Gender.WOMAN)),
        young=Count("id", filter=Q(date_of_birth__gt=cutoff)),
    )
    return {r["clp_id"]: (r["n"], r["women"], r["young"]) for r in rows}


def clp_entitlement(conference: Conference, clp_id: int) -> procedure.Entitlement:
    p = conference_parameters(conference)
    m, w, y = clp_membership(conference.dates.census_date, p, [clp_id]).get(clp_id, (0, 0, 0))
    return procedure.entitlement(members=m, women=w, young=y, p=p)


def clp_entitlements(
    conference: Conference, clps: list[CLP], p: RuleParameters
) -> list[tuple[CLP, procedure.Entitlement, str]]:
    """Each CLP's delegate entitlement at the census date, with its explanation."""
    counts = clp_membership(conference.dates.census_date, p, [c.pk for c in clps])
    out = []
    for c in clps:
        members, women, young = counts.get(c.pk, (0, 0, 0))
        e = procedure.entitlement(members=members, women=women, young=young, p=p)
        out.append((c, e, e.explain(p)))
    return out


def delegates_of(conference: Conference, clp_id: int | None = None) -> QuerySet[Delegate]:
    qs = Delegate.objects.filter(conference=conference).select_related("member", "clp")
    if clp_id is not None:
        qs = qs.filter(clp_id=clp_id)
    return qs.order_by("clp__name", "kind", "member__last_name")


def declared_ballots(clps: list[CLP]) -> list[Ballot]:
    """The CLPs' declared ballots (delegates elected by ballot), newest first."""
    return list(
        Ballot.objects.filter(clp__in=clps, state=Ballot.State.DECLARED).order_by("-declared_at")[
            :20
        ]
    )


def member_by_number(user: Any, number: str) -> Member | None:
    """A member the user manages, by membership number (None if unknown or out of scope)."""
    return (
        membership_permissions.visible_members(user)
        .filter(membership_number=number)
        .select_related("clp")
        .first()
    )
