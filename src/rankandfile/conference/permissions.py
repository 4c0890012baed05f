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
from django.utils.translation import gettext

from rankandfile.ballots.models import Ballot
from rankandfile.conference.models import (
    AffiliateDelegation,
    AgendaItem,
    Amendment,
    Composite,
    Conference,
    ConferenceDocument,
    Delegate,
    ProgrammeEntry,
    ProgrammeVersion,
    RuleBookVersion,
    Submission,
    Topic,
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
        raise NotFound(gettext("no such submission"))
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
        .select_related("clp", "affiliate", "submission", "composite", "document", "conference")
        .filter(pk=pk)
        .first()
    )
    if a is None:
        raise NotFound(gettext("no such amendment"))
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


def access_composite(user: AnyUser, conference: Conference, number: int) -> Composite:
    c = (
        Composite.objects.filter(conference=conference, number=number)
        .select_related("topic")
        .first()
    )
    if c is None:
        raise NotFound(gettext("no such composite"))
    return c


def access_item(user: AnyUser, conference: Conference, pk: int) -> AgendaItem:
    item = (
        AgendaItem.objects.filter(session__conference=conference, pk=pk)
        .select_related("session", "submission", "composite", "document")
        .first()
    )
    if item is None:
        raise NotFound(gettext("no such agenda item"))
    return item


def access_conference(user: AnyUser, year: int, *, set_up: bool = True) -> Conference:
    """The conference of ``year`` (public). Conferences from before the software (loaded
    with the rule book's history) have no dates: only their public record pages show
    them, so with ``set_up`` they are not found."""
    conf = Conference.objects.filter(year=year).select_related("dates").first()
    if conf is None or (set_up and not hasattr(conf, "dates")):
        raise NotFound(gettext("no such conference"))
    return conf


def access_organisation(user: AnyUser, choice: str) -> dict[str, CLP | Affiliate]:
    """The ``clp=`` or ``affiliate=`` keyword for ``"clp:<id>"`` / ``"affiliate:<id>"``:
    only an organisation the user is an officer of."""
    kind, _, pk = choice.partition(":")
    if kind == "clp" and pk.isdigit():
        clp = submitting_clps(user).filter(pk=int(pk)).first()
        if clp is not None:
            return {"clp": clp}
    if kind == "affiliate" and pk.isdigit():
        aff = submitting_affiliates(user).filter(pk=int(pk)).first()
        if aff is not None:
            return {"affiliate": aff}
    raise NotFound(gettext("no such organisation of yours"))


def visible_delegates(user: AnyUser, conference: Conference) -> QuerySet[Delegate]:
    """Every delegate for the CAC; a CLP officer's own CLP's delegates."""
    qs = Delegate.objects.filter(conference=conference)
    if can_manage_conference(user):
        return qs
    return qs.filter(clp_id__in=membership_permissions.officer_clp_ids(user))


def access_delegate(user: AnyUser, conference: Conference, pk: int) -> Delegate:
    d = (
        visible_delegates(user, conference)
        .select_related("clp", "member", "conference")
        .filter(pk=pk)
        .first()
    )
    if d is None:
        raise NotFound(gettext("no such delegate"))
    return d


def visible_delegations(user: AnyUser, conference: Conference) -> QuerySet[AffiliateDelegation]:
    """Every delegation for the CAC; an affiliate officer's own affiliate's."""
    qs = AffiliateDelegation.objects.filter(conference=conference)
    if can_manage_conference(user):
        return qs
    return qs.filter(affiliate_id__in=membership_permissions.officer_affiliate_ids(user))


def access_delegation(user: AnyUser, conference: Conference, pk: int) -> AffiliateDelegation:
    d = (
        visible_delegations(user, conference)
        .select_related("affiliate", "leader")
        .filter(pk=pk)
        .first()
    )
    if d is None:
        raise NotFound(gettext("no such delegation"))
    return d


def access_document(user: AnyUser, conference: Conference, number: int) -> ConferenceDocument:
    """Documents the CAC designated are public: any of this conference's."""
    doc = ConferenceDocument.objects.filter(conference=conference, number=number).first()
    if doc is None:
        raise NotFound(gettext("no such document"))
    return doc


def access_topic(user: AnyUser, conference: Conference, pk: int) -> Topic:
    """Topics are public: any topic of this conference."""
    topic = Topic.objects.filter(conference=conference, pk=pk).first()
    if topic is None:
        raise NotFound(gettext("no such topic"))
    return topic


def access_floor_business(
    user: AnyUser, conference: Conference, key: str
) -> Submission | Composite | Amendment | ConferenceDocument:
    """What the CAC may put on the floor, from ``"s:<id>"`` (a submission debated this
    year), ``"c:<id>"`` (a composite), ``"d:<id>"`` (a designated document) or
    ``"a:<id>"`` (an amendment) of this conference."""
    kind, _, pk = key.partition(":")
    if can_manage_conference(user) and pk.isdigit():
        if kind == "s":
            sub = Submission.objects.filter(debate_year=conference.year, pk=int(pk)).first()
            if sub is not None:
                return sub
        elif kind == "c":
            comp = Composite.objects.filter(conference=conference, pk=int(pk)).first()
            if comp is not None:
                return comp
        elif kind == "d":
            doc = ConferenceDocument.objects.filter(conference=conference, pk=int(pk)).first()
            if doc is not None:
                return doc
        elif kind == "a":
            am = Amendment.objects.filter(conference=conference, pk=int(pk)).first()
            if am is not None:
                return am
    raise NotFound(gettext("no such business"))


def access_delegates_ballot(user: AnyUser, pk: int) -> Ballot:
    """A declared ballot of a CLP the user is an officer of (delegates elected by ballot)."""
    ballot = (
        Ballot.objects.filter(
            pk=pk,
            clp_id__in=membership_permissions.officer_clp_ids(user),
            state=Ballot.State.DECLARED,
        )
        .select_related("clp")
        .first()
    )
    if ballot is None:
        raise NotFound(gettext("Choose a ballot of your CLP."))
    return ballot


def access_programme_version(user: AnyUser, number: int) -> ProgrammeVersion:
    """The programme is public: any version."""
    v = ProgrammeVersion.objects.filter(number=number).first()
    if v is None:
        raise NotFound(gettext("no such programme version"))
    return v


def access_programme_entry(user: AnyUser, pk: int) -> ProgrammeEntry:
    """The programme is public: any entry, with its provenance."""
    e = (
        ProgrammeEntry.objects.select_related(
            "conference",
            "added_in",
            "removed_in",
            "supersedes",
            "agenda_item__composite",
            "agenda_item__submission__clp",
            "agenda_item__submission__affiliate",
        )
        .filter(pk=pk)
        .first()
    )
    if e is None:
        raise NotFound(gettext("no such programme entry"))
    return e


def access_rule_book_version(user: AnyUser, number: int) -> RuleBookVersion:
    """The rule book is public: any version."""
    v = RuleBookVersion.objects.filter(number=number).first()
    if v is None:
        raise NotFound(gettext("no such rule-book version"))
    return v
