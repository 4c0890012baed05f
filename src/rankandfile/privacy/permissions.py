"""Who may export or erase a member's personal data.

- A member may download their own data.
- A subject access request for a member is answered by an officer who may manage that
  member (their CLP's officers, their region's officers, national admins —
  ``membership.permissions.can_manage_member``). Branch officers, who may see but not
  manage records, may not.
- Erasure is for national admins only: it cannot be undone.
- A supporter of an internal election (``elections.Supporter``, decision 0025): their
  data is exported by the supporter themself (their voting login) or a national admin,
  erased by a national admin.

``access_*`` raise :class:`NotFound` both when the member does not exist and when the user
may not act on them, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from rankandfile.core.errors import NotFound
from rankandfile.elections.models import Supporter
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import Member


def can_export_member(user: Any, member: Member) -> bool:
    me = membership_permissions.own_member(user)
    if me is not None and me.pk == member.pk:
        return True
    return membership_permissions.can_manage_member(user, member)


def can_erase_member(user: Any, member: Member) -> bool:
    return membership_permissions.is_national_admin(user)


def access_member_for_export(user: Any, member_id: int) -> Member:
    member = membership_permissions.access_member(user, member_id)
    if not can_export_member(user, member):
        raise NotFound(gettext("no such member among those whose data you may export"))
    return member


def access_member_for_erasure(user: Any, member_id: int) -> Member:
    member = membership_permissions.access_member(user, member_id)
    if not can_erase_member(user, member):
        raise NotFound(gettext("no such member among those whose data you may erase"))
    return member


def can_export_supporter(user: Any, supporter: Supporter) -> bool:
    if supporter.user_id is not None and supporter.user_id == getattr(user, "pk", None):
        return True
    return membership_permissions.is_national_admin(user)


def can_erase_supporter(user: Any, supporter: Supporter) -> bool:
    return membership_permissions.is_national_admin(user)


def access_supporter_for_export(user: Any, supporter_id: int) -> Supporter:
    supporter = Supporter.objects.filter(pk=supporter_id).select_related("contest").first()
    if supporter is None or not can_export_supporter(user, supporter):
        raise NotFound(gettext("no such supporter among those whose data you may export"))
    return supporter


def access_supporter_for_erasure(user: Any, supporter_id: int) -> Supporter:
    supporter = Supporter.objects.filter(pk=supporter_id).select_related("contest").first()
    if supporter is None or not can_erase_supporter(user, supporter):
        raise NotFound(gettext("no such supporter among those whose data you may erase"))
    return supporter
