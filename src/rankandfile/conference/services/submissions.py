"""Submissions to conference (clauses 3.II.1-4): motions and rule changes, the CAC's rulings,
the published agenda."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from rankandfile.conference import permissions, procedure, rulechanges
from rankandfile.conference.models import (
    AgendaItem,
    Conference,
    ProgrammeEntry,
    RuleClause,
    Submission,
    Topic,
)
from rankandfile.conference.queries import submissions as submissions_queries
from rankandfile.conference.rulebook import parameters_in_force, rule_book_in_force
from rankandfile.conference.rules import RuleParameters
from rankandfile.conference.services.common import clock, require_manager, time_text
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.models import CLP, Affiliate


def _org_count(conference: Conference, clp: CLP | None, affiliate: Affiliate | None) -> int:
    qs = Submission.objects.filter(conference=conference).exclude(
        status=Submission.Status.WITHDRAWN
    )
    return qs.filter(clp=clp).count() if clp else qs.filter(affiliate=affiliate).count()


def three_year_rule_problem(*, clause_number: str, year: int, p: RuleParameters) -> str | None:
    """Clause 3.II.4: no proposal on a clause conference decided within the last
    ``three_year_rule_years`` years (a carried or lost rule change on it, or a rule-book
    version that changed its wording)."""
    since = year - p.three_year_rule_years
    decided = (
        AgendaItem.objects.filter(
            submission__kind=Submission.Kind.RULE_CHANGE,
            submission__clause_number=clause_number,
            state=AgendaItem.State.CLOSED,
            outcome__in=[AgendaItem.Outcome.CARRIED, AgendaItem.Outcome.LOST],
            session__conference__year__gt=since,
            session__conference__year__lt=year,
        )
        .select_related("session__conference")
        .order_by("-session__conference__year")
        .first()
    )
    if decided is not None:
        y = decided.session.conference.year
        return gettext(
            "conference decided on clause %(clause)s in %(year)s; under the three-year rule "
            "(clause 3.II.4) no proposal on it may be debated before %(until)s"
        ) % {"clause": clause_number, "year": y, "until": y + p.three_year_rule_years}
    changed = (
        RuleClause.objects.filter(number=clause_number, since_year__gt=since, since_year__lt=year)
        .order_by("-since_year")
        .first()
    )
    if changed is not None and changed.since_year is not None:
        y = changed.since_year
        return gettext(
            "clause %(clause)s was changed by the %(year)s conference; under the three-year "
            "rule (clause 3.II.4) no proposal on it may be debated before %(until)s"
        ) % {"clause": clause_number, "year": y, "until": y + p.three_year_rule_years}
    return None


def _check_submitter(actor: User, kind: str, clp: CLP | None, affiliate: Affiliate | None) -> None:
    if (clp is None) == (affiliate is None):
        raise DomainError(gettext("choose the CLP or the affiliate submitting this"))
    if clp is not None and not permissions.can_submit_for_clp(actor, clp):
        raise PermissionDenied(gettext("you are not an officer of %(clp)s") % {"clp": clp})
    if affiliate is not None and not permissions.can_submit_for_affiliate(actor, affiliate):
        raise PermissionDenied(
            gettext("you are not an officer of %(affiliate)s") % {"affiliate": affiliate}
        )
    if kind not in Submission.Kind.values:
        raise DomainError(gettext("choose a motion or a rule change"))


def _check_deadline(conference: Conference, kind: str, at: dt.datetime) -> None:
    dates = conference.dates
    deadline = (
        dates.motions_deadline if kind == Submission.Kind.MOTION else dates.rule_changes_deadline
    )
    if at > deadline:
        message = (
            gettext("the deadline for motions to the %(year)s conference passed at %(time)s")
            if kind == Submission.Kind.MOTION
            else gettext(
                "the deadline for rule changes to the %(year)s conference passed at %(time)s"
            )
        )
        raise DomainError(message % {"year": conference.year, "time": time_text(deadline)})


def _check_wording(kind: str, title: str, text: str, p: RuleParameters) -> int:
    """Clause 3.II.2: the title's and a motion's word limits. Returns the text's words."""
    if not title or not text:
        raise DomainError(gettext("a submission needs a title and a text"))
    n_title = procedure.word_count(title)
    if n_title > p.motion_title_max_words:
        raise DomainError(
            gettext("the title has %(n)s words; the limit is %(limit)s (clause 3.II.2)")
            % {"n": n_title, "limit": p.motion_title_max_words}
        )
    n_words = procedure.word_count(text)
    if kind == Submission.Kind.MOTION and n_words > p.motion_max_words:
        raise DomainError(
            gettext("the motion has %(n)s words; the limit is %(limit)s (clause 3.II.2)")
            % {"n": n_words, "limit": p.motion_max_words}
        )
    return n_words


def _check_quota(
    conference: Conference, clp: CLP | None, affiliate: Affiliate | None, p: RuleParameters
) -> None:
    """Clause 3.II.1: ``submissions_per_organisation`` items in all."""
    used = _org_count(conference, clp, affiliate)
    if used >= p.submissions_per_organisation:
        org = clp or affiliate
        raise DomainError(
            ngettext(
                "%(org)s has already submitted %(used)s item to this conference; each "
                "organisation may submit %(limit)s (a motion or a rule change, clause 3.II.1). "
                "Withdraw it first to submit another.",
                "%(org)s has already submitted %(used)s items to this conference; each "
                "organisation may submit %(limit)s (a motion or a rule change, clause 3.II.1). "
                "Withdraw it first to submit another.",
                used,
            )
            % {"org": org, "used": used, "limit": p.submissions_per_organisation}
        )


def _check_meeting(meeting_date: dt.date, votes: tuple[int, int, int], at: dt.datetime) -> None:
    """The meeting that agreed the submission: held, and more for than against."""
    meeting_for, meeting_against, meeting_abstain = votes
    if meeting_date > timezone.localdate(at):
        raise DomainError(gettext("the meeting that agreed the submission cannot be in the future"))
    if min(meeting_for, meeting_against, meeting_abstain) < 0:
        raise DomainError(gettext("vote counts cannot be negative"))
    if meeting_for <= meeting_against:
        raise DomainError(
            gettext(
                "the meeting's vote (%(meeting_for)s for, %(meeting_against)s against) did not "
                "agree the submission: it needs more votes for than against"
            )
            % {"meeting_for": meeting_for, "meeting_against": meeting_against}
        )


def _check_rule_change(
    conference: Conference,
    clause_number: str,
    text: str,
    clp: CLP | None,
    p: RuleParameters,
    at: dt.datetime,
) -> int:
    """A rule change amends a clause of the rule book in force, changes its text, and
    respects the three-year rule (clause 3.II.4). Returns the year it is debated: a CLP's
    ``clp_rule_change_delay_years`` later (clause 3.II.3)."""
    book = rule_book_in_force(on=timezone.localdate(at))
    clause = book.clauses.filter(number=clause_number).first() if book else None
    if clause is None:
        raise DomainError(
            gettext("there is no clause %(clause_number)s in the rule book in force")
            % {"clause_number": repr(clause_number)}
        )
    if clause.text.strip() == text:
        raise DomainError(
            gettext("the new text of clause %(clause_number)s is the same as the current text")
            % {"clause_number": clause_number}
        )
    debate_year = conference.year + (p.clp_rule_change_delay_years if clp is not None else 0)
    problem = three_year_rule_problem(clause_number=clause_number, year=debate_year, p=p)
    if problem:
        raise DomainError(problem)
    return debate_year


@transaction.atomic
def submission_create(
    *,
    actor: User,
    conference: Conference,
    kind: str,
    title: str,
    text: str,
    meeting_date: dt.date,
    meeting_for: int,
    meeting_against: int,
    meeting_abstain: int = 0,
    clp: CLP | None = None,
    affiliate: Affiliate | None = None,
    clause_number: str = "",
    supersedes: ProgrammeEntry | None = None,
    now: dt.datetime | None = None,
) -> Submission:
    """Submit a motion or a rule change for a CLP or an affiliate (clauses 3.II.1-4).

    Checks, each with its own message: the actor is an officer of the organisation; the
    deadline; one item per organisation (``submissions_per_organisation``); the motion's
    word and title limits; the meeting that agreed it (held, not in the future, more
    for than against); for a rule change the clause exists in the rule book in force, the
    new text differs, and the three-year rule. A CLP rule change is timetabled
    ``clp_rule_change_delay_years`` later (clause 3.II.3). A rule change states the
    clause's new text; the parameter changes that go with it are attached by the CAC
    (``rule_change_parameters_set``).
    """
    at = clock(now)
    _check_submitter(actor, kind, clp, affiliate)
    _check_deadline(conference, kind, at)
    p = parameters_in_force(on=timezone.localdate(at))
    title, text = title.strip(), text.strip()
    n_words = _check_wording(kind, title, text, p)
    _check_quota(conference, clp, affiliate, p)
    _check_meeting(meeting_date, (meeting_for, meeting_against, meeting_abstain), at)
    debate_year = conference.year
    if kind == Submission.Kind.RULE_CHANGE:
        clause_number = clause_number.strip()
        debate_year = _check_rule_change(conference, clause_number, text, clp, p, at)
    else:
        clause_number = ""
        if supersedes is not None and supersedes.removed_in_id is not None:
            raise DomainError(gettext("that programme entry has already been superseded"))
    seq = Submission.objects.filter(conference=conference, kind=kind).count() + 1
    prefix = "M" if kind == Submission.Kind.MOTION else "R"
    sub = Submission.objects.create(
        conference=conference,
        reference=f"{conference.year}/{prefix}{seq:03d}",
        kind=kind,
        clp=clp,
        affiliate=affiliate,
        title=title,
        text=text,
        clause_number=clause_number,
        debate_year=debate_year,
        supersedes=supersedes,
        meeting_date=meeting_date,
        meeting_for=meeting_for,
        meeting_against=meeting_against,
        meeting_abstain=meeting_abstain,
        submitted_by=actor,
        submitted_at=at,
    )
    audit.record(
        actor=actor,
        action="conference.submission_create",
        target=sub,
        data={"kind": kind, "words": n_words, "debate_year": debate_year},
    )
    return sub


@transaction.atomic
def rule_change_parameters_set(
    *,
    actor: User,
    submission: Submission,
    changes: Mapping[str, Any],
) -> Submission:
    """The CAC attaches the typed parameter changes that go with a rule change's clause
    text (clause 3.II; docs/rules/conference.md "Rule changes change the software").

    Only parameters the amended clause states, each parsed to its type and valid together
    on top of the parameters in force (``rulechanges.changes_validate``); an empty mapping
    removes them. Allowed until the rule change is on the floor; the changes are shown
    with the rule change on the agenda, the ballot and the results board, and take effect
    when the rule book is published."""
    require_manager(actor)
    sub = Submission.objects.select_for_update().get(pk=submission.pk)
    if sub.kind != Submission.Kind.RULE_CHANGE:
        raise DomainError(
            gettext("%(reference)s is a motion; only a rule change changes parameters")
            % {"reference": sub.reference}
        )
    if sub.status not in (Submission.Status.SUBMITTED, Submission.Status.IN_ORDER):
        raise DomainError(
            gettext("%(reference)s is %(status)s")
            % {"reference": sub.reference, "status": sub.get_status_display().lower()}
        )
    if sub.items.exists():
        raise DomainError(
            gettext("%(reference)s is already on the floor; its parameters are final")
            % {"reference": sub.reference}
        )
    try:
        typed = rulechanges.changes_validate(
            sub.clause_number, changes, submissions_queries.rule_change_base(sub)
        )
    except ValueError as exc:
        raise DomainError(
            gettext("the parameter changes are not valid: %(exc)s") % {"exc": exc}
        ) from exc
    before = sub.parameter_changes
    sub.parameter_changes = typed
    sub.save(update_fields=["parameter_changes"])
    audit.record(
        actor=actor,
        action="conference.rule_change_parameters_set",
        target=sub,
        data={"before": before, "after": typed},
    )
    return sub


@transaction.atomic
def submission_withdraw(*, actor: User, submission: Submission) -> Submission:
    if not permissions.is_sponsor(actor, submission):
        raise PermissionDenied(
            gettext("only an officer of the submitting organisation may withdraw it")
        )
    if submission.status in (Submission.Status.COMPOSITED, Submission.Status.WITHDRAWN):
        raise DomainError(
            gettext("a submission that is %(status)s cannot be withdrawn")
            % {"status": submission.get_status_display().lower()}
        )
    submission.status = Submission.Status.WITHDRAWN
    submission.save(update_fields=["status"])
    audit.record(actor=actor, action="conference.submission_withdraw", target=submission)
    return submission


@transaction.atomic
def submission_rule(
    *,
    actor: User,
    submission: Submission,
    in_order: bool,
    reason: str = "",
    topic: Topic | None = None,
    now: dt.datetime | None = None,
) -> Submission:
    """The CAC rules a submission in or out of order. Out of order needs a written reason
    (the submitter sees it); a motion in order goes under a topic of its conference."""
    require_manager(actor)
    sub = Submission.objects.select_for_update().get(pk=submission.pk)
    if sub.status in (Submission.Status.WITHDRAWN, Submission.Status.COMPOSITED):
        raise DomainError(
            gettext("the submission is %(status)s") % {"status": sub.get_status_display().lower()}
        )
    reason = reason.strip()
    if not in_order and not reason:
        raise DomainError(
            gettext("give the reason the submission is out of order; the submitter sees it")
        )
    if in_order and sub.kind == Submission.Kind.MOTION:
        if topic is None:
            raise DomainError(gettext("choose the topic this motion goes under"))
        if topic.conference_id != sub.conference_id:
            raise DomainError(gettext("that topic belongs to another conference"))
    sub.status = Submission.Status.IN_ORDER if in_order else Submission.Status.OUT_OF_ORDER
    sub.ruling_reason = reason
    sub.ruled_by = actor
    sub.ruled_at = clock(now)
    sub.topic = topic if in_order else None
    sub.save(update_fields=["status", "ruling_reason", "ruled_by", "ruled_at", "topic"])
    audit.record(
        actor=actor,
        action="conference.submission_rule",
        target=sub,
        data={"in_order": in_order, "reason": reason, "topic": topic.name if topic else None},
    )
    return sub


@transaction.atomic
def agenda_publish(
    *, actor: User, conference: Conference, now: dt.datetime | None = None
) -> Conference:
    """Publish the agenda: every submission to be debated this year must have a ruling."""
    require_manager(actor)
    pending = Submission.objects.filter(
        debate_year=conference.year, status=Submission.Status.SUBMITTED
    ).count()
    if pending:
        raise DomainError(
            ngettext(
                "%(n)s submission is still awaiting a ruling",
                "%(n)s submissions are still awaiting a ruling",
                pending,
            )
            % {"n": pending}
        )
    dates = conference.dates
    dates.agenda_published_at = clock(now)
    dates.save(update_fields=["agenda_published_at"])
    audit.record(actor=actor, action="conference.agenda_publish", target=conference)
    return conference
