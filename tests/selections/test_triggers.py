"""The trigger rules and shortlist rules on worked cases at and around each threshold."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rankandfile.selections import triggers as t
from rankandfile.selections.triggers import UnitVote


def votes(branch_yes: int, branch_no: int, aff_yes: int = 0, aff_no: int = 0,
          branch_abstain: int = 0, aff_abstain: int = 0) -> list[UnitVote]:  # fmt: skip
    out = [UnitVote(t.BRANCH, f"B{i}", True) for i in range(branch_yes)]
    out += [UnitVote(t.BRANCH, f"BN{i}", False) for i in range(branch_no)]
    out += [UnitVote(t.BRANCH, f"BA{i}", None) for i in range(branch_abstain)]
    out += [UnitVote(t.AFFILIATE, f"A{i}", True) for i in range(aff_yes)]
    out += [UnitVote(t.AFFILIATE, f"AN{i}", False) for i in range(aff_no)]
    out += [UnitVote(t.AFFILIATE, f"AA{i}", None) for i in range(aff_abstain)]
    return out


# --- S1: a branch meeting ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("present", "yes", "no", "expected"),
    [
        (20, 11, 9, True),  # majority of those present
        (20, 10, 10, False),  # exactly half is not a majority
        (20, 10, 2, False),  # more for than against, but not a majority of those present
        (21, 11, 0, True),
        (5, 0, 0, None),  # nobody voted: abstained
        (5, 0, 5, False),
    ],
)
def test_branch_decision_majority_of_members_present(
    present: int, yes: int, no: int, expected: bool | None
) -> None:
    assert t.branch_wants_open(present=present, votes_for=yes, votes_against=no) is expected


def test_branch_decision_refuses_more_votes_than_present() -> None:
    with pytest.raises(t.TriggerError, match="more votes than the 10 members present"):
        t.branch_wants_open(present=10, votes_for=6, votes_against=5)
    with pytest.raises(t.TriggerError, match="negative"):
        t.branch_wants_open(present=10, votes_for=-1, votes_against=5)


# --- the issue's own example ------------------------------------------------------------
def test_issue_example_three_of_eight_branches_2018() -> None:
    outcome = t.decide(t.TRIGGER_2018, votes(3, 5))
    assert outcome.open_selection
    assert (
        "3 of 8 branches that voted — 37.5% — want an open selection: threshold one third "
        "reached" in outcome.explanation
    )
    assert outcome.share == Fraction(3, 8)


# --- 2018: one third of branches OR one third of affiliates -----------------------------
def test_2018_exactly_one_third_of_branches_triggers() -> None:
    outcome = t.decide(t.TRIGGER_2018, votes(3, 6))
    assert outcome.open_selection
    assert "3 of 9 branches that voted — 33.3%" in outcome.explanation


def test_2018_one_branch_short_of_one_third_does_not_trigger() -> None:
    outcome = t.decide(t.TRIGGER_2018, votes(2, 7))
    assert not outcome.open_selection
    assert "2 of 9 branches that voted — 22.2% — want an open selection: threshold one third " \
        "not reached" in outcome.explanation  # fmt: skip
    assert "the sitting MP is reselected" in outcome.explanation


def test_2018_affiliates_alone_can_trigger() -> None:
    outcome = t.decide(t.TRIGGER_2018, votes(0, 9, aff_yes=1, aff_no=2))
    assert outcome.open_selection
    assert "1 of 3 affiliates that voted — 33.3%" in outcome.explanation
    assert "0 of 9 branches that voted — 0% — want an open selection: threshold one third not " \
        "reached" in outcome.explanation  # fmt: skip


def test_2018_abstaining_branches_are_not_counted() -> None:
    # 2 of 6 voted yes (one third) although 2 of 9 would not be: abstentions drop out.
    outcome = t.decide(t.TRIGGER_2018, votes(2, 4, branch_abstain=3))
    assert outcome.open_selection
    assert outcome.branches.voted == 6 and outcome.branches.abstained == 3
    assert "3 branches abstained and are not counted." in outcome.explanation


def test_2018_no_affiliates() -> None:
    outcome = t.decide(t.TRIGGER_2018, votes(1, 3))
    assert not outcome.open_selection
    assert "No affiliate voted: that section cannot trigger." in outcome.explanation


def test_no_branch_or_affiliate_voted_triggers_nothing_under_any_trigger_rule() -> None:
    for mode in t.TRIGGER_MODES:
        outcome = t.decide(mode, votes(0, 0, branch_abstain=2))
        assert not outcome.open_selection
        assert "No branch and no affiliate voted" in outcome.explanation


# --- before 2018: majority of branches and affiliates combined --------------------------
def test_pre_2018_majority_combined() -> None:
    assert t.decide(t.TRIGGER_PRE_2018, votes(3, 2, aff_yes=1, aff_no=2)).open_selection is False
    reached = t.decide(t.TRIGGER_PRE_2018, votes(3, 2, aff_yes=2, aff_no=1))
    assert reached.open_selection
    assert "5 of 8 branches and affiliates that voted — 62.5%" in reached.explanation


def test_pre_2018_exactly_half_is_not_a_majority() -> None:
    outcome = t.decide(t.TRIGGER_PRE_2018, votes(2, 2, aff_yes=1, aff_no=1))
    assert not outcome.open_selection
    assert "50%" in outcome.explanation and "not reached" in outcome.explanation


def test_pre_2018_one_short_and_one_over() -> None:
    assert not t.decide(t.TRIGGER_PRE_2018, votes(4, 5)).open_selection
    assert t.decide(t.TRIGGER_PRE_2018, votes(5, 4)).open_selection


# --- 2021: over 50% of a 50/50 college --------------------------------------------------
def test_2021_college_tie_does_not_trigger() -> None:
    # branches 3/4 = 75%, affiliates 1/4 = 25%: college exactly 50%.
    outcome = t.decide(t.TRIGGER_2021, votes(3, 1, aff_yes=1, aff_no=3))
    assert outcome.share == Fraction(1, 2)
    assert not outcome.open_selection
    assert "The college gives 50% for an open selection: more than 50% not reached" in (
        outcome.explanation
    )


def test_2021_just_over_half_triggers() -> None:
    # branches 4/4 = 100%, affiliates 1/99 ≈ 1%: college 50.5%.
    outcome = t.decide(t.TRIGGER_2021, votes(4, 0, aff_yes=1, aff_no=98))
    assert outcome.share == Fraction(1, 2) + Fraction(1, 198)
    assert outcome.open_selection


def test_2021_no_affiliates_branches_carry_the_college() -> None:
    outcome = t.decide(t.TRIGGER_2021, votes(5, 4))
    assert outcome.open_selection
    assert "No affiliate voted, so the branches carry the whole college." in outcome.explanation
    assert not t.decide(t.TRIGGER_2021, votes(4, 4)).open_selection


def test_2021_differs_from_2018_on_the_same_votes() -> None:
    same = votes(3, 5, aff_yes=0, aff_no=2)
    assert t.decide(t.TRIGGER_2018, same).open_selection
    assert not t.decide(t.TRIGGER_2021, same).open_selection


# --- mandatory open selection -----------------------------------------------------------
def test_mandatory_open_selection_needs_no_trigger() -> None:
    outcome = t.decide(t.MANDATORY_OPEN, votes(0, 9, aff_no=3))
    assert outcome.open_selection
    assert "every sitting MP faces a full, open selection" in outcome.explanation


def test_compare_all_gives_one_outcome_per_rule() -> None:
    outcomes = t.compare_all(votes(3, 5, aff_yes=1, aff_no=1))
    assert [o.mode for o in outcomes] == list(t.MODES)
    assert [o.open_selection for o in outcomes] == [False, True, False, True]


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(t.TriggerError, match="unknown selection mode"):
        t.decide("coin_toss", [])


@settings(deadline=None)  # a loaded CI machine must not fail a pure test on time
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 10), st.integers(0, 10))
def test_2018_matches_its_definition(by: int, bn: int, ay: int, an: int) -> None:
    outcome = t.decide(t.TRIGGER_2018, votes(by, bn, ay, an))
    expected = (by + bn > 0 and Fraction(by, by + bn) >= Fraction(1, 3)) or (
        ay + an > 0 and Fraction(ay, ay + an) >= Fraction(1, 3)
    )
    assert outcome.open_selection is expected


@settings(deadline=None)  # a loaded CI machine must not fail a pure test on time
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 10), st.integers(0, 10))
def test_2021_college_matches_its_definition(by: int, bn: int, ay: int, an: int) -> None:
    outcome = t.decide(t.TRIGGER_2021, votes(by, bn, ay, an))
    shares = [Fraction(y, y + n) for y, n in ((by, bn), (ay, an)) if y + n]
    expected = bool(shares) and sum(shares, Fraction(0)) / len(shares) > Fraction(1, 2)
    assert outcome.open_selection is expected


# --- S4: shortlist ----------------------------------------------------------------------
RULES = t.ShortlistRules(min_women_share=Fraction(1, 2), min_bame=1)


def test_shortlist_meeting_the_rules() -> None:
    check = t.check_shortlist(
        [t.ShortlistEntry("A", True, False), t.ShortlistEntry("B", False, True)], RULES
    )
    assert check.ok
    assert "1 of 2 shortlisted are women (50%)." in check.facts


def test_shortlist_breaches_are_explained() -> None:
    check = t.check_shortlist(
        [
            t.ShortlistEntry("A", True, False),
            t.ShortlistEntry("B", False, False),
            t.ShortlistEntry("C", False, False),
        ],
        RULES,
        sitting_mp_name="Ada Lovelace",
    )
    assert not check.ok
    assert check.breaches == (
        "At least 50% of the shortlist must be women, but 1 of 3 are (33.3%): add 1 woman or "
        "replace a man with a woman.",
        "At least 1 BAME candidate must be shortlisted, but none is.",
        "Ada Lovelace, the sitting MP, faces a full selection and must be on the shortlist.",
    )


def test_shortlist_too_short() -> None:
    check = t.check_shortlist([t.ShortlistEntry("A", True, True)], RULES)
    assert check.breaches == (
        "The shortlist has 1 candidate; members need a choice of at least 2.",
    )


def test_percent_rounding() -> None:
    assert t.percent(Fraction(1, 3)) == "33.3%"
    assert t.percent(Fraction(2, 3)) == "66.7%"
    assert t.percent(Fraction(7, 16)) == "43.8%"
    assert t.percent(Fraction(1)) == "100%"


@settings(deadline=None)
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 10), st.integers(0, 10),
       st.integers(0, 5))  # fmt: skip
def test_pre_2018_matches_its_definition(by: int, bn: int, ay: int, an: int, ab: int) -> None:
    outcome = t.decide(t.TRIGGER_PRE_2018, votes(by, bn, ay, an, branch_abstain=ab))
    voted = by + bn + ay + an
    assert outcome.open_selection is (voted > 0 and 2 * (by + ay) > voted)
