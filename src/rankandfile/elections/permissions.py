"""Who may see and run what in internal elections.

- Open a contest, add candidates, close nominations, open and declare the members'
  ballot, add hustings, record past rounds: national admins (the NEC's staff).
- See contests (candidates, every nomination and who made it, thresholds, statements,
  hustings, results) and past rounds with the comparison of rules: any member, officer
  or MP with a login. Not anonymous visitors.
- Nominate as an MP: the MP whose login it is (``MPAccount``), while they are one of the
  party's MPs in office; their own nomination only.
- Record a CLP's nomination (meeting vote or all-member ballot): that CLP's officers
  (chair, secretary, officer) and national admins — not other CLPs' officers.
- Record an affiliate's nomination: that affiliate's officers and national admins.
- Set a candidate's statement: the candidate (a member with a login) and national admins.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext

from rankandfile.core.errors import NotFound
from rankandfile.elections.models import Candidate, Contest, MPAccount, Nomination, PastRound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, MP, Affiliate

AnyUser = Any

#: Parties whose MPs are "ours" (as in selections).
PARTY_NAMES = ("Labour", "Labour (Co-op)")


def can_run_elections(user: AnyUser) -> bool:
    return membership_permissions.is_national_admin(user)


def mp_for(user: AnyUser) -> MP | None:
    """The MP whose login this is, if they are one of the party's MPs in office."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    account = MPAccount.objects.filter(user=user).select_related("mp").first()
    if account is None:
        return None
    found = account.mp
    if not found.in_office or found.left_party_on is not None or found.party not in PARTY_NAMES:
        return None
    return found


def can_see_elections(user: AnyUser) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(
        membership_permissions.own_member(user) is not None
        or membership_permissions.active_roles(user)
        or MPAccount.objects.filter(user=user).exists()
    )


def visible_contests(user: AnyUser) -> QuerySet[Contest]:
    qs = Contest.objects.select_related("ballot")
    return qs if can_see_elections(user) else qs.none()


def access_contest(user: AnyUser, contest_id: int) -> Contest:
    contest = visible_contests(user).filter(pk=contest_id).first()
    if contest is None:
        raise NotFound(gettext("no such election among those you may see"))
    return contest


def access_run_contest(user: AnyUser, contest_id: int) -> Contest:
    contest = access_contest(user, contest_id)
    if not can_run_elections(user):
        raise NotFound(gettext("no such election among those you run"))
    return contest


def access_candidate(user: AnyUser, contest: Contest, candidate_id: int) -> Candidate:
    found = contest.candidates.filter(pk=candidate_id).first()
    if found is None:
        raise NotFound(gettext("no such candidate in this election"))
    return found


def access_past_round(user: AnyUser, round_id: int) -> PastRound:
    found = PastRound.objects.filter(pk=round_id).first() if can_see_elections(user) else None
    if found is None:
        raise NotFound(gettext("no such past round"))
    return found


def nominating_clps(user: AnyUser) -> QuerySet[CLP]:
    """The CLPs whose nominations the user may record."""
    if membership_permissions.is_national_admin(user):
        return CLP.objects.order_by("name")
    return CLP.objects.filter(pk__in=membership_permissions.officer_clp_ids(user)).order_by("name")


def nominating_affiliates(user: AnyUser) -> QuerySet[Affiliate]:
    """The affiliates whose nominations the user may record."""
    if membership_permissions.is_national_admin(user):
        return Affiliate.objects.order_by("name")
    return Affiliate.objects.filter(
        pk__in=membership_permissions.officer_affiliate_ids(user)
    ).order_by("name")


def can_act_for_clp(user: AnyUser, clp: CLP) -> bool:
    return membership_permissions.is_national_admin(
        user
    ) or clp.pk in membership_permissions.officer_clp_ids(user)


def can_act_for_affiliate(user: AnyUser, affiliate: Affiliate) -> bool:
    return membership_permissions.is_national_admin(
        user
    ) or affiliate.pk in membership_permissions.officer_affiliate_ids(user)


def can_withdraw_nomination(user: AnyUser, nomination: Nomination) -> bool:
    if nomination.by == Nomination.By.MP:
        own = mp_for(user)
        return own is not None and own.pk == nomination.mp_id
    if nomination.by == Nomination.By.CLP and nomination.clp is not None:
        return can_act_for_clp(user, nomination.clp)
    if nomination.affiliate is not None:
        return can_act_for_affiliate(user, nomination.affiliate)
    return False  # pragma: no cover - the check constraint names a unit


def access_nomination(user: AnyUser, contest: Contest, nomination_id: int) -> Nomination:
    found = (
        contest.nominations.select_related("mp", "clp", "affiliate", "candidate")
        .filter(pk=nomination_id)
        .first()
    )
    if found is None or not can_withdraw_nomination(user, found):
        raise NotFound(gettext("no such nomination among those you may withdraw"))
    return found


def can_edit_statement(user: AnyUser, candidate: Candidate) -> bool:
    if can_run_elections(user):
        return True
    me = membership_permissions.own_member(user)
    return me is not None and candidate.member_id == me.pk
