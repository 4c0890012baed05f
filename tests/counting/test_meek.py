"""Meek STV (PR Foundation reference rule): golden counts against Droop v0.11 dumps.

Every line of every ``droop-reference/meek-prf/*.dump.txt`` is reproduced to the last
printed digit: quota, total votes, surplus, residual, and each candidate's state, vote and
keep factor.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankandfile.counting.ballots import Candidate, RankedBallots
from rankandfile.counting.blt import parse_blt
from rankandfile.counting.errors import TooManySeatsError
from rankandfile.counting.meek import SCALE, count_meek, meek_trace, to_decimal
from rankandfile.counting.result import State

from .conftest import DROOP

MEEK_DIR = DROOP / "meek-prf"
SUFFIX = "-meek-prf-o6-fixed-p9-d9.dump.txt"
DUMPS = sorted(p.name for p in MEEK_DIR.glob(f"*{SUFFIX}")) if MEEK_DIR.is_dir() else []


# --------------------------------------------------------------------------- helpers
def load_blt(path: Path) -> tuple[RankedBallots, int]:
    election = parse_blt(path)
    return election.ballots, election.seats


def _fixed(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * SCALE + int(frac.ljust(9, "0"))


STATE_CODE = {State.HOPEFUL: "H", State.ELECTED: "E", State.EXCLUDED: "D"}


# --------------------------------------------------------------------------- golden
def test_reference_dumps_present(droop_dir: Path) -> None:
    assert len(DUMPS) >= 9, f"expected the meek-prf dumps in {droop_dir / 'meek-prf'}"


@pytest.mark.parametrize("dump", DUMPS)
def test_meek_prf_golden(droop_dir: Path, dump: str) -> None:
    stem = dump.removesuffix(SUFFIX)
    ballots, seats = load_blt(droop_dir / "blt" / f"{stem}.blt")
    trace = meek_trace(ballots, seats, tiebreak="order")
    lines = (droop_dir / "meek-prf" / dump).read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    assert header[:6] == ["R", "Action", "Quota", "Votes", "Surplus", "Residual"]
    expected = [ln.split("\t") for ln in lines[1:]]
    expected = [r for r in expected if r[1] not in ("log", "round", "iterate")]
    assert len(trace.actions) == len(expected), [a.action for a in trace.actions]
    for k, (act, row) in enumerate(zip(trace.actions, expected, strict=True)):
        where = f"{dump} line {k}: {row[1]} round {row[0]}"
        assert act.action == row[1], where
        assert str(act.round) == row[0] or (row[0] == "X" and act.action == "end"), where
        assert act.quota == _fixed(row[2]), where
        assert act.votes_total == _fixed(row[3]), where
        assert act.surplus == _fixed(row[4]), where
        assert act.residual == _fixed(row[5]), where
        cells = row[6:]
        assert len(cells) % 4 == 0
        for j in range(0, len(cells), 4):
            name, code, vote, kf = cells[j : j + 4]
            c = ballots.index(name)
            assert STATE_CODE[act.states[c]] == code, f"{where}: {name} state"
            assert act.votes[c] == _fixed(vote), f"{where}: {name} vote"
            assert act.keep_factors[c] == _fixed(kf), f"{where}: {name} kf"
    # The public result carries the same values as exact 9-place decimals.
    result = trace.result
    reported = [a for a in trace.actions if a.action != "tie"]
    assert len(result.stages) == len(reported)
    for stage, act in zip(result.stages, reported, strict=True):
        assert stage.quota == to_decimal(act.quota)
        assert stage.non_transferable == to_decimal(act.residual)
        assert stage.votes == tuple(to_decimal(v) for v in act.votes)
    end = expected[-1]
    names = [end[6 + j] for j in range(0, len(end) - 6, 4) if end[7 + j] == "E"]
    assert sorted(result.elected_names) == sorted(names)


def test_sc_ties_recorded(droop_dir: Path) -> None:
    ballots, seats = load_blt(droop_dir / "blt" / "SC.blt")
    result = count_meek(ballots, seats, tiebreak="order")
    assert [ballots.candidates[t.chosen].name for t in result.ties] == [
        "Write-In 2",
        "Write-In 1",
        "Steve Greenfield",
    ]
    for t in result.ties:
        assert result.stages[t.stage].action == "exclude"
        assert result.stages[t.stage].subjects == (t.chosen,)


def test_values_are_nine_place_decimals(droop_dir: Path) -> None:
    ballots, seats = load_blt(droop_dir / "blt" / "42.blt")
    result = count_meek(ballots, seats, tiebreak="order")
    assert result.quota == Decimal("2.000000001")
    assert result.elected_names == ("Castor", "Helen")
    assert result.method == "meek-prf"
    assert all(isinstance(v, Decimal) for s in result.stages for v in s.votes)
    assert result.to_dict()["quota"] == "2.000000001"


# --------------------------------------------------------------------------- behaviour
def test_backwards_tiebreak_then_lot_is_seeded(droop_dir: Path) -> None:
    ballots, seats = load_blt(droop_dir / "blt" / "SC.blt")
    a = count_meek(ballots, seats, seed=7)
    b = count_meek(ballots, seats, seed=7)
    assert a.elected == b.elected
    assert a.ties == b.ties
    assert a.seed == 7
    assert all("lot" in t.how or "stage" in t.how for t in a.ties)
    # Zero-vote write-ins can only be separated by lot; the elected set does not depend on it.
    c = count_meek(ballots, seats, seed=8)
    assert set(c.elected) == set(a.elected)


def test_unseeded_lot_records_the_seed_used(droop_dir: Path) -> None:
    ballots, seats = load_blt(droop_dir / "blt" / "SC.blt")
    a = count_meek(ballots, seats, tiebreak="lot")
    assert a.seed is not None
    again = count_meek(ballots, seats, tiebreak="lot", seed=a.seed)
    assert again.ties == a.ties


def test_backwards_uses_earlier_round() -> None:
    # D is elected at once; C is defeated and her vote makes B equal to A (3 each).
    # Backwards tie-breaking looks at the previous round (A 3, B 2) and defeats B; the
    # PRF fixed order would defeat A (listed first).
    ballots = RankedBallots.build(
        ["A", "B", "C", "D"],
        [[3], [0], [1], [2, 1]],
        [10, 3, 2, 1],
    )
    back = count_meek(ballots, 2)
    assert set(back.elected_names) == {"D", "A"}
    (tie,) = back.ties
    assert set(tie.tied) == {0, 1}
    assert tie.chosen == 1
    assert "stage" in tie.how
    fixed = count_meek(ballots, 2, tiebreak="order")
    assert set(fixed.elected_names) == {"D", "B"}


def test_rejects_bad_seats() -> None:
    ballots = RankedBallots.build(["A", "B"], [[0, 1]])
    with pytest.raises(TooManySeatsError):
        count_meek(ballots, 3)
    with pytest.raises(TooManySeatsError):
        count_meek(ballots, 0)
    with pytest.raises(ValueError, match="tie-break"):
        count_meek(ballots, 1, tiebreak="coin")


def test_withdrawn_candidate_gets_nothing(droop_dir: Path) -> None:
    ballots, seats = load_blt(droop_dir / "blt" / "SCw.blt")
    res = count_meek(ballots, seats, tiebreak="order")
    w = next(iter(ballots.withdrawn))
    assert all(s.votes[w] == 0 and s.states[w] is State.WITHDRAWN for s in res.stages)
    assert w not in res.elected


# --------------------------------------------------------------------------- properties
@st.composite
def elections(draw: st.DrawFn) -> tuple[RankedBallots, int]:
    n = draw(st.integers(2, 6))
    seats = draw(st.integers(1, n - 1))
    perms = st.permutations(list(range(n))).flatmap(
        lambda p: st.integers(1, n).map(lambda k: p[:k])
    )
    rows = draw(st.lists(perms, min_size=1, max_size=25))
    weights = draw(st.lists(st.integers(1, 50), min_size=len(rows), max_size=len(rows)))
    return RankedBallots.build([f"C{i}" for i in range(n)], rows, weights), seats


@given(elections())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_votes_conserved_each_stage(e: tuple[RankedBallots, int]) -> None:
    ballots, seats = e
    trace = meek_trace(ballots, seats, seed=1)
    total = ballots.total * SCALE
    for a in trace.actions:
        if a.action in ("begin", "end"):
            assert a.votes_total + a.residual == total
    res = trace.result
    assert len(res.elected) == seats
    assert len(set(res.elected)) == seats
    for s in res.stages:
        assert all(v >= 0 for v in s.votes)
        # the residual is what no candidate holds: votes of the just defeated until the
        # next distribution (keeps are rounded up, so nothing is lost to rounding)
        assert s.residual >= 0
        assert sum(s.votes) + s.non_transferable + s.residual == ballots.total
        if s.action in ("first", "elect") and s.number == 1:
            assert s.residual == 0
    # every round-end distribution conserves value exactly
    last = res.stages[-1]
    won = sum(Fraction(last.votes[c]) for c in res.elected)
    assert won + Fraction(last.non_transferable) == res.total_votes


@given(elections())
@settings(max_examples=40, deadline=None)
def test_single_seat_with_majority_winner_wins(e: tuple[RankedBallots, int]) -> None:
    ballots, _ = e
    first = ballots.first_preferences()
    top = int(np.argmax(first))
    res = count_meek(ballots, 1, seed=3)
    if 2 * int(first[top]) > ballots.total:
        assert res.elected == (top,)


# --------------------------------------------------------------------------- performance
def synthetic(n_ballots: int, n_cands: int, rng_seed: int = 2024) -> RankedBallots:
    rng = np.random.default_rng(rng_seed)
    # Candidates of uneven popularity: rankings drawn by Plackett-Luce-like noise.
    strength = rng.gamma(2.0, 1.0, size=n_cands)
    noise = rng.gumbel(size=(n_ballots, n_cands)) + np.log(strength)
    order = np.argsort(-noise, axis=1).astype(np.int32)
    lengths = rng.integers(1, n_cands + 1, size=n_ballots)
    cols = np.arange(n_cands)[None, :]
    order[cols >= lengths[:, None]] = -1
    cands = [Candidate(f"K{i}") for i in range(n_cands)]
    return RankedBallots.build(cands, order)


def test_large_count_100k_12_5() -> None:
    """A national-scale count completes and conserves votes (speed: bench/)."""
    ballots = synthetic(100_000, 12)
    res = count_meek(ballots, 5, seed=1)
    assert len(res.elected) == 5
    for stage in res.stages:
        assert sum(stage.votes) + stage.non_transferable + stage.residual == 100_000
