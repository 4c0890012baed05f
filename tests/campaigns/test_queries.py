"""Query counts of the pages that list things are pinned: no N+1 as lists grow."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from rankandfile.campaigns.models import Campaign
from rankandfile.campaigns.services import events, recalls, volunteers
from tests.campaigns.factories import CampaignFactory, EventFactory, PledgeFactory
from tests.conftest import Party


def _fill(party: Party, campaign: Campaign, n: int) -> None:
    for i in range(n):
        event = EventFactory(campaign=campaign, title=f"Event {i}")
        events.rsvp_create(event=event, name=f"P{i}", email=f"p{i}@example.org", notify=False)
        PledgeFactory(constituency=campaign.constituency, name=f"Candidate {i}")
        petition = recalls.recall_record(
            actor=None,
            constituency=campaign.constituency,
            mp_name=f"MP {i}",
            ground="custodial",
            opens_on=dt.date(2019, 3, 1),
        )
        recalls.recall_add_count(
            actor=None, petition=petition, published_on=dt.date(2019, 3, 5), signatures=10 + i
        )
    for member in (party.me, party.neighbour, party.branchmate)[: max(1, n // 2)]:
        volunteers.volunteer_signup(
            actor=party.clp_chair, campaign=campaign, member=member, activities=["stalls"]
        )


def test_list_pages_do_not_grow_with_their_lists(
    party: Party, campaign: Campaign, django_assert_max_num_queries: Any
) -> None:
    officer = Client()
    officer.force_login(party.clp_chair)
    public = Client()
    CampaignFactory(clp=party.easton, slug="easton")
    _fill(party, campaign, 2)
    paths = [
        (public, "/campaigns/"),
        (public, f"/campaigns/{campaign.slug}/"),
        (public, "/campaigns/pledges/"),
        (public, "/campaigns/recall/"),
        (officer, f"/campaigns/{campaign.slug}/manage/"),
    ]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = []
    for client, path in paths:
        with CaptureQueriesContext(connection) as q:
            client.get(path)
        small.append(len(q.captured_queries))
    _fill(party, campaign, 6)
    for (client, path), before in zip(paths, small, strict=True):
        with django_assert_max_num_queries(before):
            assert client.get(path).status_code == 200, path
