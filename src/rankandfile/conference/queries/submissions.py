"""Reads for motions and rule changes: the submissions list and the CAC's pending rulings,
those timetabled for a later conference, what each organisation has already submitted, and
a rule change's parameter changes against the rules in force."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet

from rankandfile.conference import rulechanges
from rankandfile.conference.models import Conference, Submission
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import RuleParameters


def submissions_by_topic(
    subs: QuerySet[Submission] | list[Submission],
) -> list[tuple[str, list[Submission]]]:
    """Group submissions under their topic (rule changes together), keeping the order."""
    if not isinstance(subs, list):
        subs = list(
            subs.select_related("clp", "affiliate", "topic").order_by(
                "topic__position", "topic__name", "kind", "reference"
            )
        )
    groups: dict[str, list[Submission]] = defaultdict(list)
    for s in subs:
        if s.kind == Submission.Kind.RULE_CHANGE:
            key = "Rule changes"
        else:
            key = s.topic.name if s.topic else "Not yet assigned to a topic"
        groups[key].append(s)
    return list(groups.items())


def submissions_listed(visible: QuerySet[Submission], topic: str) -> QuerySet[Submission]:
    """The submissions list: ``topic`` is a topic's id, ``rules`` (rule changes) or
    ``none`` (motions without a topic); by topic, kind and reference."""
    if topic == "rules":
        visible = visible.filter(kind=Submission.Kind.RULE_CHANGE)
    elif topic == "none":
        visible = visible.filter(kind=Submission.Kind.MOTION, topic__isnull=True)
    elif topic.isdigit():
        visible = visible.filter(topic_id=int(topic))
    return visible.select_related("clp", "affiliate", "topic").order_by(
        "topic__position", "topic__name", "kind", "reference"
    )


def submissions_pending(visible: QuerySet[Submission]) -> QuerySet[Submission]:
    """Submissions awaiting the CAC's ruling."""
    return visible.filter(status=Submission.Status.SUBMITTED).select_related("clp", "affiliate")


def submissions_for_later(conference: Conference) -> QuerySet[Submission]:
    """Submitted to this conference, timetabled for a later one (clause 3.II.3)."""
    return (
        Submission.objects.filter(conference=conference)
        .exclude(debate_year=conference.year)
        .select_related("clp")
    )


def used_submissions(conference: Any, organisations: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """For the submit page, before the form (issue 17.4): each organisation the user
    submits for, with the submissions it already has at this conference (withdrawn ones
    do not count, as in ``services.submission_create``). One query."""
    from rankandfile.conference.models import Submission

    subs = list(
        Submission.objects.filter(conference=conference)
        .exclude(status=Submission.Status.WITHDRAWN)
        .filter(
            Q(clp_id__in=[int(v.split(":")[1]) for v, _ in organisations if v.startswith("clp:")])
            | Q(
                affiliate_id__in=[
                    int(v.split(":")[1]) for v, _ in organisations if v.startswith("affiliate:")
                ]
            )
        )
        .only("pk", "reference", "title", "clp_id", "affiliate_id")
    )
    out = []
    for value, label in organisations:
        kind, pk = value.split(":")
        mine = [s for s in subs if getattr(s, f"{kind}_id") == int(pk)]
        out.append({"value": value, "label": label, "submissions": mine})
    return out


def rule_change_base(submission: Submission) -> RuleParameters:
    """The parameters a rule change's parameter changes apply to: those in force when the
    conference that debates it opens."""
    debated = Conference.objects.filter(year=submission.debate_year).first()
    day = debated.starts_on if debated is not None else submission.conference.starts_on
    return parameters_in_force(on=day)


def rule_change_disagreements(submission: Submission, text: str | None = None) -> list[str]:
    """Where the rule change's clause text (``text``: as amended) and its parameter
    changes disagree (empty: they agree)."""
    base = rule_change_base(submission)
    after = RuleParameters.from_json(
        rulechanges.apply(base.to_json(), submission.parameter_changes or {})
    )
    return rulechanges.disagreements(
        submission.clause_number, text if text is not None else submission.text, after, base
    )


def rule_change_current(submission: Submission) -> dict[str, Any]:
    """Every parameter (nested ones by dotted name) as the rule change would leave it: the
    parameters in force with its changes made (``rulechanges.apply``), for the CAC's form."""
    base = rule_change_base(submission).to_json()
    return rulechanges.flat(rulechanges.apply(base, submission.parameter_changes or {}))


def rule_change_rows(submission: Submission) -> list[tuple[str, str, str, str]]:
    """(parameter, meaning, value before, value after) of a rule change's parameter
    changes, for the CAC's form and the submission page."""
    return rulechanges.change_rows(submission.parameter_changes or {}, rule_change_base(submission))
