"""Approval voting and the approval ballot container."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rankandfile.counting.approval import ApprovalBallots, Lot, count_approval, select_top
from rankandfile.counting.errors import (
    DuplicateRankingError,
    EmptyBallotSetError,
    InvalidBallotError,
    TooManySeatsError,
    UnknownCandidateError,
)
from rankandfile.counting.result import RankedResult, State

NAMES = ["Ada", "Bea", "Cal", "Dee"]


# ---------------------------------------------------------------- ballots
def test_build_from_names_indices_and_matrix_agree() -> None:
    by_name = ApprovalBallots.build(NAMES, [{"Ada", "Cal"}, {"Bea"}, {"Ada", "Cal"}, set()])
    by_index = ApprovalBallots.build(NAMES, [[0, 2], [1], [2, 0], []])
    matrix = ApprovalBallots.build(
        NAMES,
        np.array([[1, 0, 1, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]], dtype=np.uint8),
    )
    for b in (by_name, by_index, matrix):
        assert b.counts().tolist() == [2, 1, 2, 0]
        assert b.total == 4
        assert b.total_marks == 5
        assert b.marks.shape[0] == 3  # identical rows grouped
        assert sorted(b.weights.tolist()) == [1, 1, 2]
        assert not b.marks.flags.writeable


def test_weights_and_blank_ballots() -> None:
    b = ApprovalBallots.build(NAMES, [[0], [], [0, 1]], [10, 5, 3])
    assert b.total == 18
    assert b.counts().tolist() == [13, 3, 0, 0]
    skipped = ApprovalBallots.build(NAMES, [[0], [], [0, 1]], [10, 5, 3], skip_empty=True)
    assert skipped.total == 13


def test_bad_ballots_rejected() -> None:
    with pytest.raises(UnknownCandidateError, match="ballot 2 marks 'Zed'"):
        ApprovalBallots.build(NAMES, [["Ada"], ["Zed"]])
    with pytest.raises(UnknownCandidateError, match="candidate number 5"):
        ApprovalBallots.build(NAMES, [[4]])
    with pytest.raises(DuplicateRankingError, match="ballot 1 marks 'Ada' more than once"):
        ApprovalBallots.build(NAMES, [[0, 0]])
    with pytest.raises(InvalidBallotError, match="value 2 against 'Bea'"):
        ApprovalBallots.build(NAMES, np.array([[1, 2, 0, 0]]))
    with pytest.raises(InvalidBallotError, match="one column per candidate"):
        ApprovalBallots.build(NAMES, np.ones((2, 3), dtype=np.bool_))
    with pytest.raises(InvalidBallotError, match="negative weight"):
        ApprovalBallots.build(NAMES, [[0], [1]], [1, -1])
    with pytest.raises(InvalidBallotError, match="2 ballots but 1 weights"):
        ApprovalBallots.build(NAMES, [[0], [1]], [1])
    with pytest.raises(InvalidBallotError, match="at most 2 may be marked"):
        ApprovalBallots.build(NAMES, [[0], [0, 1, 2]], max_marks=2)
    with pytest.raises(InvalidBallotError, match="the string"):
        ApprovalBallots.build(NAMES, ["Ada"])
    with pytest.raises(InvalidBallotError, match="listed twice"):
        ApprovalBallots.build(["Ada", "Ada"], [[0]])
    with pytest.raises(EmptyBallotSetError):
        ApprovalBallots.build(NAMES, [[], []])
    with pytest.raises(EmptyBallotSetError):
        ApprovalBallots.build(NAMES, [[0]], [0])


# ---------------------------------------------------------------- the count
def test_elect_top_two() -> None:
    b = ApprovalBallots.build(NAMES, [["Ada", "Bea"], ["Bea", "Cal"], ["Bea"], ["Dee"], []])
    r = count_approval(b, 2)
    assert r.votes == (1, 3, 1, 1)
    # Bea is clear; Ada, Cal and Dee tie on 1 for the second seat: decided by lot.
    assert r.elected[0] == 1
    assert len(r.ties) == 1
    t = r.ties[0]
    assert t.tied == (0, 2, 3)
    assert t.chosen == r.elected[1]
    assert r.seed is not None
    assert t.how == f"by lot (seed {r.seed})"
    # The recorded seed replays the draw.
    again = count_approval(b, 2, seed=r.seed)
    assert again.elected == r.elected
    assert r.share(1) == Fraction(3, 5)
    d = r.to_dict()
    json.dumps(d)
    assert d["candidates"][1]["percent"] == "60.00%"
    assert d["candidates"][1]["share"] == "3/5"
    assert d["ties"][0]["tied"] == ["Ada", "Cal", "Dee"]


def test_lot_is_deterministic_for_a_seed_and_fair_across_seeds() -> None:
    b = ApprovalBallots.build(NAMES, [[0], [1], [2], [3]])
    winners = {count_approval(b, 1, seed=s).elected for s in range(200)}
    assert winners == {(0,), (1,), (2,), (3,)}
    assert count_approval(b, 1, seed=42).elected == count_approval(b, 1, seed=42).elected
    r = count_approval(b, 3, seed=7)
    assert len(r.ties) == 3  # three draws, each recorded
    assert [len(t.tied) for t in r.ties] == [4, 3, 2]
    assert r.seed == 7


def test_no_lot_when_tie_does_not_decide_a_seat() -> None:
    b = ApprovalBallots.build(NAMES, [[0, 1], [0, 1], [2], [3]])
    r = count_approval(b, 2)
    assert r.elected == (0, 1)
    assert r.ties == ()
    assert r.seed is None  # no seed given and none needed


def test_seats_checked() -> None:
    b = ApprovalBallots.build(NAMES, [[0]])
    with pytest.raises(TooManySeatsError, match="5 seats to fill but only 4"):
        count_approval(b, 5)
    with pytest.raises(TooManySeatsError, match="at least one seat"):
        count_approval(b, 0)
    with pytest.raises(InvalidBallotError, match="seed"):
        count_approval(b, 1, seed="x")  # type: ignore[arg-type]


def test_to_ranked() -> None:
    b = ApprovalBallots.build(NAMES, [[0, 1], [0], [2]])
    rr = count_approval(b, 1).to_ranked()
    assert isinstance(rr, RankedResult)
    assert rr.elected_names == ("Ada",)
    assert rr.stages[0].votes == (2, 1, 1, 0)
    assert rr.stages[0].states[0] is State.ELECTED
    assert rr.total_votes == 3
    json.dumps(rr.to_dict())


def test_select_top_respects_eligible() -> None:
    chosen, ties = select_top([5, 9, 9, 1], 2, Lot(1), eligible=[0, 2, 3])
    assert chosen == (2, 0)
    assert ties == ()


# ---------------------------------------------------------------- properties
n_cands = 5
ballot_sets = st.lists(
    st.tuples(st.frozensets(st.integers(0, n_cands - 1)), st.integers(0, 50)),
    min_size=1,
    max_size=40,
).filter(lambda bs: any(m and w for m, w in bs))


@given(ballot_sets)
def test_approval_counts_conserved(ballots: list[tuple[frozenset[int], int]]) -> None:
    names = [f"C{i}" for i in range(n_cands)]
    marks = [sorted(m) for m, _ in ballots]
    weights = [w for _, w in ballots]
    grouped = ApprovalBallots.build(names, marks, weights)
    ungrouped = ApprovalBallots.build(names, marks, weights, group=False)
    expected = [sum(w for m, w in ballots if i in m) for i in range(n_cands)]
    assert grouped.counts().tolist() == expected
    assert ungrouped.counts().tolist() == expected
    assert grouped.total == sum(weights)
    assert int(grouped.counts().sum()) == sum(len(m) * w for m, w in ballots)
    assert grouped.marks.shape[0] == len({m for m, w in ballots if w})


@given(ballot_sets, st.permutations(range(n_cands)), st.integers(1, n_cands))
def test_relabelling_invariance(
    ballots: list[tuple[frozenset[int], int]], perm: list[int], seats: int
) -> None:
    names = [f"C{i}" for i in range(n_cands)]
    r1 = count_approval(
        ApprovalBallots.build(names, [m for m, _ in ballots], [w for _, w in ballots]),
        seats,
        seed=3,
    )
    # Candidate i becomes candidate perm[i], keeping its name.
    new_names = [""] * n_cands
    for i, j in enumerate(perm):
        new_names[j] = names[i]
    r2 = count_approval(
        ApprovalBallots.build(
            new_names, [{perm[i] for i in m} for m, _ in ballots], [w for _, w in ballots]
        ),
        seats,
        seed=3,
    )
    assert dict(zip(names, r1.votes, strict=True)) == dict(zip(new_names, r2.votes, strict=True))
    if not r1.ties:
        assert set(r1.elected_names) == set(r2.elected_names)
    else:
        # Who is in the lot is the same; only the draw may differ.
        assert {names[i] for i in r1.ties[0].tied} == {new_names[i] for i in r2.ties[0].tied}
