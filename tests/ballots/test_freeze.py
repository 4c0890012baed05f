"""Freezing the electorate: the digest computed in the database (PostgreSQL) and the one
read back and hashed in Python (elsewhere) are the same, and follow
``membership.eligibility.electorate_digest``; the schema keeps one-time links unique."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from rankandfile.ballots import services
from rankandfile.ballots.models import Elector
from rankandfile.core import tokens
from rankandfile.membership.eligibility import electorate_digest
from tests.ballots.factories import BallotFactory, members, open_ballot
from tests.membership.factories import CLPFactory


@pytest.mark.django_db
@pytest.mark.parametrize("voters", [0, 1, 25])
def test_the_frozen_digest_is_the_electorate_digest(voters: int) -> None:
    clp = CLPFactory()
    ballot = BallotFactory(clp=clp)
    ids = sorted(m.pk for m in members(clp, voters))
    opened = services.ballot_open(actor=None, ballot=ballot)
    assert opened.electorate_size == voters
    assert opened.electorate_digest == electorate_digest(ids)
    # The Python fallback (SQLite's path) reads the same rows to the same digest.
    assert services._digest_frozen(opened) == (voters, electorate_digest(ids))


@pytest.mark.django_db
def test_one_time_links_stay_unique_and_many_electors_have_none() -> None:
    ballot = open_ballot(voters=3)
    first, second, third = Elector.objects.filter(ballot=ballot).order_by("pk")
    assert first.token_digest is None and second.token_digest is None  # no link: allowed
    Elector.objects.filter(pk=first.pk).update(token_digest=tokens.digest("a"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Elector.objects.filter(pk=second.pk).update(token_digest=tokens.digest("a"))
    Elector.objects.filter(pk=third.pk).update(token_digest=tokens.digest("b"))
    assert services.elector_by_token("a") == first
