"""JSON API for meetings (mounted under /api/v1/ by rankandfile.api): the meetings and
motions the caller may see (their branch's and CLP's, or those they run). Read-only;
attendance and messages are never served here."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from rankandfile.meetings import permissions, queries
from rankandfile.meetings.models import Meeting, Motion

router = Router(tags=["meetings"])


class ErrorOut(Schema):
    detail: str


class ItemOut(Schema):
    position: int
    title: str
    kind: str
    outcome: str
    decision: str
    votes_for: int | None
    votes_against: int | None


class MeetingOut(Schema):
    id: int
    unit: str
    kind: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    state: str
    quorum: int
    minutes_state: str


class MeetingDetailOut(MeetingOut):
    items: list[ItemOut]
    minutes: str


class MotionOut(Schema):
    id: int
    unit: str
    title: str
    text: str
    state: str
    forwarded_from: int | None
    history: list[str]


def _meeting(m: Meeting) -> dict[str, object]:
    return {
        "id": m.pk,
        "unit": m.unit_name,
        "kind": m.kind,
        "title": m.title,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "location": m.location,
        "state": m.state,
        "quorum": m.quorum,
        "minutes_state": m.minutes_state,
    }


@router.get("/meetings/", response=list[MeetingOut])
def meetings(request: HttpRequest) -> list[dict[str, object]]:
    """Meetings of the caller's branch and CLP and of the units they run (latest 200)."""
    qs = permissions.visible_meetings(request.user).order_by("-starts_at")[:200]
    return [_meeting(m) for m in qs]


@router.get("/meetings/{meeting_id}/", response={200: MeetingDetailOut, 404: ErrorOut})
def meeting(request: HttpRequest, meeting_id: int) -> dict[str, object]:
    """A meeting's agenda, decisions and minutes (draft or approved)."""
    m = permissions.access_meeting(request.user, meeting_id)
    items = [
        {
            "position": i.position,
            "title": i.title,
            "kind": i.kind,
            "outcome": i.outcome,
            "decision": i.decision,
            "votes_for": i.votes_for,
            "votes_against": i.votes_against,
        }
        for i in queries.meeting_items(m)
    ]
    minutes = m.minutes if m.minutes_state else ""
    return {**_meeting(m), "items": items, "minutes": minutes}


@router.get("/motions/{motion_id}/", response={200: MotionOut, 404: ErrorOut})
def motion(request: HttpRequest, motion_id: int) -> dict[str, object]:
    """A motion's current text and its history."""
    mo: Motion = permissions.access_motion(request.user, motion_id)
    return {
        "id": mo.pk,
        "unit": mo.unit_name,
        "title": mo.title,
        "text": mo.text,
        "state": mo.state,
        "forwarded_from": mo.forwarded_from_id,
        "history": [e.what for e in mo.events.all()],
    }
