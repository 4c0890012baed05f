"""Property tests for the ranked methods (AV and Scottish STV)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rankandfile.counting.av import count_av
from rankandfile.counting.ballots import RankedBallots
from rankandfile.counting.result import RankedResult, State
from rankandfile.counting.stv_scottish import count_scottish_stv

UNIT = Decimal("0.00001")


def dsum(*values: object) -> Decimal:
    """Sum of stage values that must all be exact Decimals (Scottish STV)."""
    assert all(isinstance(v, Decimal) for v in values)
    return sum((v for v in values if isinstance(v, Decimal)), Decimal(0))


@st.composite
def elections(draw: st.DrawFn, max_cands: int = 6) -> RankedBallots:
    n = draw(st.integers(1, max_cands))
    rows = draw(
        st.lists(
            st.permutations(range(n)).flatmap(
                lambda p: st.integers(1, len(p)).map(lambda k: p[:k])
            ),
            min_size=1,
            max_size=30,
        )
    )
    weights = draw(st.lists(st.integers(1, 40), min_size=len(rows), max_size=len(rows)))
    return RankedBallots.build([f"C{i}" for i in range(n)], rows, weights)


def relabel(b: RankedBallots, perm: list[int]) -> RankedBallots:
    """Candidate ``c`` becomes ``perm[c]``."""
    names = [""] * b.n_candidates
    for c, name in enumerate(b.names):
        names[perm[c]] = name
    rows = [[perm[c] for c in ranking] for ranking, _ in b.iter_ballots()]
    return RankedBallots.build(names, rows, [w for _, w in b.iter_ballots()])


# ----------------------------------------------------------------------------- conservation
@settings(max_examples=100, deadline=None)
@given(elections())
def test_av_conserves_votes_at_every_stage(b: RankedBallots) -> None:
    r = count_av(b)
    for s in r.stages:
        assert sum(int(v) for v in s.votes) + int(s.non_transferable) == b.total
        assert s.quota == sum(s.votes) // 2 + 1
    assert len(r.elected) == 1
    assert r.stages[-1].states[r.elected[0]] is State.ELECTED
    nts = [s.non_transferable for s in r.stages]
    assert nts == sorted(nts)


@settings(max_examples=100, deadline=None)
@given(elections(), st.data())
def test_stv_conserves_votes_at_every_stage(b: RankedBallots, data: st.DataObject) -> None:
    """Droop's dumps report truncation losses apart from the non-transferable votes (as
    "residual"); so do we: votes + non-transferable + residual == ballots, exactly."""
    seats = data.draw(st.integers(1, b.n_candidates))
    r = count_scottish_stv(b, seats, seed=1)
    total = Decimal(b.total)
    previous = Decimal(0)
    for s in r.stages:
        res = s.residual
        assert isinstance(res, Decimal)
        assert dsum(*s.votes, s.non_transferable) + res == total
        assert previous <= res <= UNIT * b.total * s.number  # < 0.00001 per ballot per stage
        previous = res
        assert all(v >= 0 for v in s.votes)
        assert all(v.as_tuple().exponent == -5 for v in s.votes)  # type: ignore[union-attr]
    assert len(r.elected) == len(set(r.elected)) == seats
    final = r.stages[-1].states
    assert sum(st_ is State.ELECTED for st_ in final) == seats
    assert State.HOPEFUL not in final


# ----------------------------------------------------------------------------- agreement
def tie_free(*results: RankedResult) -> bool:
    return all(not r.ties for r in results)


@settings(max_examples=120, deadline=None)
@given(elections())
def test_one_seat_scottish_stv_elects_the_av_winner(b: RankedBallots) -> None:
    """With one seat, once a candidate holds a majority of the continuing votes no other
    can overtake them, so STV (which waits for the quota or the last candidate) and AV
    (which stops at the majority) elect the same candidate -- when no tie was broken."""
    av = count_av(b, seed=0)
    stv = count_scottish_stv(b, 1, seed=0)
    assume(tie_free(av, stv))
    assert av.elected == stv.elected


@settings(max_examples=80, deadline=None)
@given(elections(), st.data())
def test_relabelling_candidates_does_not_change_the_outcome(
    b: RankedBallots, data: st.DataObject
) -> None:
    perm = data.draw(st.permutations(range(b.n_candidates)))
    seats = data.draw(st.integers(1, b.n_candidates))
    other = relabel(b, list(perm))
    av, av2 = count_av(b, seed=0), count_av(other, seed=0)
    if tie_free(av, av2):
        assert av2.elected == tuple(perm[c] for c in av.elected)
        for s1, s2 in zip(av.stages, av2.stages, strict=True):
            assert all(s2.votes[perm[c]] == v for c, v in enumerate(s1.votes))
    stv, stv2 = count_scottish_stv(b, seats, seed=0), count_scottish_stv(other, seats, seed=0)
    if tie_free(stv, stv2):
        assert set(stv2.elected) == {perm[c] for c in stv.elected}
        assert len(stv.stages) == len(stv2.stages)
        for s1, s2 in zip(stv.stages, stv2.stages, strict=True):
            assert all(s2.votes[perm[c]] == v for c, v in enumerate(s1.votes))
            assert s1.non_transferable == s2.non_transferable


@settings(max_examples=40, deadline=None)
@given(elections())
def test_majority_first_choice_wins_av(b: RankedBallots) -> None:
    first = b.first_preferences()
    top = int(first.argmax())
    assume(2 * int(first[top]) > b.total)
    r = count_av(b)
    assert r.elected == (top,)
    assert len(r.stages) == 1
    assert count_scottish_stv(b, 1).elected == (top,)


# ----------------------------------------------------------------------------- determinism
@settings(max_examples=60, deadline=None)
@given(
    elections(max_cands=5),
    st.integers(0, 2**31 - 1),
    st.sampled_from(["backwards", "forwards", "lot"]),
    st.data(),
)
def test_same_seed_same_result(
    b: RankedBallots, seed: int, method: str, data: st.DataObject
) -> None:
    seats = data.draw(st.integers(1, b.n_candidates))
    assert count_av(b, tiebreak=method, seed=seed) == count_av(b, tiebreak=method, seed=seed)
    one = count_scottish_stv(b, seats, tiebreak=method, seed=seed)
    assert one == count_scottish_stv(b, seats, tiebreak=method, seed=seed)
    assert one.seed == seed
    # Without a seed, a drawn one is recorded whenever a lot was needed, and replays.
    free = count_scottish_stv(b, seats, tiebreak=method)
    if any("by lot" in t.how for t in free.ties):
        assert free.seed is not None
        replay = count_scottish_stv(b, seats, tiebreak=method, seed=free.seed)
        assert replay.elected == free.elected and replay.ties == free.ties
    else:
        assert free.seed is None
