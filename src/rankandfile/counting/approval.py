"""Approval voting, the approval ballot container, and drawing lots.

Rule: each voter marks any number of candidates (an X against each they approve of); each
mark is one vote for that candidate; the ``seats`` candidates with the most votes are
elected. A tie for the last seat(s) is broken by lot (:class:`Lot`), and every draw is
recorded. Blank ballots are valid: they count towards the number of voters (and so lower
every candidate's share) but give no votes.

Ballots are held compactly as a boolean matrix (groups x candidates) with a weight per
group; identical rows are merged on construction, so a million ballots over a dozen
candidates become at most a few thousand rows.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from rankandfile.counting.ballots import Candidate, IntArray
from rankandfile.counting.errors import (
    DuplicateRankingError,
    EmptyBallotSetError,
    InvalidBallotError,
    TooManySeatsError,
    UnknownCandidateError,
)
from rankandfile.counting.result import RankedResult, Stage, State, Tie
from rankandfile.counting.yesno import exact, percent_str

BoolArray = npt.NDArray[np.bool_]


# ---------------------------------------------------------------------- lots
class Lot:
    """Reproducible drawing of lots.

    With a ``seed`` every draw comes from ``random.Random(seed)``, so the same count with the
    same seed always draws the same way. With ``seed=None`` a fresh seed is taken from the
    operating system the first time a lot is actually needed, and recorded in
    :attr:`seed`, so the draw can still be replayed and audited.
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise InvalidBallotError(f"the seed for drawing lots must be an integer, not {seed!r}")
        self._seed = seed
        self._rng: random.Random | None = None

    @property
    def seed(self) -> int | None:
        """The seed given, or the one drawn; ``None`` if no seed was given and none needed."""
        return self._seed

    def how(self) -> str:
        return f"by lot (seed {self._seed})"

    def choose(self, tied: Collection[int]) -> int:
        """Draw one of ``tied``. The pool is sorted first so the draw depends only on the seed
        and the set of tied candidates, never on the order they were found in."""
        if not tied:
            raise ValueError("cannot draw lots among nobody")
        if self._rng is None:
            if self._seed is None:
                self._seed = secrets.randbits(32)
            # A lot must be replayable from its recorded seed, not secret.
            self._rng = random.Random(self._seed)  # noqa: S311 - reproducible by design
        return self._rng.choice(sorted(tied))


def select_top(
    votes: Sequence[int | Fraction],
    k: int,
    lot: Lot,
    *,
    eligible: Collection[int] | None = None,
    stage: int = 1,
    purpose: str = "elect",
) -> tuple[tuple[int, ...], tuple[Tie, ...]]:
    """Choose the ``k`` eligible indices with the most votes, breaking ties by lot.

    Returns ``(chosen, ties)``: ``chosen`` is highest first (equal votes in candidate order,
    or draw order where a lot decided); ``ties`` has one :class:`Tie` per draw made. Only a
    tie that decides who is chosen is drawn; equal votes wholly inside or wholly outside
    the chosen set need no lot.
    """
    pool = list(range(len(votes))) if eligible is None else sorted(eligible)
    if k > len(pool):
        raise TooManySeatsError(f"{k} to choose but only {len(pool)} to choose from")
    by_votes: dict[int | Fraction, list[int]] = {}
    for i in pool:
        by_votes.setdefault(votes[i], []).append(i)
    chosen: list[int] = []
    ties: list[Tie] = []
    for v in sorted(by_votes, reverse=True):
        group = by_votes[v]
        room = k - len(chosen)
        if room <= 0:
            break
        if len(group) <= room:
            chosen.extend(group)
            continue
        remaining = list(group)
        for _ in range(room):
            pick = lot.choose(remaining)
            ties.append(
                Tie(stage=stage, purpose=purpose, tied=tuple(remaining), chosen=pick, how=lot.how())
            )
            chosen.append(pick)
            remaining.remove(pick)
    return tuple(chosen), tuple(ties)


# ---------------------------------------------------------------------- ballots
@dataclass(frozen=True, eq=False)
class ApprovalBallots:
    """Grouped approval (X-mark) ballots.

    ``marks`` is a read-only boolean array of shape ``(groups, candidates)``; ``weights`` an
    ``int64`` array of shape ``(groups,)`` with the number of identical ballots per group.
    Blank rows are kept (they are voters) unless built with ``skip_empty=True``.
    """

    candidates: tuple[Candidate, ...]
    marks: BoolArray
    weights: IntArray
    title: str = ""

    @classmethod
    def build(
        cls,
        candidates: Sequence[Candidate] | Sequence[str],
        ballots: Iterable[Collection[int] | Collection[str]] | npt.NDArray[Any],
        weights: Iterable[int] | IntArray | None = None,
        *,
        title: str = "",
        max_marks: int | None = None,
        group: bool = True,
        skip_empty: bool = False,
    ) -> ApprovalBallots:
        """Validate and group ballots.

        ``ballots`` is either a 2-D 0/1 (bool or integer) matrix of ballots x candidates, or
        an iterable of ballots, each a collection of candidate indices or names. Raises
        :class:`UnknownCandidateError` for a candidate not standing,
        :class:`DuplicateRankingError` for a candidate marked twice on one ballot,
        :class:`InvalidBallotError` for a matrix value other than 0/1, a negative weight, or
        more than ``max_marks`` marks, and :class:`EmptyBallotSetError` when no ballot
        marks anybody.
        """
        cands = _approval_candidates(candidates)
        names = [c.name for c in cands]
        if isinstance(ballots, np.ndarray):
            marks = _marks_from_matrix(ballots, names)
        else:
            marks = _marks_from_lists(ballots, names)
        w = _ballot_weights(weights, marks.shape[0])
        marks, w = _keep_counted(marks, w, max_marks=max_marks, skip_empty=skip_empty)
        if group:
            marks, w = _group_marks(marks, w)
        marks = np.ascontiguousarray(marks)
        marks.setflags(write=False)
        w.setflags(write=False)
        return cls(candidates=cands, marks=marks, weights=w, title=title)

    @property
    def n_candidates(self) -> int:
        return len(self.candidates)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.candidates)

    @property
    def total(self) -> int:
        """Number of ballots, blank ones included."""
        return int(self.weights.sum())

    @property
    def total_marks(self) -> int:
        return int((self.marks.sum(axis=1) * self.weights).sum())

    def index(self, name: str) -> int:
        for i, c in enumerate(self.candidates):
            if c.name == name:
                return i
        raise UnknownCandidateError(f"{name!r} is not a candidate")

    def counts(self) -> IntArray:
        """Votes per candidate: weighted column sums of the marks."""
        out: IntArray = (self.weights @ self.marks.astype(np.int64)).astype(np.int64)
        return out


# ---------------------------------------------------------------------- building ballots
def _approval_candidates(candidates: Sequence[Candidate] | Sequence[str]) -> tuple[Candidate, ...]:
    """The candidates as :class:`Candidate`: at least one, no name twice."""
    cands: tuple[Candidate, ...] = tuple(
        c if isinstance(c, Candidate) else Candidate(c) for c in candidates
    )
    names = [c.name for c in cands]
    if len(set(names)) != len(names):
        dup = next(nm for nm in names if names.count(nm) > 1)
        raise InvalidBallotError(f"candidate {dup!r} is listed twice")
    if not cands:
        raise InvalidBallotError("there are no candidates")
    return cands


def _marks_from_matrix(ballots: npt.NDArray[Any], names: Sequence[str]) -> BoolArray:
    """A ballots x candidates matrix of 0/1 (or bool) as marks; any other value refused."""
    n = len(names)
    raw = np.asarray(ballots)
    if raw.ndim != 2 or raw.shape[1] != n:
        raise InvalidBallotError(
            f"the marks matrix must have one column per candidate ({n}); got shape {raw.shape}"
        )
    if raw.dtype != np.bool_:
        bad = (raw != 0) & (raw != 1)
        if bad.any():
            i, j = (int(x) for x in np.argwhere(bad)[0])
            raise InvalidBallotError(
                f"ballot {i + 1} has the value {raw[i, j].item()!r} against {names[j]!r}; "
                "marks must be 0 or 1"
            )
    marks: BoolArray = raw.astype(np.bool_)
    return marks


def _marks_from_lists(
    ballots: Iterable[Collection[int] | Collection[str]], names: Sequence[str]
) -> BoolArray:
    """Ballots given as collections of candidate indices or names, as marks: every mark
    must name a candidate standing, once."""
    n = len(names)
    index = {nm: i for i, nm in enumerate(names)}
    rows = list(ballots)
    marks = np.zeros((len(rows), n), dtype=np.bool_)
    for b, row in enumerate(rows, start=1):
        if isinstance(row, str):
            raise InvalidBallotError(
                f"ballot {b} is the string {row!r}; give a collection of candidates"
            )
        for item in row:
            if isinstance(item, str):
                if item not in index:
                    raise UnknownCandidateError(
                        f"ballot {b} marks {item!r}, who is not a candidate"
                    )
                j = index[item]
            elif isinstance(item, int | np.integer) and not isinstance(item, bool):
                j = int(item)
                if not 0 <= j < n:
                    raise UnknownCandidateError(
                        f"ballot {b} marks candidate number {j + 1}, but only {n} are standing"
                    )
            else:
                raise InvalidBallotError(f"ballot {b} has a mark {item!r}")
            if marks[b - 1, j]:
                raise DuplicateRankingError(f"ballot {b} marks {names[j]!r} more than once")
            marks[b - 1, j] = True
    return marks


def _ballot_weights(weights: Iterable[int] | IntArray | None, count: int) -> IntArray:
    """One whole, non-negative weight per ballot (1 each when none are given)."""
    if weights is None:
        w = np.ones(count, dtype=np.int64)
    else:
        w = np.asarray(list(weights) if not isinstance(weights, np.ndarray) else weights)
        w = w.astype(np.int64)
    if w.shape != (count,):
        raise InvalidBallotError(f"{count} ballots but {w.shape[0] if w.ndim else 0} weights")
    if (w < 0).any():
        raise InvalidBallotError(f"ballot {int(np.argmax(w < 0)) + 1} has a negative weight")
    return w


def _keep_counted(
    marks: BoolArray, w: IntArray, *, max_marks: int | None, skip_empty: bool
) -> tuple[BoolArray, IntArray]:
    """The ballots that count: none with more than ``max_marks`` marks (refused), those
    of weight 0 dropped (and blank ones with ``skip_empty``); at least one must mark
    somebody."""
    per_ballot = marks.sum(axis=1)
    if max_marks is not None and marks.shape[0] and (per_ballot > max_marks).any():
        i = int(np.argmax(per_ballot > max_marks))
        raise InvalidBallotError(
            f"ballot {i + 1} marks {int(per_ballot[i])} candidates "
            f"but at most {max_marks} may be marked"
        )
    keep = w > 0
    if skip_empty:
        keep &= per_ballot > 0
    marks, w = marks[keep], w[keep]
    if marks.shape[0] == 0 or not (marks.any(axis=1) & (w > 0)).any():
        raise EmptyBallotSetError("there are no ballots marking any candidate to count")
    return marks, w


def _group_marks(marks: BoolArray, w: IntArray) -> tuple[BoolArray, IntArray]:
    """Merge identical rows (bit-packed), summing weights. Order: by packed row."""
    if marks.shape[0] <= 1:
        return marks.copy(), w.copy()
    packed = np.ascontiguousarray(np.packbits(marks, axis=1))
    view = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inv = np.unique(view, return_index=True, return_inverse=True)
    sums = np.bincount(inv.ravel(), weights=w, minlength=len(first)).astype(np.int64)
    return marks[first], sums


# ---------------------------------------------------------------------- result
@dataclass(frozen=True)
class ApprovalResult:
    """Outcome of an approval count: votes per candidate, the elected (highest first), ties."""

    method: str
    seats: int
    candidates: tuple[Candidate, ...]
    votes: tuple[int, ...]
    voters: int
    elected: tuple[int, ...]
    ties: tuple[Tie, ...] = ()
    seed: int | None = None

    @property
    def elected_names(self) -> tuple[str, ...]:
        return tuple(self.candidates[i].name for i in self.elected)

    def share(self, i: int) -> Fraction:
        """Exact share of voters (blank ballots included) approving candidate ``i``."""
        return Fraction(self.votes[i], self.voters)

    def to_ranked(self) -> RankedResult:
        """The same outcome as a single-stage :class:`RankedResult`, for uniform display."""
        return single_stage_result(
            self.method,
            self.seats,
            self.candidates,
            self.votes,
            self.elected,
            self.ties,
            self.seed,
            total=self.voters,
            note="approval votes",
        )

    def to_dict(self) -> dict[str, Any]:
        names = [c.name for c in self.candidates]
        return {
            "method": self.method,
            "seats": self.seats,
            "voters": self.voters,
            "elected": [names[i] for i in self.elected],
            "candidates": [
                {
                    "name": c.name,
                    "attributes": dict(c.attributes),
                    "votes": self.votes[i],
                    "share": exact(self.share(i)),
                    "percent": percent_str(self.share(i)),
                    "elected": i in self.elected,
                }
                for i, c in enumerate(self.candidates)
            ],
            "seed": self.seed,
            "ties": [_tie_dict(t, names) for t in self.ties],
        }


def _tie_dict(t: Tie, names: Sequence[str]) -> dict[str, Any]:
    return {
        "stage": t.stage,
        "purpose": t.purpose,
        "tied": [names[i] for i in t.tied],
        "chosen": names[t.chosen],
        "how": t.how,
    }


def single_stage_result(
    method: str,
    seats: int,
    candidates: tuple[Candidate, ...],
    votes: Sequence[int],
    elected: tuple[int, ...],
    ties: tuple[Tie, ...],
    seed: int | None,
    *,
    total: int,
    action: str = "count",
    withdrawn: Collection[int] = (),
    non_transferable: int = 0,
    note: str = "",
) -> RankedResult:
    """A one-stage :class:`RankedResult`: elected, withdrawn, everyone else not elected.

    ``excluded`` lists the candidates not elected from fewest votes up (ties in candidate
    order; their order decides nothing).
    """
    states = tuple(
        State.ELECTED if i in elected else State.WITHDRAWN if i in withdrawn else State.EXCLUDED
        for i in range(len(candidates))
    )
    losers = sorted(
        (i for i in range(len(candidates)) if i not in elected and i not in withdrawn),
        key=lambda i: (votes[i], i),
    )
    stage = Stage(
        number=1,
        action=action,
        subjects=elected,
        votes=tuple(int(v) for v in votes),
        states=states,
        non_transferable=non_transferable,
        note=note,
    )
    return RankedResult(
        method=method,
        seats=seats,
        candidates=candidates,
        elected=elected,
        stages=(stage,),
        total_votes=total,
        ties=ties,
        excluded=tuple(losers),
        seed=seed,
    )


def check_seats(seats: int, available: int) -> None:
    """Raise :class:`TooManySeatsError` unless ``1 <= seats <= available``."""
    if isinstance(seats, bool) or not isinstance(seats, int):
        raise TooManySeatsError(f"the number of seats must be a whole number, not {seats!r}")
    if seats < 1:
        raise TooManySeatsError(f"there must be at least one seat (got {seats})")
    if seats > available:
        raise TooManySeatsError(f"{seats} seats to fill but only {available} candidates standing")


def count_approval(
    ballots: ApprovalBallots, seats: int = 1, *, seed: int | None = None
) -> ApprovalResult:
    """Elect the ``seats`` candidates approved on the most ballots.

    A tie that decides a seat is broken by lot with ``random.Random(seed)`` (see
    :class:`Lot`); each draw is recorded in ``ties`` and the seed in ``seed``. Raises
    :class:`TooManySeatsError` when ``seats`` is below 1 or above the number of candidates.
    """
    check_seats(seats, ballots.n_candidates)
    votes = tuple(int(v) for v in ballots.counts())
    lot = Lot(seed)
    elected, ties = select_top(votes, seats, lot)
    return ApprovalResult(
        method="approval",
        seats=seats,
        candidates=ballots.candidates,
        votes=votes,
        voters=ballots.total,
        elected=elected,
        ties=ties,
        seed=lot.seed,
    )
