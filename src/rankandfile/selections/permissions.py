"""Who may see and run what in selections.

- Manage a selection (timetable, trigger figures, longlist and shortlist, nominations,
  hustings, the ballot, the declaration): the officers of its CLP (chair, secretary,
  officer) and national admins. Nobody else — not regional officers, not branch officers.
- Open a round, and compare the trigger rules side by side: national admins.
- See a selection (timetable, shortlist, hustings, candidate pages, result): its CLP's
  members, its managers, the officers of its branches and of affiliates affiliated to the
  CLP, and anyone who applied in it.
- Record a trigger decision or a nomination: the branch's officer for their branch, the
  affiliate's officer for their affiliate (if affiliated to the CLP), and the managers.
- A candidate's private data (contact details, equality data, union details): the
  candidate and the managers only; never other candidates or members.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import Affiliate, Branch
from rankandfile.selections.models import Application, Selection, SelectionRound

AnyUser = Any


def can_open_round(user: AnyUser) -> bool:
    return membership_permissions.is_national_admin(user)


def can_compare_rules(user: AnyUser) -> bool:
    return membership_permissions.is_national_admin(user)


def can_manage_selection(user: AnyUser, selection: Selection) -> bool:
    return membership_permissions.is_national_admin(
        user
    ) or selection.clp_id in membership_permissions.officer_clp_ids(user)


def visible_selections(user: AnyUser) -> QuerySet[Selection]:
    qs = Selection.objects.select_related(
        "clp__constituency", "round", "sitting_mp", "ballot", "selected"
    )
    if membership_permissions.is_national_admin(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    cond = Q(clp_id__in=membership_permissions.officer_clp_ids(user))
    me = membership_permissions.own_member(user)
    if me is not None:
        cond |= Q(clp_id=me.clp_id) | Q(applications__member=me)
    if branches := membership_permissions.officer_branch_ids(user):
        cond |= Q(clp__branches__in=branches)
    if affiliates := membership_permissions.officer_affiliate_ids(user):
        cond |= Q(clp__affiliates__in=affiliates)
    return qs.filter(cond).distinct()


def access_selection(user: AnyUser, selection_id: int) -> Selection:
    selection = visible_selections(user).filter(pk=selection_id).first()
    if selection is None:
        raise NotFound(gettext("no such selection among those you may see"))
    return selection


def access_managed_selection(user: AnyUser, selection_id: int) -> Selection:
    selection = access_selection(user, selection_id)
    if not can_manage_selection(user, selection):
        raise NotFound(gettext("no such selection among those you manage"))
    return selection


def access_round(user: AnyUser, round_id: int) -> SelectionRound:
    if not membership_permissions.is_national_admin(user):
        raise NotFound(gettext("no such selection round"))
    found = SelectionRound.objects.filter(pk=round_id).first()
    if found is None:
        raise NotFound(gettext("no such selection round"))
    return found


def can_apply(user: AnyUser, selection: Selection) -> bool:
    """A member (with a login) while applications are open; eligibility is checked by the
    service with reasons."""
    if membership_permissions.own_member(user) is None or selection.stage != "applications":
        return False
    return (
        selection.applications_open
        <= membership_permissions.today()
        <= selection.applications_close
    )


def can_act_for_branch(user: AnyUser, selection: Selection, branch: Branch) -> bool:
    if branch.clp_id != selection.clp_id:
        return False
    return can_manage_selection(
        user, selection
    ) or branch.pk in membership_permissions.officer_branch_ids(user)


def can_act_for_affiliate(user: AnyUser, selection: Selection, affiliate: Affiliate) -> bool:
    if not affiliate.clps.filter(pk=selection.clp_id).exists():
        return False
    return can_manage_selection(
        user, selection
    ) or affiliate.pk in membership_permissions.officer_affiliate_ids(user)


def units_for(user: AnyUser, selection: Selection) -> tuple[list[Branch], list[Affiliate]]:
    """The branches and affiliates the user may record decisions and nominations for."""
    branches = Branch.objects.filter(clp_id=selection.clp_id).order_by("name")
    affiliates = Affiliate.objects.filter(clps=selection.clp_id).order_by("name")
    if not can_manage_selection(user, selection):
        branches = branches.filter(pk__in=membership_permissions.officer_branch_ids(user))
        affiliates = affiliates.filter(pk__in=membership_permissions.officer_affiliate_ids(user))
    return list(branches), list(affiliates)


def can_see_private(user: AnyUser, application: Application) -> bool:
    """Contact details, equality data and union details of an application."""
    if can_manage_selection(user, application.selection):
        return True
    me = membership_permissions.own_member(user)
    return me is not None and me.pk == application.member_id
