"""Reads for selection pages and the API (query counts pinned in tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from rankandfile.accountability import queries as accountability_queries
from rankandfile.accountability.queries import PartyChange, ScoreLine
from rankandfile.ballots.queries import ResultView, result_view
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.membership.models import MP
from rankandfile.selections import permissions, triggers
from rankandfile.selections.models import (
    Application,
    Nomination,
    Selection,
    SelectionRound,
    Stage,
    TriggerDecision,
)


@dataclass(frozen=True)
class TimetableRow:
    stage: str
    label: str
    first: dt.date | None
    last: dt.date
    state: str  # "done", "current" or "to come"


def timetable(selection: Selection) -> list[TimetableRow]:
    rows = selection.timetable()
    stages = [r[0] for r in rows]
    ended = selection.stage in (Stage.DECLARED, Stage.RESELECTED)
    current = stages.index(selection.stage) if selection.stage in stages else len(stages)
    out = []
    for i, (stage, label, first, last) in enumerate(rows):
        if ended or i < current:
            state = "done"
        elif i == current:
            state = "current"
        else:
            state = "to come"
        out.append(TimetableRow(stage, label, first, last, state))
    return out


CHANGE_LABELS = {
    "left_party": "Left the party",
    "lost_whip": "Lost the whip",
    "regained_whip": "Regained the whip",
    "changed_party": "Changed party",
}


@dataclass
class MPRecord:
    mp: MP
    scorecard: list[ScoreLine]
    party_changes: list[tuple[PartyChange, str]] = field(default_factory=list)  # (change, label)
    url: str = ""


def mp_record(mp: MP | None) -> MPRecord | None:
    """The MP's scorecard against the programme and party changes (accountability app)."""
    if mp is None:
        return None
    return MPRecord(
        mp=mp,
        scorecard=accountability_queries.mp_scorecard(mp),
        party_changes=[
            (c, CHANGE_LABELS.get(c.kind, c.kind.replace("_", " ").capitalize()))
            for c in accountability_queries.party_changes(mp)
        ],
        url=reverse("accountability:mp", kwargs={"mnis_id": mp.mnis_id}),
    )


@dataclass
class CandidateRow:
    application: Application
    nominations: list[str]


def _applications(selection: Selection) -> QuerySet[Application]:
    return selection.applications.select_related("member", "mp").prefetch_related(
        Prefetch(
            "nominations",
            queryset=Nomination.objects.select_related("branch", "affiliate"),
        )
    )


def candidates(selection: Selection, *, managers: bool) -> list[CandidateRow]:
    """Managers see every application. Members see nobody while applications are open
    (who applied is the panel's business), then the longlist once drawn, then the
    shortlist once drawn (and only it from nominations on)."""
    apps = list(_applications(selection).exclude(status=Application.Status.WITHDRAWN))
    if not managers:
        longlisted = [a for a in apps if a.on_longlist]
        shortlisted = [a for a in apps if a.on_shortlist]
        if selection.stage in (Stage.TRIGGER, Stage.APPLICATIONS, Stage.RESELECTED):
            apps = []
        elif selection.stage == Stage.LONGLIST:
            apps = longlisted
        elif selection.stage == Stage.SHORTLIST:
            apps = shortlisted or longlisted
        else:
            apps = shortlisted
    return [CandidateRow(a, [n.unit_name for n in a.nominations.all()]) for a in apps]


@dataclass
class SelectionPage:
    selection: Selection
    timetable: list[TimetableRow]
    candidates: list[CandidateRow]
    decisions: list[TriggerDecision]
    outcome: triggers.TriggerOutcome | None
    hustings: list[Any]
    result: ResultView | None
    mp: MPRecord | None
    shortlist_check: triggers.ShortlistCheck | None
    nomination_counts: dict[str, int]
    appeals_open: bool


def selection_page(selection: Selection, *, managers: bool) -> SelectionPage:
    decisions = list(selection.trigger_decisions.select_related("branch", "affiliate"))
    outcome = None
    if selection.has_trigger:
        outcome = triggers.decide(selection.mode, [d.as_vote() for d in decisions])
    rows = candidates(selection, managers=managers)
    check = None
    if selection.stage in (Stage.SHORTLIST, Stage.NOMINATIONS, Stage.HUSTINGS):
        params = parameters_in_force(on=selection.round.freeze_date)
        entries = [
            triggers.ShortlistEntry(r.application.name, r.application.is_woman,
                                    r.application.is_bame, r.application.mp_id is not None)
            for r in candidates(selection, managers=True)
            if r.application.on_shortlist
        ]  # fmt: skip
        mp_app = next(
            (r.application for r in candidates(selection, managers=True) if r.application.mp_id),
            None,
        )
        check = triggers.check_shortlist(
            entries,
            triggers.ShortlistRules(
                min_women_share=params.shortlist_min_women_share,
                min_bame=params.shortlist_min_bame,
            ),
            sitting_mp_name=mp_app.name if mp_app else None,
        )
    result = None
    ballot = selection.ballot
    if selection.stage == Stage.DECLARED and ballot is not None:
        result = result_view(ballot)
    counts = {r.application.name: len(r.nominations) for r in rows}
    return SelectionPage(
        selection=selection,
        timetable=timetable(selection),
        candidates=rows,
        decisions=decisions,
        outcome=outcome,
        hustings=list(selection.hustings.all()),
        result=result,
        mp=mp_record(selection.sitting_mp or _constituency_mp(selection)),
        shortlist_check=check,
        nomination_counts=counts,
        appeals_open=bool(
            selection.appeals_until and timezone.localdate() <= selection.appeals_until
        ),
    )


def _constituency_mp(selection: Selection) -> MP | None:
    """The constituency's current MP even if they left the party (members still see the
    record of the MP they are choosing a candidate to replace)."""
    return (
        MP.objects.filter(constituency_id=selection.clp.constituency_id, in_office=True)
        .order_by("pk")
        .first()
    )


def my_selections(user: Any) -> list[Selection]:
    return list(
        permissions.visible_selections(user)
        .annotate(n_applications=Count("applications", distinct=True))
        .order_by("-round__created_at", "clp__name")
    )


def rounds(user: Any) -> list[SelectionRound]:
    if not permissions.can_open_round(user):
        return []
    return list(SelectionRound.objects.annotate(n_selections=Count("selections")))


@dataclass
class Comparison:
    selection: Selection
    decisions: list[TriggerDecision]
    outcomes: list[triggers.TriggerOutcome]


def rule_comparisons(rnd: SelectionRound) -> list[Comparison]:
    """For each selection of a round with recorded trigger decisions: what each of the four
    rules would have decided on the same decisions."""
    out = []
    selections = rnd.selections.select_related("clp", "sitting_mp").prefetch_related(
        Prefetch(
            "trigger_decisions",
            queryset=TriggerDecision.objects.select_related("branch", "affiliate"),
        )
    )
    for selection in selections:
        decisions = list(selection.trigger_decisions.all())
        if not decisions:
            continue
        votes = [d.as_vote() for d in decisions]
        out.append(Comparison(selection, decisions, triggers.compare_all(votes)))
    return out
