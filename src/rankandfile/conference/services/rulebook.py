"""The rule book: load the shipped versions; publish the version a conference's carried rule
changes make (clause text and typed parameters together)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from rankandfile.conference import rulebook_data, rulechanges
from rankandfile.conference.models import (
    AgendaItem,
    Conference,
    RuleBookVersion,
    RuleClause,
    Submission,
)
from rankandfile.conference.rulebook import rule_book_in_force
from rankandfile.conference.rules import RuleParameters
from rankandfile.conference.services.common import require_manager
from rankandfile.core import audit
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User


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


def _carried_rule_changes(conference: Conference) -> list[AgendaItem]:
    return list(
        AgendaItem.objects.filter(
            session__conference=conference,
            state=AgendaItem.State.CLOSED,
            outcome=AgendaItem.Outcome.CARRIED,
            submission__kind=Submission.Kind.RULE_CHANGE,
        )
        .select_related("submission__clp", "submission__affiliate")
        .order_by("position")
    )


def _clause_texts(base: RuleBookVersion, changed: dict[str, AgendaItem]) -> dict[str, str]:
    """Every clause's text in the new version: the carried text (as amended on the floor)
    where a rule change was carried, the base version's text elsewhere."""
    out = {}
    for c in base.clauses.all():
        found = changed.get(c.number)
        out[c.number] = (
            (found.amended_text or found.submission.text)
            if found is not None and found.submission is not None
            else c.text
        )
    return out


def _check_agreement(texts: dict[str, str], new: RuleParameters, old: RuleParameters) -> None:
    """Refuse a rule book whose clause text and parameters disagree (nothing is written)."""
    problems = [
        problem
        for number, text in texts.items()
        for problem in rulechanges.disagreements(number, text, new, old)
    ]
    if problems:
        raise DomainError(
            gettext(
                "the rule book cannot be published: its clause text and its parameters "
                "disagree — %(problems)s"
            )
            % {"problems": "; ".join(problems)}
        )


def _clause_copy(
    version: RuleBookVersion, c: RuleClause, conference: Conference, found: AgendaItem | None
) -> RuleClause:
    """Clause ``c`` of the base version in the new ``version``: unchanged, or with the
    carried text and a link to the vote."""
    if found is None or found.submission is None:
        return RuleClause(
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
    pct = (found.result or {}).get("for_percent")
    return RuleClause(
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


@transaction.atomic
def rule_book_publish(
    *, actor: User, conference: Conference, effective_from: dt.date
) -> RuleBookVersion:
    """Produce the next rule-book version from the rule changes carried at ``conference``:
    each amended clause gets the new text and a link to the vote; parameters change as the
    CAC attached them to the rule changes. Refused, with every disagreement named, when a
    clause's text does not say what the parameters make the software do
    (``rulechanges.disagreements``). The software obeys it from ``effective_from``."""
    require_manager(actor)
    carried = _carried_rule_changes(conference)
    if not carried:
        raise DomainError(gettext("no rule changes were carried at this conference"))
    if RuleBookVersion.objects.filter(adopted_by=conference).exists():
        raise DomainError(gettext("this conference's rule changes have already been published"))
    if RuleBookVersion.objects.filter(effective_from__gte=effective_from).exists():
        raise DomainError(gettext("a later rule-book version already exists; choose a later date"))
    base = rule_book_in_force(on=effective_from)
    if base is None:
        raise DomainError(gettext("there is no rule book to amend"))
    old = RuleParameters.from_json(base.parameters)
    params = old.to_json()
    changed: dict[str, AgendaItem] = {}
    for rc in carried:
        assert rc.submission is not None
        changed[rc.submission.clause_number] = rc
        params = rulechanges.apply(params, rc.submission.parameter_changes or {})
    new_params = RuleParameters.from_json(params)
    _check_agreement(_clause_texts(base, changed), new_params, old)
    n = (RuleBookVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1
    version = RuleBookVersion.objects.create(
        number=n,
        title=f"Rule book {conference.year}",
        effective_from=effective_from,
        adopted_by=conference,
        parameters=new_params.to_json(),
        note=f"Rule changes carried at the {conference.year} conference",
    )
    RuleClause.objects.bulk_create(
        _clause_copy(version, c, conference, changed.get(c.number))
        for c in base.clauses.order_by("position")
    )
    audit.record(
        actor=actor,
        action="conference.rule_book_publish",
        target=version,
        data={
            "clauses": sorted(changed),
            "parameters": {k: v for k, v in new_params.to_json().items() if v != old.to_json()[k]},
        },
    )
    return version
