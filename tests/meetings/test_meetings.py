"""Meetings: notice, attendance, the live quorum, decisions item by item, minutes."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import pytest
from django.core import mail

from rankandfile.conference.rules import MeetingRules, RuleParameters
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.meetings import queries, services
from rankandfile.meetings.models import AgendaItem, Attendance, Delivery, Meeting
from tests.conftest import Party
from tests.meetings.conftest import open_with, schedule
from tests.meetings.factories import PreferenceFactory

pytestmark = pytest.mark.django_db


def test_quorum_rule_in_plain_numbers() -> None:
    rules = MeetingRules()
    # The larger of the minimum and 1/20 of those entitled, never above those entitled.
    assert queries.quorum_for(kind="general", is_branch=True, entitled=40, rules=rules) == 5
    assert queries.quorum_for(kind="general", is_branch=True, entitled=101, rules=rules) == 6
    assert queries.quorum_for(kind="general", is_branch=False, entitled=400, rules=rules) == 20
    assert queries.quorum_for(kind="general", is_branch=False, entitled=40, rules=rules) == 15
    assert queries.quorum_for(kind="general", is_branch=True, entitled=3, rules=rules) == 3
    assert queries.quorum_for(kind="executive", is_branch=False, entitled=9, rules=rules) == 5


def test_meeting_rules_are_rule_book_parameters() -> None:
    p = RuleParameters.from_json({"meetings": {"notice_days": 10, "quorum_share": "1/10"}})
    assert p.meetings.notice_days == 10 and p.meetings.quorum_share == Fraction(1, 10)
    assert RuleParameters.from_json(p.to_json()) == p
    with pytest.raises(ValueError, match="unknown meeting rules: quorom"):
        RuleParameters.from_json({"meetings": {"quorom": 3}})
    with pytest.raises(ValueError, match="between 0 and 1"):
        MeetingRules(quorum_share=Fraction(3, 2))


def test_schedule_sends_notice_with_ics_to_members_entitled_and_willing(p: Party) -> None:
    PreferenceFactory(member=p.branchmate, meeting_notices=False)
    meeting = schedule(p.branch_officer, branch=p.riverside, agenda=("Apologies", "Reports"))
    assert meeting.entitled_count == 2  # Mary and Bert; Nell is in Hillside
    assert meeting.quorum == 2  # the branch minimum (5) capped at those entitled
    assert [m.to for m in mail.outbox] == [["mary@example.org"]]
    notice = mail.outbox[0]
    assert "Apologies" in notice.body and "Reports" in notice.body
    _name, ics, mimetype = notice.attachments[0]
    assert mimetype == "text/calendar" and f"UID:meeting-{meeting.pk}@rankandfile" in ics
    assert "DTSTART:20260611T120000Z" in ics
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert notice.extra_headers["List-Unsubscribe"].startswith("<http")
    assert Delivery.objects.get(meeting=meeting).state == "sent"
    entry = AuditEntry.objects.filter(action="meetings.meeting_schedule").get()
    assert entry.data["notices"] == 1 and entry.data["unwilling"] == 1
    assert "@" not in str(entry.data)


def test_schedule_refuses_short_notice_and_other_units(p: Party) -> None:
    with pytest.raises(DomainError, match="7 clear days' notice"):
        schedule(p.branch_officer, branch=p.riverside, days=3)
    # An executive committee needs 3 days.
    schedule(p.branch_officer, branch=p.riverside, days=3, kind="executive")
    with pytest.raises(PermissionDenied):
        schedule(p.branch_officer, branch=p.hillside)
    with pytest.raises(PermissionDenied):
        schedule(p.branch_officer, clp=p.northtown)
    with pytest.raises(PermissionDenied):
        schedule(p.regional_officer, clp=p.northtown)
    # The CLP's officers run its branches' meetings too.
    schedule(p.clp_secretary, branch=p.hillside)
    assert Meeting.objects.count() == 2


def test_check_in_quorum_and_decisions(p: Party, clock: Any) -> None:
    meeting = schedule(p.branch_officer, branch=p.riverside, agenda=("Reports",))
    item = meeting.items.get()
    with pytest.raises(DomainError, match="while the meeting is in progress"):
        services.attendance_check_in(actor=p.branch_officer, meeting=meeting, number="RF000001")
    meeting = open_with(meeting, p.branch_officer, p.me, traveller=clock)
    assert len(meeting.checkin_code) == 6
    # Nell is a Northtown member but not of Riverside: answered as an unknown number.
    for number in ("RF000002", "NOPE"):
        with pytest.raises(DomainError, match="no member with that number is entitled"):
            services.attendance_check_in(actor=p.branch_officer, meeting=meeting, number=number)
    with pytest.raises(DomainError, match="already checked in"):
        services.attendance_check_in(actor=p.branch_officer, meeting=meeting, number="rf000001")
    with pytest.raises(DomainError, match="not quorate: 1 present, the quorum is 2"):
        services.item_decide(actor=p.branch_officer, item=item, outcome="noted")
    # Bert checks himself in with the code shown in the room.
    from tests.membership import factories as f

    bert = f.member_user(p.branchmate)
    with pytest.raises(DomainError, match="not the code"):
        services.attendance_self_check_in(actor=bert, meeting=meeting, code="999999x")
    services.attendance_self_check_in(actor=bert, meeting=meeting, code=meeting.checkin_code)
    assert Attendance.objects.get(member=p.branchmate).method == "self"
    with pytest.raises(PermissionDenied):
        services.attendance_self_check_in(
            actor=p.clp_secretary, meeting=meeting, code=meeting.checkin_code
        )
    assert queries.quorum_state(meeting).met
    with pytest.raises(DomainError, match="3 votes recorded but only 2 members are present"):
        services.item_decide(
            actor=p.branch_officer, item=item, outcome="carried", votes_for=2, votes_against=1
        )
    with pytest.raises(PermissionDenied):
        services.item_decide(actor=p.regional_officer, item=item, outcome="noted")
    services.item_decide(
        actor=p.branch_officer, item=item, outcome="noted", decision="Reports received."
    )
    with pytest.raises(DomainError, match="already decided"):
        services.item_decide(actor=p.branch_officer, item=item, outcome="noted")


def test_minutes_drafted_at_close_and_approved_at_the_next_meeting(p: Party, clock: Any) -> None:
    first = schedule(p.branch_officer, branch=p.riverside, agenda=("Reports", "Any other business"))
    first = open_with(first, p.branch_officer, p.me, p.branchmate, traveller=clock)
    reports = first.items.get(title="Reports")
    services.item_decide(
        actor=p.branch_officer, item=reports, outcome="noted", decision="Canvassing went well."
    )
    first = services.meeting_close(actor=p.branch_officer, meeting=first)
    assert first.minutes_state == "draft" and first.checkin_code == ""
    assert "Present: 2 of 2 members entitled to attend (quorum 2)." in first.minutes
    assert "1. Reports\n   Noted.\n   Canvassing went well." in first.minutes
    assert "2. Any other business\n   Deferred." in first.minutes
    second = schedule(p.branch_officer, branch=p.riverside, agenda=("Reports",))
    minutes_item = second.items.order_by("position").first()
    assert minutes_item is not None and minutes_item.kind == AgendaItem.Kind.MINUTES
    assert minutes_item.minutes_of_id == first.pk
    second = open_with(second, p.branch_officer, p.me, p.branchmate, traveller=clock)
    services.item_decide(
        actor=p.branch_officer, item=minutes_item, outcome="carried", votes_for=2, votes_against=0
    )
    first.refresh_from_db()
    assert first.minutes_state == "approved" and first.minutes_approved_by_id == second.pk


def test_member_sees_own_units_meetings_only(p: Party) -> None:
    from rankandfile.meetings import permissions

    riverside = schedule(p.branch_officer, branch=p.riverside)
    hillside = schedule(p.clp_secretary, branch=p.hillside)
    clp = schedule(p.clp_secretary, clp=p.northtown)
    seen = set(permissions.visible_meetings(p.member).values_list("pk", flat=True))
    assert seen == {riverside.pk, clp.pk}
    assert hillside.pk not in seen
    assert (
        not permissions.visible_meetings(p.southerner.user).exists() if p.southerner.user else True
    )
    assert set(permissions.visible_meetings(p.clp_secretary).values_list("pk", flat=True)) == {
        riverside.pk,
        hillside.pk,
        clp.pk,
    }
    assert not permissions.visible_meetings(p.regional_officer).exists()
    mine = queries.member_meetings(p.me)
    assert {m.pk for m in mine.upcoming} == {riverside.pk, clp.pk}
    _ = dt
