"""The demo meetings: a branch meeting with minutes, its motion on the CLP's next agenda."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from rankandfile.meetings import demo
from rankandfile.meetings.models import Delivery, Meeting, Motion
from rankandfile.membership import demo as membership_demo

pytestmark = pytest.mark.django_db


def test_demo_seeds_meetings_and_a_travelling_motion(client: Client) -> None:
    membership_demo.demo_seed(members=3000, seed=2019, today=timezone.localdate())
    summary = demo.seed(2019)
    assert summary.startswith("meetings: a branch meeting with minutes"), summary
    past = Meeting.objects.get(state="closed")
    assert past.branch is not None and past.minutes_state == "draft"
    assert "Carried" in past.minutes
    branch_motion = Motion.objects.get(branch=past.branch)
    clp_motion = Motion.objects.get(forwarded_from=branch_motion)
    clp_meeting = Meeting.objects.get(clp=past.branch.clp)
    assert clp_meeting.items.filter(motion=clp_motion).exists()
    upcoming = Meeting.objects.filter(branch=past.branch, state="scheduled").get()
    assert upcoming.items.filter(kind="minutes", minutes_of=past).exists()
    assert upcoming.sequence == 1 and upcoming.location.endswith("Community Room")
    assert not Delivery.objects.exists()  # no email to the demo's made-up addresses
    assert demo.seed(2019) == "meetings: already seeded"
