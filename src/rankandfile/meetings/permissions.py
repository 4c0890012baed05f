"""Who may run meetings, move motions and write to members, and who sees what.

- Run a branch's meetings, table its motions, write to its members: the branch's
  officers, the officers (chair, secretary, officer) of its CLP, national admins.
- Run a CLP's meetings, its motions and its conference submission, write to its members
  (any group within the CLP): the CLP's officers and national admins.
- Regional officers do not: meetings and messages belong to the unit's own officers.
- See a meeting, its agenda, motions and minutes: the members of the unit (a branch's
  members; a CLP's members for CLP meetings) and those who run it.

``access_*`` raise :class:`NotFound` alike for a missing and a forbidden object.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from rankandfile.core.errors import NotFound
from rankandfile.meetings.models import Meeting, Motion, OfficerMessage
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, Branch

AnyUser = Any


def managed_clps(user: AnyUser) -> QuerySet[CLP]:
    qs = CLP.objects.all()
    if membership_permissions.is_national_admin(user):
        return qs
    return qs.filter(pk__in=membership_permissions.officer_clp_ids(user))


def managed_branches(user: AnyUser) -> QuerySet[Branch]:
    qs = Branch.objects.select_related("clp")
    if membership_permissions.is_national_admin(user):
        return qs
    return qs.filter(
        Q(pk__in=membership_permissions.officer_branch_ids(user))
        | Q(clp_id__in=membership_permissions.officer_clp_ids(user))
    )


def can_manage_unit(user: AnyUser, *, branch: Branch | None = None, clp: CLP | None = None) -> bool:
    if membership_permissions.is_national_admin(user):
        return True
    if branch is not None:
        return branch.pk in membership_permissions.officer_branch_ids(
            user
        ) or branch.clp_id in membership_permissions.officer_clp_ids(user)
    if clp is not None:
        return clp.pk in membership_permissions.officer_clp_ids(user)
    return False


def can_manage_meeting(user: AnyUser, meeting: Meeting) -> bool:
    return can_manage_unit(user, branch=meeting.branch, clp=meeting.clp)


def can_manage_motion(user: AnyUser, motion: Motion) -> bool:
    return can_manage_unit(user, branch=motion.branch, clp=motion.clp)


def _unit_filter(user: AnyUser, prefix: str = "") -> Q:
    """Rows of units the user runs or belongs to."""
    cond = Q(**{f"{prefix}branch_id__in": membership_permissions.officer_branch_ids(user)})
    clps = membership_permissions.officer_clp_ids(user)
    cond |= Q(**{f"{prefix}clp_id__in": clps}) | Q(**{f"{prefix}branch__clp_id__in": clps})
    me = membership_permissions.own_member(user)
    if me is not None:
        cond |= Q(**{f"{prefix}clp_id": me.clp_id})
        if me.branch_id is not None:
            cond |= Q(**{f"{prefix}branch_id": me.branch_id})
    return cond


def visible_meetings(user: AnyUser) -> QuerySet[Meeting]:
    qs = Meeting.objects.select_related("branch__clp", "clp")
    if membership_permissions.is_national_admin(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(_unit_filter(user))


def access_meeting(user: AnyUser, meeting_id: int) -> Meeting:
    meeting = visible_meetings(user).filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(gettext("no such meeting"))
    return meeting


def access_managed_meeting(user: AnyUser, meeting_id: int) -> Meeting:
    meeting = access_meeting(user, meeting_id)
    if not can_manage_meeting(user, meeting):
        raise NotFound(gettext("no such meeting among those you run"))
    return meeting


def managed_meetings(user: AnyUser) -> QuerySet[Meeting]:
    """Meetings of the units the user runs."""
    qs = Meeting.objects.select_related("branch__clp", "clp")
    if membership_permissions.is_national_admin(user):
        return qs
    clps = membership_permissions.officer_clp_ids(user)
    return qs.filter(
        Q(branch_id__in=membership_permissions.officer_branch_ids(user))
        | Q(branch__clp_id__in=clps)
        | Q(clp_id__in=clps)
    )


def visible_motions(user: AnyUser) -> QuerySet[Motion]:
    qs = Motion.objects.select_related("branch__clp", "clp", "forwarded_from__branch")
    if membership_permissions.is_national_admin(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(_unit_filter(user))


def access_motion(user: AnyUser, motion_id: int) -> Motion:
    motion = visible_motions(user).filter(pk=motion_id).first()
    if motion is None:
        raise NotFound(gettext("no such motion"))
    return motion


def access_managed_motion(user: AnyUser, motion_id: int) -> Motion:
    motion = access_motion(user, motion_id)
    if not can_manage_motion(user, motion):
        raise NotFound(gettext("no such motion among those you run"))
    return motion


def visible_messages(user: AnyUser) -> QuerySet[OfficerMessage]:
    """Messages sent in the units the user runs (their officers see each other's)."""
    qs = OfficerMessage.objects.select_related("branch__clp", "clp", "audience_branch", "sent_by")
    if membership_permissions.is_national_admin(user):
        return qs
    clps = membership_permissions.officer_clp_ids(user)
    return qs.filter(
        Q(branch_id__in=membership_permissions.officer_branch_ids(user))
        | Q(clp_id__in=clps)
        | Q(branch__clp_id__in=clps)
    )


def access_message(user: AnyUser, message_id: int) -> OfficerMessage:
    message = visible_messages(user).filter(pk=message_id).first()
    if message is None:
        raise NotFound(gettext("no such message"))
    return message


def runs_anything(user: AnyUser) -> bool:
    return bool(
        membership_permissions.is_national_admin(user)
        or membership_permissions.officer_branch_ids(user)
        or membership_permissions.officer_clp_ids(user)
    )
