"""The demo elections: a leadership contest in nominations, a deputy contest at the CLP
stage, a declared NEC election counted by STV with the women's minimum, past rounds."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rankandfile.conference.services import rulebook as conference_services
from rankandfile.elections import demo, queries
from rankandfile.elections.models import Contest, PastRound, Stage
from rankandfile.membership import demo as membership_demo

pytestmark = pytest.mark.django_db


def test_demo_seeds_through_the_services() -> None:
    membership_demo.demo_seed(members=3000, seed=2019, today=timezone.localdate())
    conference_services.rule_book_load(actor=None)
    summary = demo.seed(2019)
    assert summary.startswith("elections: leadership: 146 MPs' nominations so far")
    leader = Contest.objects.get(office="leader", stage=Stage.NOMINATIONS)
    assert leader.stage == Stage.NOMINATIONS
    rows = {r.candidate.name: r.assessment for r in queries.standings(leader)}
    assert any(line.endswith("threshold 20%: met") for line in rows["Mary Adebayo"].lines)
    deputy = Contest.objects.get(office="deputy")
    assert deputy.nominations.filter(by="clp").count() == 60
    nec = Contest.objects.get(office="nec_clp")
    assert nec.stage == Stage.DECLARED and nec.ballot is not None
    elected = nec.ballot.result["elected"]
    women = set(nec.candidates.filter(is_woman=True).values_list("name", flat=True))
    assert len(elected) == 9 and sum(1 for e in elected if e in women) >= 5
    assert not nec.candidates.get(name="Martin Wright").on_ballot  # one CLP only
    assert PastRound.objects.filter(modelled=True).count() == 2
    # The declared contest under the 2014 rules, with supporters, published by section.
    assert "leadership 2016 rules: 440 votes, 3 sections published" in summary
    sectioned = Contest.objects.get(office="leader", stage=Stage.DECLARED)
    assert sectioned.rules_on.year == 2016 and sectioned.supporters.count() == 260
    table = queries.section_table(sectioned)
    assert table is not None
    assert [(r["label"], r["papers"]) for r in table.rows] == [
        ("Members", 180),
        ("Affiliated supporters", 130),
        ("Registered supporters", 130),
    ]
    # Seeding again changes nothing.
    assert demo.seed(2019) == "elections: already seeded"
