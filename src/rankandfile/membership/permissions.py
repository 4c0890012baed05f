"""Who may see and manage what in membership.

Every view and API endpoint goes through these functions; none fetches a member or a CLP
directly. ``can_*`` answer yes/no; ``access_*`` fetch or raise :class:`NotFound` (the same
error whether the object does not exist or is not visible, so ids cannot be probed);
``visible_*`` return the querysets a user may list.

Scopes: a member sees only their own record; a branch officer their branch's members; a
CLP officer (chair, secretary, officer) their CLP's; a regional officer their region's; a
national admin everyone. Scrutineers see turnout and audit trails of ballots (ballots
app), never member records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.core.errors import NotFound
from rankandfile.membership.models import CLP, Member, Role

AnyUser = Any  # User | AnonymousUser


def active_roles(user: AnyUser) -> list[Role]:
    """The user's roles in force today (cached on the user object for the request)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return []
    return user.roles_in_force()  # type: ignore[no-any-return]


def is_national_admin(user: AnyUser) -> bool:
    return any(r.kind == Role.Kind.NATIONAL_ADMIN for r in active_roles(user))


def is_cac(user: AnyUser) -> bool:
    """A member of the conference arrangements committee (conference business)."""
    return any(r.kind == Role.Kind.CAC for r in active_roles(user))


def is_policy_officer(user: AnyUser) -> bool:
    """Maintains the links between Commons divisions and policies (accountability)."""
    return any(r.kind == Role.Kind.POLICY_OFFICER for r in active_roles(user))


def officer_clp_ids(user: AnyUser) -> set[int]:
    return {r.clp_id for r in active_roles(user) if r.kind in Role.CLP_KINDS and r.clp_id}


def officer_branch_ids(user: AnyUser) -> set[int]:
    return {
        r.branch_id
        for r in active_roles(user)
        if r.kind == Role.Kind.BRANCH_OFFICER and r.branch_id
    }


def officer_region_ids(user: AnyUser) -> set[int]:
    return {
        r.region_id
        for r in active_roles(user)
        if r.kind == Role.Kind.REGIONAL_OFFICER and r.region_id
    }


def officer_affiliate_ids(user: AnyUser) -> set[int]:
    return {
        r.affiliate_id
        for r in active_roles(user)
        if r.kind == Role.Kind.AFFILIATE_OFFICER and r.affiliate_id
    }


def own_member(user: AnyUser) -> Member | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        member: Member = user.member
    except Member.DoesNotExist:
        return None
    return member


# --- CLPs -------------------------------------------------------------------------------
def is_clp_officer(user: AnyUser, clp: CLP) -> bool:
    """An officer of this CLP (or a national admin): who runs the CLP's own campaigns,
    including a by-election campaign for its seat. Regional officers are not included."""
    return is_national_admin(user) or clp.pk in officer_clp_ids(user)


def can_manage_clp(user: AnyUser, clp: CLP) -> bool:
    """CLP officers of this CLP, regional officers of its region, national admins."""
    if is_national_admin(user):
        return True
    if clp.pk in officer_clp_ids(user):
        return True
    return clp.constituency.region_id in officer_region_ids(user)


def managed_clps(user: AnyUser) -> QuerySet[CLP]:
    """CLPs whose members the user may list and manage."""
    qs = CLP.objects.select_related("constituency__region")
    if is_national_admin(user):
        return qs
    return qs.filter(
        Q(pk__in=officer_clp_ids(user)) | Q(constituency__region_id__in=officer_region_ids(user))
    )


def access_managed_clp(user: AnyUser, slug: str) -> CLP:
    clp = managed_clps(user).filter(slug=slug).first()
    if clp is None:
        raise NotFound(gettext("no such constituency party among those you manage"))
    return clp


# --- Members ----------------------------------------------------------------------------
def visible_members(user: AnyUser) -> QuerySet[Member]:
    """Member records the user may see: their own plus those in their scopes."""
    qs = Member.objects.all()
    if is_national_admin(user):
        return qs
    cond = Q(pk__in=[])
    me = own_member(user)
    if me is not None:
        cond |= Q(pk=me.pk)
    if clps := officer_clp_ids(user):
        cond |= Q(clp_id__in=clps)
    if branches := officer_branch_ids(user):
        cond |= Q(branch_id__in=branches)
    if regions := officer_region_ids(user):
        cond |= Q(clp__constituency__region_id__in=regions)
    return qs.filter(cond)


def can_view_member(user: AnyUser, member: Member) -> bool:
    if is_national_admin(user):
        return True
    me = own_member(user)
    if me is not None and me.pk == member.pk:
        return True
    if member.clp_id in officer_clp_ids(user):
        return True
    if member.branch_id is not None and member.branch_id in officer_branch_ids(user):
        return True
    return member.clp.constituency.region_id in officer_region_ids(user)


def can_manage_member(user: AnyUser, member: Member) -> bool:
    """Edit records and histories: CLP officers, regional officers, national admins
    (branch officers can see their members but not change their records)."""
    if is_national_admin(user):
        return True
    return can_manage_clp(user, member.clp)


def access_member(user: AnyUser, member_id: int) -> Member:
    member = (
        visible_members(user)
        .select_related("clp__constituency__region", "branch", "user")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise NotFound(gettext("no such member among those you may see"))
    return member


def can_import_members(user: AnyUser, clp: CLP | None = None) -> bool:
    """National admins import the whole party; CLP officers only rows for their CLP."""
    if is_national_admin(user):
        return True
    if clp is None:
        return bool(officer_clp_ids(user) or officer_region_ids(user))
    return can_manage_clp(user, clp)


def can_use_admin(user: AnyUser) -> bool:
    return bool(getattr(user, "is_staff", False)) and is_national_admin(user)


def today() -> dt.date:
    return timezone.localdate()
