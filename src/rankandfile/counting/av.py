"""Alternative vote (the eliminating ballot): one seat, preferences transferred.

The rule (as used for Labour selections and leadership ballots):

1. Each ballot counts for its highest-ranked continuing candidate; a ballot with no
   continuing candidate left is *non-transferable* (exhausted).
2. If a candidate has more than half of the votes of the continuing ballots (the
   non-transferable ones left out), that candidate is elected. The number needed,
   ``continuing // 2 + 1``, is recorded as each stage's ``quota``.
3. Otherwise the candidate with the fewest votes is excluded and each of their ballots is
   transferred to its next continuing preference, and the count returns to 2. A tie for
   the fewest votes is broken by :mod:`rankandfile.counting.tiebreak` (by default
   "backwards": fewest votes at the most recent earlier stage where they differed, then by
   lot). When a single candidate remains, that candidate is elected.

Optional *bulk exclusion* (off by default): exclude at once the largest group of lowest
candidates whose combined votes are fewer than the votes of the next candidate up; this
cannot change the winner and saves stages. It never excludes a group that would leave
fewer than two candidates.

Arithmetic is in whole votes (integers). The count works on grouped ballots
(:class:`~rankandfile.counting.ballots.RankedBallots`), keeping for each group of identical
ballots the candidate it currently counts for, all as NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from rankandfile.counting.ballots import PAD, IntArray, RankArray, RankedBallots
from rankandfile.counting.errors import TooManySeatsError
from rankandfile.counting.result import RankedResult, Stage, State, Tie
from rankandfile.counting.tiebreak import TieBreaker

BoolArray = npt.NDArray[np.bool_]

__all__ = ["count_av", "first_continuing", "sum_by_candidate"]


def first_continuing(rankings: RankArray, continuing: BoolArray) -> IntArray:
    """For each row, the first candidate still continuing, or :data:`PAD` if none.

    ``continuing`` is a boolean array of length ``n_candidates + 1`` indexed by candidate
    index + 1, with ``continuing[0]`` (the padding slot) false. Because a candidate never
    becomes continuing again once elected, excluded or withdrawn, the first continuing
    candidate of the whole row is also the next continuing preference after the one the
    ballot currently counts for.
    """
    m = rankings.shape[0]
    if m == 0:
        return np.empty(0, dtype=np.int64)
    mask = continuing[rankings.astype(np.intp) + 1]
    j = mask.argmax(axis=1)
    rows = np.arange(m)
    has = mask[rows, j]
    out: IntArray = rankings[rows, j].astype(np.int64)
    out[~has] = PAD
    return out


def sum_by_candidate(current: IntArray, values: IntArray, n: int) -> IntArray:
    """Exact per-candidate sums of ``values`` over rows whose ``current`` is ``>= 0``."""
    keep = current >= 0
    cur = current[keep]
    vals = values[keep]
    total = int(vals.sum()) if vals.size else 0
    if total < 2**52 and (vals >= 0).all():
        # float64 accumulation of integers is exact below 2**53.
        return np.rint(np.bincount(cur, weights=vals, minlength=n)).astype(np.int64)
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, cur, vals)
    return out


def count_av(
    ballots: RankedBallots,
    *,
    tiebreak: str = "backwards",
    seed: int | None = None,
    lot_order: Sequence[int] | None = None,
    bulk_exclusion: bool = False,
) -> RankedResult:
    """Count an alternative-vote (eliminating) ballot for one seat.

    ``tiebreak`` is ``"backwards"``, ``"forwards"`` or ``"lot"`` (see
    :mod:`~rankandfile.counting.tiebreak`); ``seed`` fixes the draw of lots and
    ``lot_order`` gives a predetermined lot order instead. Withdrawn candidates
    (``ballots.withdrawn``) are skipped on every ballot. Stages are numbered from 1 (first
    preferences); each later stage is one exclusion (or one bulk exclusion).
    """
    n = ballots.n_candidates
    hopeful = np.ones(n, dtype=bool)
    for w in ballots.withdrawn:
        hopeful[w] = False
    if not hopeful.any():
        raise TooManySeatsError("one seat to fill but every candidate has withdrawn")
    tb = TieBreaker(tiebreak, seed=seed, lot_order=lot_order, n_candidates=n)

    rankings = ballots.rankings
    mult = ballots.weights.astype(np.int64)
    cont = np.zeros(n + 1, dtype=bool)
    cont[1:] = hopeful
    cur = first_continuing(rankings, cont)
    votes = sum_by_candidate(cur, mult, n)
    total = int(mult.sum())
    nt = total - int(votes.sum())

    history: list[IntArray] = [votes.copy()]
    stages: list[Stage] = []
    excluded: list[int] = []
    elected: int | None = None
    stage_no = 1
    action = "first"
    subjects: tuple[int, ...] = ()
    transfers: IntArray | None = None
    notes: list[str] = []

    def states() -> tuple[State, ...]:
        out = []
        for c in range(n):
            if c in ballots.withdrawn:
                out.append(State.WITHDRAWN)
            elif c == elected:
                out.append(State.ELECTED)
            elif hopeful[c]:
                out.append(State.HOPEFUL)
            else:
                out.append(State.EXCLUDED)
        return tuple(out)

    while True:
        live = np.flatnonzero(hopeful)
        continuing_votes = int(votes[live].sum())
        needed = continuing_votes // 2 + 1
        top = int(votes[live].max())
        leaders = [int(c) for c in live if votes[c] == top]
        if top >= needed and len(leaders) == 1:
            elected = leaders[0]
        elif len(live) == 1:
            elected = int(live[0])
            notes.append(
                "the last continuing candidate is elected without a majority (no continuing votes)"
                if top == 0
                else "the last continuing candidate is elected"
            )
        stages.append(
            Stage(
                number=stage_no,
                action=action,
                subjects=subjects,
                votes=tuple(int(v) for v in votes),
                states=states(),
                non_transferable=nt,
                quota=needed,
                transfers=None if transfers is None else tuple(int(t) for t in transfers),
                note="" if elected is None else f"{ballots.candidates[elected].name} is elected",
            )
        )
        if elected is not None:
            break

        stage_no += 1
        out = _choose_exclusions(live, votes, bulk_exclusion)
        if out is None:
            lowest = int(votes[live].min())
            tied = [int(c) for c in live if votes[c] == lowest]
            out = [tb.choose(tied, history, stage=stage_no, purpose="exclude", lowest=True)]
        before = votes.copy()
        for c in out:
            hopeful[c] = False
            cont[c + 1] = False
        moving = np.flatnonzero(np.isin(cur, out))
        new_cur = first_continuing(rankings[moving], cont)
        cur[moving] = new_cur
        gained = sum_by_candidate(new_cur, mult[moving], n)
        moved_total = int(votes[out].sum())
        votes = votes + gained
        votes[out] = 0
        nt += moved_total - int(gained.sum())
        transfers = votes - before
        excluded.extend(out)
        action = "exclude"
        subjects = tuple(out)
        history.append(votes.copy())

    ties: tuple[Tie, ...] = tuple(tb.ties)
    return RankedResult(
        method="av",
        seats=1,
        candidates=ballots.candidates,
        elected=(elected,),
        stages=tuple(stages),
        total_votes=total,
        quota=None,
        ties=ties,
        excluded=tuple(excluded),
        seed=tb.seed,
        notes=tuple(notes),
    )


def _choose_exclusions(live: IntArray, votes: IntArray, bulk: bool) -> list[int] | None:
    """Bulk exclusion: the largest set of lowest candidates whose combined votes are below
    the next candidate's, leaving at least two; ``None`` when only one can go (ordinary
    single exclusion, with tie-breaking)."""
    if not bulk or len(live) < 3:
        return None
    order = sorted((int(votes[c]), int(c)) for c in live)
    best = 0
    running = 0
    for k in range(len(order) - 2):  # exclude order[:k+1], keep at least two
        running += order[k][0]
        if running < order[k + 1][0]:
            best = k + 1
    if best < 2:
        return None
    return [c for _, c in order[:best]]
