"""factory_boy factories for meetings (for tests that need rows without the services'
checks; the services are exercised through their own helpers in conftest)."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from rankandfile.meetings.models import CommunicationPreference, Meeting, Motion

UTC = dt.UTC


class MeetingFactory(DjangoModelFactory[Meeting]):
    class Meta:
        model = Meeting

    kind = Meeting.Kind.GENERAL
    title = factory.Sequence(lambda n: f"General meeting {n}")
    starts_at = dt.datetime(2026, 7, 1, 18, tzinfo=UTC)
    ends_at = dt.datetime(2026, 7, 1, 20, tzinfo=UTC)
    location = "The library"


class MotionFactory(DjangoModelFactory[Motion]):
    class Meta:
        model = Motion

    title = factory.Sequence(lambda n: f"Motion {n}")
    text = "This branch calls for public ownership of the buses."
    original_text = factory.SelfAttribute("text")
    created_at = dt.datetime(2026, 6, 1, tzinfo=UTC)


class PreferenceFactory(DjangoModelFactory[CommunicationPreference]):
    class Meta:
        model = CommunicationPreference

    meeting_notices = True
    officer_messages = True
