"""The recall arithmetic (Recall of MPs Act 2015, ss.7, 9, 14) at its edges."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rankandfile.campaigns import recall


def test_exactly_ten_percent_succeeds_and_one_short_fails() -> None:
    assert recall.assess(signatures=7_000, electorate=70_000).met
    assert not recall.assess(signatures=6_999, electorate=70_000).met


def test_threshold_rounds_up_a_fraction_of_a_signature() -> None:
    # 10% of 70,001 is 7,000.1: 7,000 is short, 7,001 enough.
    assert recall.threshold(70_001) == 7_001
    assert not recall.assess(signatures=7_000, electorate=70_001).met
    assert recall.assess(signatures=7_001, electorate=70_001).met
    assert recall.threshold(70_009) == 7_001
    assert recall.threshold(70_010) == 7_001
    assert recall.threshold(70_011) == 7_002


@given(st.integers(min_value=1, max_value=2_000_000))
def test_threshold_is_the_least_count_of_at_least_a_tenth(electorate: int) -> None:
    t = recall.threshold(electorate)
    assert Fraction(t, electorate) >= Fraction(1, 10)
    assert Fraction(t - 1, electorate) < Fraction(1, 10)


def test_peterborough_2019_succeeded() -> None:
    a = recall.assess(signatures=19_261, electorate=69_843, final=True)
    assert a.met and a.threshold == 6_985 and a.percent == "27.58"
    assert "succeeded" in a.explain() and "6,985" in a.explain() and "6,984.3" in a.explain()


def test_north_antrim_2018_failed() -> None:
    a = recall.assess(signatures=7_099, electorate=75_265, final=True)
    assert not a.met and a.percent == "9.43" and a.shortfall == 428
    assert "failed, 428 short" in a.explain()


def test_running_count_explains_what_is_still_needed() -> None:
    a = recall.assess(signatures=5_000, electorate=70_000)
    assert "2,000 more needed" in a.explain()


def test_six_weeks_from_the_first_day() -> None:
    assert recall.default_closing_day(dt.date(2018, 8, 8)) == dt.date(2018, 9, 19)


def test_signing_places_at_most_ten_named_and_distinct() -> None:
    assert recall.check_signing_places([f"Hall {i}" for i in range(10)]) == []
    assert "at most 10" in recall.check_signing_places([f"Hall {i}" for i in range(11)])[0]
    assert recall.check_signing_places(["Hall", " "]) == ["a signing place has no name"]
    assert "listed twice" in recall.check_signing_places(["Hall", "hall"])[0]


def test_bad_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="electorate must be a positive"):
        recall.assess(signatures=1, electorate=0)
    with pytest.raises(ValueError, match="cannot be negative"):
        recall.assess(signatures=-1, electorate=10)


def test_share_just_short_of_the_threshold_does_not_read_as_ten_percent() -> None:
    """Issue 17.6: two decimal places, so 9.96% is not shown as "10.0%"."""
    b = recall.assess(signatures=9_960, electorate=100_000, final=True)
    assert not b.met and b.percent == "9.96"
