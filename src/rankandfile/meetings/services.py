"""Meetings, motions and officers' messages (writes). Keyword-only, an explicit ``actor``,
one transaction each, an audit entry per change; errors are :class:`DomainError` with a
message a user can act on. Rules cited (M1-M8) are in docs/rules/meetings.md.

Emails are never sent here: a service writes one :class:`Delivery` row per email owed
and enqueues :func:`rankandfile.meetings.tasks.send_deliveries` (after the commit when the
task queue is outside the database).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import secrets
from collections.abc import Iterator, Sequence
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.ballots.permissions import can_manage_ballot
from rankandfile.conference.models import Conference, Submission
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import MeetingRules
from rankandfile.conference.services.submissions import submission_create
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.meetings import permissions, queries
from rankandfile.meetings.models import (
    AgendaItem,
    Attendance,
    CommunicationPreference,
    Delivery,
    Meeting,
    MessageTemplate,
    Motion,
    MotionAmendment,
    MotionEvent,
    OfficerMessage,
)
from rankandfile.membership.models import CLP, Branch, Member
from rankandfile.membership.permissions import own_member

CATEGORIES = ("meeting_notices", "officer_messages")
_SALT = "rankandfile.meetings.unsubscribe"


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _when(t: dt.datetime) -> str:
    return f"{timezone.localtime(t):%H:%M on %d %B %Y}"


def _require_unit(actor: User, branch: Branch | None, clp: CLP | None) -> None:
    if (branch is None) == (clp is None):
        raise DomainError(gettext("choose the branch or the constituency party"))
    if not permissions.can_manage_unit(actor, branch=branch, clp=clp):
        unit = branch or clp
        raise PermissionDenied(gettext("you are not an officer of %(unit)s") % {"unit": unit})


def _require_meeting(actor: User, meeting: Meeting) -> None:
    if not permissions.can_manage_meeting(actor, meeting):
        raise PermissionDenied(gettext("you do not run this meeting"))


_HOLD = contextvars.ContextVar("meetings_hold_sending", default=False)


@contextlib.contextmanager
def notices_suppressed() -> Iterator[None]:
    """Queue deliveries without enqueuing their sending (demo data only: its addresses
    are not real; ``resume_stalled`` would still send what is left queued)."""
    token = _HOLD.set(True)
    try:
        yield
    finally:
        _HOLD.reset(token)


def _enqueue(kind: str, source_id: int) -> None:
    from rankandfile.meetings import tasks

    tasks.send_deliveries.enqueue(kind, source_id)


def _enqueue_after_commit(kind: str, source_id: int) -> None:
    """As core.outbox: at once when the task row commits with ours (database backend) or
    runs here (immediate backend); otherwise after the commit."""
    if _HOLD.get():
        return
    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    if backend.endswith((".DatabaseBackend", ".ImmediateBackend")):
        _enqueue(kind, source_id)
    else:
        transaction.on_commit(partial(_enqueue, kind, source_id))


def _event(motion: Motion, what: str, at: dt.datetime, meeting: Meeting | None = None) -> None:
    MotionEvent.objects.create(motion=motion, what=what[:300], at=at, meeting=meeting)


# --- Meetings ----------------------------------------------------------------------------------
@transaction.atomic
def meeting_schedule(
    *,
    actor: User,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    location: str,
    agenda: Sequence[str] = (),
    branch: Branch | None = None,
    clp: CLP | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Schedule a meeting and give notice (rules M1-M2).

    The notice period of the rule book in force is checked against now; the agenda opens
    with the approval of the unit's last draft minutes (rule M5); a CLP's general or
    all-member meeting also takes every carried branch motion waiting for it (rule M6).
    Notices with an .ics file are queued to the members entitled to attend who have an
    address and have not turned meeting notices off. One audit entry (counts only).
    """
    at = _now(now)
    _require_unit(actor, branch, clp)
    title, location, lines, rules = _checked_schedule(
        kind=kind,
        title=title,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        agenda=agenda,
        at=at,
    )
    meeting = Meeting.objects.create(
        branch=branch,
        clp=clp,
        kind=kind,
        title=title[:200],
        starts_at=starts_at,
        ends_at=ends_at,
        location=location[:300],
        created_by=actor,
    )
    _open_agenda(meeting, lines, at)
    to = _queue_notices(meeting, rules, at)
    audit.record(
        actor=actor,
        action="meetings.meeting_schedule",
        target=meeting,
        data={
            "unit": meeting.unit_name,
            "kind": kind,
            "entitled": meeting.entitled_count,
            "quorum": meeting.quorum,
            "notices": to.count,
            "unwilling": to.unwilling,
            "no_email": to.no_email,
            "bounced": to.bounced,
        },
    )
    if to.ids:
        _enqueue_after_commit("meeting", meeting.pk)
    return meeting


def _checked_schedule(
    *,
    kind: str,
    title: str,
    location: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    agenda: Sequence[str],
    at: dt.datetime,
) -> tuple[str, str, list[str], MeetingRules]:
    """The checks of ``meeting_schedule`` (rule M2's notice period among them): the
    trimmed title, place and agenda lines, and the rule book in force on the day."""
    if kind not in Meeting.Kind.values:
        raise DomainError(gettext("choose the kind of meeting"))
    title, location = title.strip(), location.strip()
    if not title or not location:
        raise DomainError(gettext("a meeting needs a title and a place"))
    if ends_at <= starts_at:
        raise DomainError(gettext("the meeting must end after it starts"))
    rules = queries.rules_on(timezone.localdate(starts_at))
    days = queries.notice_days(kind, rules)
    if starts_at - at < dt.timedelta(days=days):
        raise DomainError(
            gettext(
                "a %(kind)s needs %(days)s clear days' notice (rule M2); "
                "the earliest it can start is %(earliest)s"
            )
            % {
                "kind": Meeting.Kind(kind).label.lower(),
                "days": days,
                "earliest": _when(at + dt.timedelta(days=days)),
            }
        )
    lines = [line.strip() for line in agenda if line.strip()]
    if any(len(line) > 200 for line in lines):
        raise DomainError(gettext("an agenda item's title is at most 200 characters"))
    return title, location, lines, rules


def _open_agenda(meeting: Meeting, lines: list[str], at: dt.datetime) -> None:
    """The agenda of a new meeting: the approval of the unit's last draft minutes (rule
    M5), the given lines, then (a CLP's general or all-member meeting) every carried
    branch motion waiting for it (rule M6)."""
    pos = 0
    previous = queries.previous_meeting_awaiting_minutes(meeting)
    if previous is not None:
        pos += 1
        AgendaItem.objects.create(
            meeting=meeting,
            position=pos,
            kind=AgendaItem.Kind.MINUTES,
            title=f"Minutes of the meeting of {timezone.localtime(previous.starts_at):%d %B %Y}",
            minutes_of=previous,
        )
    for line in lines:
        pos += 1
        AgendaItem.objects.create(meeting=meeting, position=pos, title=line)
    clp = meeting.clp
    if clp is not None and meeting.kind != Meeting.Kind.EXECUTIVE:
        waiting = Motion.objects.filter(
            clp=clp, state=Motion.State.DRAFT, forwarded_from__isnull=False
        ).select_related("forwarded_from__branch")
        for motion in waiting:
            _table(meeting, motion, at)


def _queue_notices(meeting: Meeting, rules: MeetingRules, at: dt.datetime) -> queries.Recipients:
    """Count the members entitled to attend, set the quorum, and queue a notice to those
    who have an address and have not turned meeting notices off (rule M1)."""
    entitled = queries.entitled_members(meeting)
    meeting.entitled_count = entitled.count()
    meeting.quorum = queries.quorum_for(
        kind=meeting.kind,
        is_branch=meeting.branch_id is not None,
        entitled=meeting.entitled_count,
        rules=rules,
    )
    to = queries.recipients(entitled, "meeting_notices")
    Delivery.objects.bulk_create(Delivery(meeting=meeting, member_id=pk) for pk in to.ids)
    meeting.notice_sent_at = at
    meeting.notices_queued = to.count
    meeting.save(update_fields=["entitled_count", "quorum", "notice_sent_at", "notices_queued"])
    return to


def _notify_change(meeting: Meeting) -> int:
    """Queue a notice of change (the meeting's new ``sequence``) to the members entitled
    who are willing and reachable, through the same exactly-once path as the first
    notice. Earlier notices nobody has started sending are dropped: the change replaces
    them. Returns how many were queued."""
    Delivery.objects.filter(
        meeting=meeting,
        state=Delivery.State.QUEUED,
        sequence__lt=meeting.sequence,
        email_id="",
        lease_until__isnull=True,
    ).delete()
    to = queries.recipients(queries.entitled_members(meeting), "meeting_notices")
    Delivery.objects.bulk_create(
        Delivery(meeting=meeting, member_id=pk, sequence=meeting.sequence) for pk in to.ids
    )
    if to.ids:
        _enqueue_after_commit("meeting", meeting.pk)
    return to.count


@transaction.atomic
def meeting_reschedule(
    *,
    actor: User,
    meeting: Meeting,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    location: str,
    now: dt.datetime | None = None,
) -> Meeting:
    """Move a scheduled meeting (new time and/or place) and send those entitled a notice
    of change with an updated .ics (same UID, higher SEQUENCE). The new time needs the
    same notice as a new meeting (rule M2). One audit entry (old and new, counts)."""
    at = _now(now)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _require_meeting(actor, meeting)
    if meeting.state != Meeting.State.SCHEDULED:
        raise DomainError(gettext("only a meeting that has not started can be rescheduled"))
    location = location.strip()
    if not location:
        raise DomainError(gettext("a meeting needs a place"))
    if ends_at <= starts_at:
        raise DomainError(gettext("the meeting must end after it starts"))
    if (starts_at, ends_at, location) == (meeting.starts_at, meeting.ends_at, meeting.location):
        raise DomainError(gettext("nothing has changed: give a new time or place"))
    days = queries.notice_days(meeting.kind, queries.rules_on(timezone.localdate(starts_at)))
    if starts_at - at < dt.timedelta(days=days):
        raise DomainError(
            gettext(
                "a %(kind)s needs %(days)s clear days' notice (rule M2); "
                "the earliest it can start is %(earliest)s"
            )
            % {
                "kind": meeting.get_kind_display().lower(),
                "days": days,
                "earliest": _when(at + dt.timedelta(days=days)),
            }
        )
    before = {"starts": _when(meeting.starts_at), "location": meeting.location}
    meeting.starts_at, meeting.ends_at, meeting.location = starts_at, ends_at, location[:300]
    meeting.sequence += 1
    meeting.save(update_fields=["starts_at", "ends_at", "location", "sequence"])
    queued = _notify_change(meeting)
    audit.record(
        actor=actor,
        action="meetings.meeting_reschedule",
        target=meeting,
        data={
            "before": before,
            "after": {"starts": _when(starts_at), "location": meeting.location},
            "sequence": meeting.sequence,
            "notices": queued,
        },
    )
    return meeting


@transaction.atomic
def meeting_cancel(
    *, actor: User, meeting: Meeting, reason: str = "", now: dt.datetime | None = None
) -> Meeting:
    """Cancel a meeting that has not started; those entitled are sent a cancellation
    with a METHOD:CANCEL .ics. Motions tabled for it go back to drafts of the unit, so the
    next meeting takes them (rule M6). One audit entry."""
    at = _now(now)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _require_meeting(actor, meeting)
    if meeting.state != Meeting.State.SCHEDULED:
        raise DomainError(gettext("only a meeting that has not started can be cancelled"))
    meeting.state = Meeting.State.CANCELLED
    meeting.sequence += 1
    meeting.save(update_fields=["state", "sequence"])
    for motion in Motion.objects.filter(items__meeting=meeting, state=Motion.State.TABLED):
        Motion.objects.filter(pk=motion.pk).update(state=Motion.State.DRAFT)
        _event(motion, f"{meeting.title} was cancelled; waiting for the next meeting", at)
    queued = _notify_change(meeting)
    audit.record(
        actor=actor,
        action="meetings.meeting_cancel",
        target=meeting,
        data={"reason": reason.strip()[:300], "sequence": meeting.sequence, "notices": queued},
    )
    return meeting


def _next_position(meeting: Meeting) -> int:
    return (AgendaItem.objects.filter(meeting=meeting).aggregate(m=Max("position"))["m"] or 0) + 1


def _table(meeting: Meeting, motion: Motion, at: dt.datetime) -> AgendaItem:
    item = AgendaItem.objects.create(
        meeting=meeting,
        position=_next_position(meeting),
        kind=AgendaItem.Kind.MOTION,
        title=f"Motion: {motion.title}"[:200],
        motion=motion,
    )
    Motion.objects.filter(pk=motion.pk).update(state=Motion.State.TABLED)
    motion.state = Motion.State.TABLED
    _event(motion, f"Tabled for {meeting.title}", at, meeting)
    return item


@transaction.atomic
def item_add(*, actor: User, meeting: Meeting, title: str) -> AgendaItem:
    """Add an item of business to a meeting not yet closed."""
    _require_meeting(actor, meeting)
    if meeting.state in (Meeting.State.CLOSED, Meeting.State.CANCELLED):
        raise DomainError(
            gettext("the meeting is %(state)s") % {"state": meeting.get_state_display().lower()}
        )
    title = title.strip()
    if not title or len(title) > 200:
        raise DomainError(gettext("an agenda item needs a title of at most 200 characters"))
    item = AgendaItem.objects.create(meeting=meeting, position=_next_position(meeting), title=title)
    audit.record(actor=actor, action="meetings.item_add", target=item)
    return item


@transaction.atomic
def meeting_open(*, actor: User, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """Open the meeting: check-in starts, a fresh room code is shown (rule M4)."""
    _require_meeting(actor, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.state != Meeting.State.SCHEDULED:
        raise DomainError(
            gettext("the meeting is %(state)s") % {"state": meeting.get_state_display().lower()}
        )
    at = _now(now)
    if at < meeting.starts_at - dt.timedelta(hours=2):
        raise DomainError(
            gettext("the meeting starts at %(starts_at)s; it opens at most two hours before")
            % {"starts_at": _when(meeting.starts_at)}
        )
    meeting.state = Meeting.State.OPEN
    meeting.opened_at = at
    meeting.checkin_code = f"{secrets.randbelow(10**6):06d}"
    meeting.save(update_fields=["state", "opened_at", "checkin_code"])
    audit.record(actor=actor, action="meetings.meeting_open", target=meeting)
    return meeting


def _check_in(meeting: Meeting, member: Member, method: str, by: User, at: dt.datetime) -> bool:
    if Attendance.objects.filter(meeting=meeting, member=member).exists():
        return False
    Attendance.objects.create(
        meeting=meeting, member=member, method=method, checked_in_at=at, checked_in_by=by
    )
    return True


@transaction.atomic
def attendance_check_in(
    *, actor: User, meeting: Meeting, number: str, now: dt.datetime | None = None
) -> Member:
    """An officer checks in a member entitled to attend, by membership number. A number
    outside the meeting's members answers exactly as an unknown one."""
    _require_meeting(actor, meeting)
    if meeting.state != Meeting.State.OPEN:
        raise DomainError(gettext("check-in is open only while the meeting is in progress"))
    member = queries.entitled_by_number(meeting, number)
    if member is None:
        raise DomainError(gettext("no member with that number is entitled to attend this meeting"))
    if not _check_in(meeting, member, Attendance.Method.OFFICER, actor, _now(now)):
        raise DomainError(
            gettext("%(full_name)s is already checked in") % {"full_name": member.full_name}
        )
    audit.record(
        actor=actor, action="meetings.check_in", target=meeting, data={"member": member.audit_label}
    )
    return member


class WrongCode(DomainError):
    """A self check-in with a code other than the room's (the view rate-limits these)."""


@transaction.atomic
def attendance_self_check_in(
    *, actor: User, meeting: Meeting, code: str, now: dt.datetime | None = None
) -> Attendance:
    """A member checks themselves in with the code shown in the room."""
    member = own_member(actor)
    if member is None or not queries.entitled_members(meeting).filter(pk=member.pk).exists():
        raise PermissionDenied(gettext("you are not entitled to attend this meeting"))
    if meeting.state != Meeting.State.OPEN:
        raise DomainError(gettext("check-in is open only while the meeting is in progress"))
    if not meeting.checkin_code or not secrets.compare_digest(code.strip(), meeting.checkin_code):
        raise WrongCode(gettext("that is not the code shown in the room"))
    if not _check_in(meeting, member, Attendance.Method.SELF, actor, _now(now)):
        raise DomainError(gettext("you are already checked in"))
    audit.record(
        actor=actor,
        action="meetings.self_check_in",
        target=meeting,
        data={"member": member.audit_label},
    )
    return Attendance.objects.get(meeting=meeting, member=member)


@transaction.atomic
def item_decide(
    *,
    actor: User,
    item: AgendaItem,
    outcome: str,
    decision: str = "",
    votes_for: int | None = None,
    votes_against: int | None = None,
    votes_abstain: int | None = None,
    now: dt.datetime | None = None,
) -> AgendaItem:
    """Record the meeting's decision on one item (rules M3-M7).

    The meeting must be open and quorate now. A motion or an amendment is carried or
    lost by a vote with more for than against; a carried amendment becomes the motion's
    text; a carried branch motion goes to its CLP's next meeting (M6); carried minutes
    of the last meeting are approved (M5).
    """
    at = _now(now)
    meeting = Meeting.objects.select_for_update().get(pk=item.meeting_id)
    _require_meeting(actor, meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    if meeting.state != Meeting.State.OPEN:
        raise DomainError(gettext("decisions are recorded while the meeting is in progress"))
    if item.outcome:
        raise DomainError(
            gettext("this item was already decided: %(outcome)s")
            % {"outcome": item.get_outcome_display().lower()}
        )
    q = queries.quorum_state(meeting)
    if not q.met:
        raise DomainError(
            gettext(
                "the meeting is not quorate: %(present)s present, the quorum is "
                "%(quorum)s (rule M3). No decision can be taken."
            )
            % {"present": q.present, "quorum": q.quorum}
        )
    _check_decision(item, outcome, q.present, votes_for, votes_against, votes_abstain)
    item.outcome = outcome
    item.decision = decision.strip()
    item.votes_for, item.votes_against, item.votes_abstain = votes_for, votes_against, votes_abstain
    item.decided_at = at
    item.save()
    tally = f"{votes_for} for, {votes_against} against" if votes_for is not None else ""
    if item.kind == AgendaItem.Kind.MOTION and item.motion_id is not None:
        _decide_motion(item, meeting, outcome, at, tally)
    elif item.kind == AgendaItem.Kind.AMENDMENT and item.amendment_id is not None:
        _decide_amendment(item, meeting, outcome, at, tally)
    elif item.minutes_of_id is not None and outcome == AgendaItem.Outcome.CARRIED:
        Meeting.objects.filter(pk=item.minutes_of_id).update(
            minutes_state=Meeting.Minutes.APPROVED, minutes_approved_by=meeting
        )
    audit.record(
        actor=actor,
        action="meetings.item_decide",
        target=item,
        data={"outcome": outcome, "for": votes_for, "against": votes_against},
    )
    return item


def _check_decision(
    item: AgendaItem,
    outcome: str,
    present: int,
    votes_for: int | None,
    votes_against: int | None,
    votes_abstain: int | None,
) -> None:
    """The checks of ``item_decide`` on the outcome and the votes (rules M3-M7)."""
    if outcome not in AgendaItem.Outcome.values or not outcome:
        raise DomainError(gettext("choose the outcome"))
    voted = item.kind in (AgendaItem.Kind.MOTION, AgendaItem.Kind.AMENDMENT)
    decisive = outcome in (AgendaItem.Outcome.CARRIED, AgendaItem.Outcome.LOST)
    if voted and decisive and (votes_for is None or votes_against is None):
        raise DomainError(gettext("give the votes for and against"))
    counts = [v for v in (votes_for, votes_against, votes_abstain) if v is not None]
    if any(v < 0 for v in counts):
        raise DomainError(gettext("vote counts cannot be negative"))
    if sum(counts) > present:
        raise DomainError(
            gettext("%(recorded)s votes recorded but only %(present)s members are present")
            % {"recorded": sum(counts), "present": present}
        )
    if votes_for is not None and votes_against is not None:
        if outcome == AgendaItem.Outcome.CARRIED and votes_for <= votes_against:
            raise DomainError(
                gettext(
                    "%(votes_for)s for and %(votes_against)s against does not carry it: it is lost"
                )
                % {"votes_for": votes_for, "votes_against": votes_against}
            )
        if outcome == AgendaItem.Outcome.LOST and votes_for > votes_against:
            raise DomainError(
                gettext("%(votes_for)s for and %(votes_against)s against carries it")
                % {"votes_for": votes_for, "votes_against": votes_against}
            )
    if item.kind == AgendaItem.Kind.MOTION and outcome == AgendaItem.Outcome.CARRIED:
        pending = MotionAmendment.objects.filter(
            motion=item.motion, state=MotionAmendment.State.PENDING
        )
        if pending.exists():
            raise DomainError(gettext("decide the amendments to this motion first"))


def _decide_motion(
    item: AgendaItem, meeting: Meeting, outcome: str, at: dt.datetime, tally: str
) -> None:
    assert item.motion_id is not None
    motion = Motion.objects.select_for_update().get(pk=item.motion_id)
    if outcome not in (AgendaItem.Outcome.CARRIED, AgendaItem.Outcome.LOST):
        motion.state = Motion.State.DRAFT
        motion.save(update_fields=["state"])
        _event(motion, f"{item.get_outcome_display()} at {meeting.title}", at, meeting)
        return
    motion.state = (
        Motion.State.CARRIED if outcome == AgendaItem.Outcome.CARRIED else Motion.State.LOST
    )
    motion.decided_in = meeting
    motion.votes_for = item.votes_for or 0
    motion.votes_against = item.votes_against or 0
    motion.votes_abstain = item.votes_abstain or 0
    motion.save()
    _event(motion, f"{motion.get_state_display()} at {meeting.title} ({tally})", at, meeting)
    if motion.state == Motion.State.CARRIED and motion.branch_id is not None:
        _forward(motion, at)


def _forward(motion: Motion, at: dt.datetime) -> Motion:
    """A carried branch motion goes to its CLP with its text and history (rule M6)."""
    assert motion.branch is not None
    clp_motion = Motion.objects.create(
        clp_id=motion.branch.clp_id,
        title=motion.title,
        text=motion.text,
        original_text=motion.text,
        mover=f"{motion.branch.name} branch",
        forwarded_from=motion,
        created_at=at,
    )
    _event(motion, f"Forwarded to {motion.branch.clp.name}", at)
    _event(clp_motion, f"Received from {motion.branch.name} branch", at)
    meeting = queries.next_clp_meeting(motion.branch.clp_id, at)
    if meeting is not None:
        _table(meeting, clp_motion, at)
    return clp_motion


def _decide_amendment(
    item: AgendaItem, meeting: Meeting, outcome: str, at: dt.datetime, tally: str
) -> None:
    assert item.amendment_id is not None
    amendment = MotionAmendment.objects.select_for_update().get(pk=item.amendment_id)
    motion = Motion.objects.select_for_update().get(pk=amendment.motion_id)
    if outcome == AgendaItem.Outcome.CARRIED:
        amendment.state = MotionAmendment.State.CARRIED
        motion.text = amendment.text
        motion.save(update_fields=["text"])
        _event(motion, f"Amended at {meeting.title} ({tally})", at, meeting)
    elif outcome == AgendaItem.Outcome.LOST:
        amendment.state = MotionAmendment.State.LOST
        _event(motion, f"An amendment was lost at {meeting.title} ({tally})", at, meeting)
    amendment.save(update_fields=["state"])


@transaction.atomic
def meeting_close(*, actor: User, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """Close the meeting: items not taken are deferred; draft minutes are built from the
    decisions (rule M5), to be approved at the next meeting."""
    _require_meeting(actor, meeting)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.state != Meeting.State.OPEN:
        raise DomainError(gettext("only a meeting in progress can be closed"))
    at = _now(now)
    for item in AgendaItem.objects.filter(meeting=meeting, outcome=""):
        item.outcome = AgendaItem.Outcome.DEFERRED
        item.decided_at = at
        item.save(update_fields=["outcome", "decided_at"])
        if item.motion_id is not None and item.kind == AgendaItem.Kind.MOTION:
            Motion.objects.filter(pk=item.motion_id, state=Motion.State.TABLED).update(
                state=Motion.State.DRAFT
            )
    items = queries.meeting_items(meeting)
    present = Attendance.objects.filter(meeting=meeting).count()
    meeting.minutes = queries.build_minutes(meeting, items, present)
    meeting.minutes_state = Meeting.Minutes.DRAFT
    meeting.state = Meeting.State.CLOSED
    meeting.checkin_code = ""
    meeting.closed_at = at
    meeting.save()
    audit.record(
        actor=actor, action="meetings.meeting_close", target=meeting, data={"present": present}
    )
    return meeting


# --- Motions -----------------------------------------------------------------------------------
@transaction.atomic
def motion_create(
    *,
    actor: User,
    title: str,
    text: str,
    mover: str = "",
    branch: Branch | None = None,
    clp: CLP | None = None,
    meeting: Meeting | None = None,
    now: dt.datetime | None = None,
) -> Motion:
    """A branch or CLP motion, put on ``meeting``'s agenda when given (the unit's own
    meeting, not yet closed). The conference limits on words apply (clause 3.II.2)."""
    at = _now(now)
    _require_unit(actor, branch, clp)
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise DomainError(gettext("a motion needs a title and a text"))
    p = parameters_in_force(on=timezone.localdate(at))
    n = len(text.split())
    if n > p.motion_max_words:
        raise DomainError(
            gettext("the motion has %(n)s words; the limit is %(motion_max_words)s")
            % {"n": n, "motion_max_words": p.motion_max_words}
        )
    if len(title.split()) > p.motion_title_max_words:
        raise DomainError(
            gettext("the title is at most %(motion_title_max_words)s words")
            % {"motion_title_max_words": p.motion_title_max_words}
        )
    if meeting is not None:
        if meeting.branch_id != (branch.pk if branch else None) or meeting.clp_id != (
            clp.pk if clp else None
        ):
            raise DomainError(gettext("the motion goes to a meeting of its own branch or CLP"))
        if meeting.state in (Meeting.State.CLOSED, Meeting.State.CANCELLED):
            raise DomainError(
                gettext("the meeting is %(state)s") % {"state": meeting.get_state_display().lower()}
            )
    motion = Motion.objects.create(
        branch=branch,
        clp=clp,
        title=title[:200],
        text=text,
        original_text=text,
        mover=mover.strip()[:200],
        created_by=actor,
        created_at=at,
    )
    _event(motion, f"Drafted by {motion.unit_name}", at)
    if meeting is not None:
        _table(meeting, motion, at)
    audit.record(actor=actor, action="meetings.motion_create", target=motion)
    return motion


@transaction.atomic
def amendment_move(
    *, actor: User, motion: Motion, text: str, mover: str = "", now: dt.datetime | None = None
) -> MotionAmendment:
    """Move an amendment (the motion's full new wording) at the meeting where the motion
    is on the agenda; its vote is an item just before the motion's (rule M7)."""
    at = _now(now)
    if not permissions.can_manage_motion(actor, motion):
        raise PermissionDenied(gettext("you do not run this motion's meetings"))
    item = (
        AgendaItem.objects.filter(motion=motion, kind=AgendaItem.Kind.MOTION, outcome="")
        .select_related("meeting")
        .first()
    )
    if item is None or item.meeting.state in (Meeting.State.CLOSED, Meeting.State.CANCELLED):
        raise DomainError(gettext("the motion is not on the agenda of a meeting to come"))
    text = text.strip()
    if not text:
        raise DomainError(gettext("give the motion's text as amended"))
    if text == motion.text.strip():
        raise DomainError(gettext("the amended text is the same as the motion's"))
    p = parameters_in_force(on=timezone.localdate(at))
    if len(text.split()) > p.motion_max_words:
        raise DomainError(
            gettext("the amended motion would exceed %(motion_max_words)s words")
            % {"motion_max_words": p.motion_max_words}
        )
    amendment = MotionAmendment.objects.create(
        motion=motion, text=text, base_text=motion.text, mover=mover.strip()[:200], created_at=at
    )
    # The amendment's vote comes just before the motion's.
    AgendaItem.objects.filter(meeting=item.meeting, position__gte=item.position).update(
        position=F("position") + 1
    )
    AgendaItem.objects.create(
        meeting=item.meeting,
        position=item.position,
        kind=AgendaItem.Kind.AMENDMENT,
        title=f"Amendment to: {motion.title}"[:200],
        motion=motion,
        amendment=amendment,
    )
    _event(motion, f"Amendment moved{' by ' + mover.strip() if mover.strip() else ''}", at)
    audit.record(actor=actor, action="meetings.amendment_move", target=motion)
    return amendment


@transaction.atomic
def motion_submit(
    *, actor: User, motion: Motion, conference: Conference, now: dt.datetime | None = None
) -> Submission:
    """A carried CLP motion becomes the CLP's conference submission in one step, with the
    meeting's date and vote, and keeps its provenance (``Submission.origin_motion``):
    every conference rule is checked by ``conference.services.submissions.submission_create``."""
    at = _now(now)
    motion = (
        Motion.objects.select_for_update(of=("self",))
        .select_related("decided_in", "clp")
        .get(pk=motion.pk)
    )
    if motion.clp is None:
        raise DomainError(
            gettext("a branch motion goes to its CLP first; the CLP submits to conference")
        )
    if motion.state != Motion.State.CARRIED or motion.decided_in is None:
        raise DomainError(gettext("only a motion the CLP has carried can be submitted"))
    sub = submission_create(
        actor=actor,
        conference=conference,
        kind=Submission.Kind.MOTION,
        title=motion.title,
        text=motion.text,
        meeting_date=timezone.localdate(motion.decided_in.starts_at),
        meeting_for=motion.votes_for,
        meeting_against=motion.votes_against,
        meeting_abstain=motion.votes_abstain,
        clp=motion.clp,
        now=at,
    )
    Submission.objects.filter(pk=sub.pk).update(origin_motion=motion)
    sub.origin_motion = motion
    motion.state = Motion.State.SUBMITTED
    motion.save(update_fields=["state"])
    _event(motion, f"Submitted to {conference.title} as {sub.reference}", at)
    audit.record(
        actor=actor,
        action="meetings.motion_submit",
        target=motion,
        data={"submission": sub.reference},
    )
    return sub


# --- Preferences and unsubscribe -----------------------------------------------------------
def unsubscribe_token(member_id: int, category: str) -> str:
    """A signed token naming a member and a category (no expiry: an old email's link
    still works; it can only turn mail off)."""
    return signing.dumps([member_id, category], salt=_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[Member, str]:
    try:
        member_id, category = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise DomainError(gettext("this unsubscribe link is not valid")) from exc
    member = Member.objects.filter(pk=member_id, erased_at__isnull=True).first()
    if member is None or category not in CATEGORIES:
        raise DomainError(gettext("this unsubscribe link is not valid"))
    return member, str(category)


@transaction.atomic
def preferences_set(
    *, actor: User | None, member: Member, meeting_notices: bool, officer_messages: bool
) -> CommunicationPreference:
    """Set what the member receives (the member on their page, or ``actor=None`` for a
    one-click unsubscribe). Audited by membership number."""
    if actor is not None and own_member(actor) != member:
        raise PermissionDenied(gettext("members set their own preferences"))
    pref, _ = CommunicationPreference.objects.select_for_update().get_or_create(member=member)
    pref.meeting_notices, pref.officer_messages = meeting_notices, officer_messages
    pref.save()
    audit.record(
        actor=actor,
        action="meetings.preferences_set",
        target=member,
        data={"meeting_notices": meeting_notices, "officer_messages": officer_messages},
    )
    return pref


def unsubscribe(*, token: str) -> tuple[Member, str]:
    """One-click unsubscribe (RFC 8058): turn the token's category off."""
    member, category = read_unsubscribe_token(token)
    current = CommunicationPreference.objects.filter(member=member).first()
    values = {
        "meeting_notices": current.meeting_notices if current else True,
        "officer_messages": current.officer_messages if current else True,
    }
    values[category] = False
    with audit.context("web"):
        preferences_set(actor=None, member=member, **values)
    return member, category


# --- Officers' messages ------------------------------------------------------------------------
def personalise(text: str, member: Member) -> str:
    """Fill the placeholders a message may use: {first_name}, {last_name}."""
    return text.replace("{first_name}", member.first_name).replace("{last_name}", member.last_name)


def message_check(
    *,
    actor: User,
    audience: str,
    subject: str,
    body: str,
    branch: Branch | None = None,
    clp: CLP | None = None,
    audience_branch: Branch | None = None,
    ballot_id: int | None = None,
) -> OfficerMessage:
    """Validate a message and return it unsaved (the preview uses it)."""
    _require_unit(actor, branch, clp)
    if audience not in OfficerMessage.Audience.values:
        raise DomainError(gettext("choose who the message is for"))
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise DomainError(gettext("a message needs a subject and a text"))
    if "\n" in subject or "\r" in subject or len(subject) > 200:
        raise DomainError(gettext("the subject is one line of at most 200 characters"))
    msg = OfficerMessage(
        branch=branch, clp=clp, audience=audience, subject=subject, body=body, sent_by=actor
    )
    clp_id = msg.unit_clp_id
    if audience == OfficerMessage.Audience.BRANCH:
        if audience_branch is None or audience_branch.clp_id != clp_id:
            raise DomainError(gettext("choose one of your constituency party's branches"))
        if branch is not None and audience_branch.pk != branch.pk:
            raise DomainError(gettext("a branch's officers write to their own branch only"))
        msg.audience_branch = audience_branch
    if audience == OfficerMessage.Audience.NOT_VOTED:
        ballot = next(
            (b for b in queries.open_ballots_for(actor, clp_id=clp_id) if b.pk == ballot_id), None
        )
        if ballot is None or not can_manage_ballot(actor, ballot):
            raise DomainError(gettext("choose an open ballot of your unit that you run"))
        msg.ballot = ballot
    return msg


@transaction.atomic
def message_send(
    *,
    actor: User,
    audience: str,
    subject: str,
    body: str,
    branch: Branch | None = None,
    clp: CLP | None = None,
    audience_branch: Branch | None = None,
    ballot_id: int | None = None,
    now: dt.datetime | None = None,
) -> OfficerMessage:
    """Send a message to a group of the unit's members (rule M8): only members of the
    group with an address who have not turned officers' messages off; at most
    ``MEETINGS_MESSAGES_PER_DAY`` messages per officer a day. The audit entry names the
    group and the counts, never an address."""
    at = _now(now)
    msg = message_check(
        actor=actor,
        audience=audience,
        subject=subject,
        body=body,
        branch=branch,
        clp=clp,
        audience_branch=audience_branch,
        ballot_id=ballot_id,
    )
    limit = int(getattr(settings, "MEETINGS_MESSAGES_PER_DAY", 5))
    sent = queries.messages_sent_since(actor, at - dt.timedelta(days=1))
    if sent >= limit:
        raise DomainError(
            gettext(
                "you have sent %(sent)s messages in the last 24 hours; "
                "the limit is %(limit)s. Try again later."
            )
            % {"sent": sent, "limit": limit}
        )
    to = queries.recipients(
        queries.audience_members(msg, day=timezone.localdate(at)), "officer_messages"
    )
    if not to.ids:
        raise DomainError(gettext("nobody in that group can be sent this message"))
    msg.created_at = at
    msg.recipients = to.count
    msg.skipped_unwilling = to.unwilling
    msg.skipped_no_email = to.no_email
    msg.skipped_bounced = to.bounced
    msg.save()
    Delivery.objects.bulk_create(Delivery(message=msg, member_id=pk) for pk in to.ids)
    audit_label = f"message {msg.pk} to {msg.get_audience_display().lower()} of {msg.unit_name}"
    audit.record(
        actor=actor,
        action="meetings.message_send",
        target=msg,
        label=audit_label,
        data={
            "audience": audience,
            "unit": msg.unit_name,
            "branch": msg.audience_branch.name if msg.audience_branch else None,
            "ballot": msg.ballot_id,
            "recipients": to.count,
            "unwilling": to.unwilling,
            "no_email": to.no_email,
            "bounced": to.bounced,
        },
    )
    _enqueue_after_commit("message", msg.pk)
    return msg


@transaction.atomic
def template_save(
    *,
    actor: User,
    name: str,
    subject: str,
    body: str,
    branch: Branch | None = None,
    clp: CLP | None = None,
) -> MessageTemplate:
    """Save a message as a template the unit's officers can start from."""
    _require_unit(actor, branch, clp)
    name = name.strip()
    if not name or not subject.strip() or not body.strip():
        raise DomainError(gettext("a template needs a name, a subject and a text"))
    template, _ = MessageTemplate.objects.update_or_create(
        branch=branch,
        clp=clp,
        name=name[:100],
        defaults={"subject": subject.strip()[:200], "body": body.strip()},
    )
    audit.record(actor=actor, action="meetings.template_save", target=template)
    return template
