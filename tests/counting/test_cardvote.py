"""Card votes: worked conference figures reproduced exactly, empty sections, properties."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rankandfile.counting.cardvote import (
    EmptySection,
    Section,
    count_card_vote,
    delegate_shares,
)
from rankandfile.counting.errors import EmptyBallotSetError, InvalidBallotError
from rankandfile.counting.yesno import TWO_THIRDS, TWO_THIRDS_OF_PRESENT, Threshold

HALF = Fraction(1, 2)


def _two(clp_for: int, clp_against: int, aff_for: int, aff_against: int) -> list[Section]:
    return [
        Section("CLPs", HALF, clp_for, clp_against),
        Section("Affiliates", HALF, aff_for, aff_against),
    ]


# ---------------------------------------------------------------- the worked formula
def test_domain_worked_example_45_percent() -> None:
    # for% = 50 * 60/100 + 50 * 30/100 = 30 + 15 = 45.
    r = count_card_vote(_two(60, 40, 30, 70))
    assert r.for_percent == 45
    assert r.against_percent == 55
    assert r.for_share == Fraction(9, 20)
    assert not r.carried
    clp, aff = r.sections
    assert clp.for_fraction == Fraction(3, 5)
    assert clp.for_part == Fraction(3, 10)
    assert aff.for_part == Fraction(3, 20)
    d = r.to_dict()
    assert d["for_percent"] == "45.00%"
    assert d["against_percent"] == "55.00%"
    assert d["for_share"] == "9/20"
    assert d["outcome"] == "lost"
    json.dumps(d)


def test_realistic_conference_with_many_clps_and_affiliates() -> None:
    # Each CLP casts its whole membership one way; each affiliate its affiliated membership.
    clps = [
        (1200, 0, 0),
        (850, 0, 0),
        (2400, 0, 0),
        (640, 0, 0),
        (1010, 0, 0),  # for: 6,100
        (0, 3000, 0),
        (0, 415, 0),
        (0, 780, 0),
        (0, 1105, 0),  # against: 5,300
        (0, 0, 930),  # abstains: not a vote cast
    ]
    affiliates = [
        (500_000, 0, 0),
        (150_000, 0, 0),  # for: 650,000
        (0, 400_000, 0),
        (0, 50_000, 0),  # against: 450,000
    ]
    r = count_card_vote(
        [
            Section.from_voters("CLPs", HALF, clps),
            Section.from_voters("Affiliates", HALF, affiliates),
        ]
    )
    # CLPs: 6100/11400 = 61/114; affiliates: 650000/1100000 = 13/22.
    # for = 1/2 * 61/114 + 1/2 * 13/22 = (61*11 + 13*57) / 2508 = (671 + 741) / 2508
    #     = 1412/2508 = 353/627 = 56.30...%
    assert r.sections[0].for_votes == 6100
    assert r.sections[0].against == 5300
    assert r.sections[0].abstain == 930
    assert r.sections[0].voters == 10
    assert r.sections[1].for_fraction == Fraction(13, 22)
    assert r.for_share == Fraction(353, 627)
    assert r.against_share == Fraction(274, 627)
    assert r.to_dict()["for_percent"] == "56.30%"
    assert r.carried  # simple majority
    two_thirds = count_card_vote(
        [
            Section.from_voters("CLPs", HALF, clps),
            Section.from_voters("Affiliates", HALF, affiliates),
        ],
        threshold=TWO_THIRDS,
    )
    assert not two_thirds.carried  # policy does not enter the programme


def test_two_thirds_boundary_is_exact() -> None:
    # 2/3 in each section is exactly two-thirds: carried. 2/3 - 1/300 overall: lost.
    assert count_card_vote(_two(2, 1, 200_000, 100_000), threshold=TWO_THIRDS).carried
    # 70/30 and 63/37 average to 66.5%: lost; 70/30 and 64/36 average to 67%: carried.
    assert not count_card_vote(_two(70, 30, 63, 37), threshold=TWO_THIRDS).carried
    assert count_card_vote(_two(70, 30, 64, 36), threshold=TWO_THIRDS).carried


def test_simple_majority_exact_half_is_lost() -> None:
    r = count_card_vote(_two(60, 40, 40, 60))
    assert r.for_share == HALF
    assert not r.carried


def test_delegates_share_a_clp_vote() -> None:
    # A CLP of 1,000 members sends 3 delegates: two vote for, one against.
    a, b, c = delegate_shares(1000, 3)
    assert a == Fraction(1000, 3)
    clp = Section.from_voters("CLPs", HALF, [(a, 0, 0), (b, 0, 0), (0, c, 0), (500, 0)])
    assert clp.for_votes == Fraction(2000, 3) + 500
    r = count_card_vote([clp, Section("Affiliates", HALF, 1, 1)])
    # CLP for = (3500/3) / (4500/3) = 7/9; for = 7/18 + 1/4 = 23/36.
    assert r.for_share == Fraction(23, 36)
    assert r.to_dict()["sections"][0]["for"] == "3500/3"
    with pytest.raises(InvalidBallotError, match="at least one delegate"):
        delegate_shares(1000, 0)


def test_three_sections_with_unequal_shares() -> None:
    r = count_card_vote(
        [
            Section("CLPs", Fraction(1, 2), 3, 1),  # 3/4
            Section("Unions", Fraction(1, 3), 1, 1),  # 1/2
            Section("Societies", Fraction(1, 6), 0, 5),  # 0
        ]
    )
    assert r.for_share == Fraction(3, 8) + Fraction(1, 6)
    assert r.for_share + r.against_share == 1  # type: ignore[operator]


# ---------------------------------------------------------------- abstentions
def test_abstentions_ignored_unless_threshold_counts_those_present() -> None:
    sections = [
        Section("CLPs", HALF, 60, 20, 20),
        Section("Affiliates", HALF, 80, 20, 0),
    ]
    voting = count_card_vote(sections, threshold=TWO_THIRDS)
    assert voting.for_share == (Fraction(3, 4) + Fraction(4, 5)) / 2
    present = count_card_vote(sections, threshold=TWO_THIRDS_OF_PRESENT)
    assert present.for_share == (Fraction(3, 5) + Fraction(4, 5)) / 2  # 7/10
    assert present.carried
    assert present.sections[0].cast == 100


# ---------------------------------------------------------------- empty sections
def test_empty_section_renormalised_by_default() -> None:
    r = count_card_vote(_two(60, 40, 0, 0))
    assert r.empty_rule is EmptySection.RENORMALISE
    assert r.for_share == Fraction(3, 5)
    assert r.against_share == Fraction(2, 5)
    assert r.carried
    aff = r.sections[1]
    assert aff.empty
    assert aff.for_fraction is None
    assert aff.effective_share == 0
    assert r.sections[0].effective_share == 1
    assert "No votes were cast in Affiliates" in r.explanation
    assert "scaled up" in r.explanation


def test_empty_section_counted_as_zero() -> None:
    r = count_card_vote(_two(60, 40, 0, 0), empty=EmptySection.COUNT_AS_ZERO)
    assert r.for_share == Fraction(3, 10)
    assert r.against_share == Fraction(1, 5)
    assert not r.carried
    assert r.sections[1].effective_share == HALF
    assert "neither for nor against" in r.explanation
    assert r.to_dict()["empty_sections"] == "count_as_zero"
    # Even a unanimous CLP section cannot reach two-thirds on its own.
    r = count_card_vote(_two(100, 0, 0, 0), empty="count_as_zero", threshold=TWO_THIRDS)  # type: ignore[arg-type]
    assert r.for_share == HALF
    assert not r.carried


def test_all_abstaining_section_is_empty() -> None:
    r = count_card_vote([Section("CLPs", HALF, 10, 30), Section("Affiliates", HALF, 0, 0, 500)])
    assert r.for_share == Fraction(1, 4)
    # But when abstentions count, that section did take part: all its present abstained.
    r = count_card_vote(
        [Section("CLPs", HALF, 10, 30), Section("Affiliates", HALF, 0, 0, 500)],
        threshold=TWO_THIRDS_OF_PRESENT,
    )
    assert r.for_share == Fraction(1, 8)
    assert r.against_share == Fraction(3, 8)


def test_no_votes_anywhere_is_lost() -> None:
    r = count_card_vote(_two(0, 0, 0, 0))
    assert not r.carried
    assert r.for_share is None
    assert r.for_percent is None
    assert "no votes were cast" in r.explanation
    assert r.to_dict()["for_percent"] is None


# ---------------------------------------------------------------- bad input
def test_shares_must_add_up_to_one() -> None:
    with pytest.raises(InvalidBallotError, match="add up to 9/10"):
        count_card_vote([Section("CLPs", HALF, 1, 1), Section("Affiliates", Fraction(2, 5), 1, 1)])


def test_bad_sections_rejected() -> None:
    with pytest.raises(InvalidBallotError, match="listed twice"):
        count_card_vote([Section("CLPs", HALF, 1, 1), Section("CLPs", HALF, 1, 1)])
    with pytest.raises(EmptyBallotSetError):
        count_card_vote([])
    with pytest.raises(InvalidBallotError, match="share must be a Fraction"):
        Section("CLPs", 0.5, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidBallotError, match="above 0"):
        Section("CLPs", Fraction(0), 1, 1)
    with pytest.raises(InvalidBallotError, match="vote against cannot be negative"):
        Section("CLPs", HALF, 1, -1)
    with pytest.raises(InvalidBallotError, match="voter 2: the vote for"):
        Section.from_voters("CLPs", HALF, [(1, 0, 0), (-5, 0, 0)])
    with pytest.raises(InvalidBallotError, match="voter 1: expected"):
        Section.from_voters("CLPs", HALF, [(1,)])  # type: ignore[list-item]
    with pytest.raises(InvalidBallotError, match="needs a name"):
        Section(" ", HALF, 1, 1)


# ---------------------------------------------------------------- properties
weights = st.integers(min_value=0, max_value=10**7)
section_votes = st.tuples(weights, weights, weights)


@st.composite
def colleges(draw: st.DrawFn) -> list[Section]:
    k = draw(st.integers(min_value=1, max_value=5))
    raw = draw(st.lists(st.integers(min_value=1, max_value=20), min_size=k, max_size=k))
    total = sum(raw)
    votes = draw(st.lists(section_votes, min_size=k, max_size=k))
    return [
        Section(f"S{i}", Fraction(r, total), f, a, ab)
        for i, (r, (f, a, ab)) in enumerate(zip(raw, votes, strict=True))
    ]


@given(colleges(), st.sampled_from(list(EmptySection)), st.booleans())
def test_percentages_between_0_and_100(
    sections: list[Section], empty: EmptySection, of_present: bool
) -> None:
    t = Threshold(Fraction(1, 2), strict=True, of_present=of_present)
    r = count_card_vote(sections, empty=empty, threshold=t)
    if r.for_share is None:
        assert r.against_share is None
        assert not r.carried
        return
    assert r.against_share is not None
    assert 0 <= r.for_share <= 1
    assert 0 <= r.against_share <= 1
    assert r.for_share + r.against_share <= 1
    assert r.carried == (r.for_share > Fraction(1, 2))


@given(colleges())
def test_for_and_against_make_100_when_every_section_voted(sections: list[Section]) -> None:
    r = count_card_vote(sections)
    if all(s.for_votes + s.against > 0 for s in sections):
        assert r.for_percent is not None
        assert r.against_percent is not None
        assert r.for_percent + r.against_percent == 100
        zero = count_card_vote(sections, empty=EmptySection.COUNT_AS_ZERO)
        assert zero.for_share == r.for_share  # the rule only matters when a section is silent
    elif any(s.for_votes + s.against > 0 for s in sections):
        # Renormalised: the sections that voted still make up 100%.
        assert r.for_share is not None
        assert r.against_share is not None
        assert r.for_share + r.against_share == 1


@given(weights, weights, weights, weights)
def test_two_sections_match_the_domain_formula(cf: int, ca: int, af: int, aa: int) -> None:
    r = count_card_vote(_two(cf, ca, af, aa), empty=EmptySection.COUNT_AS_ZERO)
    expected = Fraction(0)
    if cf + ca:
        expected += 50 * Fraction(cf, cf + ca)
    if af + aa:
        expected += 50 * Fraction(af, af + aa)
    if cf + ca + af + aa:
        assert r.for_percent == expected
