"""Alternative vote (eliminating ballot): hand-worked counts, ties, bad input, speed."""

from __future__ import annotations

import numpy as np
import pytest

from rankandfile.counting.av import count_av, first_continuing
from rankandfile.counting.ballots import PAD, RankedBallots
from rankandfile.counting.errors import CountingError, TooManySeatsError
from rankandfile.counting.result import State


def test_majority_on_first_preferences() -> None:
    b = RankedBallots.build("ABC", [[0], [1], [2, 1]], [6, 3, 2])
    r = count_av(b)
    assert r.elected == (0,)
    assert len(r.stages) == 1
    s = r.stages[0]
    assert s.votes == (6, 3, 2)
    assert s.quota == 6  # 11 continuing votes: 6 needed
    assert s.states == (State.ELECTED, State.HOPEFUL, State.HOPEFUL)
    assert r.method == "av" and r.seats == 1 and r.total_votes == 11


def test_hand_worked_three_stages() -> None:
    # Worked by hand:
    #   stage 1: A 8, B 7, C 4, D 2 (21 votes, 11 needed) -> exclude D
    #   D's 2 ballots: D>C (1) and D (1, exhausted)
    #   stage 2: A 8, B 7, C 5, non-transferable 1 (20 continuing, 11 needed) -> exclude C
    #   C's 5 ballots: C>B (3), C>A (1), D>C (1, then exhausted)
    #   stage 3: A 9, B 10, non-transferable 2 (19 continuing, 10 needed) -> B elected
    b = RankedBallots.build(
        "ABCD",
        [[0], [1], [2, 1], [2, 0], [3, 2], [3]],
        [8, 7, 3, 1, 1, 1],
    )
    r = count_av(b)
    assert [s.votes for s in r.stages] == [(8, 7, 4, 2), (8, 7, 5, 0), (9, 10, 0, 0)]
    assert [s.non_transferable for s in r.stages] == [0, 1, 2]
    assert [s.quota for s in r.stages] == [11, 11, 10]
    assert [s.action for s in r.stages] == ["first", "exclude", "exclude"]
    assert r.stages[1].subjects == (3,)
    assert r.stages[2].transfers == (1, 3, -5, 0)
    assert r.excluded == (3, 2)
    assert r.elected == (1,)
    assert r.stages[-1].states == (State.HOPEFUL, State.ELECTED, State.EXCLUDED, State.EXCLUDED)


def test_tie_for_exclusion_uses_earlier_stage() -> None:
    # Stage 1: A 5, B 3, C 4, D 1 -> exclude D, whose ballot goes to B.
    # Stage 2: A 5, B 4, C 4 -> B and C tie; at stage 1 B had fewer: B is excluded.
    b = RankedBallots.build("ABCD", [[0], [1], [2], [3, 1]], [5, 3, 4, 1])
    r = count_av(b)
    assert r.stages[1].votes == (5, 4, 4, 0)
    assert r.ties[0].tied == (1, 2)
    assert r.ties[0].chosen == 1
    assert r.ties[0].stage == 3
    assert "stage 1" in r.ties[0].how


def test_forwards_and_backwards_can_differ() -> None:
    # Stage 1: A 9, B 3, C 4, D 3, E 2 -> exclude E (E>B): B 5
    # Stage 2: A 9, B 5, C 4, D 3 -> exclude D (one D>C, two D only): C 5
    # Stage 3: A 9, B 5, C 5: B and C tie. Most recent difference (stage 2): C fewer.
    # Earliest difference (stage 1): B fewer.
    b = RankedBallots.build("ABCDE", [[0], [1], [2], [3, 2], [3], [4, 1]], [9, 3, 4, 1, 2, 2])
    back = count_av(b, tiebreak="backwards")
    fwd = count_av(b, tiebreak="forwards")
    assert back.stages[2].votes == (9, 5, 5, 0, 0)
    tie_b = next(t for t in back.ties if t.tied == (1, 2))
    tie_f = next(t for t in fwd.ties if t.tied == (1, 2))
    assert tie_b.chosen == 2 and "stage 2" in tie_b.how
    assert tie_f.chosen == 1 and "stage 1" in tie_f.how


def test_lot_tiebreak_is_deterministic_for_a_seed() -> None:
    b = RankedBallots.build("ABCD", [[0], [1], [2], [3]], [5, 2, 2, 2])
    results = {count_av(b, tiebreak="lot", seed=s).excluded for s in range(20)}
    assert len(results) > 1  # different seeds draw differently
    for s in range(5):
        assert count_av(b, tiebreak="lot", seed=s) == count_av(b, tiebreak="lot", seed=s)
    r = count_av(b, tiebreak="lot", seed=3)
    assert r.seed == 3 and all("seed 3" in t.how for t in r.ties)
    assert count_av(b, lot_order=[3, 2, 1, 0]).excluded[0] == 3


def test_two_candidates_exact_tie_goes_to_lot() -> None:
    b = RankedBallots.build("AB", [[0], [1]], [5, 5])
    r = count_av(b, seed=1)
    assert len(r.ties) == 1 and r.ties[0].purpose == "exclude"
    assert r.elected[0] != r.excluded[0]


def test_bulk_exclusion() -> None:
    # C 2, D 1, E 1 total 4 < B 5: C, D and E can go at once.
    b = RankedBallots.build("ABCDE", [[0], [1], [2, 1], [3, 1], [4, 0]], [6, 5, 2, 1, 1])
    single = count_av(b)
    bulk = count_av(b, bulk_exclusion=True)
    assert single.elected == bulk.elected
    assert len(bulk.stages) < len(single.stages)
    assert bulk.stages[1].subjects == (3, 4, 2)
    assert bulk.ties == ()


def test_withdrawn_candidates_are_skipped() -> None:
    b = RankedBallots.build("ABC", [[2, 1], [0], [1]], [4, 3, 2], withdrawn=[2])
    r = count_av(b)
    assert r.stages[0].votes == (3, 6, 0)
    assert r.stages[0].states[2] is State.WITHDRAWN
    assert r.elected == (1,)


def test_everyone_withdrawn_is_an_error() -> None:
    b = RankedBallots.build("AB", [[0]], withdrawn=[0, 1])
    with pytest.raises(TooManySeatsError, match="withdrawn"):
        count_av(b)


def test_unknown_tiebreak_and_bad_seed() -> None:
    b = RankedBallots.build("AB", [[0], [1]])
    with pytest.raises(CountingError, match="unknown tie-break"):
        count_av(b, tiebreak="random")
    with pytest.raises(CountingError, match="seed"):
        count_av(b, seed="7")  # type: ignore[arg-type]
    with pytest.raises(CountingError, match="lot order"):
        count_av(b, lot_order=[0, 0])


def test_first_continuing() -> None:
    rk = np.array([[0, 1, 2], [1, PAD, PAD], [2, 0, PAD]], dtype=np.int32)
    cont = np.array([False, False, True, True])  # PAD slot, A out, B and C in
    assert first_continuing(rk, cont).tolist() == [1, 1, 2]
    cont = np.array([False, False, False, False])
    assert first_continuing(rk, cont).tolist() == [PAD, PAD, PAD]


def test_one_million_ballots_eight_candidates() -> None:
    """A leadership-sized count completes and conserves votes (speed: bench/)."""
    rng = np.random.default_rng(11)
    pop = np.log(rng.gamma(2.0, 1.0, 8))
    arr = np.argsort(-(pop + rng.gumbel(size=(1_000_000, 8))), axis=1).astype(np.int32)
    lengths = rng.integers(1, 9, 1_000_000)
    arr[np.arange(8)[None, :] >= lengths[:, None]] = PAD
    b = RankedBallots.build([f"C{i}" for i in range(8)], arr)
    r = count_av(b)
    assert r.total_votes == 1_000_000
    for stage in r.stages:
        assert sum(stage.votes) + stage.non_transferable == 1_000_000
