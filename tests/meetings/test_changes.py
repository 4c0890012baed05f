"""Rescheduling and cancelling a meeting: a notice of change to those entitled through
the exactly-once path, the .ics with the same UID and a higher SEQUENCE (METHOD:CANCEL
when cancelled), audited, officers of the unit only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.meetings import services
from rankandfile.meetings.models import Delivery, Meeting
from tests.conftest import Party
from tests.meetings.conftest import schedule

pytestmark = pytest.mark.django_db


def ics_of(message: Any) -> str:
    (attachment,) = [a for a in message.attachments if a[0] == "meeting.ics"]
    return str(attachment[1])


def test_reschedule_sends_the_change_with_the_same_uid_and_a_higher_sequence(p: Party) -> None:
    meeting = schedule(p.branch_officer, branch=p.riverside)
    first = {m.to[0]: m for m in mail.outbox}
    assert set(first) == {"mary@example.org", "bert@example.org"}
    assert "SEQUENCE:0" in ics_of(first["mary@example.org"])
    mail.outbox.clear()
    later = meeting.starts_at + dt.timedelta(days=7)
    services.meeting_reschedule(
        actor=p.branch_officer,
        meeting=meeting,
        starts_at=later,
        ends_at=later + dt.timedelta(hours=2),
        location="The Library, Riverside",
    )
    meeting.refresh_from_db()
    assert meeting.sequence == 1 and meeting.starts_at == later
    assert sorted(m.to[0] for m in mail.outbox) == ["bert@example.org", "mary@example.org"]
    message = mail.outbox[0]
    assert message.subject.startswith("Meeting changed: ")
    assert "MOVED" in message.body and "The Library, Riverside" in message.body
    text = ics_of(message)
    assert f"UID:meeting-{meeting.pk}@rankandfile" in text and "SEQUENCE:1" in text
    assert "METHOD:PUBLISH" in text and later.strftime("DTSTART:%Y%m%dT%H%M%SZ") in text
    assert Delivery.objects.filter(meeting=meeting, sequence=1, state="sent").count() == 2
    entry = AuditEntry.objects.get(action="meetings.meeting_reschedule")
    assert entry.data["notices"] == 2 and entry.data["sequence"] == 1
    assert "example.org" not in str(entry.data)
    # The new time needs the rule's notice; nothing changes when it is refused.
    with pytest.raises(DomainError, match="clear days' notice"):
        services.meeting_reschedule(
            actor=p.branch_officer,
            meeting=meeting,
            starts_at=meeting.starts_at - dt.timedelta(days=16),
            ends_at=meeting.ends_at - dt.timedelta(days=16),
            location="Anywhere",
        )
    meeting.refresh_from_db()
    assert meeting.sequence == 1 and meeting.location == "The Library, Riverside"


def test_cancel_sends_a_cancel_ics_and_frees_tabled_motions(p: Party) -> None:
    meeting = schedule(p.clp_secretary, clp=p.northtown)
    motion = services.motion_create(
        actor=p.clp_secretary, clp=p.northtown, meeting=meeting, title="Buses", text="Run them."
    )
    assert motion.state == "tabled"
    mail.outbox.clear()
    services.meeting_cancel(actor=p.clp_secretary, meeting=meeting, reason="Hall flooded")
    meeting.refresh_from_db()
    assert meeting.state == "cancelled" and meeting.sequence == 1
    assert mail.outbox and all(m.subject.startswith("Meeting cancelled: ") for m in mail.outbox)
    text = ics_of(mail.outbox[0])
    assert "METHOD:CANCEL" in text and "STATUS:CANCELLED" in text and "SEQUENCE:1" in text
    assert len({m.to[0] for m in mail.outbox}) == len(mail.outbox)  # one each
    motion.refresh_from_db()
    assert motion.state == "draft" and "was cancelled" in motion.events.last().what
    assert AuditEntry.objects.get(action="meetings.meeting_cancel").data["reason"] == "Hall flooded"
    with pytest.raises(DomainError, match="not started can be cancelled"):
        services.meeting_cancel(actor=p.clp_secretary, meeting=meeting)


def test_a_change_replaces_notices_nobody_started_sending(p: Party) -> None:
    with services.notices_suppressed():
        meeting = schedule(p.branch_officer, branch=p.riverside)
        assert Delivery.objects.filter(meeting=meeting, sequence=0).count() == 2
        services.meeting_cancel(actor=p.branch_officer, meeting=meeting)
    assert not Delivery.objects.filter(meeting=meeting, sequence=0).exists()
    assert Delivery.objects.filter(meeting=meeting, sequence=1, state="queued").count() == 2


def test_only_the_units_officers_can_change_a_meeting(p: Party) -> None:
    meeting = schedule(p.branch_officer, branch=p.riverside)
    with pytest.raises(PermissionDenied):
        services.meeting_cancel(actor=p.member, meeting=meeting)
    officer = Client()
    officer.force_login(p.branch_officer)
    member = Client()
    member.force_login(p.member)
    cancel = reverse("meetings:action", args=[meeting.pk, "cancel"])
    move = reverse("meetings:action", args=[meeting.pk, "reschedule"])
    assert member.post(cancel, {"confirm": "on"}).status_code == 404
    assert member.post(move, {}).status_code == 404
    other = schedule(p.clp_secretary, branch=p.hillside)
    assert (
        officer.post(
            reverse("meetings:action", args=[other.pk, "cancel"]), {"confirm": "on"}
        ).status_code
        == 404
    )
    page = officer.get(reverse("meetings:meeting", args=[meeting.pk])).text
    assert "Move the meeting" in page and "Cancel the meeting" in page
    assert "Move the meeting" not in member.get(reverse("meetings:meeting", args=[meeting.pk])).text
    # Bad input: a clear error, nothing changed.
    r = officer.post(cancel, {})
    assert r.status_code == 400 and "tick the box" in r.text
    r = officer.post(move, {"starts_at": "", "ends_at": "", "location": ""})
    assert r.status_code == 400 and "give the new start, end and place" in r.text
    meeting.refresh_from_db()
    assert meeting.state == "scheduled" and meeting.sequence == 0
    later = meeting.starts_at + dt.timedelta(days=3)
    fmt = "%Y-%m-%dT%H:%M"
    from django.utils import timezone

    r = officer.post(
        move,
        {
            "starts_at": timezone.localtime(later).strftime(fmt),
            "ends_at": timezone.localtime(later + dt.timedelta(hours=1)).strftime(fmt),
            "location": "Room 2",
        },
    )
    assert r.status_code == 302
    meeting.refresh_from_db()
    assert meeting.location == "Room 2" and meeting.sequence == 1
    assert officer.post(cancel, {"confirm": "on", "reason": "x"}).status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).state == "cancelled"
