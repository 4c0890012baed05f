"""Who may run, scrutinise, vote in and see the results of a ballot.

- Manage (set up, open, invite, close, declare): the officers of the ballot's unit —
  national admins for party-wide ballots, regional officers for a region, CLP officers for
  a CLP or one of its branches (and anyone above them).
- Scrutinise (turnout while open, electorate digest, audit trail, recount): scrutineers
  whose scope covers the ballot (national scrutineers cover everything). Scrutineers never
  see how anyone voted — nobody can.
- Vote: a member on the frozen electorate, while the ballot is open, once.
- Explain a member's eligibility (scrutiny page): managers and scrutineers, for members on
  the ballot's electorate or in its unit only (:func:`lookup_members`); every lookup is
  audited.
- See results: managers and scrutineers once counted; after declaration, whoever the
  ballot's visibility names (electorate or public).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from rankandfile.ballots import outside
from rankandfile.ballots.models import Ballot, Elector, Visibility
from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, Branch, Member, Region, Role

AnyUser = Any


def can_manage_scope(
    user: AnyUser,
    scope_kind: str,
    *,
    region: Region | None = None,
    clp: CLP | None = None,
    branch: Branch | None = None,
) -> bool:
    if membership_permissions.is_national_admin(user):
        return True
    if scope_kind == "party":
        return False
    if scope_kind == "region":
        return region is not None and region.pk in membership_permissions.officer_region_ids(user)
    if scope_kind == "branch" and branch is not None:
        clp = branch.clp
    return clp is not None and membership_permissions.can_manage_clp(user, clp)


def can_manage_ballot(user: AnyUser, ballot: Ballot) -> bool:
    return can_manage_scope(
        user, ballot.scope_kind, region=ballot.region, clp=ballot.clp, branch=ballot.branch
    )


def _scrutineer_roles(user: AnyUser) -> list[Role]:
    return [r for r in membership_permissions.active_roles(user) if r.kind == Role.Kind.SCRUTINEER]


def can_scrutinise(user: AnyUser, ballot: Ballot) -> bool:
    for role in _scrutineer_roles(user):
        if role.region_id is None and role.clp_id is None:
            return True
        if role.clp_id is not None and role.clp_id == _ballot_clp_id(ballot):
            return True
        if role.region_id is not None and role.region_id == _ballot_region_id(ballot):
            return True
    return False


def _ballot_clp_id(ballot: Ballot) -> int | None:
    if ballot.scope_kind == "clp":
        return ballot.clp_id
    if ballot.scope_kind == "branch" and ballot.branch is not None:
        return ballot.branch.clp_id
    return None


def _ballot_region_id(ballot: Ballot) -> int | None:
    if ballot.scope_kind == "region":
        return ballot.region_id
    if ballot.scope_kind == "clp" and ballot.clp is not None:
        return ballot.clp.constituency.region_id
    if ballot.scope_kind == "branch" and ballot.branch is not None:
        return ballot.branch.clp.constituency.region_id
    return None


def lookup_members(ballot: Ballot) -> QuerySet[Member]:
    """Members whose eligibility the ballot's scrutineers and managers may have explained:
    those on its frozen electorate and those whose record places them in the ballot's
    unit (the party, or its region, CLP or branch). Anyone else is, to them, simply not on
    this electorate: a CLP secretary or a CLP's scrutineer cannot read the national roll
    by trying sequential membership numbers."""
    on_electorate = Exists(Elector.objects.filter(ballot=ballot, member=OuterRef("pk")))
    if ballot.scope_kind == "party":
        unit = Q()
    elif ballot.scope_kind == "region":
        unit = Q(clp__constituency__region_id=ballot.region_id)
    elif ballot.scope_kind == "clp":
        unit = Q(clp_id=ballot.clp_id)
    else:
        unit = Q(branch_id=ballot.branch_id)
    return Member.objects.filter(on_electorate | unit)


def elector_for(user: AnyUser, ballot: Ballot) -> Elector | None:
    """The user's elector on the ballot: as a member, else as a supporter whose voting
    login this is (``ballots.outside``)."""
    member = membership_permissions.own_member(user)
    if member is not None:  # a member's login is never a supporter's (decision 0025)
        return Elector.objects.filter(ballot=ballot, member=member).first()
    supporters = outside.ids_for_user(getattr(user, "pk", None))
    if not supporters:
        return None
    return Elector.objects.filter(ballot=ballot, supporter_id__in=supporters).first()


def can_view_result(user: AnyUser, ballot: Ballot) -> bool:
    if ballot.state not in (Ballot.State.COUNTED, Ballot.State.DECLARED):
        return False
    if can_manage_ballot(user, ballot) or can_scrutinise(user, ballot):
        return True
    if ballot.state != Ballot.State.DECLARED:
        return False
    if ballot.results_visibility == Visibility.PUBLIC:
        return True
    if ballot.results_visibility == Visibility.ELECTORATE:
        return elector_for(user, ballot) is not None
    return False


def visible_ballots(user: AnyUser) -> QuerySet[Ballot]:
    """Ballots the user may open: as an elector, a manager, a scrutineer, or public results."""
    qs = Ballot.objects.select_related("region", "clp__constituency", "branch__clp")
    if membership_permissions.is_national_admin(user) or any(
        r.region_id is None and r.clp_id is None for r in _scrutineer_roles(user)
    ):
        return qs
    cond = Q(state=Ballot.State.DECLARED, results_visibility=Visibility.PUBLIC)
    member = membership_permissions.own_member(user)
    if member is not None:
        # EXISTS, not a join: one probe of the unique (ballot, member) index per ballot,
        # where a join under the OR below made PostgreSQL read a ballot's whole
        # electorate (a third of a second for 500,000 electors, on every ballot page).
        cond |= Q(Exists(Elector.objects.filter(ballot_id=OuterRef("pk"), member=member)))
    # A login with a member record is never a supporter's (registration refuses members),
    # so only a login without one is looked up as a supporter (decision 0025).
    supporters = outside.ids_for_user(getattr(user, "pk", None)) if member is None else []
    if supporters:
        cond |= Q(
            Exists(Elector.objects.filter(ballot_id=OuterRef("pk"), supporter_id__in=supporters))
        )
    clps = membership_permissions.officer_clp_ids(user) | {
        r.clp_id for r in _scrutineer_roles(user) if r.clp_id
    }
    regions = membership_permissions.officer_region_ids(user) | {
        r.region_id for r in _scrutineer_roles(user) if r.region_id
    }
    if clps:
        cond |= Q(clp_id__in=clps) | Q(branch__clp_id__in=clps)
    if regions:
        cond |= (
            Q(region_id__in=regions)
            | Q(clp__constituency__region_id__in=regions)
            | Q(branch__clp__constituency__region_id__in=regions)
        )
    return qs.filter(cond).distinct()


def access_ballot(user: AnyUser, ballot_id: int) -> Ballot:
    ballot = visible_ballots(user).filter(pk=ballot_id).first()
    if ballot is None:
        raise NotFound(gettext("no such ballot among those you may see"))
    return ballot


def access_managed_ballot(user: AnyUser, ballot_id: int) -> Ballot:
    ballot = access_ballot(user, ballot_id)
    if not can_manage_ballot(user, ballot):
        raise NotFound(gettext("no such ballot among those you manage"))
    return ballot
