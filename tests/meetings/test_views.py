"""Meeting pages: members see their units' meetings; officers schedule and run them; bad
input is explained and changes nothing; out of scope is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rankandfile.meetings.models import Attendance, Meeting, Motion
from tests.conftest import Party
from tests.meetings.conftest import schedule

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_schedule_form(p: Party) -> None:
    c = login(p.branch_officer)
    url = reverse("meetings:create")
    r = c.get(url)
    assert r.status_code == 200 and f'value="b:{p.riverside.pk}"' in r.text
    assert f'value="b:{p.hillside.pk}"' not in r.text
    data = {
        "unit": f"b:{p.riverside.pk}",
        "kind": "general",
        "title": "Summer meeting",
        "starts_at": "2026-06-03T19:00",
        "ends_at": "2026-06-03T21:00",
        "location": "The library",
        "agenda": "Apologies\nReports\n",
    }
    r = c.post(url, data)
    assert r.status_code == 400 and "7 clear days" in r.text and not Meeting.objects.exists()
    r = c.post(url, {**data, "ends_at": "2026-06-03T18:00"})
    assert r.status_code == 400 and "must end after it starts" in r.text
    r = c.post(url, {**data, "unit": f"b:{p.hillside.pk}"})
    assert r.status_code == 400 and not Meeting.objects.exists()
    r = c.post(url, {**data, "starts_at": "2026-06-20T19:00", "ends_at": "2026-06-20T21:00"})
    meeting = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("meetings:meeting", args=[meeting.pk])
    assert [i.title for i in meeting.items.all()] == ["Apologies", "Reports"]
    assert login(p.member).get(url).status_code == 404


def test_member_and_officer_pages(p: Party, clock: Any) -> None:
    meeting = schedule(p.branch_officer, branch=p.riverside, agenda=("Reports",))
    hillside = schedule(p.clp_secretary, branch=p.hillside)
    member = login(p.member)
    r = member.get(reverse("meetings:index"))
    assert r.status_code == 200 and meeting.title in r.text
    assert reverse("meetings:meeting", args=[hillside.pk]) not in r.text
    assert member.get(reverse("meetings:meeting", args=[hillside.pk])).status_code == 404
    r = member.get(reverse("meetings:meeting", args=[meeting.pk]))
    assert r.status_code == 200 and "Reports" in r.text and "Open the meeting" not in r.text
    # Members cannot run it.
    url = reverse("meetings:action", args=[meeting.pk, "open"])
    assert member.post(url).status_code == 404
    officer = login(p.branch_officer)
    r = officer.post(url)
    assert r.status_code == 400 and "opens at most two hours before" in r.text
    clock.move_to(meeting.starts_at)
    assert officer.post(url).status_code == 302
    meeting.refresh_from_db()
    r = officer.get(reverse("meetings:meeting", args=[meeting.pk]))
    assert meeting.checkin_code in r.text and "Not quorate" in r.text
    assert 'hx-trigger="every 5s"' in r.text
    check_in = reverse("meetings:action", args=[meeting.pk, "check_in"])
    r = officer.post(check_in, {"number": p.neighbour.membership_number})
    assert r.status_code == 400 and "no member with that number is entitled" in r.text
    assert officer.post(check_in, {"number": p.me.membership_number}).status_code == 302
    # Bert checks himself in with the room code; a wrong code is explained.
    from tests.membership import factories as f

    bert = login(f.member_user(p.branchmate))
    self_url = reverse("meetings:action", args=[meeting.pk, "self_check_in"])
    r = bert.post(self_url, {"code": "000000" if meeting.checkin_code != "000000" else "111111"})
    assert r.status_code == 400 and "not the code shown in the room" in r.text
    assert bert.post(self_url, {"code": meeting.checkin_code}).status_code == 302
    assert Attendance.objects.filter(meeting=meeting).count() == 2
    r = member.get(reverse("meetings:quorum", args=[meeting.pk]))
    assert "2 present" in r.text and "Quorate." in r.text
    item = meeting.items.get()
    decide = reverse("meetings:decide", args=[item.pk])
    assert member.post(decide, {"outcome": "noted"}).status_code == 404
    r = officer.post(decide, {"outcome": "bogus"})
    assert r.status_code == 400
    r = officer.post(decide, {"outcome": "noted", "decision": "Received with thanks."})
    assert r.status_code == 302
    r = officer.post(
        reverse("meetings:action", args=[meeting.pk, "add_motion"]),
        {"title": "Libraries", "text": "This branch calls for libraries to stay open."},
    )
    assert r.status_code == 302 and Motion.objects.get().state == "tabled"
    assert officer.post(reverse("meetings:action", args=[meeting.pk, "close"])).status_code == 302
    r = member.get(reverse("meetings:meeting", args=[meeting.pk]))
    assert "Minutes (draft, to be approved at the next meeting)" in r.text
    assert "Received with thanks." in r.text
    # The API serves the same to the member, and nothing of another branch.
    api = member.get(f"/api/v1/meetings/{meeting.pk}/").json()
    assert api["minutes_state"] == "draft" and api["items"][0]["outcome"] == "noted"
    assert member.get(f"/api/v1/meetings/{hillside.pk}/").status_code == 404
    assert {m["id"] for m in member.get("/api/v1/meetings/").json()} == {meeting.pk}


def test_home_panel_shows_the_next_meeting(p: Party) -> None:
    meeting = schedule(p.branch_officer, branch=p.riverside)
    r = login(p.member).get("/")
    assert r.status_code == 200 and "Meetings, motions and minutes" in r.text
    assert reverse("meetings:meeting", args=[meeting.pk]) in r.text


def test_meetings_link_in_the_navigation_for_signed_in_members(p: Party) -> None:
    index = reverse("meetings:index")
    link = f'<a href="{index}" aria-current="page">Meetings</a>'
    member = login(p.member)
    assert link in member.get(index).content.decode()
    assert f'<a href="{index}" >Meetings</a>' in member.get(reverse("home")).content.decode()
    assert f'href="{index}"' not in Client().get(reverse("conference:index")).content.decode()


def test_self_check_in_wrong_codes_are_rate_limited(p: Party, clock: Any, settings: Any) -> None:
    from tests.membership import factories as f

    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "meetings_check_in_member": "3/10m/key",
        "meetings_check_in_meeting": "5/10m/key",
    }
    meeting = schedule(p.branch_officer, branch=p.riverside)
    clock.move_to(meeting.starts_at)
    officer = login(p.branch_officer)
    assert officer.post(reverse("meetings:action", args=[meeting.pk, "open"])).status_code == 302
    meeting.refresh_from_db()
    wrong = "000000" if meeting.checkin_code != "000000" else "111111"
    url = reverse("meetings:action", args=[meeting.pk, "self_check_in"])
    mary = login(p.member)
    for _ in range(3):
        r = mary.post(url, {"code": wrong})
        assert r.status_code == 400 and "not the code shown in the room" in r.text
    # The fourth attempt is refused, even with the right code, and nothing is recorded.
    r = mary.post(url, {"code": meeting.checkin_code})
    assert r.status_code == 429 and "Too many wrong codes" in r.text
    assert not Attendance.objects.filter(meeting=meeting).exists()
    # Another member is not held back by Mary's mistakes...
    bert = login(f.member_user(p.branchmate))
    assert bert.post(url, {"code": wrong}).status_code == 400
    assert bert.post(url, {"code": wrong}).status_code == 400
    # ... until the meeting's own limit (5 wrong codes from anyone) is reached.
    assert bert.post(url, {"code": meeting.checkin_code}).status_code == 429
    # Ten minutes later both may try again.
    clock.shift(dt.timedelta(minutes=11))
    assert bert.post(url, {"code": meeting.checkin_code}).status_code == 302
    assert mary.post(url, {"code": meeting.checkin_code}).status_code == 302
    assert Attendance.objects.filter(meeting=meeting, method="self").count() == 2
