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
    count = _AvCount(ballots, tiebreak, seed, lot_order, bulk_exclusion)
    return count.result(count.run())


class _AvCount:
    """One count, stage by stage (the shape of ``stv_scottish._ScottishCount``): :meth:`run`
    closes each stage by looking for a winner (rule 2) and, while there is none, counts the
    next stage, an exclusion (rule 3); :meth:`result` reports it."""

    def __init__(
        self,
        ballots: RankedBallots,
        tiebreak: str,
        seed: int | None,
        lot_order: Sequence[int] | None,
        bulk_exclusion: bool,
    ) -> None:
        n = ballots.n_candidates
        hopeful = np.ones(n, dtype=bool)
        for w in ballots.withdrawn:
            hopeful[w] = False
        if not hopeful.any():
            raise TooManySeatsError("one seat to fill but every candidate has withdrawn")
        self.tb = TieBreaker(tiebreak, seed=seed, lot_order=lot_order, n_candidates=n)
        self.ballots = ballots
        self.n = n
        self.hopeful = hopeful
        self.bulk_exclusion = bulk_exclusion

        # Per group: the candidate it counts for (or PAD when non-transferable).
        self.rankings = ballots.rankings
        self.mult = ballots.weights.astype(np.int64)
        self.cont = np.zeros(n + 1, dtype=bool)
        self.cont[1:] = hopeful
        self.cur = first_continuing(self.rankings, self.cont)
        self.votes = sum_by_candidate(self.cur, self.mult, n)
        self.total = int(self.mult.sum())
        self.nt = self.total - int(self.votes.sum())

        self.history: list[IntArray] = [self.votes.copy()]
        self.stages: list[Stage] = []
        self.excluded: list[int] = []
        self.elected: int | None = None
        self.stage_no = 1
        self.action = "first"
        self.subjects: tuple[int, ...] = ()
        self.transfers: IntArray | None = None
        self.notes: list[str] = []

    # ------------------------------------------------------------------ helpers
    def states(self) -> tuple[State, ...]:
        out = []
        for c in range(self.n):
            if c in self.ballots.withdrawn:
                out.append(State.WITHDRAWN)
            elif c == self.elected:
                out.append(State.ELECTED)
            elif self.hopeful[c]:
                out.append(State.HOPEFUL)
            else:
                out.append(State.EXCLUDED)
        return tuple(out)

    def record(self, needed: int) -> None:
        """The stage just counted, as the result reports it."""
        elected = self.elected
        self.stages.append(
            Stage(
                number=self.stage_no,
                action=self.action,
                subjects=self.subjects,
                votes=tuple(int(v) for v in self.votes),
                states=self.states(),
                non_transferable=self.nt,
                quota=needed,
                transfers=None if self.transfers is None else tuple(int(t) for t in self.transfers),
                note=""
                if elected is None
                else f"{self.ballots.candidates[elected].name} is elected",
            )
        )

    # ------------------------------------------------------------------ stages
    def close_stage(self) -> int | None:
        """Rule 2 at the end of a stage: elect a candidate with more than half of the
        continuing votes (or the last one left), then record the stage. The winner, or
        ``None`` while there is none."""
        live = np.flatnonzero(self.hopeful)
        needed = int(self.votes[live].sum()) // 2 + 1
        self.find_winner(live, needed)
        self.record(needed)
        return self.elected

    def find_winner(self, live: IntArray, needed: int) -> None:
        votes = self.votes
        top = int(votes[live].max())
        leaders = [int(c) for c in live if votes[c] == top]
        if top >= needed and len(leaders) == 1:
            self.elected = leaders[0]
        elif len(live) == 1:
            self.elected = int(live[0])
            self.notes.append(
                "the last continuing candidate is elected without a majority (no continuing votes)"
                if top == 0
                else "the last continuing candidate is elected"
            )

    def exclusion_stage(self) -> None:
        """Rule 3: exclude the lowest (ties by the tie-break), or the bulk exclusion's
        group, and transfer their ballots."""
        self.stage_no += 1
        live = np.flatnonzero(self.hopeful)
        votes = self.votes
        out = _choose_exclusions(live, votes, self.bulk_exclusion)
        if out is None:
            lowest = int(votes[live].min())
            tied = [int(c) for c in live if votes[c] == lowest]
            out = [
                self.tb.choose(
                    tied, self.history, stage=self.stage_no, purpose="exclude", lowest=True
                )
            ]
        self.transfer(out)

    def transfer(self, out: list[int]) -> None:
        """Take ``out`` out of the count and pass each of their ballots to its next
        continuing preference (non-transferable when there is none)."""
        before = self.votes.copy()
        for c in out:
            self.hopeful[c] = False
            self.cont[c + 1] = False
        moving = np.flatnonzero(np.isin(self.cur, out))
        new_cur = first_continuing(self.rankings[moving], self.cont)
        self.cur[moving] = new_cur
        gained = sum_by_candidate(new_cur, self.mult[moving], self.n)
        moved_total = int(self.votes[out].sum())
        votes = self.votes + gained
        votes[out] = 0
        self.votes = votes
        self.nt += moved_total - int(gained.sum())
        self.transfers = votes - before
        self.excluded.extend(out)
        self.action = "exclude"
        self.subjects = tuple(out)
        self.history.append(votes.copy())

    def run(self) -> int:
        """Stage after stage until a candidate is elected; the winner."""
        while (winner := self.close_stage()) is None:
            self.exclusion_stage()
        return winner

    # ------------------------------------------------------------------ output
    def result(self, elected: int) -> RankedResult:
        ties: tuple[Tie, ...] = tuple(self.tb.ties)
        return RankedResult(
            method="av",
            seats=1,
            candidates=self.ballots.candidates,
            elected=(elected,),
            stages=tuple(self.stages),
            total_votes=self.total,
            quota=None,
            ties=ties,
            excluded=tuple(self.excluded),
            seed=self.tb.seed,
            notes=tuple(self.notes),
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
