"""Election use cases: open a contest, take candidates and nominations (MPs, CLPs by a
meeting vote or an all-member ballot, affiliates), close nominations and open the
members' ballot (``ballots``), declare. Past rounds for the comparison of rules.

Every write takes an explicit ``actor``, runs in one transaction, checks permission and
writes an audit entry; on any error nothing is saved. Rule numbers come from the rule
book in force on the contest's ``rules_on`` (``conference.rulebook.parameters_in_force``).
Clauses (4.II.1-4.III.1) are in docs/rules/elections.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from rankandfile.ballots import services as ballot_services
from rankandfile.ballots import tally
from rankandfile.ballots.models import Ballot
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import ElectionRules
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.elections import permissions, queries, thresholds
from rankandfile.elections.models import (
    Candidate,
    Contest,
    ContestKind,
    Hustings,
    MPAccount,
    Nomination,
    Office,
    PastCandidate,
    PastRound,
    Stage,
    Supporter,
    UnitBallot,
)
from rankandfile.membership.models import CLP, MP, Affiliate, AffiliationYear, Member


def rules_for(contest: Contest) -> ElectionRules:
    """Chapter 4 as it stood when the contest opened."""
    return parameters_in_force(on=contest.rules_on).elections


def rules_in_force() -> ElectionRules:
    """Chapter 4 in force today (defaults for timetables on the pages)."""
    return parameters_in_force().elections


def _require_runner(actor: User) -> None:
    if not permissions.can_run_elections(actor):
        raise PermissionDenied(gettext("only national admins run internal elections"))


def _require_countable(rules: ElectionRules) -> None:
    """Refuse an NEC contest whose women's minimum the count could not enforce (a block
    vote; ``thresholds.uncountable``)."""
    why = thresholds.uncountable(rules)
    if why is not None:
        raise DomainError(why)


def _lock(contest: Contest) -> Contest:
    return Contest.objects.select_for_update().get(pk=contest.pk)


def _when(moment: dt.datetime) -> dict[str, str]:
    """``{"time": "09:00", "date": "01 March 2026"}`` in the reader's language."""
    local = timezone.localtime(moment)
    return {"time": date_format(local, "H:i"), "date": date_format(local, "d F Y")}


def _require_stage(contest: Contest, stage: str) -> None:
    if contest.stage != stage:
        raise DomainError(
            gettext("this can only be done while the election is at %(needed)s; it is at %(stage)s")
            % {
                "needed": str(Stage(stage).label).lower(),
                "stage": str(contest.get_stage_display()).lower(),
            }
        )


def party_mps() -> int:
    """The party's MPs in office today (the base of the MPs' share)."""
    return MP.objects.filter(
        in_office=True, left_party_on__isnull=True, party__in=permissions.PARTY_NAMES
    ).count()


def affiliated_membership(year: int) -> dict[int, int]:
    """Each affiliate's affiliated membership in its latest return up to ``year``."""
    out: dict[int, int] = {}
    for row in AffiliationYear.objects.filter(year__lte=year).order_by("affiliate_id", "year"):
        out[row.affiliate_id] = row.affiliated_members
    return out


@transaction.atomic
def contest_open(
    *,
    actor: User,
    title: str,
    office: str,
    kind: str,
    mp_nominations_close: dt.datetime,
    nominations_close: dt.datetime,
    field_meps: int = 0,
    incumbent_name: str = "",
    incumbent_is_woman: bool = False,
) -> Contest:
    """Open nominations (4.II.1, 4.II.2, 4.III.1). The rules are those in force today; the
    field (the party's MPs in office, the CLPs, the affiliated membership) is frozen now.
    A challenge names the incumbent, who is on the ballot where the rules say so."""
    _require_runner(actor)
    if office not in Office.values:
        raise DomainError(gettext("unknown office %(office)r") % {"office": office})
    if office == Office.NEC_CLP:
        kind = ContestKind.ELECTION
    elif kind not in (ContestKind.VACANCY, ContestKind.CHALLENGE):
        raise DomainError(gettext("a leader or deputy election is a vacancy or a challenge"))
    now = timezone.now()
    if mp_nominations_close <= now:
        raise DomainError(gettext("MPs' nominations must close in the future"))
    if nominations_close < mp_nominations_close:
        raise DomainError(
            gettext("nominations by CLPs and affiliates cannot close before the MPs'")
        )
    if kind == ContestKind.CHALLENGE and not incumbent_name.strip():
        raise DomainError(gettext("a challenge names the incumbent"))
    if field_meps < 0:
        raise DomainError(gettext("the number of MEPs cannot be negative"))
    if office == Office.NEC_CLP:
        _require_countable(rules_in_force())
    today = timezone.localdate()
    contest = Contest.objects.create(
        title=title.strip() or f"{Office(office).label} election",
        office=office,
        kind=kind,
        rules_on=today,
        mp_nominations_close=mp_nominations_close,
        nominations_close=nominations_close,
        field_mps=party_mps(),
        field_meps=field_meps,
        field_clps=CLP.objects.count(),
        field_affiliated_membership=sum(affiliated_membership(today.year).values()),
        created_by=actor,
    )
    if kind == ContestKind.CHALLENGE:
        Candidate.objects.create(
            contest=contest,
            name=incumbent_name.strip(),
            is_incumbent=True,
            is_woman=incumbent_is_woman,
        )
    audit.record(
        actor=actor,
        action="elections.contest.open",
        target=contest,
        data={"office": office, "kind": kind, "mps": contest.field_mps, "clps": contest.field_clps},
    )
    return contest


@transaction.atomic
def candidate_add(
    *,
    actor: User,
    contest: Contest,
    name: str,
    member: Member | None = None,
    is_woman: bool = False,
    statement: str = "",
) -> Candidate:
    """A candidate declares (entered by the national staff) while nominations are open."""
    _require_runner(actor)
    contest = _lock(contest)
    _require_stage(contest, Stage.NOMINATIONS)
    name = name.strip()
    if not name:
        raise DomainError(gettext("give the candidate's name as it will appear on the ballot"))
    if contest.candidates.filter(name__iexact=name).exists():
        raise DomainError(gettext("%(name)s is already a candidate") % {"name": name})
    candidate = Candidate.objects.create(
        contest=contest, name=name, member=member, is_woman=is_woman, statement=statement
    )
    audit.record(
        actor=actor,
        action="elections.candidate.add",
        target=candidate,
        data={"contest": contest.pk},
    )
    return candidate


@transaction.atomic
def candidate_withdraw(*, actor: User, candidate: Candidate) -> Candidate:
    """A candidate withdraws before the ballot is drawn; their nominations stay on record
    but count for nobody (MPs and units may then nominate someone else)."""
    _require_runner(actor)
    contest = _lock(candidate.contest)
    _require_stage(contest, Stage.NOMINATIONS)
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.withdrawn_at is not None:
        raise DomainError(
            gettext("%(candidate)s has already withdrawn") % {"candidate": candidate.name}
        )
    now = timezone.now()
    candidate.withdrawn_at = now
    candidate.save(update_fields=["withdrawn_at"])
    candidate.nominations.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    audit.record(actor=actor, action="elections.candidate.withdraw", target=candidate)
    return candidate


@transaction.atomic
def candidate_statement_set(*, actor: User, candidate: Candidate, statement: str) -> Candidate:
    """The candidate's statement, shown with the nominations and sent with the ballot."""
    if not permissions.can_edit_statement(actor, candidate):
        raise PermissionDenied(
            gettext("only the candidate and the national staff may edit the statement")
        )
    if candidate.contest.stage == Stage.DECLARED:
        raise DomainError(gettext("the election has been declared"))
    candidate.statement = statement.strip()
    candidate.save(update_fields=["statement"])
    audit.record(actor=actor, action="elections.candidate.statement", target=candidate)
    return candidate


def _nominations_open_for_units(contest: Contest, now: dt.datetime) -> None:
    if contest.stage != Stage.NOMINATIONS or now >= contest.nominations_close:
        raise DomainError(gettext("nominations by CLPs and affiliates are closed"))
    if not contest.is_nec and now < contest.mp_nominations_close:
        raise DomainError(
            gettext(
                "CLPs and affiliates nominate once the MPs' nominations have closed "
                "(%(time)s on %(date)s)"
            )
            % _when(contest.mp_nominations_close)
        )


def mp_limb_met(contest: Contest, candidate: Candidate, rules: ElectionRules) -> bool:
    """Whether a candidate has the MPs' nominations the rules require (4.II.1/4.II.2)."""
    if candidate.is_incumbent and rules.incumbent_on_ballot:
        return True
    base = contest.field_mps + (contest.field_meps if rules.mp_base_includes_meps else 0)
    share = (
        rules.challenge_mp_share
        if contest.kind == ContestKind.CHALLENGE
        else rules.vacancy_mp_share
    )
    count = candidate.nominations.filter(by=Nomination.By.MP, withdrawn_at__isnull=True).count()
    return thresholds.share_met(count, base, share)


def _check_unit_candidate(contest: Contest, candidate: Candidate) -> ElectionRules:
    if candidate.contest_id != contest.pk:
        raise DomainError(gettext("that candidate is not standing in this election"))
    if candidate.withdrawn_at is not None:
        raise DomainError(gettext("%(candidate)s has withdrawn") % {"candidate": candidate.name})
    rules = rules_for(contest)
    if not contest.is_nec and not mp_limb_met(contest, candidate, rules):
        raise DomainError(
            gettext(
                "%(candidate)s did not reach the MPs' threshold: CLPs and affiliates may nominate "
                "only candidates who did"
            )
            % {"candidate": candidate.name}
        )
    return rules


def _unit_limit(contest: Contest, rules: ElectionRules, live: int, unit: str) -> None:
    limit = rules.nec_clp_seats if contest.is_nec else 1
    if live >= limit:
        raise DomainError(
            (
                gettext(
                    "%(unit)s has already nominated a candidate: withdraw that nomination first"
                )
                if limit == 1
                else gettext("%(unit)s has already nominated %(limit)s candidates")
            )
            % {"unit": unit, "limit": limit}
        )


@transaction.atomic
def nomination_by_mp(*, actor: User, contest: Contest, candidate: Candidate) -> Nomination:
    """An MP nominates through their own page: one live nomination per contest, until
    the MPs' nominations close; published at once."""
    own = permissions.mp_for(actor)
    if own is None:
        raise PermissionDenied(gettext("only the party's MPs nominate here"))
    contest = _lock(contest)
    if contest.is_nec:
        raise DomainError(gettext("MPs do not nominate for the NEC's CLP section"))
    if contest.stage != Stage.NOMINATIONS or timezone.now() >= contest.mp_nominations_close:
        raise DomainError(gettext("MPs' nominations are closed"))
    if candidate.contest_id != contest.pk or candidate.withdrawn_at is not None:
        raise DomainError(gettext("that candidate is not standing in this election"))
    if candidate.is_incumbent:
        raise DomainError(
            gettext("%(candidate)s is the incumbent and needs no nominations")
            % {"candidate": candidate.name}
        )
    current = contest.nominations.filter(mp=own, withdrawn_at__isnull=True).first()
    if current is not None:
        raise DomainError(
            gettext(
                "you have already nominated %(candidate)s: withdraw that nomination first to "
                "nominate someone else"
            )
            % {"candidate": current.candidate.name}
        )
    try:
        with transaction.atomic():
            nomination = Nomination.objects.create(
                contest=contest,
                candidate=candidate,
                by=Nomination.By.MP,
                method=Nomination.Method.OWN,
                mp=own,
                recorded_by=actor,
            )
    except IntegrityError as exc:  # a simultaneous second nomination
        raise DomainError(gettext("you have already nominated in this election")) from exc
    audit.record(
        actor=actor,
        action="elections.nomination.mp",
        target=nomination,
        data={"contest": contest.pk, "candidate": candidate.pk, "mp": own.pk},
    )
    return nomination


@transaction.atomic
def nomination_withdraw(*, actor: User, nomination: Nomination) -> Nomination:
    """Withdraw a nomination before the close of its stage (MPs' or units')."""
    if not permissions.can_withdraw_nomination(actor, nomination):
        raise PermissionDenied(gettext("you may not withdraw that nomination"))
    contest = _lock(nomination.contest)
    closes = (
        contest.mp_nominations_close
        if nomination.by == Nomination.By.MP
        else contest.nominations_close
    )
    if contest.stage != Stage.NOMINATIONS or timezone.now() >= closes:
        raise DomainError(gettext("nominations have closed: it can no longer be withdrawn"))
    if nomination.withdrawn_at is not None:
        raise DomainError(gettext("that nomination was already withdrawn"))
    nomination.withdrawn_at = timezone.now()
    nomination.save(update_fields=["withdrawn_at"])
    audit.record(actor=actor, action="elections.nomination.withdraw", target=nomination)
    return nomination


@transaction.atomic
def nomination_by_clp_meeting(
    *,
    actor: User,
    contest: Contest,
    clp: CLP,
    candidate: Candidate,
    meeting_on: dt.date,
    votes_for: int,
    votes_cast: int,
) -> Nomination:
    """A CLP nominates by a vote at its nomination meeting, recorded with the votes."""
    if not permissions.can_act_for_clp(actor, clp):
        raise PermissionDenied(gettext("only this CLP's officers may record its nomination"))
    contest = _lock(contest)
    _nominations_open_for_units(contest, timezone.now())
    rules = _check_unit_candidate(contest, candidate)
    if votes_cast < 1 or votes_for < 1:
        raise DomainError(
            gettext("record the votes cast at the meeting and the votes for the nominee")
        )
    if votes_for > votes_cast:
        raise DomainError(
            gettext("%(votes_for)s votes for is more than the %(votes_cast)s votes cast")
            % {"votes_for": votes_for, "votes_cast": votes_cast}
        )
    if meeting_on > timezone.localdate():
        raise DomainError(gettext("the meeting date cannot be in the future"))
    if meeting_on < contest.rules_on:
        raise DomainError(gettext("the meeting was held before nominations opened"))
    live = contest.nominations.filter(clp=clp, withdrawn_at__isnull=True)
    if live.filter(candidate=candidate).exists():
        raise DomainError(
            gettext("%(clp)s has already nominated %(candidate)s")
            % {"clp": clp.name, "candidate": candidate.name}
        )
    _unit_limit(contest, rules, live.count(), clp.name)
    if UnitBallot.objects.filter(contest=contest, clp=clp).exists() and not contest.is_nec:
        raise DomainError(
            gettext("%(clp)s is nominating by an all-member ballot") % {"clp": clp.name}
        )
    nomination = Nomination.objects.create(
        contest=contest,
        candidate=candidate,
        by=Nomination.By.CLP,
        method=Nomination.Method.MEETING,
        clp=clp,
        meeting_on=meeting_on,
        votes_for=votes_for,
        votes_cast=votes_cast,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="elections.nomination.clp",
        target=nomination,
        data={"clp": clp.pk, "candidate": candidate.pk, "for": votes_for, "cast": votes_cast},
    )
    return nomination


@transaction.atomic
def nomination_by_affiliate(
    *, actor: User, contest: Contest, affiliate: Affiliate, candidate: Candidate
) -> Nomination:
    """An affiliate nominates through its officers."""
    if not permissions.can_act_for_affiliate(actor, affiliate):
        raise PermissionDenied(gettext("only this affiliate's officers may record its nomination"))
    contest = _lock(contest)
    _nominations_open_for_units(contest, timezone.now())
    rules = _check_unit_candidate(contest, candidate)
    live = contest.nominations.filter(affiliate=affiliate, withdrawn_at__isnull=True)
    if live.filter(candidate=candidate).exists():
        raise DomainError(
            gettext("%(affiliate)s has already nominated %(candidate)s")
            % {"affiliate": affiliate, "candidate": candidate.name}
        )
    _unit_limit(contest, rules, live.count(), str(affiliate))
    nomination = Nomination.objects.create(
        contest=contest,
        candidate=candidate,
        by=Nomination.By.AFFILIATE,
        method=Nomination.Method.OFFICERS,
        affiliate=affiliate,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="elections.nomination.affiliate",
        target=nomination,
        data={"affiliate": affiliate.pk, "candidate": candidate.pk},
    )
    return nomination


# --- a CLP's all-member nomination ballot -------------------------------------------------
@transaction.atomic
def unit_ballot_open(
    *, actor: User, contest: Contest, clp: CLP, closes_at: dt.datetime
) -> UnitBallot:
    """A CLP nominates by an all-member (OMOV) ballot through ``ballots``: alternative
    vote among the candidates who may be nominated, the CLP's members with the rule
    book's months of membership; it must close before nominations do."""
    if not permissions.can_act_for_clp(actor, clp):
        raise PermissionDenied(gettext("only this CLP's officers may hold its nomination ballot"))
    if contest.is_nec:
        raise DomainError(gettext("NEC nominations are made at a meeting"))
    contest = _lock(contest)
    now = timezone.now()
    _nominations_open_for_units(contest, now)
    if closes_at > contest.nominations_close:
        raise DomainError(gettext("the nomination ballot must close before nominations close"))
    if UnitBallot.objects.filter(contest=contest, clp=clp).exists():
        raise DomainError(gettext("%(clp)s already holds a nomination ballot") % {"clp": clp.name})
    if contest.nominations.filter(clp=clp, withdrawn_at__isnull=True).exists():
        raise DomainError(gettext("%(clp)s has already nominated") % {"clp": clp.name})
    rules = rules_for(contest)
    eligible = [
        c
        for c in contest.candidates.filter(withdrawn_at__isnull=True, is_incumbent=False)
        if mp_limb_met(contest, c, rules)
    ]
    if len(eligible) < 2:
        raise DomainError(
            gettext("a nomination ballot needs at least two candidates who may be nominated")
        )
    ballot = ballot_services.ballot_create(
        actor=actor,
        title=f"{clp.name}: nomination for {contest.title}",
        description="Number the candidates in order of preference; the winner is "
        "the CLP's nomination. Candidates and statements: "
        + reverse("elections:detail", kwargs={"contest_id": contest.pk}),
        method="av",
        opens_at=now,
        closes_at=closes_at,
        freeze_date=timezone.localdate(),
        scope_kind="clp",
        clp=clp,
        options=[ballot_services.OptionSpec(name=c.name) for c in eligible],
        months_required=rules.member_months_required,
    )
    ballot = ballot_services.ballot_open(actor=actor, ballot=ballot)
    unit = UnitBallot.objects.create(contest=contest, clp=clp, ballot=ballot)
    audit.record(
        actor=actor,
        action="elections.unit_ballot.open",
        target=unit,
        data={"clp": clp.pk, "ballot": ballot.pk},
    )
    return unit


@transaction.atomic
def unit_ballot_conclude(*, actor: User, unit: UnitBallot) -> Nomination:
    """Record the CLP's nomination from its counted nomination ballot."""
    if not permissions.can_act_for_clp(actor, unit.clp):
        raise PermissionDenied(gettext("only this CLP's officers may record its nomination"))
    contest = _lock(unit.contest)
    _nominations_open_for_units(contest, timezone.now())
    ballot = Ballot.objects.get(pk=unit.ballot_id)
    if ballot.state == Ballot.State.OPEN and timezone.now() >= ballot.closes_at:
        ballot = tally.ballot_close(actor=actor, ballot=ballot)
    if ballot.state not in (Ballot.State.COUNTED, Ballot.State.DECLARED):
        raise DomainError(gettext("the nomination ballot has not closed and been counted yet"))
    elected = list((ballot.result or {}).get("elected") or [])
    if not elected:
        raise DomainError(
            gettext("no votes were cast in the nomination ballot: the CLP makes no nomination")
        )
    if ballot.state == Ballot.State.COUNTED:
        ballot = tally.ballot_declare(actor=actor, ballot=ballot)
    candidate = contest.candidates.get(name=elected[0])
    if contest.nominations.filter(clp=unit.clp, withdrawn_at__isnull=True).exists():
        raise DomainError(gettext("%(clp)s has already nominated") % {"clp": unit.clp.name})
    nomination = Nomination.objects.create(
        contest=contest,
        candidate=candidate,
        by=Nomination.By.CLP,
        method=Nomination.Method.OMOV,
        clp=unit.clp,
        ballot=ballot,
        votes_cast=ballot.turnout,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="elections.nomination.clp_ballot",
        target=nomination,
        data={"clp": unit.clp_id, "candidate": candidate.pk, "ballot": ballot.pk},
    )
    return nomination


@transaction.atomic
def hustings_add(
    *, actor: User, contest: Contest, starts_at: dt.datetime, place: str, note: str = ""
) -> Hustings:
    _require_runner(actor)
    if contest.stage == Stage.DECLARED:
        raise DomainError(gettext("the election has been declared"))
    if not place.strip():
        raise DomainError(gettext("say where the hustings is held"))
    found = Hustings.objects.create(
        contest=contest, starts_at=starts_at, place=place.strip(), note=note
    )
    audit.record(actor=actor, action="elections.hustings.add", target=found)
    return found


# --- supporters (decision 0025) -------------------------------------------------------------
def roll_freeze_date(contest: Contest) -> dt.date:
    """The date a contest's roll of supporters is frozen: the day nominations close (the
    members' ballot, and with it the electorate, is opened after that)."""
    return timezone.localdate(contest.nominations_close)


def registration_window(contest: Contest, rules: ElectionRules) -> tuple[dt.date, dt.date]:
    """The first and last day a registered supporter may pay the fee: the rules'
    ``registered_supporter_window_days`` days ending on the freeze date."""
    last = roll_freeze_date(contest)
    days = max(1, rules.registered_supporter_window_days)
    return last - dt.timedelta(days=days - 1), last


def _pounds(pence: int) -> str:
    return f"£{pence / 100:.2f}"


def _is_member(email: str) -> bool:
    return (
        Member.objects.filter(email__iexact=email).exists()
        or Member.objects.filter(user__email__iexact=email).exists()
    )


def _check_supporter(
    contest: Contest,
    *,
    kind: str,
    email: str,
    affiliate: Affiliate | None,
    fee_pence_paid: int,
    paid_on: dt.date | None,
    on: dt.date,
) -> None:
    rules = parameters_in_force(on=on).elections
    when = date_format(on, "j F Y")
    if kind == Supporter.Kind.AFFILIATED:
        if not rules.affiliated_supporters:
            raise DomainError(
                gettext("the rules in force on %(date)s admit no affiliated supporters")
                % {"date": when}
            )
        if affiliate is None:
            raise DomainError(gettext("name the affiliate whose political levy the supporter pays"))
        if fee_pence_paid or paid_on is not None:
            raise DomainError(gettext("an affiliated supporter pays no registration fee"))
    elif kind == Supporter.Kind.REGISTERED:
        if not rules.registered_supporters:
            raise DomainError(
                gettext("the rules in force on %(date)s admit no registered supporters")
                % {"date": when}
            )
        if affiliate is not None:
            raise DomainError(
                gettext("a registered supporter is not registered through an affiliate")
            )
        if paid_on is None:
            raise DomainError(gettext("give the date the registration fee was paid"))
        fee = rules.registered_supporter_fee_pence
        if fee_pence_paid != fee:
            raise DomainError(
                gettext(
                    "the registration fee under the rules in force on %(date)s is %(fee)s; "
                    "%(paid)s was paid"
                )
                % {"date": when, "fee": _pounds(fee), "paid": _pounds(fee_pence_paid)}
            )
        first, last = registration_window(contest, rules)
        if not first <= paid_on <= last:
            raise DomainError(
                gettext(
                    "registration for this election is open from %(first)s to %(last)s "
                    "(%(days)s days before the roll is frozen); the fee was paid on %(paid)s"
                )
                % {
                    "first": date_format(first, "d F Y"),
                    "last": date_format(last, "d F Y"),
                    "days": rules.registered_supporter_window_days,
                    "paid": date_format(paid_on, "d F Y"),
                }
            )
    else:
        raise DomainError(
            gettext("a supporter is affiliated or registered, not %(kind)r") % {"kind": kind}
        )
    if _is_member(email):
        raise DomainError(
            gettext(
                "%(email)s is a party member: members vote as members (one vote each), "
                "not as supporters"
            )
            % {"email": email}
        )
    if Supporter.objects.filter(
        contest=contest, email__iexact=email, erased_at__isnull=True
    ).exists():
        raise DomainError(
            gettext("%(email)s is already registered as a supporter for this election")
            % {"email": email}
        )


def _voting_login(email: str, name: str) -> User:
    """The login the supporter votes with: theirs if they have one, else a new one with
    no password (they set one by "forgot password", or vote through their ballot link)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, None, full_name=name)
    return user


@transaction.atomic
def supporter_register(
    *,
    actor: User,
    contest: Contest,
    kind: str,
    name: str,
    email: str,
    affiliate: Affiliate | None = None,
    fee_pence_paid: int = 0,
    paid_on: dt.date | None = None,
    on: dt.date | None = None,
) -> Supporter:
    """Register an affiliated or registered supporter on the contest's electorate.

    Checked against the rule book in force on ``on`` (a registered supporter: the day the
    fee was paid, ``paid_on``; otherwise today): the rules must admit supporters of that
    kind; a registered supporter pays exactly ``registered_supporter_fee_pence`` inside the
    ``registered_supporter_window_days`` window ending when the roll is frozen
    (:func:`registration_window`); an affiliated supporter names their affiliate. A party
    member (matched by email) is refused — one vote each — and so is a second
    registration of one address. Only before the roll is frozen (nominations stage).
    Audited (kind, affiliate, fee — not the name or address).
    """
    _require_runner(actor)
    contest = _lock(contest)
    if contest.stage != Stage.NOMINATIONS:
        raise DomainError(
            gettext(
                "supporters are registered until nominations close: this election's roll is frozen"
            )
        )
    name, email = " ".join((name or "").split()), (email or "").strip().lower()
    if not name or "@" not in email:
        raise DomainError(gettext("give the supporter's name and email address"))
    if on is None:
        on = paid_on if kind == Supporter.Kind.REGISTERED and paid_on else timezone.localdate()
    _check_supporter(
        contest,
        kind=kind,
        email=email,
        affiliate=affiliate,
        fee_pence_paid=fee_pence_paid,
        paid_on=paid_on,
        on=on,
    )
    now = timezone.now()
    supporter = Supporter.objects.create(
        contest=contest,
        kind=kind,
        name=name,
        email=email,
        affiliate=affiliate,
        fee_pence_paid=fee_pence_paid,
        paid_on=paid_on,
        registered_at=now,
        verified_at=now,  # registered by a national officer, who checked the levy or fee
        registered_by=actor,
        user=_voting_login(email, name),
    )
    audit.record(
        actor=actor,
        action="elections.supporter.register",
        target=supporter,
        data={
            "contest": contest.pk,
            "kind": kind,
            "affiliate": affiliate.pk if affiliate else None,
            "fee_pence_paid": fee_pence_paid,
            "paid_on": paid_on.isoformat() if paid_on else None,
        },
    )
    return supporter


def supporters_on_roll(contest: Contest, rules: ElectionRules) -> list[Supporter]:
    """The contest's supporters who join its electorate when the roll is frozen: verified,
    not erased, of a kind the contest's rules admit, and (still) not party members."""
    kinds = [
        kind
        for kind, admitted in (
            (Supporter.Kind.AFFILIATED, rules.affiliated_supporters),
            (Supporter.Kind.REGISTERED, rules.registered_supporters),
        )
        if admitted
    ]
    found = contest.supporters.filter(
        kind__in=kinds, verified_at__isnull=False, erased_at__isnull=True
    ).order_by("pk")
    return [s for s in found if not _is_member(s.email)]


# --- the ballot and the declaration --------------------------------------------------------
def qualified(contest: Contest) -> list[tuple[Candidate, thresholds.Assessment]]:
    """Each standing candidate with the assessment of the rules in force (4.II.1-4.III.1)."""
    return [(row.candidate, row.assessment) for row in queries.standings(contest)]


def _members_ballot(
    actor: User,
    contest: Contest,
    rules: ElectionRules,
    on_ballot: list[Candidate],
    closes_at: dt.datetime,
    now: dt.datetime,
) -> Ballot:
    """The contest's party-wide ballot (a draft): AV for leader and deputy, the rule
    book's method for the NEC with the women's minimum as a quota."""
    seats = rules.nec_clp_seats if contest.is_nec else 1
    quotas: dict[str, int] = {}
    method = rules.leader_method
    if contest.is_nec:
        method = rules.nec_clp_method
        if method != "block":
            quotas = {"woman": thresholds.women_minimum(rules)}
    return ballot_services.ballot_create(
        actor=actor,
        title=contest.title,
        description="Candidates, nominations, statements and hustings: "
        + reverse("elections:detail", kwargs={"contest_id": contest.pk}),
        method=method,
        seats=seats,
        opens_at=now,
        closes_at=closes_at,
        freeze_date=timezone.localdate(),
        scope_kind="party",
        options=[
            ballot_services.OptionSpec(
                name=c.name,
                gender="woman" if c.is_woman else "",
                description=reverse(
                    "elections:candidate",
                    kwargs={"contest_id": contest.pk, "candidate_id": c.pk},
                ),
            )
            for c in on_ballot
        ],
        months_required=rules.member_months_required,
        quota_minimums=quotas or None,
        results_visibility="electorate",
        # AV figures by section where the rules publish them (decision 0025).
        publish_by_section=rules.publish_by_section and not contest.is_nec,
    )


def _require_nominations_closed(contest: Contest, now: dt.datetime) -> None:
    if now < contest.nominations_close:
        raise DomainError(
            gettext("nominations close at %(time)s on %(date)s") % _when(contest.nominations_close)
        )


@transaction.atomic
def contest_ballot_open(*, actor: User, contest: Contest, closes_at: dt.datetime) -> Contest:
    """Close nominations and draw the ballot from the candidates who qualified: the
    leader and deputy by AV, the NEC's CLP section by the rule book's method with the
    women's minimum as a quota (``counting.quotas``). One qualified candidate for one
    seat (or no more than the seats) is elected unopposed and declared."""
    _require_runner(actor)
    contest = _lock(contest)
    _require_stage(contest, Stage.NOMINATIONS)
    now = timezone.now()
    _require_nominations_closed(contest, now)
    rules = rules_for(contest)
    if contest.is_nec:
        _require_countable(rules)
    on_ballot = [c for c, a in qualified(contest) if a.qualified]
    if not on_ballot:
        raise DomainError(
            gettext("no candidate qualified: reopen the election with a new timetable")
        )
    seats = rules.nec_clp_seats if contest.is_nec else 1
    for position, candidate in enumerate(on_ballot):
        candidate.on_ballot = True
        candidate.ballot_position = position
        candidate.save(update_fields=["on_ballot", "ballot_position"])
    if len(on_ballot) <= seats:
        contest.stage = Stage.DECLARED
        contest.declared_at = now
        contest.appeals_until = timezone.localdate() + dt.timedelta(days=rules.appeal_days)
        contest.save(update_fields=["stage", "declared_at", "appeals_until"])
        audit.record(
            actor=actor,
            action="elections.declare_unopposed",
            target=contest,
            data={"elected": [c.pk for c in on_ballot]},
        )
        return contest
    ballot = _members_ballot(actor, contest, rules, on_ballot, closes_at, now)
    roll = supporters_on_roll(contest, rules)
    ballot = ballot_services.ballot_open(
        actor=actor,
        ballot=ballot,
        supporters=[
            ballot_services.SupporterElector(supporter_id=s.pk, section=s.kind) for s in roll
        ],
    )
    contest.ballot = ballot
    contest.stage = Stage.BALLOT
    contest.save(update_fields=["ballot", "stage"])
    audit.record(
        actor=actor,
        action="elections.ballot.open",
        target=contest,
        data={
            "ballot": ballot.pk,
            "candidates": [c.pk for c in on_ballot],
            "supporters": len(roll),
        },
    )
    return contest


@transaction.atomic
def contest_declare(*, actor: User, contest: Contest) -> Contest:
    """Declare the result of the counted members' ballot (declaring the ballot too); the
    appeal window is the rule book's ``appeal_days`` from today (4.II.4)."""
    _require_runner(actor)
    contest = _lock(contest)
    _require_stage(contest, Stage.BALLOT)
    assert contest.ballot_id is not None
    ballot = Ballot.objects.get(pk=contest.ballot_id)
    if ballot.state == Ballot.State.OPEN and timezone.now() >= ballot.closes_at:
        ballot = tally.ballot_close(actor=actor, ballot=ballot)
    if ballot.state not in (Ballot.State.COUNTED, Ballot.State.DECLARED):
        raise DomainError(gettext("the ballot has not closed and been counted yet"))
    if not (ballot.result or {}).get("elected"):
        raise DomainError(
            gettext("nobody was elected (no votes were cast): the ballot must be re-run")
        )
    if ballot.state == Ballot.State.COUNTED:
        ballot = tally.ballot_declare(actor=actor, ballot=ballot)
    rules = rules_for(contest)
    contest.stage = Stage.DECLARED
    contest.declared_at = timezone.now()
    contest.appeals_until = timezone.localdate() + dt.timedelta(days=rules.appeal_days)
    contest.save(update_fields=["stage", "declared_at", "appeals_until"])
    audit.record(
        actor=actor,
        action="elections.declare",
        target=contest,
        data={
            "ballot": ballot.pk,
            "elected": ballot.result.get("elected") if ballot.result else [],
        },
    )
    return contest


# --- past rounds ----------------------------------------------------------------------------
@transaction.atomic
def past_round_record(
    *,
    actor: User | None,
    title: str,
    office: str,
    kind: str,
    held_on: dt.date,
    field_mps: int,
    field_meps: int,
    field_clps: int,
    field_affiliated_membership: int,
    source: str,
    candidates: Sequence[dict[str, Any]],
    modelled: bool = True,
) -> PastRound:
    """Record a past nomination round (idempotent by title: an existing one is replaced)."""
    if actor is not None:
        _require_runner(actor)
    if not source.strip():
        raise DomainError(gettext("say where the figures come from (and that they are modelled)"))
    PastRound.objects.filter(title=title).delete()
    past = PastRound.objects.create(
        title=title,
        office=office,
        kind=kind,
        held_on=held_on,
        field_mps=field_mps,
        field_meps=field_meps,
        field_clps=field_clps,
        field_affiliated_membership=field_affiliated_membership,
        source=source,
        modelled=modelled,
    )
    for c in candidates:
        PastCandidate.objects.create(
            round=past,
            name=c["name"],
            mps=int(c["mps"]),
            clps=int(c.get("clps", 0)),
            affiliates=list(c.get("affiliates", [])),
            is_incumbent=bool(c.get("is_incumbent", False)),
        )
    audit.record(actor=actor, action="elections.past_round.record", target=past)
    return past


@transaction.atomic
def mp_account_link(*, actor: User | None, mp: MP, user: User) -> MPAccount:
    """Tie an MP to the login they nominate with (their own page). One login per MP and
    one MP per login; relinking an MP replaces the old login."""
    if actor is not None:
        _require_runner(actor)
    other = MPAccount.objects.filter(user=user).exclude(mp=mp).first()
    if other is not None:
        raise DomainError(gettext("that login already belongs to %(mp)s") % {"mp": other.mp.name})
    account, _ = MPAccount.objects.update_or_create(mp=mp, defaults={"user": user})
    audit.record(
        actor=actor, action="elections.mp_account.link", target=account, data={"mp": mp.pk}
    )
    return account
