"""Conference use cases (writes). Keyword-only, explicit ``actor``, one transaction each,
an audit entry per change (casting a card writes none: the card row is the record and the
hot path must stay one UPDATE). Errors are :class:`DomainError` with a message a user can
act on; rule clauses cited are in docs/rules/conference.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from rankandfile.conference import permissions, procedure, queries, rulebook_data
from rankandfile.conference.models import (
    AffiliateDelegation,
    AgendaItem,
    Amendment,
    Card,
    Composite,
    CompositeSignoff,
    Conference,
    ConferenceDates,
    Delegate,
    FloorSession,
    PriorityChoice,
    ProgrammeEntry,
    ProgrammeVersion,
    RuleBookVersion,
    RuleClause,
    Submission,
    Topic,
)
from rankandfile.conference.rulebook import parameters_in_force, rule_book_in_force
from rankandfile.conference.rules import RuleParameters
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.counting.topn import SectionTally, TieRule, count_priorities
from rankandfile.counting.yesno import percent_str
from rankandfile.membership.eligibility import format_date
from rankandfile.membership.models import CLP, Affiliate, Gender, Member


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _require_manager(actor: User) -> None:
    if not permissions.can_manage_conference(actor):
        raise PermissionDenied("only the conference arrangements committee may do this")


def _when(t: dt.datetime) -> str:
    local = timezone.localtime(t)
    return f"{local:%H:%M} on {format_date(local.date())}"


# --- Rule book ---------------------------------------------------------------------------
@transaction.atomic
def rule_book_load(*, actor: User | None) -> int:
    """Load the shipped rule book (rulebook_data): the historic conferences and every
    version with its clauses. Idempotent: versions already stored are left alone.
    Returns the number of versions added."""
    for c in rulebook_data.HISTORIC_CONFERENCES:
        Conference.objects.get_or_create(
            year=c.year,
            defaults={
                "title": c.title,
                "venue": c.venue,
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
            },
        )
    added = 0
    previous: dict[str, str] = {}
    for v in rulebook_data.VERSIONS:
        adopted = Conference.objects.get(year=v.adopted_year) if v.adopted_year else None
        texts = rulebook_data.clause_texts(v.parameters)
        if RuleBookVersion.objects.filter(number=v.number).exists():
            previous = {c.number: t for c, t in texts}
            continue
        version = RuleBookVersion.objects.create(
            number=v.number,
            title=v.title,
            effective_from=v.effective_from,
            adopted_by=adopted,
            parameters=v.parameters.to_json(),
            note=v.note,
        )
        prior = RuleClause.objects.filter(version__number=v.number - 1)
        prior_by_number = {c.number: c for c in prior}
        for pos, (spec, text) in enumerate(texts, start=1):
            old = prior_by_number.get(spec.number)
            if old is not None and old.text == text:
                origin, since = old.origin, old.since_year
            elif adopted is not None:
                origin = f"Rule change carried at the {adopted.year} conference"
                since = adopted.year
            else:
                origin, since = "In the rule book before 2017", None
            RuleClause.objects.create(
                version=version,
                number=spec.number,
                chapter=spec.chapter,
                heading=spec.heading,
                text=text,
                position=pos,
                origin=origin,
                since_year=since,
            )
        previous = {c.number: t for c, t in texts}
        audit.record(actor=actor, action="conference.rule_book_load", target=version)
        added += 1
    del previous
    return added


# --- Conference set-up ---------------------------------------------------------------------
@transaction.atomic
def conference_create(
    *,
    actor: User,
    year: int,
    title: str,
    venue: str,
    starts_on: dt.date,
    ends_on: dt.date,
    motions_deadline: dt.datetime,
    rule_changes_deadline: dt.datetime,
    amendments_deadline: dt.datetime,
    delegates_deadline: dt.datetime,
    census_date: dt.date,
) -> Conference:
    """Set up a conference and its deadlines (CAC). The deadlines must fall before the
    conference opens and the census date on or before the motions deadline."""
    _require_manager(actor)
    if ends_on < starts_on:
        raise DomainError("the conference cannot end before it starts")
    if Conference.objects.filter(year=year).exists():
        raise DomainError(f"there is already a conference in {year}")
    opens = dt.datetime.combine(starts_on, dt.time(9), tzinfo=timezone.get_current_timezone())
    for label, d in (
        ("motions", motions_deadline),
        ("rule changes", rule_changes_deadline),
        ("amendments", amendments_deadline),
        ("delegate registration", delegates_deadline),
    ):
        if d >= opens:
            raise DomainError(f"the deadline for {label} must be before the conference opens")
    if census_date > starts_on:
        raise DomainError("the census date must be before the conference")
    conf = Conference.objects.create(
        year=year, title=title.strip(), venue=venue.strip(), starts_on=starts_on, ends_on=ends_on
    )
    ConferenceDates.objects.create(
        conference=conf,
        motions_deadline=motions_deadline,
        rule_changes_deadline=rule_changes_deadline,
        amendments_deadline=amendments_deadline,
        delegates_deadline=delegates_deadline,
        census_date=census_date,
    )
    audit.record(actor=actor, action="conference.create", target=conf)
    return conf


# --- Submissions -----------------------------------------------------------------------
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
        return (
            f"conference decided on clause {clause_number} in {y}; under the three-year rule "
            f"(clause 3.II.4) no proposal on it may be debated before {y + p.three_year_rule_years}"
        )
    changed = (
        RuleClause.objects.filter(number=clause_number, since_year__gt=since, since_year__lt=year)
        .order_by("-since_year")
        .first()
    )
    if changed is not None and changed.since_year is not None:
        y = changed.since_year
        return (
            f"clause {clause_number} was changed by the {y} conference; under the three-year "
            f"rule (clause 3.II.4) no proposal on it may be debated before "
            f"{y + p.three_year_rule_years}"
        )
    return None


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
    parameter_changes: dict[str, Any] | None = None,
    supersedes: ProgrammeEntry | None = None,
    now: dt.datetime | None = None,
) -> Submission:
    """Submit a motion or a rule change for a CLP or an affiliate (clauses 3.II.1-4).

    Checks, each with its own message: the actor is an officer of the organisation; the
    deadline; one item per organisation (``submissions_per_organisation``); the motion's
    word and title limits; the meeting that agreed it (held, not in the future, more
    for than against); for a rule change the clause exists in the rule book in force, the
    new text differs, the parameters are valid, and the three-year rule. A CLP rule change
    is timetabled ``clp_rule_change_delay_years`` later (clause 3.II.3).
    """
    at = _now(now)
    if (clp is None) == (affiliate is None):
        raise DomainError("choose the CLP or the affiliate submitting this")
    if clp is not None and not permissions.can_submit_for_clp(actor, clp):
        raise PermissionDenied(f"you are not an officer of {clp}")
    if affiliate is not None and not permissions.can_submit_for_affiliate(actor, affiliate):
        raise PermissionDenied(f"you are not an officer of {affiliate}")
    if kind not in Submission.Kind.values:
        raise DomainError("choose a motion or a rule change")
    dates = conference.dates
    deadline = (
        dates.motions_deadline if kind == Submission.Kind.MOTION else dates.rule_changes_deadline
    )
    what = "motions" if kind == Submission.Kind.MOTION else "rule changes"
    if at > deadline:
        raise DomainError(
            f"the deadline for {what} to the {conference.year} conference "
            f"passed at {_when(deadline)}"
        )
    p = parameters_in_force(on=timezone.localdate(at))
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise DomainError("a submission needs a title and a text")
    n_title = procedure.word_count(title)
    if n_title > p.motion_title_max_words:
        raise DomainError(
            f"the title has {n_title} words; the limit is "
            f"{p.motion_title_max_words} (clause 3.II.2)"
        )
    n_words = procedure.word_count(text)
    if kind == Submission.Kind.MOTION and n_words > p.motion_max_words:
        raise DomainError(
            f"the motion has {n_words} words; the limit is {p.motion_max_words} (clause 3.II.2)"
        )
    used = _org_count(conference, clp, affiliate)
    if used >= p.submissions_per_organisation:
        org = clp or affiliate
        raise DomainError(
            f"{org} has already submitted {used} item{'s' if used != 1 else ''} to this "
            f"conference; each organisation may submit {p.submissions_per_organisation} "
            f"(a motion or a rule change, clause 3.II.1). Withdraw it first to submit another."
        )
    if meeting_date > timezone.localdate(at):
        raise DomainError("the meeting that agreed the submission cannot be in the future")
    if min(meeting_for, meeting_against, meeting_abstain) < 0:
        raise DomainError("vote counts cannot be negative")
    if meeting_for <= meeting_against:
        raise DomainError(
            f"the meeting's vote ({meeting_for} for, {meeting_against} against) did not agree "
            "the submission: it needs more votes for than against"
        )
    debate_year = conference.year
    params: dict[str, Any] = {}
    if kind == Submission.Kind.RULE_CHANGE:
        clause_number = clause_number.strip()
        book = rule_book_in_force(on=timezone.localdate(at))
        clause = book.clauses.filter(number=clause_number).first() if book else None
        if clause is None:
            raise DomainError(f"there is no clause {clause_number!r} in the rule book in force")
        if clause.text.strip() == text:
            raise DomainError(
                f"the new text of clause {clause_number} is the same as the current text"
            )
        if parameter_changes:
            try:
                merged = {**p.to_json(), **parameter_changes}
                RuleParameters.from_json(merged)
            except (ValueError, TypeError) as exc:
                raise DomainError(f"the parameter changes are not valid: {exc}") from exc
            params = dict(parameter_changes)
        if clp is not None:
            debate_year = conference.year + p.clp_rule_change_delay_years
        problem = three_year_rule_problem(clause_number=clause_number, year=debate_year, p=p)
        if problem:
            raise DomainError(problem)
    else:
        clause_number = ""
        if supersedes is not None and supersedes.removed_in_id is not None:
            raise DomainError("that programme entry has already been superseded")
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
        parameter_changes=params,
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
def submission_withdraw(*, actor: User, submission: Submission) -> Submission:
    if not permissions.is_sponsor(actor, submission):
        raise PermissionDenied("only an officer of the submitting organisation may withdraw it")
    if submission.status in (Submission.Status.COMPOSITED, Submission.Status.WITHDRAWN):
        raise DomainError(
            f"a submission that is {submission.get_status_display().lower()} cannot be withdrawn"
        )
    submission.status = Submission.Status.WITHDRAWN
    submission.save(update_fields=["status"])
    audit.record(actor=actor, action="conference.submission_withdraw", target=submission)
    return submission


# --- Arrangements (CAC) -------------------------------------------------------------------
@transaction.atomic
def topic_create(*, actor: User, conference: Conference, name: str) -> Topic:
    _require_manager(actor)
    name = name.strip()
    if not name:
        raise DomainError("a topic needs a name")
    if Topic.objects.filter(conference=conference, name__iexact=name).exists():
        raise DomainError(f"there is already a topic called {name!r}")
    pos = (Topic.objects.filter(conference=conference).aggregate(m=Max("position"))["m"] or 0) + 1
    topic = Topic.objects.create(conference=conference, name=name, position=pos)
    audit.record(actor=actor, action="conference.topic_create", target=topic)
    return topic


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
    _require_manager(actor)
    sub = Submission.objects.select_for_update().get(pk=submission.pk)
    if sub.status in (Submission.Status.WITHDRAWN, Submission.Status.COMPOSITED):
        raise DomainError(f"the submission is {sub.get_status_display().lower()}")
    reason = reason.strip()
    if not in_order and not reason:
        raise DomainError("give the reason the submission is out of order; the submitter sees it")
    if in_order and sub.kind == Submission.Kind.MOTION:
        if topic is None:
            raise DomainError("choose the topic this motion goes under")
        if topic.conference_id != sub.conference_id:
            raise DomainError("that topic belongs to another conference")
    sub.status = Submission.Status.IN_ORDER if in_order else Submission.Status.OUT_OF_ORDER
    sub.ruling_reason = reason
    sub.ruled_by = actor
    sub.ruled_at = _now(now)
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
    _require_manager(actor)
    pending = Submission.objects.filter(
        debate_year=conference.year, status=Submission.Status.SUBMITTED
    ).count()
    if pending:
        raise DomainError(
            f"{pending} submission{'s are' if pending != 1 else ' is'} still awaiting a ruling"
        )
    dates = conference.dates
    dates.agenda_published_at = _now(now)
    dates.save(update_fields=["agenda_published_at"])
    audit.record(actor=actor, action="conference.agenda_publish", target=conference)
    return conference


# --- Amendments --------------------------------------------------------------------------
def _target_text(target: Submission | Composite) -> str:
    return target.text


def target_problem(conference: Conference, target: Submission | Composite) -> str | None:
    """Why ``target`` cannot be amended (None: it can): it must be on the conference's
    published agenda — a motion or rule change in order and debated this year, or a
    composite agreed by every mover."""
    dates = conference.dates
    if dates.agenda_published_at is None:
        return "amendments are to items on the published agenda, and it is not published yet"
    if isinstance(target, Composite):
        if target.conference_id != conference.pk:
            return f"composite {target.number} is not on the agenda of this conference"
        if target.status != Composite.Status.AGREED:
            return f"composite {target.number} is still being agreed by its movers"
        return None
    if target.debate_year != conference.year:
        return f"{target.reference} is not on the agenda of the {conference.year} conference"
    if target.status != Submission.Status.IN_ORDER:
        return (
            f"{target.reference} is {target.get_status_display().lower()}; only an item in "
            "order on the published agenda can be amended"
        )
    return None


def _amendment_exists(
    target: Submission | Composite, clp: CLP | None, affiliate: Affiliate | None
) -> bool:
    qs = Amendment.objects.exclude(status=Amendment.Status.WITHDRAWN)
    qs = (
        qs.filter(composite=target)
        if isinstance(target, Composite)
        else qs.filter(submission=target)
    )
    return qs.filter(clp=clp).exists() if clp else qs.filter(affiliate=affiliate).exists()


@transaction.atomic
def amendment_create(
    *,
    actor: User,
    conference: Conference,
    target: Submission | Composite,
    text: str,
    note: str = "",
    clp: CLP | None = None,
    affiliate: Affiliate | None = None,
    now: dt.datetime | None = None,
) -> Amendment:
    """A CLP or affiliate amends a motion, composite or rule change on the published agenda.

    ``text`` is the target's whole text as the amendment would leave it (words deleted and
    inserted); it is stored with the text it was written against. Checks, each with its own
    message: an officer of the organisation; before the amendments deadline; the target on
    the published agenda; not the organisation's own motion; the text changes something and
    at most ``amendment_max_words`` words (deleted plus inserted); one amendment per
    organisation per target."""
    at = _now(now)
    if (clp is None) == (affiliate is None):
        raise DomainError("choose the CLP or the affiliate moving this amendment")
    if clp is not None and not permissions.can_submit_for_clp(actor, clp):
        raise PermissionDenied(f"you are not an officer of {clp}")
    if affiliate is not None and not permissions.can_submit_for_affiliate(actor, affiliate):
        raise PermissionDenied(f"you are not an officer of {affiliate}")
    deadline = conference.dates.amendments_deadline
    if at > deadline:
        raise DomainError(
            f"the deadline for amendments to the {conference.year} conference "
            f"passed at {_when(deadline)}"
        )
    problem = target_problem(conference, target)
    if problem:
        raise DomainError(problem)
    org = clp or affiliate
    if isinstance(target, Submission) and (
        (clp is not None and target.clp_id == clp.pk)
        or (affiliate is not None and target.affiliate_id == affiliate.pk)
    ):
        raise DomainError(f"{org} moves {target.reference}; it cannot amend its own motion")
    base = _target_text(target).strip()
    text = text.strip()
    if not text or text == base or procedure.words_changed(base, text) == 0:
        raise DomainError(
            "the amendment changes nothing: delete or insert words in the target's text"
        )
    p = parameters_in_force(on=timezone.localdate(at))
    n = procedure.words_changed(base, text)
    if n > p.amendment_max_words:
        raise DomainError(
            f"the amendment changes {n} words (deleted plus inserted); the limit is "
            f"{p.amendment_max_words}"
        )
    if _amendment_exists(target, clp, affiliate):
        label = f"composite {target.number}" if isinstance(target, Composite) else target.reference
        raise DomainError(
            f"{org} has already submitted an amendment to {label}; each organisation may move "
            "one amendment to each item. Withdraw it first to submit another."
        )
    seq = Amendment.objects.filter(conference=conference).count() + 1
    amendment = Amendment.objects.create(
        conference=conference,
        reference=f"{conference.year}/A{seq:03d}",
        submission=target if isinstance(target, Submission) else None,
        composite=target if isinstance(target, Composite) else None,
        clp=clp,
        affiliate=affiliate,
        base_text=base,
        text=text,
        words_changed=n,
        note=note.strip(),
        submitted_by=actor,
        submitted_at=at,
    )
    audit.record(
        actor=actor,
        action="conference.amendment_create",
        target=amendment,
        data={"target": str(target), "words_changed": n},
    )
    return amendment


@transaction.atomic
def amendment_withdraw(*, actor: User, amendment: Amendment) -> Amendment:
    if not permissions.is_amendment_sponsor(actor, amendment):
        raise PermissionDenied("only an officer of the moving organisation may withdraw it")
    if amendment.status == Amendment.Status.WITHDRAWN or amendment.items.exists():
        raise DomainError("this amendment can no longer be withdrawn")
    amendment.status = Amendment.Status.WITHDRAWN
    amendment.save(update_fields=["status"])
    audit.record(actor=actor, action="conference.amendment_withdraw", target=amendment)
    return amendment


@transaction.atomic
def amendment_rule(
    *,
    actor: User,
    amendment: Amendment,
    in_order: bool,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Amendment:
    """The CAC rules an amendment in or out of order, always with a written reason when
    out of order (the mover sees it). A ruling can be changed until the amendment is on
    the floor."""
    _require_manager(actor)
    a = Amendment.objects.select_for_update().get(pk=amendment.pk)
    if a.status == Amendment.Status.WITHDRAWN:
        raise DomainError("the amendment has been withdrawn")
    if a.items.exists():
        raise DomainError("the amendment is already on the floor; its ruling is final")
    reason = reason.strip()
    if not in_order and not reason:
        raise DomainError("give the reason the amendment is out of order; the mover sees it")
    a.status = Amendment.Status.IN_ORDER if in_order else Amendment.Status.OUT_OF_ORDER
    a.ruling_reason = reason
    a.ruled_by = actor
    a.ruled_at = _now(now)
    a.save(update_fields=["status", "ruling_reason", "ruled_by", "ruled_at"])
    audit.record(
        actor=actor,
        action="conference.amendment_rule",
        target=a,
        data={"in_order": in_order, "reason": reason},
    )
    return a


def _target_item(amendment: Amendment) -> AgendaItem | None:
    qs = AgendaItem.objects.filter(session__conference_id=amendment.conference_id)
    if amendment.composite_id is not None:
        qs = qs.filter(composite_id=amendment.composite_id)
    elif amendment.submission_id is not None:
        qs = qs.filter(submission_id=amendment.submission_id)
    return qs.order_by("pk").first()


def undecided_amendments(item: AgendaItem) -> list[Amendment]:
    """In-order amendments to the item's motion, composite or rule change whose own vote
    has not been decided (they must be voted before the item)."""
    if item.submission_id is None and item.composite_id is None:
        return []
    qs = Amendment.objects.filter(status=Amendment.Status.IN_ORDER)
    if item.composite_id is not None:
        qs = qs.filter(composite_id=item.composite_id)
    elif item.submission_id is not None:
        qs = qs.filter(submission_id=item.submission_id)
    decided = AgendaItem.objects.filter(amendment=OuterRef("pk"), state=AgendaItem.State.CLOSED)
    return list(qs.exclude(Exists(decided)).order_by("reference"))


def _require_amendments_decided(item: AgendaItem) -> None:
    pending = undecided_amendments(item)
    if pending:
        refs = ", ".join(a.reference for a in pending)
        raise DomainError(
            f"vote on the amendment{'s' if len(pending) != 1 else ''} {refs} first: "
            "amendments in order are decided before the item they amend"
        )


def _apply_carried_amendment(actor: User, item: AgendaItem) -> None:
    """A carried amendment changes the text its target is voted on (kept on the target's
    agenda item; the amendment keeps the text after it, its provenance)."""
    assert item.amendment_id is not None
    amendment = Amendment.objects.select_for_update().get(pk=item.amendment_id)
    target_item = _target_item(amendment)
    if target_item is None:  # pragma: no cover - item_create requires the target's item
        raise DomainError("the item this amendment amends is not on the floor")
    target_item = AgendaItem.objects.select_for_update().get(pk=target_item.pk)
    current = target_item.amended_text or _target_text(amendment.target).strip()
    new = procedure.apply_amendment(amendment.base_text, amendment.text, current)
    if new is None:
        amendment.fell = True
        amendment.save(update_fields=["fell"])
        audit.record(actor=actor, action="conference.amendment_fell", target=amendment)
        return
    amendment.text_after = new
    amendment.save(update_fields=["text_after"])
    target_item.amended_text = new
    target_item.save(update_fields=["amended_text"])
    audit.record(
        actor=actor,
        action="conference.amendment_carried",
        target=amendment,
        data={"item": target_item.pk},
    )


def carried_amendments(item: AgendaItem) -> list[Amendment]:
    """The amendments carried (and applied) to the item's text, in the order voted."""
    if item.submission_id is None and item.composite_id is None:
        return []
    qs = Amendment.objects.filter(
        items__state=AgendaItem.State.CLOSED,
        items__outcome=AgendaItem.Outcome.CARRIED,
        fell=False,
    )
    if item.composite_id is not None:
        qs = qs.filter(composite_id=item.composite_id)
    elif item.submission_id is not None:
        qs = qs.filter(submission_id=item.submission_id)
    return list(qs.select_related("clp", "affiliate").order_by("items__closed_at", "reference"))


# --- Delegates ----------------------------------------------------------------------------
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
    at = _now(now)
    clp = member.clp
    if not permissions.can_manage_delegates(actor, clp):
        raise PermissionDenied(f"you may not register delegates for {clp}")
    dates = conference.dates
    if at > dates.delegates_deadline and not permissions.can_manage_conference(actor):
        raise DomainError(f"delegate registration closed at {_when(dates.delegates_deadline)}")
    if kind not in Delegate.Kind.values:
        raise DomainError("unknown kind of delegate")
    if method == Delegate.Method.MEETING and meeting_date is None:
        raise DomainError("give the date of the meeting that elected the delegate")
    p = queries.conference_parameters(conference)
    census = dates.census_date
    ent = queries.clp_entitlement(conference, clp.pk)
    member_on = (
        member.periods.filter(kind="membership", start__lte=census)
        .filter(Q(end__isnull=True) | Q(end__gt=census))
        .exists()
    )
    if not member_on:
        raise DomainError(f"{member} was not a member on the census date ({format_date(census)})")
    existing = list(
        Delegate.objects.select_for_update()
        .filter(conference=conference, clp=clp)
        .select_related("member")
    )
    if any(d.member_id == member.pk for d in existing):
        raise DomainError(f"{member} is already a delegate")
    rows = [
        (d.kind, d.member.gender == Gender.WOMAN, _is_young(d.member, census, p)) for d in existing
    ]
    new_row = (kind, member.gender == Gender.WOMAN, _is_young(member, census, p))
    problems = procedure.delegation_problems(ent, [*rows, new_row])
    general = [r for r in [*rows, new_row] if r[0] == Delegate.Kind.GENERAL]
    single_after_man = ent.general == 1 and _last_single_delegate_not_woman(conference, clp)
    balance = procedure.gender_balance_problem(
        ent,
        sum(1 for r in general if r[1]),
        len(general),
        single_after_man=single_after_man,
    )
    if balance:
        problems.append(balance)
    if problems:
        raise DomainError(f"{clp}: " + "; ".join(problems))
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
        raise DomainError("could not issue a credential; try again")
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
        raise DomainError("that ballot is not a ballot of this CLP")
    if ballot.state != "declared" or not ballot.result:
        raise DomainError("the ballot has not been declared yet")
    out = []
    for name in ballot.result.get("elected", []):
        m = _NUMBER_IN_BRACKETS.search(name)
        member = Member.objects.filter(clp=clp, membership_number=m.group(1)).first() if m else None
        if member is None:
            raise DomainError(
                f"cannot find the member for {name!r}: option names must end "
                "with the membership number in brackets"
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
        raise PermissionDenied("you may not check in this delegate")
    if delegate.checked_in_at is not None:
        raise DomainError(
            f"{delegate.member} was already checked in at {_when(delegate.checked_in_at)}"
        )
    delegate.checked_in_at = _now(now)
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
    at = _now(now)
    if not (
        permissions.can_submit_for_affiliate(actor, affiliate)
        or permissions.can_manage_conference(actor)
    ):
        raise PermissionDenied(f"you may not register {affiliate}'s delegation")
    if at > conference.dates.delegates_deadline and not permissions.can_manage_conference(actor):
        raise DomainError(
            f"delegate registration closed at {_when(conference.dates.delegates_deadline)}"
        )
    year = affiliate.years.filter(year__lte=conference.year).order_by("-year").first()
    if year is None:
        raise DomainError(
            f"{affiliate} has no affiliated membership recorded for {conference.year}"
        )
    if size < 1:
        raise DomainError("a delegation has at least one delegate")
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
    _require_manager(actor)
    if delegation.checked_in_at is not None:
        raise DomainError("the delegation is already checked in")
    delegation.checked_in_at = _now(now)
    delegation.save(update_fields=["checked_in_at"])
    audit.record(actor=actor, action="conference.delegation_check_in", target=delegation)
    return delegation


# --- Priorities ballot (appendix 6, clause A6.1) --------------------------------------------
@transaction.atomic
def priorities_open(
    *, actor: User, conference: Conference, now: dt.datetime | None = None
) -> Conference:
    _require_manager(actor)
    dates = conference.dates
    if dates.agenda_published_at is None:
        raise DomainError("publish the agenda before opening the priorities ballot")
    if dates.priorities_opened_at is not None:
        raise DomainError("the priorities ballot has already been opened")
    if not Topic.objects.filter(conference=conference).exists():
        raise DomainError("there are no topics to prioritise")
    dates.priorities_opened_at = _now(now)
    dates.save(update_fields=["priorities_opened_at"])
    audit.record(actor=actor, action="conference.priorities_open", target=conference)
    return conference


def _voter_units(actor: User, conference: Conference) -> tuple[set[int], set[int]]:
    """CLPs and affiliates the actor may cast the priorities vote for: a delegate of the
    CLP or its officer; the delegation's leader or an affiliate officer."""
    from rankandfile.membership import permissions as mp

    clps = set(mp.officer_clp_ids(actor))
    me = mp.own_member(actor)
    if me is not None:
        clps |= set(
            Delegate.objects.filter(conference=conference, member=me).values_list(
                "clp_id", flat=True
            )
        )
    affs = set(mp.officer_affiliate_ids(actor))
    affs |= set(
        AffiliateDelegation.objects.filter(conference=conference, leader=actor).values_list(
            "affiliate_id", flat=True
        )
    )
    return clps, affs


def priorities_units(actor: User, conference: Conference) -> tuple[list[CLP], list[Affiliate]]:
    clps, affs = _voter_units(actor, conference)
    return (
        list(CLP.objects.filter(pk__in=clps).order_by("name")),
        list(Affiliate.objects.filter(pk__in=affs).order_by("name")),
    )


@transaction.atomic
def priorities_cast(
    *,
    actor: User,
    conference: Conference,
    topics: Sequence[Topic],
    clp: CLP | None = None,
    affiliate: Affiliate | None = None,
    now: dt.datetime | None = None,
) -> PriorityChoice:
    """One vote per CLP delegation and per affiliate: up to N distinct topics."""
    dates = conference.dates
    if dates.priorities_opened_at is None or dates.priorities_closed_at is not None:
        raise DomainError("the priorities ballot is not open")
    if (clp is None) == (affiliate is None):
        raise DomainError("choose the CLP or affiliate you vote for")
    clps, affs = _voter_units(actor, conference)
    if clp is not None and clp.pk not in clps:
        raise PermissionDenied(f"you may not vote for {clp}")
    if affiliate is not None and affiliate.pk not in affs:
        raise PermissionDenied(f"you may not vote for {affiliate}")
    p = queries.conference_parameters(conference)
    chosen = {t.pk: t for t in topics}
    if not chosen:
        raise DomainError("choose at least one topic")
    if len(chosen) > p.priorities_topics_per_section:
        raise DomainError(
            f"choose at most {p.priorities_topics_per_section} topics "
            f"(you chose {len(chosen)}; clause A6.1)"
        )
    if any(t.conference_id != conference.pk for t in chosen.values()):
        raise DomainError("a topic chosen is not on this conference's agenda")
    try:
        with transaction.atomic():
            pc = PriorityChoice.objects.create(
                conference=conference,
                section="clp" if clp else "affiliate",
                clp=clp,
                affiliate=affiliate,
                cast_by=actor,
                cast_at=_now(now),
            )
    except IntegrityError as exc:
        raise DomainError(f"{clp or affiliate} has already voted in the priorities ballot") from exc
    pc.topics.set(chosen.values())
    audit.record(
        actor=actor,
        action="conference.priorities_cast",
        target=conference,
        data={"unit": str(clp or affiliate)},
    )
    return pc


@transaction.atomic
def priorities_close(
    *, actor: User, conference: Conference, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Count per section (``counting.topn``): each section's top N; the union is debated.
    Ties at the N-th place are all included (nobody's topic loses on a lot)."""
    _require_manager(actor)
    dates = conference.dates
    if dates.priorities_opened_at is None or dates.priorities_closed_at is not None:
        raise DomainError("the priorities ballot is not open")
    p = queries.conference_parameters(conference)
    topics = list(Topic.objects.filter(conference=conference).order_by("position", "name"))
    names = [t.name for t in topics]
    index = {t.pk: i for i, t in enumerate(topics)}
    tallies = []
    for section in ("clp", "affiliate"):
        votes = [0] * len(topics)
        voters = 0
        for pc in PriorityChoice.objects.filter(
            conference=conference, section=section
        ).prefetch_related("topics"):
            voters += 1
            for t in pc.topics.all():
                votes[index[t.pk]] += 1
        tallies.append(SectionTally(name=section, votes=tuple(votes), voters=voters))
    result = count_priorities(
        names, tallies, n=p.priorities_topics_per_section, ties=TieRule.INCLUDE_ALL
    )
    for i, t in enumerate(topics):
        by = [s.name for s in result.sections if i in s.prioritised]
        t.debated = bool(by)
        t.prioritised_by = ", ".join(by)
        t.save(update_fields=["debated", "prioritised_by"])
    dates.priorities_closed_at = _now(now)
    dates.priorities_result = result.to_dict()
    dates.save(update_fields=["priorities_closed_at", "priorities_result"])
    audit.record(
        actor=actor,
        action="conference.priorities_close",
        target=conference,
        data={"debated": list(result.debated_names)},
    )
    return result.to_dict()


# --- Compositing (clause A6.2) -------------------------------------------------------------
def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def composite_create(*, actor: User, topic: Topic, title: str, text: str) -> Composite:
    """Start a composite on a topic; its originals are the topic's motions in order."""
    _require_manager(actor)
    if not Submission.objects.filter(
        topic=topic, status=Submission.Status.IN_ORDER, kind=Submission.Kind.MOTION
    ).exists():
        raise DomainError(f"there are no motions in order on {topic} to composite")
    if not title.strip() or not text.strip():
        raise DomainError("a composite needs a title and a text")
    n = (
        Composite.objects.filter(conference=topic.conference).aggregate(m=Max("number"))["m"] or 0
    ) + 1
    c = Composite.objects.create(
        conference=topic.conference,
        topic=topic,
        number=n,
        title=title.strip(),
        text=text.strip(),
        drafted_by=actor,
    )
    audit.record(actor=actor, action="conference.composite_create", target=c)
    return c


@transaction.atomic
def composite_update(*, actor: User, composite: Composite, title: str, text: str) -> Composite:
    """Redraft; every sign-off is withdrawn because the wording agreed has changed."""
    _require_manager(actor)
    if composite.status == Composite.Status.AGREED:
        raise DomainError("the composite has been agreed by every mover and is final")
    if not title.strip() or not text.strip():
        raise DomainError("a composite needs a title and a text")
    composite.title, composite.text = title.strip(), text.strip()
    composite.save(update_fields=["title", "text", "updated_at"])
    dropped = CompositeSignoff.objects.filter(composite=composite).delete()[0]
    audit.record(
        actor=actor,
        action="conference.composite_update",
        target=composite,
        data={"signoffs_withdrawn": dropped},
    )
    return composite


@transaction.atomic
def composite_sign(
    *, actor: User, composite: Composite, submission: Submission, now: dt.datetime | None = None
) -> Composite:
    """A mover agrees the wording. When every original's mover has agreed, the composite is
    final and the originals are marked composited (linked both ways)."""
    view = queries.composite_view(composite)
    if submission.pk not in {s.pk for s in view.originals}:
        raise DomainError("that motion is not one of this composite's originals")
    if not permissions.can_sign_composite(actor, submission):
        raise PermissionDenied("only the mover's organisation may agree the composite")
    if composite.status == Composite.Status.AGREED:
        raise DomainError("the composite is already agreed")
    if submission.pk in view.signed:
        raise DomainError(f"{submission.organisation_name} has already agreed this wording")
    CompositeSignoff.objects.create(
        composite=composite,
        submission=submission,
        signed_by=actor,
        signed_at=_now(now),
        text_digest=_digest(composite.text),
    )
    audit.record(
        actor=actor,
        action="conference.composite_sign",
        target=composite,
        data={"submission": submission.reference},
    )
    if len(view.unsigned) == 1:  # this was the last one
        composite.status = Composite.Status.AGREED
        composite.save(update_fields=["status", "updated_at"])
        Submission.objects.filter(pk__in=[s.pk for s in view.originals]).update(
            status=Submission.Status.COMPOSITED, composite=composite
        )
        audit.record(actor=actor, action="conference.composite_agreed", target=composite)
    return composite


# --- The floor -------------------------------------------------------------------------------
@transaction.atomic
def session_create(
    *, actor: User, conference: Conference, title: str, starts_at: dt.datetime
) -> FloorSession:
    _require_manager(actor)
    s = FloorSession.objects.create(conference=conference, title=title.strip(), starts_at=starts_at)
    audit.record(actor=actor, action="conference.session_create", target=s)
    return s


@transaction.atomic
def item_create(
    *,
    actor: User,
    session: FloorSession,
    title: str = "",
    submission: Submission | None = None,
    composite: Composite | None = None,
    amendment: Amendment | None = None,
    method: str = AgendaItem.Method.CARD,
) -> AgendaItem:
    """Put business on the floor. An amendment goes immediately before the item it
    amends (which must already be on the floor and not yet voted on)."""
    _require_manager(actor)
    if submission is not None and composite is not None:
        raise DomainError("an item is either a motion or a composite, not both")
    if amendment is not None:
        return _amendment_item_create(actor, session, amendment, method)
    if submission is not None:
        if submission.status != Submission.Status.IN_ORDER:
            raise DomainError(
                f"{submission.reference} is {submission.get_status_display().lower()}; "
                "only a submission in order goes on the floor"
            )
        if submission.debate_year != session.conference.year:
            raise DomainError(
                f"{submission.reference} is timetabled for the {submission.debate_year} conference"
            )
    if composite is not None and composite.status != Composite.Status.AGREED:
        raise DomainError("the composite must be agreed by every mover first")
    title = (
        title.strip()
        or (composite and f"Composite {composite.number}: {composite.title}")
        or (submission and f"{submission.reference} {submission.title}")
        or ""
    )
    if not title:
        raise DomainError("an agenda item needs a title")
    pos = (AgendaItem.objects.filter(session=session).aggregate(m=Max("position"))["m"] or 0) + 1
    item = AgendaItem.objects.create(
        session=session,
        position=pos,
        title=title[:200],
        submission=submission,
        composite=composite,
        method=method,
    )
    audit.record(actor=actor, action="conference.item_create", target=item)
    return item


def _amendment_item_create(
    actor: User, session: FloorSession, amendment: Amendment, method: str
) -> AgendaItem:
    if amendment.status != Amendment.Status.IN_ORDER:
        raise DomainError(
            f"amendment {amendment.reference} is {amendment.get_status_display().lower()}; "
            "only an amendment in order goes on the floor"
        )
    if amendment.conference_id != session.conference_id:
        raise DomainError(f"amendment {amendment.reference} is to another conference")
    if amendment.items.exists():
        raise DomainError(f"amendment {amendment.reference} is already on the floor")
    target = _target_item(amendment)
    if target is None:
        raise DomainError(
            f"put {amendment.target_label} on the floor first; its amendments are voted "
            "immediately before it"
        )
    if target.state != AgendaItem.State.PENDING:
        raise DomainError(f"{target.title} has already been put to the vote")
    AgendaItem.objects.filter(session=target.session, position__gte=target.position).update(
        position=F("position") + 1
    )
    item = AgendaItem.objects.create(
        session=target.session,
        position=target.position,
        title=f"Amendment {amendment.reference} ({amendment.organisation_name}) to "
        f"{amendment.target_label}"[:200],
        amendment=amendment,
        method=method,
    )
    audit.record(actor=actor, action="conference.item_create", target=item)
    return item


@transaction.atomic
def card_vote_open(*, actor: User, item: AgendaItem, now: dt.datetime | None = None) -> int:
    """Open a card vote: issue a card to every checked-in CLP delegate and every checked-in
    affiliate delegation (clause 3.IV.1). A CLP's membership at the census date is shared
    equally among its delegates present; the cards are frozen now, so a late arrival does
    not change the weights mid-vote. Returns the number of cards."""
    _require_manager(actor)
    item = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("session__conference__dates")
        .get(pk=item.pk)
    )
    if item.method != AgendaItem.Method.CARD:
        raise DomainError("this item is decided by a show of hands")
    if item.state != AgendaItem.State.PENDING:
        raise DomainError(f"the vote is {item.get_state_display().lower()}")
    _require_amendments_decided(item)
    conference = item.session.conference
    if AgendaItem.objects.filter(
        session__conference=conference, state=AgendaItem.State.OPEN
    ).exists():
        raise DomainError("another vote is open; close it first")
    p = queries.conference_parameters(conference)
    present = list(
        Delegate.objects.filter(conference=conference, checked_in_at__isnull=False).select_related(
            "member__user", "clp"
        )
    )
    by_clp: dict[int, list[Delegate]] = {}
    for d in present:
        by_clp.setdefault(d.clp_id, []).append(d)
    weights = queries.clp_membership(conference.dates.census_date, p, list(by_clp))
    cards = []
    for clp_id, ds in by_clp.items():
        weight = weights.get(clp_id, (0, 0, 0))[0]
        for d in ds:
            # A delegate without a login still has a card: the CAC records it on paper.
            user_id = d.member.user_id
            cards.append(
                Card(
                    item=item,
                    section="clp",
                    unit_id=clp_id,
                    unit_name=d.clp.name,
                    unit_weight=weight,
                    unit_present=len(ds),
                    user_id=user_id,
                    delegate=d,
                )
            )
    for dl in AffiliateDelegation.objects.filter(
        conference=conference, checked_in_at__isnull=False
    ).select_related("affiliate"):
        cards.append(
            Card(
                item=item,
                section="affiliate",
                unit_id=dl.affiliate_id,
                unit_name=dl.affiliate.name,
                unit_weight=dl.affiliated_members,
                unit_present=1,
                user_id=dl.leader_id,
                delegation=dl,
            )
        )
    if not cards:
        raise DomainError("no delegates are checked in: nobody could vote")
    Card.objects.bulk_create(cards, batch_size=1000)
    item.state = AgendaItem.State.OPEN
    item.opened_at = _now(now)
    item.save(update_fields=["state", "opened_at"])
    audit.record(
        actor=actor, action="conference.card_vote_open", target=item, data={"cards": len(cards)}
    )
    return len(cards)


def card_cast(*, actor: User, card_id: int, choice: str, now: dt.datetime | None = None) -> None:
    """Cast (or change, while the vote is open) the actor's card: one UPDATE.

    Refused for someone else's card (the same error as a card that does not exist), an
    unknown choice, or a vote that is not open."""
    if choice not in (Card.Choice.FOR, Card.Choice.AGAINST, Card.Choice.ABSTAIN):
        raise DomainError("vote for, against or abstain")
    n = Card.objects.filter(pk=card_id, user=actor, item__state=AgendaItem.State.OPEN).update(
        choice=choice, cast_at=_now(now)
    )
    if n == 0:
        if Card.objects.filter(pk=card_id, user=actor).exists():
            raise DomainError("this vote is not open")
        raise PermissionDenied("no such card of yours")


def _programme_threshold_met(for_share: Fraction | None, p: RuleParameters) -> bool:
    return for_share is not None and for_share >= p.programme_threshold


@transaction.atomic
def item_close(
    *,
    actor: User,
    item: AgendaItem,
    outcome: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> AgendaItem:
    """Decide an item.

    * A card vote: the tally is computed (exact) and stored; carried on a simple majority.
      A motion or composite carried with at least the programme threshold (clause 3.I.2)
      enters the party programme.
    * A show of hands: the chair's declared ``outcome`` (carried or lost) is recorded.
    * Either way, ``outcome`` may instead record a reference back, a remission to the NEC
      or a withdrawal (nothing enters the programme).
    """
    _require_manager(actor)
    item = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("session__conference__dates", "submission", "composite")
        .get(pk=item.pk)
    )
    if item.state == AgendaItem.State.CLOSED:
        raise DomainError("this item has already been decided")
    conference = item.session.conference
    p = queries.conference_parameters(conference)
    at = _now(now)
    procedural = {
        AgendaItem.Outcome.REFERRED_BACK,
        AgendaItem.Outcome.REMITTED,
        AgendaItem.Outcome.WITHDRAWN,
    }
    if outcome not in procedural:
        _require_amendments_decided(item)
    if outcome in procedural:
        item.outcome = outcome
    elif item.method == AgendaItem.Method.CARD:
        if item.state != AgendaItem.State.OPEN:
            raise DomainError("open the card vote first")
        tally = queries.card_tally(item, p)
        if tally.result is None:
            raise DomainError("no cards have been cast yet")
        item.result = tally.result.to_dict()
        fs = tally.result.for_share
        item.for_share = f"{fs.numerator}/{fs.denominator}" if fs is not None else ""
        item.outcome = (
            AgendaItem.Outcome.CARRIED if tally.result.carried else AgendaItem.Outcome.LOST
        )
    else:
        if outcome not in (AgendaItem.Outcome.CARRIED, AgendaItem.Outcome.LOST):
            raise DomainError("record whether the show of hands carried or lost the item")
        item.outcome = outcome
    item.state = AgendaItem.State.CLOSED
    item.closed_at = at
    item.note = note.strip()
    item.save(update_fields=["state", "closed_at", "outcome", "result", "for_share", "note"])
    audit.record(
        actor=actor,
        action="conference.item_close",
        target=item,
        data={"outcome": item.outcome, "for_share": item.for_share},
    )
    if item.amendment_id is not None and item.outcome == AgendaItem.Outcome.CARRIED:
        _apply_carried_amendment(actor, item)
    is_rule_change = (
        item.submission is not None and item.submission.kind == Submission.Kind.RULE_CHANGE
    )
    if (
        item.outcome == AgendaItem.Outcome.CARRIED
        and item.method == AgendaItem.Method.CARD
        and not is_rule_change
        and (item.submission is not None or item.composite is not None)
        and _programme_threshold_met(Fraction(item.for_share), p)
    ):
        programme_add(actor=actor, item=item, now=at)
    return item


def _programme_version_for(conference: Conference, day: dt.date) -> ProgrammeVersion:
    v = ProgrammeVersion.objects.filter(conference=conference).first()
    if v is None:
        n = (ProgrammeVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1
        v = ProgrammeVersion.objects.create(
            number=n,
            conference=conference,
            published_on=day,
            note=f"Policy adopted by the {conference.year} conference",
        )
    return v


@transaction.atomic
def programme_add(
    *, actor: User, item: AgendaItem, now: dt.datetime | None = None
) -> ProgrammeEntry:
    """Put a carried motion or composite in the programme (the conference's version).
    A motion that supersedes an entry removes that entry in the same version."""
    conference = item.session.conference
    at = _now(now)
    version = _programme_version_for(conference, timezone.localdate(at))
    src_title = (
        item.composite.title
        if item.composite
        else item.submission.title
        if item.submission
        else item.title
    )
    text = item.amended_text or (
        item.composite.text if item.composite else item.submission.text if item.submission else ""
    )
    topic = (
        item.composite.topic.name
        if item.composite
        else item.submission.topic.name
        if item.submission and item.submission.topic
        else "General"
    )
    supersedes = item.submission.supersedes if item.submission else None
    if item.composite is not None:
        supersedes = next(
            (s.supersedes for s in item.composite.originals.all() if s.supersedes_id), None
        )
    seq = ProgrammeEntry.objects.filter(conference=conference).count() + 1
    result = item.result
    figures = {
        "method": "card vote",
        "for_share": result.get("for_share"),
        "for_percent": result.get("for_percent"),
        "against_percent": result.get("against_percent"),
        "sections": [
            {
                "name": s["name"],
                "for_percent": s.get("for_percent"),
                "against_percent": s.get("against_percent"),
                "for": s["for"],
                "against": s["against"],
            }
            for s in result.get("sections", [])
        ],
    }
    amendments = carried_amendments(item)
    if amendments:
        figures["amendments"] = [_amendment_figures(a) for a in amendments]
    entry = ProgrammeEntry.objects.create(
        reference=f"{conference.year}/{seq:02d}",
        title=src_title[:200],
        topic=topic,
        text=text,
        conference=conference,
        added_in=version,
        supersedes=supersedes,
        agenda_item=item,
        figures=figures,
    )
    if supersedes is not None and supersedes.removed_in_id is None:
        supersedes.removed_in = version
        supersedes.save(update_fields=["removed_in"])
    audit.record(
        actor=actor,
        action="conference.programme_add",
        target=entry,
        data={"version": version.number, "for_percent": figures["for_percent"]},
    )
    return entry


def _amendment_figures(a: Amendment) -> dict[str, Any]:
    vote = a.items.filter(state=AgendaItem.State.CLOSED).first()
    out: dict[str, Any] = {
        "id": a.pk,
        "reference": a.reference,
        "organisation": a.organisation_name,
        "method": vote.get_method_display().lower() if vote else "",
        "item": vote.pk if vote else None,
    }
    if vote is not None and vote.result:
        out["for_percent"] = vote.result.get("for_percent")
        out["against_percent"] = vote.result.get("against_percent")
        out["for_share"] = vote.for_share
    return out


@transaction.atomic
def rule_book_publish(
    *, actor: User, conference: Conference, effective_from: dt.date
) -> RuleBookVersion:
    """Produce the next rule-book version from the rule changes carried at ``conference``:
    each amended clause gets the new text and a link to the vote; parameters change as the
    rule changes say. The software obeys it from ``effective_from``."""
    _require_manager(actor)
    carried = list(
        AgendaItem.objects.filter(
            session__conference=conference,
            state=AgendaItem.State.CLOSED,
            outcome=AgendaItem.Outcome.CARRIED,
            submission__kind=Submission.Kind.RULE_CHANGE,
        )
        .select_related("submission")
        .order_by("position")
    )
    if not carried:
        raise DomainError("no rule changes were carried at this conference")
    if RuleBookVersion.objects.filter(adopted_by=conference).exists():
        raise DomainError("this conference's rule changes have already been published")
    if RuleBookVersion.objects.filter(effective_from__gte=effective_from).exists():
        raise DomainError("a later rule-book version already exists; choose a later date")
    base = rule_book_in_force(on=effective_from)
    if base is None:
        raise DomainError("there is no rule book to amend")
    params = RuleParameters.from_json(base.parameters).to_json()
    changed: dict[str, AgendaItem] = {}
    for rc in carried:
        assert rc.submission is not None
        changed[rc.submission.clause_number] = rc
        params.update(rc.submission.parameter_changes or {})
    new_params = RuleParameters.from_json(params)
    n = (RuleBookVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1
    version = RuleBookVersion.objects.create(
        number=n,
        title=f"Rule book {conference.year}",
        effective_from=effective_from,
        adopted_by=conference,
        parameters=new_params.to_json(),
        note=f"Rule changes carried at the {conference.year} conference",
    )
    for c in base.clauses.order_by("position"):
        found = changed.get(c.number)
        if found is None:
            RuleClause.objects.create(
                version=version,
                number=c.number,
                chapter=c.chapter,
                heading=c.heading,
                text=c.text,
                position=c.position,
                agenda_item=c.agenda_item,
                origin=c.origin,
                since_year=c.since_year,
            )
        else:
            assert found.submission is not None
            pct = (found.result or {}).get("for_percent")
            RuleClause.objects.create(
                version=version,
                number=c.number,
                chapter=c.chapter,
                heading=c.heading,
                text=found.amended_text or found.submission.text,
                position=c.position,
                agenda_item=found,
                origin=f"Rule change {found.submission.reference} "
                f"({found.submission.organisation_name}) "
                f"carried at the {conference.year} conference" + (f", {pct} for" if pct else ""),
                since_year=conference.year,
            )
    audit.record(
        actor=actor,
        action="conference.rule_book_publish",
        target=version,
        data={"clauses": sorted(changed)},
    )
    return version


def for_percent_display(item: AgendaItem) -> str:
    if not item.for_share:
        return ""
    return percent_str(Fraction(item.for_share))


@transaction.atomic
def historic_vote_record(
    *,
    actor: User | None,
    conference: Conference,
    title: str,
    topic: str,
    text: str,
    clp_for: int,
    clp_against: int,
    affiliate_for: int,
    affiliate_against: int,
    mover: str = "",
    supersedes: ProgrammeEntry | None = None,
) -> AgendaItem:
    """Record a card vote taken before the software (from the CAC's published report):
    the section totals are counted exactly as a live vote would be, and a motion carried
    with at least the programme threshold enters the programme of that conference's year.
    Used to load a party's programme history."""
    from rankandfile.counting.cardvote import Section, count_card_vote
    from rankandfile.counting.yesno import SIMPLE_MAJORITY

    p = parameters_in_force(on=conference.starts_on)
    shares = p.card_vote_section_shares
    result = count_card_vote(
        [
            Section("clp", shares["clp"], clp_for, clp_against),
            Section("affiliate", shares["affiliate"], affiliate_for, affiliate_against),
        ],
        threshold=SIMPLE_MAJORITY,
    )
    session = FloorSession.objects.filter(
        conference=conference
    ).first() or FloorSession.objects.create(
        conference=conference,
        title="Policy debates",
        starts_at=dt.datetime.combine(conference.starts_on, dt.time(14), tzinfo=dt.UTC),
    )
    pos = (AgendaItem.objects.filter(session=session).aggregate(m=Max("position"))["m"] or 0) + 1
    fs = result.for_share
    assert fs is not None
    item = AgendaItem.objects.create(
        session=session,
        position=pos,
        title=title[:200],
        method=AgendaItem.Method.CARD,
        state=AgendaItem.State.CLOSED,
        outcome=AgendaItem.Outcome.CARRIED if result.carried else AgendaItem.Outcome.LOST,
        closed_at=dt.datetime.combine(conference.ends_on, dt.time(12), tzinfo=dt.UTC),
        for_share=f"{fs.numerator}/{fs.denominator}",
        result=result.to_dict(),
        note=f"Moved by {mover}. Recorded from the published card-vote report."
        if mover
        else "Recorded from the published card-vote report.",
    )
    audit.record(
        actor=actor,
        action="conference.historic_vote_record",
        target=item,
        data={"for_share": item.for_share},
    )
    if result.carried and fs >= p.programme_threshold:
        version = _programme_version_for(conference, conference.ends_on)
        seq = ProgrammeEntry.objects.filter(conference=conference).count() + 1
        entry = ProgrammeEntry.objects.create(
            reference=f"{conference.year}/{seq:02d}",
            title=title[:200],
            topic=topic,
            text=text,
            conference=conference,
            added_in=version,
            supersedes=supersedes,
            agenda_item=item,
            figures={
                "method": "card vote",
                "for_share": item.for_share,
                "for_percent": result.to_dict()["for_percent"],
                "against_percent": result.to_dict()["against_percent"],
                "sections": [
                    {
                        "name": s["name"],
                        "for_percent": s["for_percent"],
                        "against_percent": s["against_percent"],
                        "for": s["for"],
                        "against": s["against"],
                    }
                    for s in result.to_dict()["sections"]
                ],
            },
        )
        if supersedes is not None and supersedes.removed_in_id is None:
            supersedes.removed_in = version
            supersedes.save(update_fields=["removed_in"])
        audit.record(actor=actor, action="conference.programme_add", target=entry)
    return item
