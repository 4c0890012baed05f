"""Counting speed, side by side with the open Python implementations, on the same ballots.

Run: ``.venv/bin/python bench/bench_counting.py`` (peers need ``uv sync --extra bench``;
a peer that is not installed is reported as such). Options: ``--quick`` (smaller sizes, for
a smoke run), ``--timeout S`` (cap per slow peer run, default 120 s), ``--json OUT``.

Contests (issue 3, "Speed"):

1. AV, 1,000,000 ranked ballots over 8 candidates. Ours: validate + group the raw
   1,000,000 x 8 array, then count. Peers get the ballots already grouped by us (each
   distinct ranking once, with its count) -- their input build from that is timed apart,
   the grouping is not charged to them. pyrankvote takes one object per ballot and no
   weights: it is run on a stated sample and the time extrapolated linearly (labelled).
2. Scottish STV, 200,000 ballots, 15 candidates, 9 seats.
3. Meek STV, 100,000 ballots, 12 candidates, 5 seats. pref_voting's Meek runs in a child
   process killed after ``--timeout`` seconds ("> N s").
4. Reading and counting all 347 Scottish 2022 ward files (BLT).

Ballots are synthetic but shaped like real ones: a mixture of three voter blocs, each
ranking by a Plackett-Luce model (Gumbel-max trick) with its own candidate strengths, and
truncated rankings (most voters rank 2-5 candidates), all from a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rankandfile.counting import (  # noqa: E402
    PAD,
    RankedBallots,
    count_av,
    count_meek,
    count_scottish_stv,
    parse_blt,
)

SCOTLAND = ROOT / "data" / "elections" / "scotland-2022"


# ----------------------------------------------------------------------------- ballots
def synthetic_ballots(n_ballots: int, n_cands: int, seed: int) -> np.ndarray:
    """``n_ballots x n_cands`` int32 rankings padded with -1 (see the module docstring)."""
    rng = np.random.default_rng(seed)
    blocs = 3
    strengths = rng.normal(0.0, 1.2, size=(blocs, n_cands))  # log-weights per bloc
    bloc = rng.choice(blocs, size=n_ballots, p=[0.45, 0.35, 0.20])
    scores = strengths[bloc] + rng.gumbel(size=(n_ballots, n_cands))
    order = np.argsort(-scores, axis=1).astype(np.int32)
    # ranking lengths: 1..n, most 2-5 (a "real" ballot paper's shape)
    weights = np.array([0.10, 0.22, 0.22, 0.16, 0.10] + [0.2 / (n_cands - 5)] * (n_cands - 5))
    lengths = rng.choice(np.arange(1, n_cands + 1), size=n_ballots, p=weights / weights.sum())
    order[np.arange(n_cands)[None, :] >= lengths[:, None]] = PAD
    return order


def names(n: int) -> list[str]:
    return [f"C{i:02d}" for i in range(n)]


def grouped_rows(b: RankedBallots) -> list[tuple[tuple[int, ...], int]]:
    return list(b.iter_ballots())


# ----------------------------------------------------------------------------- timing
@dataclass
class Row:
    contest: str
    implementation: str
    seconds: float | None  # None: not run
    note: str = ""
    build: float | None = None  # time to build the peer's input from grouped ballots
    elected: list[str] = field(default_factory=list)
    lower_bound: bool = False  # seconds is a timeout ("> N s")
    extrapolated: bool = False


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best = float("inf")
    out: Any = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _child(conn: Any, fn: Callable[[], Any]) -> None:
    t = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:  # sent back and raised in the parent
        conn.send((None, f"{type(exc).__name__}: {exc}"))
    else:
        conn.send((time.perf_counter() - t, out))
    conn.close()


def timed_with_cap(fn: Callable[[], Any], cap: float) -> tuple[float, Any, bool]:
    """Run ``fn`` in a forked child; kill it after ``cap`` s. Returns (s, result, capped)."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn))
    proc.start()
    if parent.poll(cap):
        seconds, out = parent.recv()
        proc.join()
        if seconds is None:
            raise RuntimeError(out)
        return seconds, out, False
    proc.kill()
    proc.join()
    return cap, None, True


def missing(contest: str, impl: str, exc: BaseException) -> Row:
    return Row(contest, impl, None, f"not run: {type(exc).__name__}: {exc}"[:160])


# ----------------------------------------------------------------------------- peers
def votekit_profile(rows: list[tuple[tuple[int, ...], int]], cands: list[str]) -> Any:
    from votekit.ballot import RankBallot
    from votekit.pref_profile import RankProfile

    ballots = [
        RankBallot(ranking=tuple(frozenset({cands[c]}) for c in rk), weight=w) for rk, w in rows
    ]
    return RankProfile(ballots=ballots, candidates=cands, max_ranking_length=len(cands))


def votekit_elected(election: Any) -> list[str]:
    return sorted(c for s in election.get_elected() for c in s)


def pref_voting_profile(rows: list[tuple[tuple[int, ...], int]], n: int) -> Any:
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.rankings import Ranking

    class LightProfile(ProfileWithTies):  # type: ignore[misc]
        """ProfileWithTies without the pairwise table STV never reads (as in our tests)."""

        def __init__(self) -> None:
            self.candidates = list(range(n))
            self.cmap = {c: str(c) for c in self.candidates}
            self._rankings = [
                Ranking({c: i + 1 for i, c in enumerate(rk)}, cmap=self.cmap) for rk, _ in rows
            ]
            self.rcounts = [w for _, w in rows]

    return LightProfile()


# ----------------------------------------------------------------------------- contests
def bench_av(n_ballots: int, n_cands: int, cap: float, sample: int) -> tuple[list[Row], dict]:
    contest = f"AV {n_ballots:,} ballots / {n_cands} candidates"
    raw = synthetic_ballots(n_ballots, n_cands, seed=2016)
    cands = names(n_cands)
    rows: list[Row] = []

    def ours() -> Any:
        b = RankedBallots.build(cands, raw)
        return b, count_av(b, seed=1)

    ours()  # warm-up (imports, first-touch)
    t, (ballots, result) = timed(ours, repeat=3)
    t_group, _ = timed(lambda: RankedBallots.build(cands, raw), repeat=3)
    tracemalloc.start()
    ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mem = {
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "input_array_mb": round(raw.nbytes / 2**20, 1),
        "distinct_ballots": int(ballots.rankings.shape[0]),
        "grouping_s": round(t_group, 4),
    }
    winner = [cands[c] for c in result.elected]
    rows.append(
        Row(contest, "rankandfile count_av", t, "incl. validating + grouping", elected=winner)
    )
    grouped = grouped_rows(ballots)

    # votekit FastIRV
    try:
        from votekit.elections.election_types.ranking.stv.stv import FastIRV

        build, profile = timed(lambda: votekit_profile(grouped, cands))
        sec, el = timed(lambda: votekit_elected(FastIRV(profile, tiebreak="random", rng_seed=0)))
        rows.append(Row(contest, "votekit FastIRV", sec, "", build, el))
    except Exception as exc:  # report any peer failure
        rows.append(missing(contest, "votekit FastIRV", exc))

    # votelib
    try:
        from votelib.evaluate.sequential import TransferableVoteSelector

        build, votes = timed(lambda: {tuple(cands[c] for c in rk): w for rk, w in grouped})
        sec, el = timed(lambda: sorted(TransferableVoteSelector().evaluate(votes, 1)))
        rows.append(Row(contest, "votelib TransferableVoteSelector", sec, "", build, el))
    except Exception as exc:
        rows.append(missing(contest, "votelib TransferableVoteSelector", exc))

    # pyrankvote: one object per ballot, no weights -> a sample, extrapolated
    try:
        import pyrankvote
        from pyrankvote import Ballot, Candidate

        pc = [Candidate(c) for c in cands]
        part = raw[:sample]

        def build_pyrank() -> list[Any]:
            return [Ballot(ranked_candidates=[pc[c] for c in row if c >= 0]) for row in part]

        build, bl = timed(build_pyrank)
        sec, res, _ = timed_with_cap(
            lambda: [c.name for c in pyrankvote.instant_runoff_voting(pc, bl).get_winners()], cap
        )
        scale = n_ballots / sample
        rows.append(
            Row(
                contest,
                "pyrankvote instant_runoff_voting",
                sec * scale,
                f"{sample:,}-ballot sample x{scale:g} (extrapolated)"
                + (f"; sample hit the {cap:g} s cap" if res is None else ""),
                build * scale,
                sorted(res or []),
                lower_bound=res is None,
                extrapolated=True,
            )
        )
    except Exception as exc:
        rows.append(missing(contest, "pyrankvote instant_runoff_voting", exc))
    return rows, mem


def bench_scottish(n_ballots: int, n_cands: int, seats: int, cap: float) -> list[Row]:
    contest = f"Scottish STV {n_ballots:,} / {n_cands} cands / {seats} seats"
    raw = synthetic_ballots(n_ballots, n_cands, seed=2007)
    cands = names(n_cands)
    rows: list[Row] = []

    def ours() -> Any:
        b = RankedBallots.build(cands, raw)
        return b, count_scottish_stv(b, seats, seed=1)

    ours()
    t, (ballots, result) = timed(ours, repeat=3)
    rows.append(
        Row(
            contest,
            "rankandfile count_scottish_stv",
            t,
            "incl. validating + grouping; exact 5-place",
            elected=sorted(cands[c] for c in result.elected),
        )
    )
    grouped = grouped_rows(ballots)

    try:
        from stvpoll.scottish_stv import ScottishSTV

        def run_stvpoll() -> list[str]:
            poll = ScottishSTV(seats, cands)
            for rk, w in grouped:
                poll.add_ballot([cands[c] for c in rk], w)
            return sorted(str(c) for c in poll.calculate().elected_as_tuple())

        sec, el, capped = timed_with_cap(run_stvpoll, cap)
        rows.append(
            Row(
                contest,
                "stvpoll ScottishSTV",
                sec,
                "incl. add_ballot",
                None,
                el or [],
                lower_bound=capped,
            )
        )
    except Exception as exc:
        rows.append(missing(contest, "stvpoll ScottishSTV", exc))

    try:
        from pref_voting.proportional_methods import stv_scottish

        build, profile = timed(lambda: pref_voting_profile(grouped, n_cands))
        sec, el, capped = timed_with_cap(
            lambda: sorted(
                cands[c] for c in stv_scottish(profile, num_seats=seats, rng=random.Random(0))
            ),
            cap,
        )
        rows.append(
            Row(contest, "pref_voting stv_scottish", sec, "", build, el or [], lower_bound=capped)
        )
    except Exception as exc:
        rows.append(missing(contest, "pref_voting stv_scottish", exc))

    try:
        from votekit.elections import FastSTV

        build, profile = timed(lambda: votekit_profile(grouped, cands))
        sec, el, capped = timed_with_cap(
            lambda: votekit_elected(FastSTV(profile, n_seats=seats, tiebreak="random", rng_seed=0)),
            cap,
        )
        rows.append(
            Row(
                contest,
                "votekit FastSTV",
                sec,
                "fractional (not WIG 5-place)",
                build,
                el or [],
                lower_bound=capped,
            )
        )
    except Exception as exc:
        rows.append(missing(contest, "votekit FastSTV", exc))
    return rows


def bench_meek(n_ballots: int, n_cands: int, seats: int, cap: float) -> list[Row]:
    contest = f"Meek STV {n_ballots:,} / {n_cands} cands / {seats} seats"
    raw = synthetic_ballots(n_ballots, n_cands, seed=1987)
    cands = names(n_cands)
    rows: list[Row] = []

    def ours() -> Any:
        b = RankedBallots.build(cands, raw)
        return b, count_meek(b, seats, seed=1)

    ours()
    t, (ballots, result) = timed(ours, repeat=3)
    rows.append(
        Row(
            contest,
            "rankandfile count_meek",
            t,
            "incl. grouping; exact 9-place",
            elected=sorted(cands[c] for c in result.elected),
        )
    )
    grouped = grouped_rows(ballots)
    try:
        from pref_voting.proportional_methods import stv_meek

        build, profile = timed(lambda: pref_voting_profile(grouped, n_cands))
        sec, el, capped = timed_with_cap(
            lambda: sorted(cands[c] for c in stv_meek(profile, num_seats=seats)), cap
        )
        rows.append(
            Row(
                contest,
                "pref_voting stv_meek",
                sec,
                "float, tol 1e-10",
                build,
                el or [],
                lower_bound=capped,
            )
        )
    except Exception as exc:
        rows.append(missing(contest, "pref_voting stv_meek", exc))
    return rows


def bench_scotland_2022() -> Row:
    files = sorted(SCOTLAND.glob("*.blt"))
    if not files:
        return Row("347 Scottish 2022 wards", "rankandfile", None, f"no files in {SCOTLAND}")
    t0 = time.perf_counter()
    elections = [parse_blt(p) for p in files]
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    for e in elections:
        count_scottish_stv(e.ballots, e.seats, lot_order=e.tie_order)
    t_count = time.perf_counter() - t0
    ballots = sum(e.ballots.total for e in elections)
    return Row(
        f"{len(files)} Scottish 2022 wards ({ballots:,} ballots)",
        "rankandfile read + count_scottish_stv",
        t_read + t_count,
        f"read {t_read:.2f} s + count {t_count:.2f} s",
    )


# ----------------------------------------------------------------------------- report
def fmt_s(r: Row) -> str:
    if r.seconds is None:
        return "—"
    text = f"{r.seconds:.3f} s" if r.seconds < 10 else f"{r.seconds:.1f} s"
    if r.lower_bound:
        text = "> " + text
    if r.extrapolated:
        text = "~" + text
    return text


def table(rows: list[Row]) -> str:
    out = [
        "| contest | implementation | time | x ours | input build | same winners | note |",
        "| --- | --- | ---: | ---: | ---: | :---: | --- |",
    ]
    ours: dict[str, Row] = {}
    for r in rows:
        if r.implementation.startswith("rankandfile"):
            ours[r.contest] = r
    for r in rows:
        base = ours.get(r.contest)
        ratio = ""
        same = ""
        if base and base.seconds and r.seconds is not None and r is not base:
            ratio = f"{'>' if r.lower_bound else ''}{r.seconds / base.seconds:,.0f}x"
            if r.seconds / base.seconds < 10:
                ratio = f"{'>' if r.lower_bound else ''}{r.seconds / base.seconds:.1f}x"
        if base and r is not base and r.elected:
            same = "yes" if sorted(r.elected) == sorted(base.elected) else "no"
        build = "" if r.build is None else f"{r.build:.2f} s"
        out.append(
            f"| {r.contest} | {r.implementation} | {fmt_s(r)} | {ratio} | {build} | {same} "
            f"| {r.note} |"
        )
    return "\n".join(out)


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    p.add_argument("--timeout", type=float, default=120.0, help="cap per slow peer run (s)")
    p.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = p.parse_args(argv)
    k = 20 if args.quick else 1
    print(f"Machine: {machine()}", flush=True)
    rows: list[Row] = []
    av_rows, mem = bench_av(1_000_000 // k, 8, args.timeout, sample=100_000 // k)
    rows += av_rows
    print(table(av_rows), flush=True)
    rows += (sc := bench_scottish(200_000 // k, 15, 9, args.timeout))
    print(table(sc), flush=True)
    rows += (mk := bench_meek(100_000 // k, 12, 5, args.timeout))
    print(table(mk), flush=True)
    rows.append(bench_scotland_2022())
    print()
    print(table(rows))
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nAV memory: tracemalloc peak {mem['tracemalloc_peak_mb']} MB while validating, "
        f"grouping and counting ({mem['input_array_mb']} MB input array, "
        f"{mem['distinct_ballots']:,} distinct ballots; grouping alone {mem['grouping_s']} s); "
        f"whole benchmark process max RSS {maxrss:.0f} MB."
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"machine": machine(), "memory": mem, "rows": [r.__dict__ for r in rows]}, indent=2
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
