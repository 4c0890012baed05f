"""Factories for campaigns."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from rankandfile.campaigns.models import Campaign, CampaignEvent, Pledge
from tests.membership.factories import CLPFactory


class CampaignFactory(DjangoModelFactory[Campaign]):
    class Meta:
        model = Campaign

    clp = factory.SubFactory(CLPFactory)
    constituency = factory.LazyAttribute(lambda o: o.clp.constituency)
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    title = "A by-election now"
    demand = "Resign and stand again."
    data_use = "We use your data for this petition only."
    retention_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=90))
    state = Campaign.State.LIVE
    launched_at = factory.LazyFunction(timezone.now)


class EventFactory(DjangoModelFactory[CampaignEvent]):
    class Meta:
        model = CampaignEvent

    campaign = factory.SubFactory(CampaignFactory)
    kind = CampaignEvent.Kind.MEETING
    title = "Public meeting"
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    location = "Town Hall, Northtown"


class PledgeFactory(DjangoModelFactory[Pledge]):
    class Meta:
        model = Pledge

    name = "Pat Candidate"
    role = Pledge.Role.CANDIDATE
    statement = "If I ever leave the party I will resign and stand again."
    pledged_on = dt.date(2019, 1, 10)
