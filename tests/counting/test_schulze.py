"""Schulze method: the published worked example, ties, withdrawals, and properties checked
against a plain-Python reference implementation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rankandfile.counting import schulze
from rankandfile.counting.ballots import RankedBallots
from rankandfile.counting.errors import TooManySeatsError
from rankandfile.counting.result import RankedResult
from rankandfile.counting.schulze import count_schulze, pairwise_matrix, strongest_paths


def _ballots(names: str, groups: list[tuple[int, str]]) -> RankedBallots:
    """``groups`` as ``(count, "ACBED")`` pairs, as in Schulze's papers."""
    idx = {c: i for i, c in enumerate(names)}
    return RankedBallots.build(
        list(names), [[idx[c] for c in order] for _, order in groups], [n for n, _ in groups]
    )


# Schulze (2011), section 3.1 / the Wikipedia "Schulze method" example: 45 voters.
WIKI = _ballots(
    "ABCDE",
    [
        (5, "ACBED"),
        (5, "ADECB"),
        (8, "BEDAC"),
        (3, "CABED"),
        (7, "CAEBD"),
        (2, "CBADE"),
        (7, "DCEBA"),
        (8, "EBADC"),
    ],
)


def test_worked_example_pairwise_matrix() -> None:
    r = count_schulze(WIKI)
    assert r.pairwise == (
        (0, 20, 26, 30, 22),
        (25, 0, 16, 33, 18),
        (19, 29, 0, 17, 24),
        (15, 12, 28, 0, 14),
        (23, 27, 21, 31, 0),
    )


def test_worked_example_strongest_paths_and_ranking() -> None:
    r = count_schulze(WIKI, seats=2)
    assert r.strongest_paths == (
        (0, 28, 28, 30, 24),
        (25, 0, 28, 33, 24),
        (25, 29, 0, 29, 24),
        (25, 28, 28, 0, 24),
        (25, 28, 28, 31, 0),
    )
    assert [r.candidates[i].name for i in r.ranking] == ["E", "A", "C", "B", "D"]
    assert r.winners == (4,)
    assert r.elected_names == ("E", "A")
    assert r.condorcet_winner() is None  # there is a cycle; Schulze still decides
    assert r.ties == ()
    d = r.to_dict()
    json.dumps(d)
    assert d["ranking"] == ["E", "A", "C", "B", "D"]
    assert d["pairwise"][0] == [0, 20, 26, 30, 22]


def test_unranked_candidates_tie_below_all_ranked() -> None:
    b = _ballots("ABC", [(3, "A"), (2, "BA")])
    r = count_schulze(b)
    # A is ranked on every ballot; B beats C on the 2 ballots that rank B; C ranked nowhere.
    assert r.pairwise == ((0, 3, 5), (2, 0, 2), (0, 0, 0))
    assert r.ranking == (0, 1, 2)
    assert r.condorcet_winner() == 0


def test_condorcet_cycle_decided_by_lot_and_recorded() -> None:
    b = _ballots("ABC", [(1, "ABC"), (1, "BCA"), (1, "CAB")])
    r = count_schulze(b, seed=11)
    assert set(r.winners) == {0, 1, 2}
    assert r.ties[0].tied == (0, 1, 2)
    assert r.ties[0].purpose == "place 1"
    assert r.ties[0].how == "by lot (seed 11)"
    assert r.ranking[0] == r.ties[0].chosen
    assert len(r.ties) == 2  # place 1 among three, place 2 among two
    assert r.seed == 11
    assert r.notes
    assert count_schulze(b, seed=11).ranking == r.ranking
    assert {count_schulze(b, seed=s).winner for s in range(60)} == {0, 1, 2}


def test_withdrawn_candidate_takes_no_part() -> None:
    b = RankedBallots.build(["A", "B", "C"], [[2, 0, 1], [1, 2, 0]], [3, 2], withdrawn=[2])
    r = count_schulze(b)
    assert r.ranking == (0, 1)
    assert r.pairwise[2] == (0, 0, 0)
    assert r.pairwise[0][1] == 3
    assert r.to_dict()["withdrawn"] == ["C"]
    with pytest.raises(TooManySeatsError, match="only 2"):
        count_schulze(b, seats=3)


def test_seats_checked() -> None:
    with pytest.raises(TooManySeatsError, match="6 seats to fill but only 5"):
        count_schulze(WIKI, seats=6)
    with pytest.raises(TooManySeatsError):
        count_schulze(WIKI, seats=0)


def test_to_ranked() -> None:
    rr = count_schulze(WIKI, seats=1).to_ranked()
    assert isinstance(rr, RankedResult)
    assert rr.elected_names == ("E",)
    assert rr.excluded == (3, 1, 2, 0)  # last place first
    json.dumps(rr.to_dict())


def test_chunked_counting_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    full = pairwise_matrix(WIKI)
    monkeypatch.setattr(schulze, "_CHUNK_CELLS", 30)  # one or two groups at a time
    assert (pairwise_matrix(WIKI) == full).all()


# ---------------------------------------------------------------- reference implementation
def _reference_d(ballots: RankedBallots) -> list[list[int]]:
    n = ballots.n_candidates
    d = [[0] * n for _ in range(n)]
    for ranking, w in ballots.iter_ballots():
        pos = {c: k for k, c in enumerate(ranking)}
        for i in range(n):
            for j in range(n):
                if i != j and i in pos and (j not in pos or pos[i] < pos[j]):
                    d[i][j] += w
    return d


def _reference_p(d: list[list[int]]) -> list[list[int]]:
    n = len(d)
    p = [[d[i][j] if i != j and d[i][j] > d[j][i] else 0 for j in range(n)] for i in range(n)]
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            for k in range(n):
                if i != k and j != k:
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return p


N = 5
ranked_sets = st.lists(
    st.tuples(
        st.permutations(range(N)).flatmap(lambda p: st.integers(1, N).map(lambda k: p[:k])),
        st.integers(1, 20),
    ),
    min_size=1,
    max_size=25,
)


def _build(groups: list[tuple[list[int], int]], names: list[str] | None = None) -> RankedBallots:
    return RankedBallots.build(
        names or [f"C{i}" for i in range(N)], [r for r, _ in groups], [w for _, w in groups]
    )


@settings(max_examples=150)
@given(ranked_sets)
def test_matches_reference_implementation(groups: list[tuple[list[int], int]]) -> None:
    b = _build(groups)
    d = _reference_d(b)
    assert pairwise_matrix(b).tolist() == d
    assert strongest_paths(np.array(d, dtype=np.int64)).tolist() == _reference_p(d)


@settings(max_examples=150)
@given(ranked_sets)
def test_condorcet_winner_wins(groups: list[tuple[list[int], int]]) -> None:
    r = count_schulze(_build(groups), seed=0)
    cw = r.condorcet_winner()
    if cw is not None:
        assert r.winners == (cw,)
        assert r.ranking[0] == cw
        assert not r.ties or r.ties[0].purpose != "place 1"


@settings(max_examples=150)
@given(ranked_sets)
def test_ranking_is_consistent_with_beats(groups: list[tuple[list[int], int]]) -> None:
    r = count_schulze(_build(groups), seats=N, seed=0)
    assert sorted(r.ranking) == list(range(N))
    for a in range(N):
        for b in range(a + 1, N):
            # Nobody placed lower beats anybody placed higher.
            assert not r.beats(r.ranking[b], r.ranking[a])


@settings(max_examples=100)
@given(ranked_sets, st.permutations(range(N)))
def test_relabelling_invariance(groups: list[tuple[list[int], int]], perm: list[int]) -> None:
    names = [f"C{i}" for i in range(N)]
    new_names = [""] * N
    for i, j in enumerate(perm):
        new_names[j] = names[i]
    r1 = count_schulze(_build(groups, names), seed=5)
    r2 = count_schulze(_build([([perm[c] for c in r], w) for r, w in groups], new_names), seed=5)
    for i in range(N):
        for j in range(N):
            assert r1.pairwise[i][j] == r2.pairwise[perm[i]][perm[j]]
            assert r1.strongest_paths[i][j] == r2.strongest_paths[perm[i]][perm[j]]
    assert {names[i] for i in r1.winners} == {new_names[i] for i in r2.winners}
    if not r1.ties:
        assert r1.elected_names == r2.elected_names
