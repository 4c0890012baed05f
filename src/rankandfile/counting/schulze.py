"""The Schulze method (a Condorcet method) from ranked ballots.

Rule implemented (M. Schulze, "A new monotonic, clone-independent, reversal symmetric, and
Condorcet-consistent single-winner election method", Social Choice and Welfare 36 (2011),
sections 2.1-2.3 and 4.1, "winning votes"):

1. **Pairwise preferences** ``d[i][j]``: the number of voters who strictly prefer ``i`` to
   ``j``. A ballot prefers every candidate it ranks to every candidate it leaves unranked;
   candidates it leaves unranked are tied with each other (no preference either way).
   Withdrawn candidates take no part (removing them leaves the order of the rest intact).
2. **Strongest paths** ``p[i][j]``: the strength of a path is its weakest link, a link
   ``x -> y`` existing when ``d[x][y] > d[y][x]`` with strength ``d[x][y]``; ``p[i][j]`` is
   the strongest path from ``i`` to ``j`` (0 if none), found by Floyd-Warshall.
3. ``i`` **beats** ``j`` when ``p[i][j] > p[j][i]``; this relation is transitive. The
   **potential winners** are the candidates no one beats; a Condorcet winner is always the
   unique winner.
4. **Schulze ranking**: repeatedly take the potential winners among the candidates not yet
   placed (using the same ``p``). Where several are unbeaten, the next place is decided by
   lot with ``random.Random(seed)`` and recorded. For ``seats`` seats the first ``seats``
   candidates of the ranking are elected.

Pairwise counting is vectorised: each ballot group becomes a row of positions (unranked =
after every ranked candidate), all pairs are compared at once with NumPy, and the
comparisons are weighted by the group sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from rankandfile.counting.approval import Lot, check_seats
from rankandfile.counting.ballots import PAD, Candidate, RankedBallots
from rankandfile.counting.result import RankedResult, Stage, State, Tie

Matrix = tuple[tuple[int, ...], ...]
_CHUNK_CELLS = 1 << 22  # compare at most ~4M (group, i, j) cells at a time


def pairwise_matrix(ballots: RankedBallots) -> npt.NDArray[np.int64]:
    """``d[i][j]``: weighted number of ballots strictly preferring ``i`` to ``j``.

    Withdrawn candidates get zero rows and columns.
    """
    n = ballots.n_candidates
    ranks = ballots.rankings
    groups, width = ranks.shape
    pos = np.full((groups, n), width, dtype=np.int32)
    rows, cols = np.nonzero(ranks != PAD)
    pos[rows, ranks[rows, cols]] = cols
    d = np.zeros((n, n), dtype=np.int64)
    step = max(1, _CHUNK_CELLS // max(1, n * n))
    for start in range(0, groups, step):
        p = pos[start : start + step]
        w = ballots.weights[start : start + step]
        prefers = p[:, :, None] < p[:, None, :]
        d += np.tensordot(w, prefers.astype(np.int64), axes=1)
    if ballots.withdrawn:
        out = sorted(ballots.withdrawn)
        d[out, :] = 0
        d[:, out] = 0
    return d


def strongest_paths(d: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``p[i][j]``: strength of the strongest path from ``i`` to ``j`` (winning votes)."""
    p = np.where(d > d.T, d, 0).astype(np.int64)
    np.fill_diagonal(p, 0)
    for i in range(p.shape[0]):
        # Paths through i: min(p[j][i], p[i][k]); the diagonal never helps (see module doc).
        np.maximum(p, np.minimum(p[:, i : i + 1], p[i : i + 1, :]), out=p)
    np.fill_diagonal(p, 0)
    return p


@dataclass(frozen=True)
class SchulzeResult:
    """Outcome and audit trail of a Schulze count.

    ``pairwise`` is ``d`` and ``strongest_paths`` is ``p`` (row beats column), both over all
    candidates (withdrawn ones all zero). ``winners`` are the potential winners (unbeaten
    candidates); ``ranking`` is the complete Schulze ranking of continuing candidates,
    first place first; ``elected`` its first ``seats`` entries.
    """

    seats: int
    candidates: tuple[Candidate, ...]
    pairwise: Matrix
    strongest_paths: Matrix
    winners: tuple[int, ...]
    ranking: tuple[int, ...]
    elected: tuple[int, ...]
    total_votes: int
    withdrawn: frozenset[int] = frozenset()
    ties: tuple[Tie, ...] = ()
    seed: int | None = None
    method: str = "schulze"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def winner(self) -> int:
        return self.ranking[0]

    @property
    def elected_names(self) -> tuple[str, ...]:
        return tuple(self.candidates[i].name for i in self.elected)

    def beats(self, i: int, j: int) -> bool:
        return self.strongest_paths[i][j] > self.strongest_paths[j][i]

    def condorcet_winner(self) -> int | None:
        """The candidate preferred to every other by more voters than prefer the other."""
        cont = [i for i in range(len(self.candidates)) if i not in self.withdrawn]
        d = self.pairwise
        for i in cont:
            if all(d[i][j] > d[j][i] for j in cont if j != i):
                return i
        return None

    def to_ranked(self) -> RankedResult:
        """A single-stage :class:`RankedResult` (votes = pairwise wins) for uniform display."""
        n = len(self.candidates)
        wins = tuple(
            sum(1 for j in range(n) if self.pairwise[i][j] > self.pairwise[j][i]) for i in range(n)
        )
        states = tuple(
            State.ELECTED
            if i in self.elected
            else State.WITHDRAWN
            if i in self.withdrawn
            else State.EXCLUDED
            for i in range(n)
        )
        stage = Stage(
            number=1,
            action="schulze",
            subjects=self.elected,
            votes=wins,
            states=states,
            note="votes = pairwise contests won",
        )
        return RankedResult(
            method=self.method,
            seats=self.seats,
            candidates=self.candidates,
            elected=self.elected,
            stages=(stage,),
            total_votes=self.total_votes,
            ties=self.ties,
            excluded=tuple(reversed(self.ranking[self.seats :])),
            seed=self.seed,
            notes=self.notes,
        )

    def to_dict(self) -> dict[str, Any]:
        names = [c.name for c in self.candidates]
        return {
            "method": self.method,
            "seats": self.seats,
            "candidates": [
                {"name": c.name, "attributes": dict(c.attributes)} for c in self.candidates
            ],
            "withdrawn": [names[i] for i in sorted(self.withdrawn)],
            "total_votes": self.total_votes,
            "pairwise": [list(r) for r in self.pairwise],
            "strongest_paths": [list(r) for r in self.strongest_paths],
            "winners": [names[i] for i in self.winners],
            "condorcet_winner": None if (cw := self.condorcet_winner()) is None else names[cw],
            "ranking": [names[i] for i in self.ranking],
            "elected": [names[i] for i in self.elected],
            "seed": self.seed,
            "notes": list(self.notes),
            "ties": [
                {
                    "stage": t.stage,
                    "purpose": t.purpose,
                    "tied": [names[i] for i in t.tied],
                    "chosen": names[t.chosen],
                    "how": t.how,
                }
                for t in self.ties
            ],
        }


def count_schulze(
    ballots: RankedBallots, seats: int = 1, *, seed: int | None = None
) -> SchulzeResult:
    """Rank the candidates by the Schulze method and elect the first ``seats``.

    Ties between unbeaten candidates for a place in the ranking are broken by lot with
    ``random.Random(seed)``; the ranking is completed (all places drawn) even beyond the
    seats so the full order is reproducible. Raises :class:`TooManySeatsError` when
    ``seats`` is below 1 or above the number of continuing candidates.
    """
    n = ballots.n_candidates
    continuing = [i for i in range(n) if i not in ballots.withdrawn]
    check_seats(seats, len(continuing))
    d = pairwise_matrix(ballots)
    p = strongest_paths(d)
    beats = p > p.T

    def unbeaten(pool: list[int]) -> list[int]:
        idx = np.array(pool)
        sub = beats[np.ix_(idx, idx)]
        return [pool[k] for k in range(len(pool)) if not sub[:, k].any()]

    lot = Lot(seed)
    ties: list[Tie] = []
    ranking: list[int] = []
    remaining = list(continuing)
    winners = tuple(unbeaten(remaining))
    while remaining:
        top = unbeaten(remaining)
        place = len(ranking) + 1
        if len(top) == 1:
            pick = top[0]
        else:
            pick = lot.choose(top)
            ties.append(
                Tie(stage=1, purpose=f"place {place}", tied=tuple(top), chosen=pick, how=lot.how())
            )
        ranking.append(pick)
        remaining.remove(pick)

    notes: list[str] = []
    if len(winners) > 1:
        notes.append(f"{len(winners)} candidates are unbeaten; first place was drawn by lot")
    return SchulzeResult(
        seats=seats,
        candidates=ballots.candidates,
        pairwise=_as_tuple(d),
        strongest_paths=_as_tuple(p),
        winners=winners,
        ranking=tuple(ranking),
        elected=tuple(ranking[:seats]),
        total_votes=ballots.total,
        withdrawn=ballots.withdrawn,
        ties=tuple(ties),
        seed=lot.seed,
        notes=tuple(notes),
    )


def _as_tuple(m: npt.NDArray[np.int64]) -> Matrix:
    return tuple(tuple(int(x) for x in row) for row in m)
