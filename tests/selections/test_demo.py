"""The demo selections: seven constituencies at seven stages, and a past trigger round."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rankandfile.ballots import demo as ballots_demo
from rankandfile.membership import demo as membership_demo
from rankandfile.selections import demo, queries
from rankandfile.selections.models import Selection, SelectionRound, Stage

pytestmark = pytest.mark.django_db


def test_demo_seeds_every_stage_through_the_services() -> None:
    membership_demo.demo_seed(members=15000, seed=2019, today=timezone.localdate())
    ballots_demo.seed(2019)
    summary = demo.seed(2019)
    assert summary.startswith("selections: past trigger round in 4 CLPs")
    stages = {
        s.clp.constituency.name: s.stage
        for s in Selection.objects.filter(round__name__startswith="Selections after")
    }
    assert stages == {
        "Liverpool, Wavertree": Stage.APPLICATIONS,
        "Nottingham East": Stage.LONGLIST,
        "Penistone and Stocksbridge": Stage.SHORTLIST,
        "Ilford South": Stage.NOMINATIONS,
        "Luton South": Stage.HUSTINGS,
        "Streatham": Stage.BALLOT,
        "Stockport": Stage.DECLARED,
    }
    stockport = Selection.objects.get(clp__constituency__name="Stockport")
    assert stockport.selected is not None and stockport.ballot is not None
    assert len(stockport.ballot.result["stages"]) >= 2  # a real eliminating count
    penistone = Selection.objects.get(clp__constituency__name="Penistone and Stocksbridge")
    # The breach was explained (audit: a first shortlist), then fixed.
    assert penistone.applications.filter(on_shortlist=True).count() == 4
    assert not queries.selection_page(penistone, managers=True).shortlist_check.breaches
    # The comparison page has data: every selection of the past round has decisions.
    past = SelectionRound.objects.get(name="Trigger ballots 2018")
    comparisons = queries.rule_comparisons(past)
    assert len(comparisons) == 4
    assert all(len(c.outcomes) == 4 for c in comparisons)
    # Seeding again does nothing.
    assert demo.seed(2019) == "selections: already seeded"
