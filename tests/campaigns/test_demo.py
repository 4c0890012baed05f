"""The demo campaigns: the seven constituencies of February 2019 at different stages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from rankandfile.campaigns import demo, queries
from rankandfile.campaigns.models import Campaign, RecallPetition, Signature, Volunteer
from rankandfile.membership import demo as membership_demo

pytestmark = pytest.mark.django_db


def test_demo_seeds_seven_campaigns_at_different_stages(client: Client) -> None:
    membership_demo.demo_seed(members=3000, seed=2019, today=timezone.localdate())
    summary = demo.seed(2019)
    assert summary.startswith("campaigns: 7 campaigns")
    stages = {
        c.constituency.name: (c.state, c.purged_at is not None)
        for c in Campaign.objects.select_related("constituency")
    }
    assert stages == {
        "Streatham": ("handed_in", False),
        "Liverpool, Wavertree": ("live", False),
        "Nottingham East": ("live", False),
        "Penistone and Stocksbridge": ("live", False),
        "Ilford South": ("closed", True),
        "Luton South": ("draft", False),
        "Stockport": ("live", False),
    }
    ilford = Campaign.objects.get(constituency__name="Ilford South")
    assert ilford.confirmed_count == 95 and not Signature.objects.filter(campaign=ilford).exists()
    streatham = Campaign.objects.get(constituency__name="Streatham")
    # Tied to the MP's recorded departure (18 February 2019).
    assert streatham.event_kind == "left_party" and str(streatham.event_date) == "2019-02-18"
    assert (
        streatham.confirmed_count
        == Signature.objects.filter(campaign=streatham, confirmed_at__isnull=False).count()
        == 300
    )
    nottingham = Campaign.objects.get(constituency__name="Nottingham East")
    assert nottingham.events.count() == 8
    # Twelve volunteers, or as many members as a small demo party has there.
    assert Volunteer.objects.filter(campaign=nottingham).count() == min(
        12, nottingham.clp.members.count()
    )
    outcomes = {
        p.constituency.name: queries.recall_status(p).state for p in RecallPetition.objects.all()
    }
    assert outcomes == {"Peterborough": "succeeded", "North Antrim": "failed"}
    assert client.get(f"/campaigns/{streatham.slug}/").status_code == 200
    assert client.get("/campaigns/recall/").status_code == 200
    assert demo.seed(2019) == "campaigns: already seeded"
