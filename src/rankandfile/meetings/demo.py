"""Demo data for meetings (registered in RANKANDFILE_DEMO_SEEDERS), built through the
services with their clocks set in the past:

- Streatham Hill branch (the demo branch officer's) met three weeks ago: minutes drafted,
  a motion on bus services carried and forwarded to Streatham CLP;
- Streatham CLP's next general meeting (in ten days) has the branch's motion on its
  agenda; the branch's next meeting (in twelve days) opens with the minutes to approve
  and was moved to another room (a notice of change);
- a message template for the CLP's officers.

Notices are not emailed (the demo members' addresses are not real): the services run
with sending held back (``services.notices_suppressed``) and the queued notices are then
dropped.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rankandfile.core.models import User
from rankandfile.meetings import queries, services
from rankandfile.meetings.models import Delivery, Meeting
from rankandfile.membership.models import Branch

DOMAIN = "demo.rankandfile.org"
DAY = dt.timedelta(days=1)

BUS_MOTION = (
    "This branch notes that the 50 and 133 bus routes have been cut to every twenty minutes "
    "in the evening. This branch believes that buses are a public service. This branch "
    "calls for bus services to be brought back under public control and run for passengers "
    "rather than profit."
)


def seed(seed: int) -> str:
    """Add the demo meetings; return a one-line summary."""
    officer = User.objects.filter(email=f"branch@{DOMAIN}").first()
    secretary = User.objects.filter(email=f"secretary@{DOMAIN}").first()
    branch = Branch.objects.filter(
        name="Streatham Hill", clp__constituency__name="Streatham"
    ).first()
    if officer is None or secretary is None or branch is None:
        return "meetings: demo logins missing, skipped"
    if Meeting.objects.filter(branch=branch).exists():
        return "meetings: already seeded"
    now = timezone.now()
    past = _at(now - 21 * DAY, 19)
    with services.notices_suppressed():
        meeting = _branch_meeting_with_motion(officer, branch, past)
        _clp_meeting(secretary, branch, now, past)
        _hold_meeting(officer, meeting, past)
        _upcoming_meeting_moved(officer, branch, now)
    _message_template(secretary, branch)
    # The demo's addresses are not real: the notices the services queued are dropped.
    Delivery.objects.filter(meeting__branch=branch).delete()
    Delivery.objects.filter(meeting__clp=branch.clp).delete()
    _ = seed
    return (
        "meetings: a branch meeting with minutes, a motion forwarded to the CLP, 2 meetings to come"
    )


def _branch_meeting_with_motion(officer: User, branch: Branch, past: dt.datetime) -> Meeting:
    """The branch's general meeting three weeks ago, with the bus motion on its agenda."""
    meeting = services.meeting_schedule(
        actor=officer,
        branch=branch,
        kind=Meeting.Kind.GENERAL,
        title="Streatham Hill branch: general meeting",
        starts_at=past,
        ends_at=past + dt.timedelta(hours=2),
        location="Streatham Library, Community Room",
        agenda=["Apologies", "Officers' reports", "Any other business"],
        now=past - 14 * DAY,
    )
    services.motion_create(
        actor=officer,
        branch=branch,
        title="Buses for passengers, not profit",
        text=BUS_MOTION,
        mover="Sam Reid",
        meeting=meeting,
        now=past - 10 * DAY,
    )
    return meeting


def _clp_meeting(secretary: User, branch: Branch, now: dt.datetime, past: dt.datetime) -> None:
    """The CLP's next general meeting, in ten days."""
    services.meeting_schedule(
        actor=secretary,
        clp=branch.clp,
        kind=Meeting.Kind.GENERAL,
        title="Streatham CLP: general meeting",
        starts_at=_at(now + 10 * DAY, 19),
        ends_at=_at(now + 10 * DAY, 21),
        location="Streatham Methodist Church Hall",
        agenda=["Apologies", "Campaign report", "Conference delegates' report"],
        now=past - 7 * DAY,
    )


def _hold_meeting(officer: User, meeting: Meeting, past: dt.datetime) -> None:
    """Open the past meeting, check a quorum in, decide its items (the motion carried and
    forwarded to the CLP), and close it."""
    meeting = services.meeting_open(actor=officer, meeting=meeting, now=past)
    members = list(queries.entitled_members(meeting).order_by("pk")[: max(meeting.quorum, 1) + 3])
    for m in members:
        services.attendance_check_in(
            actor=officer, meeting=meeting, number=m.membership_number, now=past
        )
    present = len(members)
    for item in queries.meeting_items(meeting):
        if item.motion_id is not None:
            services.item_decide(
                actor=officer,
                item=item,
                outcome="carried",
                votes_for=present,
                votes_against=0,
                decision="Carried; to go to the CLP.",
                now=past + dt.timedelta(minutes=40),
            )
        elif item.title == "Officers' reports":
            services.item_decide(
                actor=officer,
                item=item,
                outcome="noted",
                decision="The secretary reported on the canvassing in Streatham Hill.",
                now=past + dt.timedelta(minutes=20),
            )
    services.meeting_close(actor=officer, meeting=meeting, now=past + dt.timedelta(hours=2))


def _upcoming_meeting_moved(officer: User, branch: Branch, now: dt.datetime) -> None:
    """The branch's next meeting, in twelve days, moved to another room."""
    upcoming = services.meeting_schedule(
        actor=officer,
        branch=branch,
        kind=Meeting.Kind.GENERAL,
        title="Streatham Hill branch: general meeting",
        starts_at=_at(now + 12 * DAY, 19),
        ends_at=_at(now + 12 * DAY, 21),
        location="Streatham Library, Main Hall",
        agenda=["Apologies", "Report from the CLP"],
        now=now - 2 * DAY,
    )
    # The hall was double-booked: moved to the community room (a notice of change).
    services.meeting_reschedule(
        actor=officer,
        meeting=upcoming,
        starts_at=upcoming.starts_at,
        ends_at=upcoming.ends_at,
        location="Streatham Library, Community Room",
        now=now - DAY,
    )


def _message_template(secretary: User, branch: Branch) -> None:
    services.template_save(
        actor=secretary,
        clp=branch.clp,
        name="Meeting reminder",
        subject="Our general meeting is next week",
        body="Dear {first_name},\n\nOur general meeting is next week. The agenda and the "
        "motions are on the meetings page.\n\nIn solidarity,\nStreatham CLP officers",
    )


def _at(when: dt.datetime, hour: int) -> dt.datetime:
    local = timezone.localtime(when)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)
