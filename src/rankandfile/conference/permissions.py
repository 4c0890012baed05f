"""Who may do what at conference.

* The CAC (``Role.Kind.CAC``) and national admins run conference business: set-up,
  arrangements (rulings, topics, the agenda), compositing, the floor, credentials.
* CLP officers act for their CLP (submissions, delegates, check-in of their delegates,
  compositing sign-off); affiliate officers for their affiliate.
* A delegate votes their own card; a delegation's leader casts the affiliate's card.
* The rule book, the programme, the published agenda, composites and results are public.

``access_*`` raise :class:`NotFound` for objects a user may not see (as everywhere).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Card,
    Composite,
    Conference,
    Delegate,
    Submission,
)
from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, Affiliate

AnyUser = Any


def can_manage_conference(user: AnyUser) -> bool:
    """The CAC and national admins (clause 3.I: the CAC runs conference business)."""
    return membership_permissions.is_cac(user) or membership_permissions.is_national_admin(user)


def can_submit_for_clp(user: AnyUser, clp: CLP) -> bool:
    return clp.pk in membership_permissions.officer_clp_ids(user)


def can_submit_for_affiliate(user: AnyUser, affiliate: Affiliate) -> bool:
    return affiliate.pk in membership_permissions.officer_affiliate_ids(user)


def can_submit(user: AnyUser) -> bool:
    return bool(
        membership_permissions.officer_clp_ids(user)
        or membership_permissions.officer_affiliate_ids(user)
    )


def submitting_clps(user: AnyUser) -> QuerySet[CLP]:
    return CLP.objects.filter(pk__in=membership_permissions.officer_clp_ids(user)).order_by("name")


def submitting_affiliates(user: AnyUser) -> QuerySet[Affiliate]:
    return Affiliate.objects.filter(
        pk__in=membership_permissions.officer_affiliate_ids(user)
    ).order_by("name")


def is_sponsor(user: AnyUser, submission: Submission) -> bool:
    """An officer of the submitting CLP or affiliate."""
    if submission.clp_id:
        return submission.clp_id in membership_permissions.officer_clp_ids(user)
    return submission.affiliate_id in membership_permissions.officer_affiliate_ids(user)


def visible_submissions(user: AnyUser, conference: Conference) -> QuerySet[Submission]:
    """All for the CAC; the user's own organisations' at any time; once the agenda is
    published, every submission debated at this conference (rulings are public then)."""
    qs = Submission.objects.filter(Q(conference=conference) | Q(debate_year=conference.year))
    if can_manage_conference(user):
        return qs
    cond = Q(clp_id__in=membership_permissions.officer_clp_ids(user)) | Q(
        affiliate_id__in=membership_permissions.officer_affiliate_ids(user)
    )
    dates = getattr(conference, "dates", None)
    if dates is not None and dates.agenda_published_at is not None:
        cond |= Q(debate_year=conference.year) & ~Q(status=Submission.Status.WITHDRAWN)
    return qs.filter(cond)


def access_submission(user: AnyUser, conference: Conference, pk: int) -> Submission:
    sub = (
        visible_submissions(user, conference)
        .select_related("clp", "affiliate", "topic", "composite", "conference", "supersedes")
        .filter(pk=pk)
        .first()
    )
    if sub is None:
        raise NotFound("no such submission")
    return sub


def is_amendment_sponsor(user: AnyUser, amendment: Amendment) -> bool:
    """An officer of the moving CLP or affiliate."""
    if amendment.clp_id:
        return amendment.clp_id in membership_permissions.officer_clp_ids(user)
    return amendment.affiliate_id in membership_permissions.officer_affiliate_ids(user)


def visible_amendments(user: AnyUser, conference: Conference) -> QuerySet[Amendment]:
    """All for the CAC; the user's own organisations' at any time; every amendment not
    withdrawn once the agenda is published (amendments are only made to the published
    agenda, so in practice they are public, rulings and reasons included)."""
    qs = Amendment.objects.filter(conference=conference)
    if can_manage_conference(user):
        return qs
    cond = Q(clp_id__in=membership_permissions.officer_clp_ids(user)) | Q(
        affiliate_id__in=membership_permissions.officer_affiliate_ids(user)
    )
    dates = getattr(conference, "dates", None)
    if dates is not None and dates.agenda_published_at is not None:
        cond |= ~Q(status=Amendment.Status.WITHDRAWN)
    return qs.filter(cond)


def access_amendment(user: AnyUser, conference: Conference, pk: int) -> Amendment:
    a = (
        visible_amendments(user, conference)
        .select_related("clp", "affiliate", "submission", "composite", "conference")
        .filter(pk=pk)
        .first()
    )
    if a is None:
        raise NotFound("no such amendment")
    return a


def can_manage_delegates(user: AnyUser, clp: CLP) -> bool:
    return can_manage_conference(user) or clp.pk in membership_permissions.officer_clp_ids(user)


def can_check_in(user: AnyUser, delegate: Delegate) -> bool:
    """Credentials: the CAC, or an officer of the delegate's CLP."""
    return can_manage_delegates(user, delegate.clp)


def can_sign_composite(user: AnyUser, submission: Submission) -> bool:
    """The mover's organisation agrees the wording: its officers (or the CAC recording
    the agreement given at the compositing meeting)."""
    return is_sponsor(user, submission) or can_manage_conference(user)


def can_vote_card(user: AnyUser, card: Card) -> bool:
    return bool(user is not None and user.is_authenticated and card.user_id == user.pk)


def access_composite(user: AnyUser, conference: Conference, number: int) -> Composite:
    c = (
        Composite.objects.filter(conference=conference, number=number)
        .select_related("topic")
        .first()
    )
    if c is None:
        raise NotFound("no such composite")
    return c


def access_item(user: AnyUser, conference: Conference, pk: int) -> AgendaItem:
    item = (
        AgendaItem.objects.filter(session__conference=conference, pk=pk)
        .select_related("session", "submission", "composite")
        .first()
    )
    if item is None:
        raise NotFound("no such agenda item")
    return item
