"""Delegates (clauses 3.III.1-2): CLP delegates within the entitlement and gender balance,
affiliate delegations, credentials and check-in."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext

from rankandfile.conference import permissions, procedure
from rankandfile.conference.models import (
    AffiliateDelegation,
    Conference,
    Delegate,
)
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import delegates as delegates_queries
from rankandfile.conference.rules import RuleParameters
from rankandfile.conference.services.common import clock, require_manager, time_text
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.eligibility import format_date
from rankandfile.membership.models import CLP, Affiliate, Gender, Member


def _credential() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def _is_young(member: Member, census: dt.date, p: RuleParameters) -> bool:
    age = member.age_on(census)
    return age is not None and age < p.youth_age_under


def _last_single_delegate_not_woman(conference: Conference, clp: CLP) -> bool:
    """Whether the CLP's general delegate at its previous conference was not a woman
    (no delegate recorded: no requirement)."""
    previous = (
        Delegate.objects.filter(
            clp=clp, kind=Delegate.Kind.GENERAL, conference__year__lt=conference.year
        )
        .select_related("member", "conference")
        .order_by("-conference__year")
    )
    last = list(previous[:6])
    if not last:
        return False
    year = last[0].conference.year
    return not any(d.member.gender == Gender.WOMAN for d in last if d.conference.year == year)


def _check_delegation(conference: Conference, clp: CLP, member: Member, kind: str) -> None:
    """Clauses 3.III.1-2 for a new delegate of ``clp``: a member at the census date, not
    already a delegate, within the entitlement (the women's delegate a woman, the youth
    delegate young), and the gender balance still reachable. Locks the CLP's delegates."""
    p = common_queries.conference_parameters(conference)
    census = conference.dates.census_date
    ent = delegates_queries.clp_entitlement(conference, clp.pk)
    member_on = (
        member.periods.filter(kind="membership", start__lte=census)
        .filter(Q(end__isnull=True) | Q(end__gt=census))
        .exists()
    )
    if not member_on:
        raise DomainError(
            gettext("%(member)s was not a member on the census date (%(date)s)")
            % {"member": member, "date": format_date(census)}
        )
    existing = list(
        Delegate.objects.select_for_update()
        .filter(conference=conference, clp=clp)
        .select_related("member")
    )
    if any(d.member_id == member.pk for d in existing):
        raise DomainError(gettext("%(member)s is already a delegate") % {"member": member})
    rows = [
        (d.kind, d.member.gender == Gender.WOMAN, _is_young(d.member, census, p)) for d in existing
    ]
    rows.append((kind, member.gender == Gender.WOMAN, _is_young(member, census, p)))
    problems = procedure.delegation_problems(ent, rows)
    general = [r for r in rows if r[0] == Delegate.Kind.GENERAL]
    balance = procedure.gender_balance_problem(
        ent,
        sum(1 for r in general if r[1]),
        len(general),
        single_after_man=ent.general == 1 and _last_single_delegate_not_woman(conference, clp),
    )
    if balance:
        problems.append(balance)
    if problems:
        raise DomainError(f"{clp}: " + "; ".join(problems))


@transaction.atomic
def delegate_register(
    *,
    actor: User,
    conference: Conference,
    member: Member,
    kind: str = Delegate.Kind.GENERAL,
    method: str = Delegate.Method.MEETING,
    meeting_date: dt.date | None = None,
    ballot: Any = None,
    now: dt.datetime | None = None,
) -> Delegate:
    """Record a CLP's delegate (clauses 3.III.1-2): before the registration deadline, a
    member of the CLP at the census date, within the entitlement, the women's delegate a
    woman, the youth delegate under the youth age, and the gender balance still reachable."""
    at = clock(now)
    clp = member.clp
    if not permissions.can_manage_delegates(actor, clp):
        raise PermissionDenied(gettext("you may not register delegates for %(clp)s") % {"clp": clp})
    dates = conference.dates
    if at > dates.delegates_deadline and not permissions.can_manage_conference(actor):
        raise DomainError(
            gettext("delegate registration closed at %(time)s")
            % {"time": time_text(dates.delegates_deadline)}
        )
    if kind not in Delegate.Kind.values:
        raise DomainError(gettext("unknown kind of delegate"))
    if method == Delegate.Method.MEETING and meeting_date is None:
        raise DomainError(gettext("give the date of the meeting that elected the delegate"))
    _check_delegation(conference, clp, member, kind)
    for _ in range(5):
        try:
            with transaction.atomic():
                d = Delegate.objects.create(
                    conference=conference,
                    clp=clp,
                    member=member,
                    kind=kind,
                    method=method,
                    meeting_date=meeting_date,
                    ballot=ballot,
                    registered_by=actor,
                    registered_at=at,
                    credential=_credential(),
                )
            break
        except IntegrityError:  # credential collision: draw again
            continue
    else:  # pragma: no cover - 5 collisions in 10^8
        raise DomainError(gettext("could not issue a credential; try again"))
    audit.record(
        actor=actor,
        action="conference.delegate_register",
        target=d,
        data={"kind": kind, "method": method},
    )
    return d


_NUMBER_IN_BRACKETS = re.compile(r"\(([A-Za-z0-9]+)\)\s*$")


@transaction.atomic
def delegates_from_ballot(
    *, actor: User, conference: Conference, clp: CLP, ballot: Any
) -> list[Delegate]:
    """Register the delegates a declared CLP ballot elected (Ballots app). Each option's
    name ends with the member's number in brackets, e.g. "Jo Bloggs (L0001234)"."""
    if ballot.clp_id != clp.pk:
        raise DomainError(gettext("that ballot is not a ballot of this CLP"))
    if ballot.state != "declared" or not ballot.result:
        raise DomainError(gettext("the ballot has not been declared yet"))
    out = []
    for name in ballot.result.get("elected", []):
        m = _NUMBER_IN_BRACKETS.search(name)
        member = Member.objects.filter(clp=clp, membership_number=m.group(1)).first() if m else None
        if member is None:
            raise DomainError(
                gettext(
                    "cannot find the member for %(name)s: option names must end with the "
                    "membership number in brackets"
                )
                % {"name": repr(name)}
            )
        kind = Delegate.Kind.GENERAL
        out.append(
            delegate_register(
                actor=actor,
                conference=conference,
                member=member,
                kind=kind,
                method=Delegate.Method.BALLOT,
                ballot=ballot,
            )
        )
    return out


@transaction.atomic
def delegate_check_in(
    *, actor: User, delegate: Delegate, now: dt.datetime | None = None
) -> Delegate:
    """Credentials: the delegate shows their pass; from now on they hold a card."""
    if not permissions.can_check_in(actor, delegate):
        raise PermissionDenied(gettext("you may not check in this delegate"))
    if delegate.checked_in_at is not None:
        raise DomainError(
            gettext("%(member)s was already checked in at %(time)s")
            % {"member": delegate.member, "time": time_text(delegate.checked_in_at)}
        )
    delegate.checked_in_at = clock(now)
    delegate.checked_in_by = actor
    delegate.save(update_fields=["checked_in_at", "checked_in_by"])
    audit.record(actor=actor, action="conference.delegate_check_in", target=delegate)
    return delegate


@transaction.atomic
def delegation_register(
    *,
    actor: User,
    conference: Conference,
    affiliate: Affiliate,
    leader: User,
    size: int = 1,
    now: dt.datetime | None = None,
) -> AffiliateDelegation:
    """An affiliate registers its delegation; its vote is its affiliated membership for the
    conference year (the latest year recorded up to it)."""
    at = clock(now)
    if not (
        permissions.can_submit_for_affiliate(actor, affiliate)
        or permissions.can_manage_conference(actor)
    ):
        raise PermissionDenied(
            gettext("you may not register %(affiliate)s's delegation") % {"affiliate": affiliate}
        )
    if at > conference.dates.delegates_deadline and not permissions.can_manage_conference(actor):
        raise DomainError(
            gettext("delegate registration closed at %(time)s")
            % {"time": time_text(conference.dates.delegates_deadline)}
        )
    year = affiliate.years.filter(year__lte=conference.year).order_by("-year").first()
    if year is None:
        raise DomainError(
            gettext("%(affiliate)s has no affiliated membership recorded for %(year)s")
            % {"affiliate": affiliate, "year": conference.year}
        )
    if size < 1:
        raise DomainError(gettext("a delegation has at least one delegate"))
    d, created = AffiliateDelegation.objects.update_or_create(
        conference=conference,
        affiliate=affiliate,
        defaults={
            "affiliated_members": year.affiliated_members,
            "leader": leader,
            "size": size,
            "registered_at": at,
        },
    )
    audit.record(
        actor=actor,
        action="conference.delegation_register",
        target=d,
        data={"affiliated_members": year.affiliated_members, "created": created},
    )
    return d


@transaction.atomic
def delegation_check_in(
    *, actor: User, delegation: AffiliateDelegation, now: dt.datetime | None = None
) -> AffiliateDelegation:
    require_manager(actor)
    if delegation.checked_in_at is not None:
        raise DomainError(gettext("the delegation is already checked in"))
    delegation.checked_in_at = clock(now)
    delegation.save(update_fields=["checked_in_at"])
    audit.record(actor=actor, action="conference.delegation_check_in", target=delegation)
    return delegation
