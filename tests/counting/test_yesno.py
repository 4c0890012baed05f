"""Yes/no/abstain votes against thresholds: hand-worked cases and properties."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rankandfile.counting.errors import CountingError, InvalidBallotError
from rankandfile.counting.yesno import (
    SIMPLE_MAJORITY,
    TWO_THIRDS,
    TWO_THIRDS_OF_PRESENT,
    Threshold,
    count_yes_no,
    count_yes_no_votes,
    exact,
    percent_str,
)


# ---------------------------------------------------------------- simple majority
def test_simple_majority_carried_by_one_vote() -> None:
    r = count_yes_no(10, 9, 3)
    assert r.carried
    assert r.outcome == "carried"
    assert r.achieved == Fraction(10, 19)
    assert r.needed == 10  # more than half of 19


def test_simple_majority_tie_is_lost() -> None:
    r = count_yes_no(9, 9)
    assert not r.carried
    assert r.achieved == Fraction(1, 2)
    assert r.needed == 10
    assert r.explanation.startswith("Lost")


def test_simple_majority_ignores_abstentions() -> None:
    r = count_yes_no(10, 9, 1000)
    assert r.carried
    assert r.denominator == 19
    assert r.present == 1019


# ---------------------------------------------------------------- two-thirds
def test_two_thirds_exactly_is_carried() -> None:
    r = count_yes_no(14, 7, 3, threshold=TWO_THIRDS)
    assert r.carried
    assert r.achieved == Fraction(2, 3)
    assert r.needed == 14
    d = r.to_dict()
    assert d["achieved"] == "2/3"
    assert d["achieved_percent"] == "66.67%"
    assert d["threshold"]["fraction"] == "2/3"
    assert d["threshold"]["strict"] is False


def test_two_thirds_just_short_is_lost() -> None:
    # 13 of 20 is 65%: 3 * 13 = 39 < 2 * 20 = 40.
    r = count_yes_no(13, 7, threshold=TWO_THIRDS)
    assert not r.carried
    assert r.achieved == Fraction(13, 20)
    assert r.needed == 14  # ceil(40 / 3)


def test_two_thirds_of_present_counts_abstentions() -> None:
    # 14 of 21 voting is two-thirds, but 14 of the 24 present is not.
    assert count_yes_no(14, 7, 3, threshold=TWO_THIRDS).carried
    r = count_yes_no(14, 7, 3, threshold=TWO_THIRDS_OF_PRESENT)
    assert not r.carried
    assert r.achieved == Fraction(14, 24)
    assert r.denominator == 24
    assert r.needed == 16
    assert count_yes_no(16, 7, 1, threshold=TWO_THIRDS_OF_PRESENT).carried


def test_present_may_exceed_votes_recorded() -> None:
    # 30 present; 20 voted yes and nobody else recorded anything.
    assert count_yes_no(20, 0, 0, threshold=TWO_THIRDS_OF_PRESENT, present=30).carried
    assert not count_yes_no(19, 0, 0, threshold=TWO_THIRDS_OF_PRESENT, present=30).carried
    with pytest.raises(InvalidBallotError, match="present"):
        count_yes_no(20, 5, 1, present=25)


# ---------------------------------------------------------------- general thresholds
def test_general_threshold_strict_and_not() -> None:
    at_least = Threshold(Fraction(3, 5), strict=False)
    more_than = Threshold(Fraction(3, 5), strict=True)
    assert count_yes_no(6, 4, threshold=at_least).carried
    assert not count_yes_no(6, 4, threshold=more_than).carried
    assert count_yes_no(7, 4, threshold=more_than).carried
    assert at_least.describe() == "at least three-fifths of those voting"
    assert more_than.needed(10) == 7
    assert at_least.needed(10) == 6


def test_unanimity_threshold() -> None:
    all_of = Threshold(Fraction(1), strict=False)
    assert count_yes_no(5, 0, 2, threshold=all_of).carried
    assert not count_yes_no(5, 1, threshold=all_of).carried


@pytest.mark.parametrize(
    ("fraction", "strict"),
    [(Fraction(0), False), (Fraction(3, 2), False), (Fraction(1), True), (-1, False)],
)
def test_impossible_thresholds_rejected(fraction: Fraction, strict: bool) -> None:
    with pytest.raises(CountingError, match="threshold"):
        Threshold(fraction, strict=strict)


def test_float_threshold_rejected() -> None:
    with pytest.raises(CountingError, match="Fraction"):
        Threshold(0.5, strict=True)  # type: ignore[arg-type]


# ---------------------------------------------------------------- nobody voted
@pytest.mark.parametrize("threshold", [SIMPLE_MAJORITY, TWO_THIRDS, TWO_THIRDS_OF_PRESENT])
def test_no_votes_cast_is_lost(threshold: Threshold) -> None:
    # The trap: 3 * 0 >= 2 * 0 holds, but a motion nobody voted for is not carried.
    r = count_yes_no(0, 0, 0, threshold=threshold)
    assert not r.carried
    assert r.achieved is None
    assert r.needed is None
    assert "no votes were cast" in r.explanation
    assert r.to_dict()["achieved_percent"] is None


def test_all_abstain_is_lost() -> None:
    r = count_yes_no(0, 0, 12, threshold=TWO_THIRDS)
    assert not r.carried
    assert r.achieved is None


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("yes", "no", "abstain", "match"),
    [
        (-1, 0, 0, "yes vote"),
        (1, -2, 0, "no vote"),
        (1, 0, -1, "abstentions"),
        (1.5, 0, 0, "whole number"),
        (True, 0, 0, "whole number"),
        ("3", 0, 0, "whole number"),
    ],
)
def test_bad_counts_rejected(yes: object, no: object, abstain: object, match: str) -> None:
    with pytest.raises(InvalidBallotError, match=match):
        count_yes_no(yes, no, abstain)  # type: ignore[arg-type]


# ---------------------------------------------------------------- individual votes
def test_count_individual_votes() -> None:
    r = count_yes_no_votes(["yes", "No", "abstain", "YES", "yes"], threshold=TWO_THIRDS)
    assert (r.yes, r.no, r.abstain) == (3, 1, 1)
    assert r.carried  # 3 of the 4 voting: 75% is at least two-thirds
    assert r.achieved == Fraction(3, 4)


def test_count_individual_votes_weighted_and_unknown() -> None:
    r = count_yes_no_votes(["yes", "no"], [Fraction(2, 3), 1])
    assert r.yes == Fraction(2, 3)
    assert not r.carried
    assert r.to_dict()["yes"] == "2/3"
    with pytest.raises(InvalidBallotError, match="vote 2 is 'maybe'"):
        count_yes_no_votes(["yes", "maybe"])
    with pytest.raises(InvalidBallotError, match="2 votes but 1 weights"):
        count_yes_no_votes(["yes", "no"], [1])


def test_to_dict_is_json() -> None:
    r = count_yes_no(1_234_567, 345_678, 90, threshold=TWO_THIRDS)
    text = json.dumps(r.to_dict())
    assert '"carried": true' in text
    assert "1,234,567" in r.explanation


# ---------------------------------------------------------------- display helpers
@pytest.mark.parametrize(
    ("share", "text"),
    [
        (Fraction(2, 3), "66.67%"),
        (Fraction(9, 20), "45.00%"),
        (Fraction(1), "100.00%"),
        (Fraction(0), "0.00%"),
        (Fraction(1, 800), "0.12%"),  # 0.125%: half to even
        (Fraction(3, 800), "0.38%"),  # 0.375%: half to even
    ],
)
def test_percent_str(share: Fraction, text: str) -> None:
    assert percent_str(share) == text


def test_percent_str_places_and_exact() -> None:
    assert percent_str(Fraction(2, 3), 0) == "67%"
    assert percent_str(Fraction(2, 3), 4) == "66.6667%"
    assert exact(Fraction(4, 2)) == 2
    assert exact(Fraction(2, 6)) == "1/3"
    assert exact(7) == 7


# ---------------------------------------------------------------- properties
counts = st.integers(min_value=0, max_value=10**7)


@given(counts, counts, counts)
def test_thresholds_match_integer_rules(yes: int, no: int, abstain: int) -> None:
    assert count_yes_no(yes, no, abstain).carried == (yes > no)
    assert count_yes_no(yes, no, abstain, threshold=TWO_THIRDS).carried == (
        yes + no > 0 and 3 * yes >= 2 * (yes + no)
    )
    present = yes + no + abstain
    assert count_yes_no(yes, no, abstain, threshold=TWO_THIRDS_OF_PRESENT).carried == (
        present > 0 and 3 * yes >= 2 * present
    )


@given(
    st.integers(min_value=1, max_value=10**6),
    st.fractions(min_value=Fraction(1, 100), max_value=1),
    st.booleans(),
)
def test_needed_is_the_smallest_winning_vote(denominator: int, f: Fraction, strict: bool) -> None:
    if strict and f == 1:
        return
    t = Threshold(f, strict=strict)
    needed = t.needed(denominator)
    assert isinstance(needed, int)
    if needed <= denominator:
        assert t.met(needed, denominator)
    assert not t.met(needed - 1, denominator)
