"""JSON API for selections (mounted under /api/v1/ by rankandfile.api).

Read-only: the selections the caller may follow, a selection with its timetable and
candidates, and the declared result. Private data of candidates (contact details,
equality data, union details) is never returned here, not even to officers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from rankandfile.core.errors import NotFound
from rankandfile.selections import permissions, queries
from rankandfile.selections.models import Selection, Stage

router = Router(tags=["selections"])


class TimetableOut(Schema):
    stage: str
    label: str
    first: dt.date | None
    last: dt.date
    state: str


class SelectionOut(Schema):
    id: int
    clp: str
    round: str
    mode: str
    stage: str
    stage_label: str
    sitting_mp: str | None
    freeze_date: dt.date
    url: str


class CandidateOut(Schema):
    id: int
    name: str
    status: str
    sitting_mp: bool
    statement: str
    nominations: list[str]
    url: str


class SelectionDetailOut(SelectionOut):
    timetable: list[TimetableOut]
    trigger_explanation: str
    candidates: list[CandidateOut]
    ballot_id: int | None


class ResultOut(Schema):
    selection_id: int
    selected: str
    declared_at: dt.datetime
    appeals_until: dt.date | None
    ballot_id: int
    turnout: int | None
    electorate: int | None
    stages: list[dict[str, Any]]


def _out(selection: Selection) -> dict[str, Any]:
    return {
        "id": selection.pk,
        "clp": selection.clp.name,
        "round": selection.round.name,
        "mode": selection.mode,
        "stage": selection.stage,
        "stage_label": selection.get_stage_display(),
        "sitting_mp": selection.sitting_mp.name if selection.sitting_mp else None,
        "freeze_date": selection.round.freeze_date,
        "url": f"/selections/{selection.pk}/",
    }


@router.get("/selections/", response=list[SelectionOut])
def selection_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Selections the caller may follow (their CLP's, those they run or applied in)."""
    return [_out(s) for s in queries.my_selections(request.user)]


@router.get("/selections/{selection_id}/", response=SelectionDetailOut)
def selection_detail(request: HttpRequest, selection_id: int) -> dict[str, Any]:
    selection = permissions.access_selection(request.user, selection_id)
    managers = permissions.can_manage_selection(request.user, selection)
    rows = queries.candidates(selection, managers=managers)
    return {
        **_out(selection),
        "timetable": [r.__dict__ for r in queries.timetable(selection)],
        "trigger_explanation": selection.trigger_explanation,
        "candidates": [
            {
                "id": r.application.pk,
                "name": r.application.name,
                "status": r.application.status,
                "sitting_mp": r.application.mp_id is not None,
                "statement": r.application.statement,
                "nominations": r.nominations,
                "url": f"/selections/{selection.pk}/candidates/{r.application.pk}/",
            }
            for r in rows
        ],
        "ballot_id": selection.ballot_id,
    }


@router.get("/selections/{selection_id}/result/", response=ResultOut)
def selection_result(request: HttpRequest, selection_id: int) -> dict[str, Any]:
    """The declared result with the stage-by-stage AV count (404 before the declaration)."""
    selection = permissions.access_selection(request.user, selection_id)
    ballot = selection.ballot
    if selection.stage != Stage.DECLARED or ballot is None or selection.selected is None:
        raise NotFound("no declared result for this selection")
    assert selection.declared_at is not None
    return {
        "selection_id": selection.pk,
        "selected": selection.selected.name,
        "declared_at": selection.declared_at,
        "appeals_until": selection.appeals_until,
        "ballot_id": ballot.pk,
        "turnout": ballot.turnout,
        "electorate": ballot.electorate_size,
        "stages": list((ballot.result or {}).get("stages") or []),
    }
