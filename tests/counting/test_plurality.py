"""First past the post: one seat from ranked ballots, block vote from X marks."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rankandfile.counting.approval import ApprovalBallots
from rankandfile.counting.ballots import RankedBallots
from rankandfile.counting.errors import InvalidBallotError, TooManySeatsError, UnknownCandidateError
from rankandfile.counting.plurality import count_plurality
from rankandfile.counting.result import State

NAMES = ["Ada", "Bea", "Cal"]


def test_one_seat_first_preferences() -> None:
    b = RankedBallots.build(NAMES, [[0, 1], [1, 0], [2], [0]], [3, 3, 2, 1])
    r = count_plurality(b)
    assert r.method == "plurality"
    assert r.elected_names == ("Ada",)
    stage = r.stages[0]
    assert stage.votes == (4, 3, 2)
    assert stage.states == (State.ELECTED, State.EXCLUDED, State.EXCLUDED)
    assert r.excluded == (2, 1)  # fewest votes first
    assert r.total_votes == 9
    assert r.ties == ()
    d = r.to_dict()
    json.dumps(d)
    assert d["stages"][0]["votes"] == {"Ada": 4, "Bea": 3, "Cal": 2}


def test_withdrawn_candidate_passes_to_next_preference() -> None:
    b = RankedBallots.build(NAMES, [[2, 1], [0], [2]], [5, 4, 2], withdrawn=[2])
    r = count_plurality(b)
    assert r.stages[0].votes == (4, 5, 0)
    assert r.elected_names == ("Bea",)
    assert r.stages[0].states[2] is State.WITHDRAWN
    assert r.stages[0].non_transferable == 2  # those ballots named only Cal
    assert 2 not in r.excluded


def test_tie_for_the_seat_is_drawn_and_recorded() -> None:
    b = RankedBallots.build(NAMES, [[0], [1], [2]], [4, 4, 1])
    r = count_plurality(b, seed=2024)
    assert r.seed == 2024
    assert len(r.ties) == 1
    assert r.ties[0].tied == (0, 1)
    assert r.ties[0].how == "by lot (seed 2024)"
    assert r.elected == (r.ties[0].chosen,)
    assert {count_plurality(b, seed=s).elected for s in range(100)} == {(0,), (1,)}


def test_block_vote_from_x_marks() -> None:
    names = ["Ada", "Bea", "Cal", "Dee", "Eve"]
    b = ApprovalBallots.build(
        names,
        [["Ada", "Bea", "Cal"], ["Ada", "Dee"], ["Eve", "Bea", "Ada"], ["Cal"], []],
        [10, 7, 6, 3, 2],
    )
    r = count_plurality(b, 3)
    assert r.method == "block vote"
    assert r.stages[0].votes == (23, 16, 13, 7, 6)
    assert r.elected_names == ("Ada", "Bea", "Cal")
    assert r.stages[0].non_transferable == 2  # blank ballots
    assert r.total_votes == 28


def test_block_vote_overvote_rejected() -> None:
    b = ApprovalBallots.build(NAMES, [[0, 1], [0, 1], [2]])
    with pytest.raises(InvalidBallotError, match="marks 2 candidates but at most 1"):
        count_plurality(b, 1)
    assert count_plurality(b, 2).elected_names == ("Ada", "Bea")


def test_block_vote_from_ranked_ballots_counts_first_preferences_up_to_seats() -> None:
    b = RankedBallots.build(NAMES, [[0, 1, 2], [2, 1], [1]], [3, 2, 1])
    r = count_plurality(b, 2)
    assert r.stages[0].votes == (3, 6, 2)  # each ballot's first two preferences
    assert r.elected_names == ("Bea", "Ada")


def test_seats_checked() -> None:
    b = RankedBallots.build(NAMES, [[0]])
    with pytest.raises(TooManySeatsError, match="4 seats to fill but only 3"):
        count_plurality(b, 4)
    w = RankedBallots.build(NAMES, [[0]], withdrawn=[1])
    with pytest.raises(TooManySeatsError, match="only 2"):
        count_plurality(w, 3)
    with pytest.raises(TooManySeatsError):
        count_plurality(ApprovalBallots.build(NAMES, [[0]]), 0)


def test_unknown_candidate() -> None:
    with pytest.raises(UnknownCandidateError):
        RankedBallots.build(NAMES, [[3]])
    with pytest.raises(UnknownCandidateError):
        ApprovalBallots.build(NAMES, [["Zed"]])


# ---------------------------------------------------------------- properties
rankings = st.lists(
    st.tuples(
        st.permutations(range(4)).flatmap(lambda p: st.integers(1, 4).map(lambda k: p[:k])),
        st.integers(1, 30),
    ),
    min_size=1,
    max_size=30,
)


@given(rankings, st.permutations(range(4)))
def test_fptp_relabelling_invariance(ballots: list[tuple[list[int], int]], perm: list[int]) -> None:
    names = ["W", "X", "Y", "Z"]
    r1 = count_plurality(
        RankedBallots.build(names, [r for r, _ in ballots], [w for _, w in ballots]), seed=1
    )
    new_names = [""] * 4
    for i, j in enumerate(perm):
        new_names[j] = names[i]
    r2 = count_plurality(
        RankedBallots.build(
            new_names, [[perm[c] for c in r] for r, _ in ballots], [w for _, w in ballots]
        ),
        seed=1,
    )
    assert sum(r1.stages[0].votes) == r1.total_votes  # every ballot has a first preference
    v1 = dict(zip(names, r1.stages[0].votes, strict=True))
    v2 = dict(zip(new_names, r2.stages[0].votes, strict=True))
    assert v1 == v2
    if not r1.ties:
        assert r1.elected_names == r2.elected_names
        assert v1[r1.elected_names[0]] == max(v1.values())
