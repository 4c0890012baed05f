"""Who may see and change what in accountability.

- Divisions, votes, policies, links with their justifications, scores and MP pages are
  public (the Commons record is public; so is how we score it): no check on reads.
- Maintain policies and their division links, enter party changes: policy officers and
  national admins (rule P1).
- Import divisions: national admins and policy officers.
- The reconciliation report: policy officers and national admins.
- The CLP view (members opted in to alerts, significant differences): that CLP's
  officers, regional officers of its region, national admins (``can_manage_clp``).
- Alert preferences: a member sets their own.
- "Start a by-election campaign" from an MP page, once a departure is recorded: the
  officers who may run campaigns in the seat's constituency party.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from rankandfile.accountability.models import Policy
from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, MP

AnyUser = Any


def can_manage_policies(user: AnyUser) -> bool:
    """Create policies, link divisions (with a justification), enter party changes."""
    return membership_permissions.is_policy_officer(
        user
    ) or membership_permissions.is_national_admin(user)


def can_import_divisions(user: AnyUser) -> bool:
    return membership_permissions.is_policy_officer(
        user
    ) or membership_permissions.is_national_admin(user)


def can_view_reconciliation(user: AnyUser) -> bool:
    return can_manage_policies(user)


def can_view_clp_accountability(user: AnyUser, clp: CLP) -> bool:
    return membership_permissions.can_manage_clp(user, clp)


def can_start_by_election(user: AnyUser, mp_record: MP) -> bool:
    """Open a by-election campaign for this MP's seat: the officers who may run campaigns
    in its constituency party (``membership.permissions.is_clp_officer``, the rule the
    campaigns app applies)."""
    constituency = mp_record.constituency
    clp = getattr(constituency, "clp", None) if constituency is not None else None
    return clp is not None and membership_permissions.is_clp_officer(user, clp)


def access_mp(mnis_id: int) -> MP:
    """Any MP (public)."""
    found = MP.objects.select_related("constituency__clp").filter(mnis_id=mnis_id).first()
    if found is None:
        raise NotFound(gettext("no such MP"))
    return found


def access_policy(slug: str) -> Policy:
    """Any policy (public)."""
    found = Policy.objects.select_related("programme_entry").filter(slug=slug).first()
    if found is None:
        raise NotFound(gettext("no such policy"))
    return found


def access_clp_accountability(user: AnyUser, slug: str) -> CLP:
    clp = membership_permissions.managed_clps(user).filter(slug=slug).first()
    if clp is None:
        raise NotFound(gettext("no such constituency party among those you manage"))
    return clp
