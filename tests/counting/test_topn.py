"""Priorities ballot: top N topics per section, union debated, ties at the N-th place."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rankandfile.counting.errors import (
    DuplicateRankingError,
    EmptyBallotSetError,
    InvalidBallotError,
    TooManySeatsError,
    UnknownCandidateError,
)
from rankandfile.counting.topn import (
    SectionTally,
    TieRule,
    count_priorities,
    count_priorities_from_picks,
)

TOPICS = ["Housing", "NHS", "Climate", "Workers' rights", "Palestine", "Education"]


def test_each_section_prioritises_its_top_n_and_the_union_is_debated() -> None:
    r = count_priorities_from_picks(
        TOPICS,
        {
            "CLPs": [
                ["Housing", "NHS"],
                ["Housing", "Climate"],
                ["Housing", "NHS"],
                ["Palestine", "NHS"],
                ["Climate"],
            ],
            "Affiliates": [
                ["Workers' rights", "NHS"],
                ["Workers' rights", "Education"],
                ["Workers' rights"],
            ],
        },
        n=2,
    )
    clps, aff = r.sections
    assert clps.votes == (3, 3, 2, 0, 1, 0)
    assert clps.voters == 5
    assert [TOPICS[i] for i in clps.prioritised] == ["Housing", "NHS"]
    # Affiliates: Workers' rights 3, then NHS and Education tied on 1 for one place.
    assert aff.prioritised[0] == 3
    assert len(aff.prioritised) == 2
    assert len(r.ties) == 1
    tie = r.ties[0]
    assert tie.section == "Affiliates"
    assert tie.tied == ("NHS", "Education")
    assert tie.places == 1
    assert tie.how == f"by lot (seed {r.seed})"
    assert TOPICS.index(tie.chosen[0]) == aff.prioritised[1]
    assert set(r.debated_names) >= {"Housing", "NHS", "Workers' rights"}
    assert r.prioritised_by("Housing") == ("CLPs",)
    d = r.to_dict()
    json.dumps(d)
    assert d["sections"][0]["votes"][0] == {
        "topic": "Housing",
        "votes": 3,
        "share": "3/5",
        "percent": "60.00%",
        "prioritised": True,
    }


def _tied_section() -> list[SectionTally]:
    # Housing 4; NHS, Climate, Palestine tied on 2 for the last two of n=3 places.
    return [
        SectionTally.from_counts(
            "CLPs",
            TOPICS,
            {"Housing": 4, "NHS": 2, "Climate": 2, "Palestine": 2, "Education": 1},
            voters=6,
        )
    ]


def test_tie_at_nth_place_by_lot_is_reproducible() -> None:
    r = count_priorities(TOPICS, _tied_section(), n=3, seed=99)
    s = r.sections[0]
    assert len(s.prioritised) == 3
    assert s.prioritised[0] == 0
    t = r.ties[0]
    assert t.tied == ("NHS", "Climate", "Palestine")
    assert t.places == 2
    assert len(t.chosen) == 2
    assert t.votes == 2
    assert r.seed == 99
    assert count_priorities(TOPICS, _tied_section(), n=3, seed=99) == r
    outcomes = {
        count_priorities(TOPICS, _tied_section(), n=3, seed=s).ties[0].chosen for s in range(60)
    }
    assert len({frozenset(o) for o in outcomes}) == 3  # every pair can be drawn


def test_tie_at_nth_place_include_all() -> None:
    r = count_priorities(TOPICS, _tied_section(), n=3, ties=TieRule.INCLUDE_ALL)
    s = r.sections[0]
    assert [TOPICS[i] for i in s.prioritised] == ["Housing", "NHS", "Climate", "Palestine"]
    assert r.ties[0].chosen == ("NHS", "Climate", "Palestine")
    assert "all 3 tied topics prioritised" in r.ties[0].how
    assert r.seed is None  # no lot drawn
    assert r.to_dict()["tie_rule"] == "include_all"


def test_tie_wholly_inside_the_top_n_needs_no_lot() -> None:
    r = count_priorities(TOPICS, _tied_section(), n=4)
    assert r.ties == ()
    assert len(r.sections[0].prioritised) == 4


def test_topics_without_votes_never_prioritised_and_empty_section() -> None:
    r = count_priorities_from_picks(
        TOPICS, {"CLPs": [["Housing"], ["Housing", "NHS"]], "Affiliates": []}, n=6
    )
    assert [TOPICS[i] for i in r.sections[0].prioritised] == ["Housing", "NHS"]
    assert r.sections[1].prioritised == ()
    assert r.sections[1].voters == 0
    assert r.debated_names == ("Housing", "NHS")
    assert any("only 2 topics received votes" in n for n in r.notes)
    assert any("no votes were cast in section 'Affiliates'" in n for n in r.notes)
    assert r.to_dict()["sections"][1]["votes"][0]["share"] is None


def test_weighted_voters() -> None:
    s = SectionTally.from_picks("Affiliates", TOPICS, [["NHS"], ["Climate"]], n=1, weights=[3, 2])
    assert s.votes == (0, 3, 2, 0, 0, 0)
    assert s.voters == 5


def test_bad_input_rejected() -> None:
    with pytest.raises(InvalidBallotError, match="voter 2 picks 3 topics but at most 2"):
        SectionTally.from_picks("CLPs", TOPICS, [["NHS"], ["NHS", "Housing", "Climate"]], n=2)
    with pytest.raises(UnknownCandidateError, match="voter 1 picks 'Defence'"):
        SectionTally.from_picks("CLPs", TOPICS, [["Defence"]], n=2)
    with pytest.raises(DuplicateRankingError, match="picks 'NHS' more than once"):
        SectionTally.from_picks("CLPs", TOPICS, [["NHS", "NHS"]], n=2)
    with pytest.raises(InvalidBallotError, match="not the string"):
        SectionTally.from_picks("CLPs", TOPICS, ["NHS"], n=2)
    with pytest.raises(TooManySeatsError, match="at least one topic"):
        SectionTally.from_picks("CLPs", TOPICS, [["NHS"]], n=0)
    with pytest.raises(InvalidBallotError, match="'NHS' is listed twice"):
        SectionTally.from_picks("CLPs", ["NHS", "NHS"], [["NHS"]], n=1)
    with pytest.raises(UnknownCandidateError, match="counts 'Defence'"):
        SectionTally.from_counts("CLPs", TOPICS, {"Defence": 1})
    with pytest.raises(InvalidBallotError, match="5 voters cannot give a topic 6 votes"):
        SectionTally.from_counts("CLPs", TOPICS, {"NHS": 6}, voters=5)
    ok = SectionTally.from_counts("CLPs", TOPICS, {"NHS": 6})
    with pytest.raises(InvalidBallotError, match="listed twice"):
        count_priorities(TOPICS, [ok, ok], n=2)
    with pytest.raises(InvalidBallotError, match="votes for 6 topics but there are 5"):
        count_priorities(TOPICS[:5], [ok], n=2)
    with pytest.raises(EmptyBallotSetError):
        count_priorities(TOPICS, [], n=2)


# ---------------------------------------------------------------- properties
K = 6
picks_strategy = st.lists(st.frozensets(st.sampled_from(TOPICS), max_size=3), max_size=30)


@given(picks_strategy, picks_strategy, st.integers(1, 4), st.integers(0, 10**6))
def test_priorities_properties(
    clp: list[frozenset[str]], aff: list[frozenset[str]], n: int, seed: int
) -> None:
    clp = [p for p in clp if len(p) <= n]
    aff = [p for p in aff if len(p) <= n]
    picks = {"CLPs": [sorted(p) for p in clp], "Affiliates": [sorted(p) for p in aff]}
    lot = count_priorities_from_picks(TOPICS, picks, n=n, seed=seed)
    generous = count_priorities_from_picks(TOPICS, picks, n=n, ties=TieRule.INCLUDE_ALL)
    for s, g in zip(lot.sections, generous.sections, strict=True):
        voted = sum(1 for v in s.votes if v > 0)
        assert len(s.prioritised) == min(n, voted)
        assert set(s.prioritised) <= set(g.prioritised)
        assert all(s.votes[i] > 0 for i in g.prioritised)
        # Every prioritised topic has at least as many votes as every one left out.
        left_out = [s.votes[i] for i in range(K) if i not in s.prioritised]
        if s.prioritised and left_out:
            assert min(s.votes[i] for i in s.prioritised) >= max(left_out)
        # Votes are conserved: one per topic per voter.
        source = clp if s.name == "CLPs" else aff
        assert sum(s.votes) == sum(len(p) for p in source)
    assert set(lot.debated) == {i for s in lot.sections for i in s.prioritised}
