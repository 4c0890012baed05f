"""Selection use cases: open a round, run each CLP's timetable, record trigger decisions,
take applications, draw the longlist and shortlist, record nominations, publish hustings,
hold the members' ballot (through the ballots app) and declare the selected candidate.

Every function takes an explicit ``actor``, runs in one transaction, checks the actor's
permission and writes an audit entry; on any error nothing is saved. Rule numbers come
from the rule book in force (``conference.rulebook.parameters_in_force``). Clauses cited
(S1…S9) are in docs/rules/selections.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from rankandfile.ballots import services as ballot_services
from rankandfile.ballots import tally
from rankandfile.ballots.models import Ballot, Method
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import RuleParameters
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.links import absolute_url
from rankandfile.core.models import User
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.eligibility import Decision, EligibilityRule, explain, format_date
from rankandfile.membership.models import CLP, MP, Affiliate, Branch, Member, Role
from rankandfile.selections import permissions, triggers
from rankandfile.selections.models import (
    STAGE_ORDER,
    Application,
    Hustings,
    Nomination,
    ReminderSent,
    Selection,
    SelectionRound,
    Stage,
    TriggerDecision,
)

#: Parties whose MPs are "ours" (a sitting MP of the party faces reselection).
PARTY_NAMES = ("Labour", "Labour (Co-op)")


def _require_manager(actor: User, selection: Selection) -> None:
    if not permissions.can_manage_selection(actor, selection):
        raise PermissionDenied(gettext("only the officers of this constituency party may do that"))


def _require_stage(selection: Selection, *stages: str) -> None:
    if selection.stage not in stages:
        labels = gettext(" or ").join(str(Stage(s).label).lower() for s in stages)
        raise DomainError(
            gettext("this can only be done at the %(needed)s stage; the selection is at %(stage)s")
            % {"needed": labels, "stage": str(selection.get_stage_display()).lower()}
        )


def _lock(selection: Selection) -> Selection:
    return Selection.objects.select_for_update().select_related("clp", "round").get(pk=selection.pk)


def sitting_mp_for(clp: CLP) -> MP | None:
    """The CLP's sitting MP if they are still one of ours (in office, never left)."""
    return (
        MP.objects.filter(
            constituency_id=clp.constituency_id,
            in_office=True,
            left_party_on__isnull=True,
            party__in=PARTY_NAMES,
        )
        .order_by("pk")
        .first()
    )


# --- timetable (S5) ---------------------------------------------------------------------
TIMETABLE_FIELDS = (
    "trigger_closes",
    "applications_open",
    "applications_close",
    "longlist_by",
    "shortlist_by",
    "nominations_close",
    "hustings_by",
    "ballot_opens",
    "ballot_closes",
)
_FIELD_LABELS = {
    "trigger_closes": "the trigger ballot's close",
    "applications_open": "applications opening",
    "applications_close": "applications closing",
    "longlist_by": "the longlist",
    "shortlist_by": "the shortlist",
    "nominations_close": "nominations closing",
    "hustings_by": "the last hustings",
    "ballot_opens": "the ballot opening",
    "ballot_closes": "the ballot closing",
}


def timetable_problems(dates: dict[str, dt.date | None], rnd: SelectionRound) -> list[str]:
    """S5: every stage ends after the one before; the round's deadlines are met."""
    problems: list[str] = []
    previous: tuple[str, dt.date] | None = None
    for name in TIMETABLE_FIELDS:
        day = dates.get(name)
        if day is None:
            if name != "trigger_closes":
                problems.append(f"give a date for {_FIELD_LABELS[name]}")
            continue
        if previous is not None and day < previous[1]:
            problems.append(
                f"{_FIELD_LABELS[name]} ({format_date(day)}) is before "
                f"{_FIELD_LABELS[previous[0]]} ({format_date(previous[1])})"
            )
        previous = (name, day)
    close = dates.get("applications_close")
    if close and close > rnd.applications_close:
        problems.append(
            f"applications must close by the round's deadline, "
            f"{format_date(rnd.applications_close)}"
        )
    ballot_closes = dates.get("ballot_closes")
    if ballot_closes and ballot_closes > rnd.ballot_closes_by:
        problems.append(
            f"the ballot must close by the round's deadline, {format_date(rnd.ballot_closes_by)}"
        )
    opens = dates.get("ballot_opens")
    if opens and opens <= rnd.freeze_date:
        problems.append(
            f"the ballot must open after the freeze date, {format_date(rnd.freeze_date)}"
        )
    return problems


def default_timetable(
    *,
    applications_open: dt.date,
    applications_close: dt.date,
    ballot_closes: dt.date,
    trigger_closes: dt.date | None,
) -> dict[str, dt.date | None]:
    """A workable timetable between the round's dates (officers may then adjust it)."""
    ballot_opens = ballot_closes - dt.timedelta(days=14)
    span = max((ballot_opens - applications_close).days, 4)
    step = span // 4
    return {
        "trigger_closes": trigger_closes,
        "applications_open": applications_open,
        "applications_close": applications_close,
        "longlist_by": applications_close + dt.timedelta(days=step),
        "shortlist_by": applications_close + dt.timedelta(days=2 * step),
        "nominations_close": applications_close + dt.timedelta(days=3 * step),
        "hustings_by": ballot_opens - dt.timedelta(days=1),
        "ballot_opens": ballot_opens,
        "ballot_closes": ballot_closes,
    }


@transaction.atomic
def round_open(
    *,
    actor: User,
    name: str,
    clps: Sequence[CLP],
    freeze_date: dt.date,
    applications_open: dt.date,
    applications_close: dt.date,
    ballot_closes_by: dt.date,
    trigger_closes: dt.date | None = None,
    mode: str | None = None,
) -> SelectionRound:
    """S3, S5: open a round of selections in ``clps``.

    The selection mode is the rule book's in force on ``applications_open`` unless a
    national admin records a past round under the rule that then applied (``mode``).
    Each CLP gets a selection with a default timetable; where the rule has a trigger
    ballot and the CLP has a sitting MP of the party, the selection starts at the trigger
    stage (``trigger_closes`` required), otherwise at applications.
    """
    if not permissions.can_open_round(actor):
        raise PermissionDenied(gettext("only national admins open selection rounds"))
    name = name.strip()
    chosen_mode = _check_round(
        name=name,
        clps=clps,
        mode=mode,
        freeze_date=freeze_date,
        applications_open=applications_open,
        applications_close=applications_close,
        ballot_closes_by=ballot_closes_by,
    )
    rnd = SelectionRound.objects.create(
        name=name,
        mode=chosen_mode,
        freeze_date=freeze_date,
        applications_close=applications_close,
        ballot_closes_by=ballot_closes_by,
        created_by=actor,
    )
    seen: set[int] = set()
    for clp in clps:
        if clp.pk in seen:
            continue
        seen.add(clp.pk)
        _round_selection_create(
            rnd,
            clp,
            applications_open=applications_open,
            trigger_closes=trigger_closes,
        )
    audit.record(
        actor=actor,
        action="selections.round.open",
        target=rnd,
        data={
            "mode": chosen_mode,
            "mode_from_rule_book": mode is None,
            "clps": sorted(seen),
            "freeze_date": freeze_date.isoformat(),
        },
    )
    return rnd


def _check_round(
    *,
    name: str,
    clps: Sequence[CLP],
    mode: str | None,
    freeze_date: dt.date,
    applications_open: dt.date,
    applications_close: dt.date,
    ballot_closes_by: dt.date,
) -> str:
    """The round's own rules: a name, constituencies, a known mode, dates in order.
    Returns the mode: ``mode``, else the rule book's on ``applications_open``."""
    if not name:
        raise DomainError(gettext("give the round a name"))
    if not clps:
        raise DomainError(gettext("choose at least one constituency party"))
    mode = mode or parameters_in_force(on=applications_open).selection_mode
    if mode not in triggers.MODES:
        raise DomainError(gettext("unknown selection mode %(mode)r") % {"mode": mode})
    if applications_close < applications_open:
        raise DomainError(gettext("applications must close after they open"))
    if ballot_closes_by <= applications_close:
        raise DomainError(gettext("the ballot must close after applications close"))
    if freeze_date > applications_close:
        raise DomainError(gettext("the freeze date must not be after applications close"))
    return mode


def _round_selection_create(
    rnd: SelectionRound,
    clp: CLP,
    *,
    applications_open: dt.date,
    trigger_closes: dt.date | None,
) -> Selection:
    """One CLP's selection in the round, with its default timetable: at the trigger stage
    where the rule has a trigger ballot and the CLP a sitting MP, else at applications."""
    sitting = sitting_mp_for(clp)
    has_trigger = rnd.mode in triggers.TRIGGER_MODES and sitting is not None
    if has_trigger and trigger_closes is None:
        raise DomainError(
            gettext(
                "%(clp)s has a sitting MP and the rule has a trigger ballot: give the date the "
                "trigger ballot closes"
            )
            % {"clp": clp.name}
        )
    dates = default_timetable(
        applications_open=applications_open,
        applications_close=rnd.applications_close,
        ballot_closes=rnd.ballot_closes_by,
        trigger_closes=trigger_closes if has_trigger else None,
    )
    problems = timetable_problems(dates, rnd)
    if problems:
        raise DomainError(
            gettext("%(clp)s: %(problems)s") % {"clp": clp.name, "problems": "; ".join(problems)}
        )
    return Selection.objects.create(
        round=rnd,
        clp=clp,
        sitting_mp=sitting,
        mode=rnd.mode,
        stage=Stage.TRIGGER if has_trigger else Stage.APPLICATIONS,
        **dates,
    )


@transaction.atomic
def timetable_update(*, actor: User, selection: Selection, **dates: dt.date | None) -> Selection:
    """S5: change the CLP's timetable (any of :data:`TIMETABLE_FIELDS`)."""
    selection = _lock(selection)
    _require_manager(actor, selection)
    unknown = set(dates) - set(TIMETABLE_FIELDS)
    if unknown:
        raise DomainError(
            gettext("unknown timetable dates: %(dates)s") % {"dates": ", ".join(sorted(unknown))}
        )
    if selection.stage in (Stage.DECLARED, Stage.RESELECTED):
        raise DomainError(gettext("the selection is over; its timetable can no longer change"))
    merged = {f: getattr(selection, f) for f in TIMETABLE_FIELDS}
    merged.update(dates)
    if not selection.has_trigger:
        merged["trigger_closes"] = None
    problems = timetable_problems(merged, selection.round)
    if problems:
        raise DomainError("; ".join(problems))
    for key, value in merged.items():
        setattr(selection, key, value)
    selection.save(update_fields=list(TIMETABLE_FIELDS))
    audit.record(
        actor=actor,
        action="selections.timetable.update",
        target=selection,
        data={k: v.isoformat() if v else None for k, v in merged.items()},
    )
    return selection


# --- trigger ballot (S1-S3) -------------------------------------------------------------
@transaction.atomic
def trigger_record_branch(
    *,
    actor: User,
    selection: Selection,
    branch: Branch,
    members_present: int,
    votes_for: int,
    votes_against: int,
    meeting_date: dt.date | None = None,
) -> TriggerDecision:
    """S1: record (or correct) a branch meeting's trigger decision."""
    selection = _lock(selection)
    if not permissions.can_act_for_branch(actor, selection, branch):
        raise PermissionDenied(
            gettext("only this branch's officers or the CLP's officers may record it")
        )
    _require_stage(selection, Stage.TRIGGER)
    try:
        wants = triggers.branch_wants_open(
            present=members_present, votes_for=votes_for, votes_against=votes_against
        )
    except triggers.TriggerError as exc:
        raise DomainError(str(exc)) from exc
    decision, _ = TriggerDecision.objects.update_or_create(
        selection=selection,
        branch=branch,
        defaults={
            "members_present": members_present,
            "votes_for": votes_for,
            "votes_against": votes_against,
            "meeting_date": meeting_date,
            "wants_open": wants,
            "recorded_by": actor,
        },
    )
    audit.record(
        actor=actor,
        action="selections.trigger.branch",
        target=selection,
        data={
            "branch": branch.pk,
            "present": members_present,
            "for": votes_for,
            "against": votes_against,
            "wants_open": wants,
        },
    )
    return decision


@transaction.atomic
def trigger_record_affiliate(
    *, actor: User, selection: Selection, affiliate: Affiliate, vote: str
) -> TriggerDecision:
    """S2: record (or correct) an affiliate's trigger decision (one vote)."""
    selection = _lock(selection)
    if not permissions.can_act_for_affiliate(actor, selection, affiliate):
        raise PermissionDenied(
            gettext(
                "only an officer of this affiliate (affiliated to the CLP) or the CLP's officers "
                "may record it"
            )
        )
    _require_stage(selection, Stage.TRIGGER)
    if vote not in TriggerDecision.AffiliateVote.values:
        raise DomainError(gettext("the affiliate's vote is open, reselect or abstain"))
    wants = {"open": True, "reselect": False}.get(vote)
    decision, _ = TriggerDecision.objects.update_or_create(
        selection=selection,
        affiliate=affiliate,
        defaults={"affiliate_vote": vote, "wants_open": wants, "recorded_by": actor},
    )
    audit.record(
        actor=actor,
        action="selections.trigger.affiliate",
        target=selection,
        data={"affiliate": affiliate.pk, "vote": vote},
    )
    return decision


def trigger_votes(selection: Selection) -> list[triggers.UnitVote]:
    decisions = selection.trigger_decisions.select_related("branch", "affiliate")
    return [d.as_vote() for d in decisions]


@transaction.atomic
def trigger_conclude(*, actor: User, selection: Selection) -> triggers.TriggerOutcome:
    """S3: close the trigger ballot and apply the selection's rule.

    Reached: the selection moves to applications (the sitting MP may apply and is then
    shortlisted automatically, S4). Not reached: the sitting MP is reselected and the
    selection ends.
    """
    selection = _lock(selection)
    _require_manager(actor, selection)
    _require_stage(selection, Stage.TRIGGER)
    outcome = triggers.decide(selection.mode, trigger_votes(selection))
    selection.trigger_result = outcome.open_selection
    selection.trigger_explanation = outcome.explanation
    if outcome.open_selection:
        selection.stage = Stage.APPLICATIONS
    else:
        selection.stage = Stage.RESELECTED
        selection.declared_at = timezone.now()
    selection.save(update_fields=["trigger_result", "trigger_explanation", "stage", "declared_at"])
    audit.record(
        actor=actor,
        action="selections.trigger.conclude",
        target=selection,
        data={"open_selection": outcome.open_selection, "explanation": outcome.explanation},
    )
    return outcome


# --- applications (S6) ------------------------------------------------------------------
def candidate_rule(selection: Selection, params: RuleParameters) -> EligibilityRule:
    """S6: months of continuous membership at the round's freeze date, party-wide."""
    return EligibilityRule(
        freeze_date=selection.round.freeze_date,
        months=params.candidate_min_membership_months,
        scope_kind="party",
    )


def _application_problems(
    member: Member, selection: Selection, *, statement: str, contact_email: str, trade_union: str
) -> tuple[list[str], Decision]:
    """Every reason the member may not apply yet (S6), in the reader's words, and the
    eligibility decision."""
    params = parameters_in_force(on=selection.round.freeze_date)
    problems: list[str] = []
    decision = explain(member, candidate_rule(selection, params))
    if not decision.eligible:
        problems.append(
            gettext(
                "candidates need %(months)s months' continuous membership at %(date)s: %(reasons)s"
            )
            % {
                "months": params.candidate_min_membership_months,
                "date": date_format(selection.round.freeze_date, "j F Y"),
                "reasons": "; ".join(decision.reasons),
            }
        )
    if params.candidate_requires_trade_union and not trade_union.strip():
        problems.append(gettext("candidates must be members of a trade union: name your union"))
    if not statement.strip():
        problems.append(gettext("write a statement for members"))
    if not contact_email.strip():
        problems.append(gettext("give a contact email address"))
    return problems, decision


@transaction.atomic
def application_submit(
    *,
    actor: User,
    selection: Selection,
    statement: str,
    contact_email: str,
    contact_phone: str = "",
    is_woman: bool = False,
    is_bame: bool = False,
    trade_union: str = "",
    union_membership_number: str = "",
    name: str = "",
    today: dt.date | None = None,
) -> Application:
    """S6: a member applies. Refused, with every reason, when applications are not open,
    the member lacks the months of membership, or has no trade-union card where the rule
    book requires one."""
    selection = _lock(selection)
    member = membership_permissions.own_member(actor)
    if member is None:
        raise PermissionDenied(gettext("only members can apply"))
    _require_stage(selection, Stage.APPLICATIONS)
    day = today or timezone.localdate()
    if not selection.applications_open <= day <= selection.applications_close:
        raise DomainError(
            gettext("applications are open from %(open)s to %(close)s")
            % {
                "open": date_format(selection.applications_open, "j F Y"),
                "close": date_format(selection.applications_close, "j F Y"),
            }
        )
    if Application.objects.filter(selection=selection, member=member).exists():
        raise DomainError(gettext("you have already applied in this selection"))
    problems, decision = _application_problems(
        member,
        selection,
        statement=statement,
        contact_email=contact_email,
        trade_union=trade_union,
    )
    if problems:
        raise DomainError(
            gettext("you cannot apply: %(problems)s") % {"problems": "; ".join(problems)}
        )
    ballot_name = (name or member.full_name).strip()
    if Application.objects.filter(selection=selection, name__iexact=ballot_name).exists():
        raise DomainError(
            gettext(
                "another applicant is called %(ballot_name)s: give the name you want on the paper "
                "with a distinguishing middle name or initial"
            )
            % {"ballot_name": ballot_name}
        )
    application = Application.objects.create(
        selection=selection,
        member=member,
        name=ballot_name,
        statement=statement.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip(),
        is_woman=is_woman,
        is_bame=is_bame,
        trade_union=trade_union.strip(),
        union_membership_number=union_membership_number.strip(),
        eligibility_note="; ".join(decision.reasons),
    )
    # Private data stays out of the audit log.
    audit.record(actor=actor, action="selections.application.submit", target=application, data={})
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application: Application) -> Application:
    """The applicant withdraws (before the ballot opens)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    me = membership_permissions.own_member(actor)
    if me is None or me.pk != application.member_id:
        raise PermissionDenied(gettext("only the applicant may withdraw their application"))
    if application.selection.stage in (Stage.BALLOT, Stage.DECLARED):
        raise DomainError(gettext("the ballot is open: it is too late to withdraw"))
    application.status = Application.Status.WITHDRAWN
    application.on_longlist = application.on_shortlist = False
    application.save(update_fields=["status", "on_longlist", "on_shortlist"])
    audit.record(actor=actor, action="selections.application.withdraw", target=application)
    return application


@transaction.atomic
def application_mark_sitting_mp(*, actor: User, application: Application) -> Application:
    """The officers confirm an applicant is the sitting MP (S4: shortlisted automatically)."""
    application = Application.objects.select_related("selection__sitting_mp").get(pk=application.pk)
    selection = application.selection
    _require_manager(actor, selection)
    if selection.sitting_mp is None:
        raise DomainError(gettext("this constituency has no sitting MP of the party"))
    Application.objects.filter(selection=selection, mp__isnull=False).update(mp=None)
    application.mp = selection.sitting_mp
    application.save(update_fields=["mp"])
    audit.record(actor=actor, action="selections.application.sitting_mp", target=application)
    return application


def _active(selection: Selection) -> list[Application]:
    return list(
        selection.applications.exclude(status=Application.Status.WITHDRAWN).order_by("name")
    )


# --- stages (S4, S7) --------------------------------------------------------------------
def shortlist_rules(params: RuleParameters) -> triggers.ShortlistRules:
    return triggers.ShortlistRules(
        min_women_share=params.shortlist_min_women_share, min_bame=params.shortlist_min_bame
    )


def shortlist_check(selection: Selection) -> triggers.ShortlistCheck:
    """S4: the breaches of the shortlist rules (empty when the shortlist is sound)."""
    params = parameters_in_force(on=selection.round.freeze_date)
    entries = [
        triggers.ShortlistEntry(a.name, a.is_woman, a.is_bame, a.mp_id is not None)
        for a in _active(selection)
        if a.on_shortlist
    ]
    mp_app = next((a for a in _active(selection) if a.mp_id is not None), None)
    return triggers.check_shortlist(
        entries, shortlist_rules(params), sitting_mp_name=mp_app.name if mp_app else None
    )


@transaction.atomic
def list_set(
    *, actor: User, selection: Selection, which: str, application_ids: Iterable[int]
) -> list[str]:
    """S4: the panel draws the longlist (``which="longlist"``) from the applications, or
    the shortlist (``"shortlist"``) from the longlist. A sitting MP who applied is put on
    both automatically. Returns notes on what was done automatically."""
    selection = _lock(selection)
    _require_manager(actor, selection)
    stage = Stage.LONGLIST if which == "longlist" else Stage.SHORTLIST
    if which not in ("longlist", "shortlist"):
        raise DomainError(gettext("choose the longlist or the shortlist"))
    _require_stage(selection, stage)
    chosen = set(application_ids)
    active = _active(selection)
    pool = active if which == "longlist" else [a for a in active if a.on_longlist]
    pool_ids = {a.pk for a in pool}
    strays = chosen - pool_ids
    if strays:
        raise DomainError(
            (
                gettext("%(count)s chosen are not on the applications of this selection")
                if which == "longlist"
                else gettext("%(count)s chosen are not on the longlist of this selection")
            )
            % {"count": len(strays)}
        )
    notes: list[str] = []
    for app in pool:
        if app.mp_id is not None and app.pk not in chosen:
            chosen.add(app.pk)
            notes.append(
                gettext("%(name)s, the sitting MP, is included automatically.") % {"name": app.name}
            )
        on = app.pk in chosen
        if which == "longlist":
            app.on_longlist = on
            app.status = Application.Status.LONGLISTED if on else Application.Status.NOT_LONGLISTED
        else:
            app.on_shortlist = on
            app.status = (
                Application.Status.SHORTLISTED if on else Application.Status.NOT_SHORTLISTED
            )
        app.save(update_fields=["on_longlist", "on_shortlist", "status"])
    audit.record(
        actor=actor,
        action=f"selections.{which}.set",
        target=selection,
        data={"applications": sorted(chosen)},
    )
    return notes


def _advance_problems(selection: Selection) -> list[str]:
    active = _active(selection)
    stage = selection.stage
    if stage == Stage.APPLICATIONS:
        problems = []
        if timezone.localdate() <= selection.applications_close:
            problems.append(
                f"applications are open until {format_date(selection.applications_close)} "
                "as the timetable promised members"
            )
        if len(active) < 2:
            problems.append(f"{len(active)} application(s): members need a choice of two")
        return problems
    if stage == Stage.LONGLIST and sum(a.on_longlist for a in active) < 2:
        return ["put at least two applicants on the longlist"]
    if stage == Stage.SHORTLIST:
        return list(shortlist_check(selection).breaches)
    if stage == Stage.TRIGGER:
        return ["conclude the trigger ballot first"]
    if stage == Stage.HUSTINGS:
        return ["open the members' ballot to move on"]
    if stage in (Stage.BALLOT, Stage.DECLARED, Stage.RESELECTED):
        return ["the ballot stage ends with the declaration"]
    return []


def advance_problems(selection: Selection) -> list[str]:
    """What stops the selection moving to its next stage, in words (empty: it may)."""
    return _advance_problems(selection)


@transaction.atomic
def selection_advance(*, actor: User, selection: Selection) -> Selection:
    """Move to the next stage: applications → longlisting → shortlisting → nominations →
    hustings. Refused with the reasons while the current stage is unfinished (for the
    shortlist: every breach of S4)."""
    selection = _lock(selection)
    _require_manager(actor, selection)
    problems = _advance_problems(selection)
    if problems:
        raise DomainError(
            gettext("cannot end the %(stage)s stage: %(problems)s")
            % {"stage": str(selection.get_stage_display()).lower(), "problems": "; ".join(problems)}
        )
    before = selection.stage
    selection.stage = STAGE_ORDER[STAGE_ORDER.index(before) + 1]
    selection.save(update_fields=["stage"])
    audit.record(
        actor=actor,
        action="selections.stage.advance",
        target=selection,
        data={"from": before, "to": selection.stage},
    )
    return selection


# --- nominations and hustings (S7) -------------------------------------------------------
@transaction.atomic
def nomination_record(
    *,
    actor: User,
    selection: Selection,
    application: Application,
    branch: Branch | None = None,
    affiliate: Affiliate | None = None,
) -> Nomination:
    """S7: a branch or affiliate nominates one shortlisted candidate (it may change its
    nomination until nominations close)."""
    selection = _lock(selection)
    if (branch is None) == (affiliate is None):
        raise DomainError(gettext("a nomination comes from one branch or one affiliate"))
    if branch is not None and not permissions.can_act_for_branch(actor, selection, branch):
        raise PermissionDenied(
            gettext("only this branch's officers or the CLP's officers may nominate")
        )
    if affiliate is not None and not permissions.can_act_for_affiliate(actor, selection, affiliate):
        raise PermissionDenied(gettext("only this affiliate's officers may nominate for it"))
    _require_stage(selection, Stage.NOMINATIONS)
    application = Application.objects.get(pk=application.pk)  # the caller's copy may be stale
    if application.selection_id != selection.pk or not application.on_shortlist:
        raise DomainError(
            gettext("%(application)s is not on this selection's shortlist")
            % {"application": application.name}
        )
    unit: dict[str, Any] = {"branch": branch} if branch else {"affiliate": affiliate}
    nomination, _ = Nomination.objects.update_or_create(
        selection=selection, **unit, defaults={"application": application, "recorded_by": actor}
    )
    audit.record(
        actor=actor,
        action="selections.nomination.record",
        target=selection,
        data={
            "application": application.pk,
            "branch": branch.pk if branch else None,
            "affiliate": affiliate.pk if affiliate else None,
        },
    )
    return nomination


@transaction.atomic
def hustings_add(
    *, actor: User, selection: Selection, starts_at: dt.datetime, venue: str, details: str = ""
) -> Hustings:
    """S7: schedule and publish a hustings meeting."""
    selection = _lock(selection)
    _require_manager(actor, selection)
    _require_stage(selection, Stage.NOMINATIONS, Stage.HUSTINGS)
    if not venue.strip():
        raise DomainError(gettext("say where the hustings is held"))
    if timezone.localdate(starts_at) >= selection.ballot_opens:
        raise DomainError(
            gettext("hustings are held before the ballot opens on %(date)s")
            % {"date": date_format(selection.ballot_opens, "j F Y")}
        )
    hustings = Hustings.objects.create(
        selection=selection, starts_at=starts_at, venue=venue.strip(), details=details.strip()
    )
    audit.record(
        actor=actor,
        action="selections.hustings.add",
        target=selection,
        data={"starts_at": starts_at.isoformat(), "venue": hustings.venue},
    )
    return hustings


# --- the members' ballot and the declaration (S8, S9) ------------------------------------
@transaction.atomic
def selection_ballot_open(
    *, actor: User, selection: Selection, opens_at: dt.datetime, closes_at: dt.datetime
) -> Ballot:
    """S8: create and open the members' ballot in the ballots app: alternative vote
    (eliminating ballot), the shortlisted candidates in alphabetical order, electorate the
    CLP's members with ``selection_electorate_months`` of continuous membership at the
    round's freeze date (the ballots app freezes it at opening)."""
    selection = _lock(selection)
    _require_manager(actor, selection)
    _require_stage(selection, Stage.HUSTINGS)
    shortlist = [a for a in _active(selection) if a.on_shortlist]
    breaches = shortlist_check(selection).breaches
    if breaches:
        raise DomainError(
            gettext("the shortlist breaks the rules: %(breaches)s")
            % {"breaches": "; ".join(breaches)}
        )
    params = parameters_in_force(on=selection.round.freeze_date)
    ballot = ballot_services.ballot_create(
        actor=actor,
        title=f"{selection.clp.name}: selection of the parliamentary candidate",
        description=(
            "Number the candidates in order of preference. Counted as an eliminating ballot "
            "(alternative vote). Each candidate's statement, nominations and — for a sitting "
            "MP — voting record: "
            # A site path, made a link when shown or sent (core.links.expand_paths).
            + reverse("selections:detail", kwargs={"selection_id": selection.pk})
        ),
        method=Method.AV,
        opens_at=opens_at,
        closes_at=closes_at,
        freeze_date=selection.round.freeze_date,
        scope_kind="clp",
        clp=selection.clp,
        options=[
            ballot_services.OptionSpec(
                name=a.name,
                gender="woman" if a.is_woman else "",
                description=reverse(
                    "selections:candidate",
                    kwargs={"selection_id": selection.pk, "application_id": a.pk},
                ),
            )
            for a in shortlist
        ],
        months_required=params.selection_electorate_months,
    )
    ballot = ballot_services.ballot_open(actor=actor, ballot=ballot)
    for position, app in enumerate(shortlist):
        app.ballot_position = position
        app.save(update_fields=["ballot_position"])
    selection.ballot = ballot
    selection.stage = Stage.BALLOT
    selection.save(update_fields=["ballot", "stage"])
    audit.record(
        actor=actor,
        action="selections.ballot.open",
        target=selection,
        data={"ballot": ballot.pk, "electorate_size": ballot.electorate_size},
    )
    return ballot


@transaction.atomic
def selection_declare(*, actor: User, selection: Selection) -> Selection:
    """S9: declare the selected candidate from the counted ballot (declaring the ballot
    itself if that is not done yet); the appeals window is the rule book's
    ``selection_appeal_days`` from today."""
    selection = _lock(selection)
    _require_manager(actor, selection)
    _require_stage(selection, Stage.BALLOT)
    ballot = selection.ballot
    assert ballot is not None
    ballot.refresh_from_db()
    if ballot.state == Ballot.State.OPEN and timezone.now() >= ballot.closes_at:
        ballot = tally.ballot_close(actor=actor, ballot=ballot)
    if ballot.state not in (Ballot.State.COUNTED, Ballot.State.DECLARED):
        raise DomainError(gettext("the ballot has not closed and been counted yet"))
    elected = list((ballot.result or {}).get("elected") or [])
    if not elected:
        raise DomainError(
            gettext("nobody was elected (no votes were cast): the ballot must be re-run")
        )
    if ballot.state == Ballot.State.COUNTED:
        ballot = tally.ballot_declare(actor=actor, ballot=ballot)
    winner = selection.applications.filter(name=elected[0]).first()
    if winner is None:  # pragma: no cover - the options are the shortlist's names
        raise DomainError(
            gettext("%(elected)s is not among the applicants") % {"elected": elected[0]}
        )
    params = parameters_in_force(on=timezone.localdate())
    selection.selected = winner
    selection.declared_at = timezone.now()
    selection.appeals_until = timezone.localdate() + dt.timedelta(days=params.selection_appeal_days)
    selection.stage = Stage.DECLARED
    selection.save(update_fields=["selected", "declared_at", "appeals_until", "stage"])
    audit.record(
        actor=actor,
        action="selections.declare",
        target=selection,
        data={"selected": winner.pk, "ballot": ballot.pk},
    )
    return selection


# --- reminders (S5) ---------------------------------------------------------------------
def _officer_emails(clp_ids: set[int], today: dt.date) -> dict[int, list[str]]:
    """The CLP officers' email addresses, by CLP, in one query."""
    roles = Role.objects.filter(clp_id__in=clp_ids, kind__in=Role.CLP_KINDS).select_related("user")
    emails: dict[int, set[str]] = {}
    for role in roles:
        if role.active_on(today) and role.user.email and role.clp_id is not None:
            emails.setdefault(role.clp_id, set()).add(role.user.email)
    return {clp_id: sorted(found) for clp_id, found in emails.items()}


def current_deadline(selection: Selection) -> tuple[str, str, dt.date] | None:
    """The current stage's last day (stage, label, date), or None once it is over."""
    for stage, label, _first, last in selection.timetable():
        if stage == selection.stage:
            return stage, label, last
    return None


@transaction.atomic
def reminders_send(*, days_ahead: int = 3, today: dt.date | None = None) -> int:
    """S5: email the CLP officers of every selection whose current stage ends within
    ``days_ahead`` days (or ended in the last week). Each stage's deadline is reminded once; returns
    the number of reminders sent."""
    day = today or timezone.localdate()
    sent = 0
    open_selections = Selection.objects.exclude(
        stage__in=[Stage.DECLARED, Stage.RESELECTED]
    ).select_related("clp", "round")
    due_now: list[tuple[Selection, str, str, dt.date]] = []
    for selection in open_selections:
        due = current_deadline(selection)
        if due is None:
            continue
        stage, label, last = due
        # Due within ``days_ahead`` days, or overdue by at most a week (a deadline long
        # past is the officers' known business, not news).
        if -7 <= (last - day).days <= days_ahead:
            due_now.append((selection, stage, label, last))
    if not due_now:
        return 0
    already = set(
        ReminderSent.objects.filter(selection__in=[d[0] for d in due_now]).values_list(
            "selection_id", "stage", "due"
        )
    )
    emails = _officer_emails({d[0].clp_id for d in due_now}, day)
    for selection, stage, label, last in due_now:
        if (selection.pk, stage, last) in already:
            continue
        recipients = emails.get(selection.clp_id, [])
        if not recipients:
            continue
        link = absolute_url(reverse("selections:manage", kwargs={"selection_id": selection.pk}))
        overdue = last < day
        subject = (
            f"{selection.clp.name} selection: {label.lower()} "
            f"{'was due' if overdue else 'due'} {format_date(last)}"
        )
        body = (
            f"The {label.lower()} stage of the {selection.clp.name} selection "
            f"({selection.round.name}) {'ended' if overdue else 'ends'} on "
            f"{format_date(last)}.\n\nManage the selection: {link}\n"
        )
        send_mail(subject, body, None, recipients)
        ReminderSent.objects.create(
            selection=selection, stage=stage, due=last, recipients=len(recipients)
        )
        audit.record(
            actor=None,
            action="selections.reminder.send",
            target=selection,
            data={"stage": stage, "due": last.isoformat(), "recipients": len(recipients)},
        )
        sent += 1
    return sent
