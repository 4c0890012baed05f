"""Threshold arithmetic: plain numbers and properties (clauses 4.II.1-4.III.1)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rankandfile.conference.rulebook_data import ELECTIONS_2014, ELECTIONS_2018, ELECTIONS_2021
from rankandfile.elections import thresholds as t


def test_the_words_of_the_issue() -> None:
    assert t.share_words(41, 198, Fraction(1, 5), "MPs") == (
        "41 of 198 MPs = 20.7%, threshold 20%: met"
    )
    assert t.share_words(39, 198, Fraction(1, 5), "MPs") == (
        "39 of 198 MPs = 19.6%, threshold 20%: not met"
    )


def test_exact_boundary() -> None:
    # 20% of 200 is exactly 40: met at 40, not at 39.
    assert t.share_met(40, 200, Fraction(1, 5))
    assert not t.share_met(39, 200, Fraction(1, 5))
    # 15% of 232 = 34.8: 35 needed.
    assert t.needed(232, Fraction(3, 20)) == 35
    assert not t.share_met(34, 232, Fraction(3, 20))
    assert t.share_met(35, 232, Fraction(3, 20))


def test_percent_never_rounds_up_to_the_threshold() -> None:
    assert t.percent(Fraction(1999, 10000)) == "19.9%"
    assert t.percent(Fraction(1, 5)) == "20%"
    assert t.percent(Fraction(3, 20)) == "15%"


def test_2015_rules_count_mps_alone() -> None:
    field = t.Field(mps=232, clps=650)
    a = t.assess(ELECTIONS_2014, field, t.Support(mps=36))
    assert a.qualified
    assert a.lines == ("36 of 232 MPs and MEPs = 15.5%, threshold 15%: met",)


def test_2018_rules_need_the_second_limb() -> None:
    field = t.Field(mps=202, meps=10, clps=645, affiliated_membership=2_700_000)
    # Enough MPs, too few CLPs, no affiliates: not admitted.
    a = t.assess(ELECTIONS_2018, field, t.Support(mps=31, clps=31))
    assert not a.qualified
    assert "31 of 212 MPs and MEPs = 14.6%, threshold 10%: met" in a.lines
    assert "31 of 645 CLPs = 4.8%, threshold 5%: not met" in a.lines
    # 33 CLPs (5.1%) is enough.
    assert t.assess(ELECTIONS_2018, field, t.Support(mps=31, clps=33)).qualified
    # Or three affiliates, two unions, with 5% of the affiliated membership.
    affs = (
        t.AffiliateSupport("GMB", True, 400_000),
        t.AffiliateSupport("NUM", True, 1_000),
        t.AffiliateSupport("CfL", False, 500),
    )
    assert t.assess(ELECTIONS_2018, field, t.Support(mps=31, clps=0, affiliates=affs)).qualified
    # Two societies and one union: not enough unions.
    affs2 = (
        t.AffiliateSupport("GMB", True, 400_000),
        t.AffiliateSupport("S1", False, 1_000),
        t.AffiliateSupport("S2", False, 500),
    )
    assert not t.assess(ELECTIONS_2018, field, t.Support(mps=31, affiliates=affs2)).qualified
    # Three unions but too small.
    affs3 = tuple(t.AffiliateSupport(f"U{i}", True, 10_000) for i in range(3))
    assert not t.assess(ELECTIONS_2018, field, t.Support(mps=31, affiliates=affs3)).qualified


def test_2021_rules_are_20_percent_of_mps_without_meps() -> None:
    field = t.Field(mps=198, meps=10, clps=645)
    a = t.assess(ELECTIONS_2021, field, t.Support(mps=41, clps=40))
    assert a.qualified
    assert a.lines[0] == "41 of 198 MPs = 20.7%, threshold 20%: met"
    assert not t.assess(ELECTIONS_2021, field, t.Support(mps=39, clps=40)).qualified


def test_challenge_and_incumbent() -> None:
    field = t.Field(mps=200, clps=600)
    assert t.assess(
        ELECTIONS_2021, field, t.Support(mps=0), challenge=True, incumbent=True
    ).qualified
    # A challenger needs 20% of MPs and no second limb.
    assert t.assess(ELECTIONS_2021, field, t.Support(mps=40), challenge=True).qualified
    assert not t.assess(ELECTIONS_2021, field, t.Support(mps=39), challenge=True).qualified


def test_nec() -> None:
    assert t.assess_nec(ELECTIONS_2021, 5).qualified
    assert not t.assess_nec(ELECTIONS_2021, 4).qualified
    assert t.assess_nec(ELECTIONS_2021, 4).lines == (
        "4 CLP nominations, at least 5 needed: not met",
    )
    assert t.women_minimum(ELECTIONS_2021) == 5
    assert t.women_minimum(ELECTIONS_2014) == 3


def test_bad_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        t.share_met(-1, 10, Fraction(1, 5))
    assert not t.share_met(0, 0, Fraction(1, 5))
    assert t.share_met(0, 0, Fraction(0))


@given(
    base=st.integers(min_value=1, max_value=10_000),
    num=st.integers(min_value=0, max_value=100),
)
def test_needed_is_the_least_count_that_meets(base: int, num: int) -> None:
    share = Fraction(num, 100)
    n = t.needed(base, share)
    assert t.share_met(n, base, share)
    if n > 0:
        assert not t.share_met(n - 1, base, share)


@given(
    base=st.integers(min_value=1, max_value=5_000),
    count=st.integers(min_value=0, max_value=5_000),
    num=st.integers(min_value=1, max_value=99),
)
def test_words_agree_with_the_arithmetic(base: int, count: int, num: int) -> None:
    share = Fraction(num, 100)
    words = t.share_words(count, base, share, "MPs")
    assert words.endswith(": met") == t.share_met(count, base, share)
    assert words.startswith(f"{count} of {base} MPs = ")


@given(
    mps=st.integers(min_value=0, max_value=300),
    clps=st.integers(min_value=0, max_value=700),
)
def test_more_nominations_never_hurt(mps: int, clps: int) -> None:
    field = t.Field(mps=250, meps=10, clps=650, affiliated_membership=1_000_000)
    for rules in (ELECTIONS_2014, ELECTIONS_2018, ELECTIONS_2021):
        before = t.assess(rules, field, t.Support(mps=mps, clps=clps)).qualified
        after = t.assess(rules, field, t.Support(mps=mps + 1, clps=clps + 1)).qualified
        assert after or not before
