"""The demo ballots are consistent with themselves (issue 17.6)."""

from __future__ import annotations

import pytest

from rankandfile.ballots import demo
from rankandfile.ballots.models import Ballot
from rankandfile.membership import demo as membership_demo


@pytest.mark.django_db
def test_every_demo_electorate_is_frozen_before_its_ballot_closes() -> None:
    membership_demo.demo_seed(members=1500, seed=3)
    demo.seed(3)
    ballots = list(Ballot.objects.exclude(frozen_at=None))
    assert len(ballots) == 3
    for ballot in ballots:
        assert ballot.opens_at <= ballot.frozen_at < ballot.closes_at, ballot.title


@pytest.mark.django_db
def test_no_demo_ballot_elects_conference_delegates() -> None:
    """Delegates follow the conference's entitlement (registered by the conference demo);
    a demo ballot for a different number of delegates would contradict it (issue 17.6)."""
    membership_demo.demo_seed(members=1500, seed=3)
    demo.seed(3)
    assert not Ballot.objects.filter(title__icontains="delegate").exists()
