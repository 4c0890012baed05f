"""Reads for the priorities ballot: whom the actor may vote for and who has voted."""

from __future__ import annotations

from rankandfile.conference.models import AffiliateDelegation, Conference, Delegate, PriorityChoice
from rankandfile.core.models import User
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, Affiliate


def priority_voter_unit_ids(actor: User, conference: Conference) -> tuple[set[int], set[int]]:
    """CLPs and affiliates the actor may cast the priorities vote for: a delegate of the
    CLP or its officer; the delegation's leader or an affiliate officer."""

    clps = set(membership_permissions.officer_clp_ids(actor))
    me = membership_permissions.own_member(actor)
    if me is not None:
        clps |= set(
            Delegate.objects.filter(conference=conference, member=me).values_list(
                "clp_id", flat=True
            )
        )
    affs = set(membership_permissions.officer_affiliate_ids(actor))
    affs |= set(
        AffiliateDelegation.objects.filter(conference=conference, leader=actor).values_list(
            "affiliate_id", flat=True
        )
    )
    return clps, affs


def priority_voter_units(actor: User, conference: Conference) -> tuple[list[CLP], list[Affiliate]]:
    clps, affs = priority_voter_unit_ids(actor, conference)
    return (
        list(CLP.objects.filter(pk__in=clps).order_by("name")),
        list(Affiliate.objects.filter(pk__in=affs).order_by("name")),
    )


def priorities_voted(conference: Conference) -> tuple[set[int], set[int]]:
    """CLPs and affiliates that have cast their priorities vote."""
    rows = PriorityChoice.objects.filter(conference=conference).values_list(
        "clp_id", "affiliate_id"
    )
    return {c for c, _ in rows if c is not None}, {a for _, a in rows if a is not None}
