"""Compact ballot containers shared by every counting method.

A ranked ballot is a row of candidate indices (0-based, most preferred first) padded with
``-1``. Identical rows are grouped once into a ``weights`` vector (the multiplicity), so a
million leadership ballots over eight candidates become at most a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from rankandfile.counting.errors import (
    DuplicateRankingError,
    EmptyBallotSetError,
    InvalidBallotError,
    UnknownCandidateError,
)

PAD = -1
"""Value used to pad rankings shorter than the widest ballot."""

IntArray = npt.NDArray[np.int64]
RankArray = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Candidate:
    """A candidate or option. ``attributes`` carries e.g. ``{"gender": "woman"}``."""

    name: str
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidBallotError("a candidate needs a non-empty name")
        if not isinstance(self.attributes, MappingProxyType):
            object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))

    def attribute(self, key: str) -> str | None:
        return self.attributes.get(key)


@dataclass(frozen=True, eq=False)
class RankedBallots:
    """Grouped ranked ballots.

    ``rankings`` is an ``int32`` array of shape ``(groups, width)``; each row lists candidate
    indices in order of preference, padded with :data:`PAD`. ``weights`` is an ``int64``
    array of shape ``(groups,)`` with the number of identical ballots in each group.
    ``withdrawn`` holds indices of candidates withdrawn before the count (BLT ``-n``).
    Rows are validated and grouped on construction through :meth:`build`; the arrays are
    made read-only so a result can never be altered by mutating its input.
    """

    candidates: tuple[Candidate, ...]
    rankings: RankArray
    weights: IntArray
    title: str = ""
    withdrawn: frozenset[int] = frozenset()

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(
        cls,
        candidates: Sequence[Candidate] | Sequence[str],
        rankings: Iterable[Sequence[int]] | RankArray,
        weights: Iterable[int] | IntArray | None = None,
        *,
        title: str = "",
        withdrawn: Iterable[int] = (),
        group: bool = True,
        skip_empty: bool = True,
    ) -> RankedBallots:
        """Validate, pad and group ballots.

        ``rankings`` may be a 2-D array already padded with :data:`PAD` (fast path) or any
        iterable of index sequences. Empty ballots are dropped when ``skip_empty`` (they
        carry no preference); a ballot set with no weight left raises
        :class:`EmptyBallotSetError`.
        """
        cands: tuple[Candidate, ...] = tuple(
            c if isinstance(c, Candidate) else Candidate(c) for c in candidates
        )
        names = [c.name for c in cands]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise InvalidBallotError(f"candidate {dup!r} is listed twice")
        n = len(cands)
        if n == 0:
            raise InvalidBallotError("there are no candidates")

        if isinstance(rankings, np.ndarray):
            arr = np.asarray(rankings, dtype=np.int32)
            if arr.ndim != 2:
                raise InvalidBallotError("rankings array must be two-dimensional")
        else:
            rows = [list(r) for r in rankings]
            width = max((len(r) for r in rows), default=0)
            arr = np.full((len(rows), max(width, 1)), PAD, dtype=np.int32)
            for i, r in enumerate(rows):
                if r:
                    arr[i, : len(r)] = r
        if weights is None:
            w = np.ones(arr.shape[0], dtype=np.int64)
        else:
            w = np.asarray(list(weights) if not isinstance(weights, np.ndarray) else weights)
            w = w.astype(np.int64)
        if w.shape != (arr.shape[0],):
            raise InvalidBallotError(
                f"{arr.shape[0]} ballots but {w.shape[0] if w.ndim else 0} weights"
            )
        if group and arr.shape[0] > 1024:
            # Fast path for large sets: check weights and the range of values, group, then
            # check gaps and duplicates on the (few) distinct rows only. Any fault found is
            # re-checked on the original rows so the error names the original ballot.
            if (w < 0).any() or int(arr.min()) < PAD or int(arr.max()) >= n:
                _validate(arr, w, n)
            orig_arr, orig_w = arr, w
            arr, w = group_rows(arr, w)
            if not _rows_valid(arr, n):
                _validate(orig_arr, orig_w, n)
                raise InvalidBallotError("a ballot skips a preference or repeats a candidate")
            grouped = True
        else:
            _validate(arr, w, n)
            grouped = False
        if skip_empty and arr.shape[0]:
            keep = (arr[:, 0] != PAD) & (w > 0)
            if not keep.all():
                arr, w = arr[keep], w[keep]
        if arr.shape[0] == 0 or int(w.sum()) == 0:
            raise EmptyBallotSetError("there are no ballots to count")
        wd = frozenset(int(i) for i in withdrawn)
        for i in wd:
            if not 0 <= i < n:
                raise UnknownCandidateError(f"withdrawn candidate number {i + 1} is not standing")
        if group and not grouped:
            arr, w = group_rows(arr, w)
        arr.setflags(write=False)
        w.setflags(write=False)
        return cls(candidates=cands, rankings=arr, weights=w, title=title, withdrawn=wd)

    # ------------------------------------------------------------------ properties
    @property
    def n_candidates(self) -> int:
        return len(self.candidates)

    @property
    def total(self) -> int:
        """Total number of ballots (sum of weights)."""
        return int(self.weights.sum())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.candidates)

    def index(self, name: str) -> int:
        for i, c in enumerate(self.candidates):
            if c.name == name:
                return i
        raise UnknownCandidateError(f"{name!r} is not a candidate")

    def iter_ballots(self) -> Iterable[tuple[tuple[int, ...], int]]:
        """Yield ``(ranking, weight)`` pairs, rankings without padding."""
        for row, wt in zip(self.rankings, self.weights, strict=True):
            yield tuple(int(x) for x in row if x != PAD), int(wt)

    def first_preferences(self) -> IntArray:
        """Votes per candidate counting first preferences only."""
        first = self.rankings[:, 0]
        return np.bincount(
            first[first != PAD], weights=self.weights[first != PAD], minlength=self.n_candidates
        ).astype(np.int64)


def _validate(arr: RankArray, w: IntArray, n: int) -> None:
    if arr.size == 0:
        return
    if (w < 0).any():
        i = int(np.argmax(w < 0))
        raise InvalidBallotError(f"ballot {i + 1} has a negative weight")
    bad = (arr < PAD) | (arr >= n)
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        raise UnknownCandidateError(
            f"ballot {i + 1} preference {j + 1} names candidate number {int(arr[i, j]) + 1}, "
            f"but only {n} are standing"
        )
    pad = arr == PAD
    # A preference after a blank is a gap: once padded, a row must stay padded.
    gap = pad[:, :-1] & ~pad[:, 1:]
    if gap.any():
        i, j = (int(x) for x in np.argwhere(gap)[0])
        raise InvalidBallotError(f"ballot {i + 1} skips preference {j + 1}")
    if arr.shape[1] > 1:
        s = np.sort(arr, axis=1)
        dup = (s[:, 1:] == s[:, :-1]) & (s[:, 1:] != PAD)
        if dup.any():
            i = int(np.argwhere(dup)[0][0])
            j = int(np.argwhere(dup)[0][1])
            raise DuplicateRankingError(
                f"ballot {i + 1} ranks candidate number {int(s[i, j]) + 1} more than once"
            )


def _rows_valid(arr: RankArray, n: int) -> bool:
    """True when no row has a gap or a repeated candidate (values already in range)."""
    if arr.shape[1] < 2 or arr.shape[0] == 0:
        return True
    pad = arr == PAD
    if (pad[:, :-1] & ~pad[:, 1:]).any():
        return False
    if n > 62:
        s = np.sort(arr, axis=1)
        return not ((s[:, 1:] == s[:, :-1]) & (s[:, 1:] != PAD)).any()
    # A row repeats a candidate iff the sum of its candidates' bits differs from their OR.
    bit = np.left_shift(np.int64(1), np.maximum(arr, 0), dtype=np.int64)
    bit[pad] = 0
    return bool((bit.sum(axis=1) == np.bitwise_or.reduce(bit, axis=1)).all())


def group_rows(arr: RankArray, w: IntArray) -> tuple[RankArray, IntArray]:
    """Merge identical rows, summing weights. Order: lexicographic by row.

    Rows are packed into a single integer key when they fit in 63 bits (fast path for up
    to ~12 ranks of up to 30 candidates): keys are sorted, runs summed, and the distinct rows
    decoded back from their keys. Otherwise a structured-row ``np.unique`` is used.
    """
    if arr.shape[0] <= 1:
        return np.ascontiguousarray(arr), w.copy()
    n_vals = int(arr.max()) + 2  # values -1..max shifted to 0..max+1
    width = arr.shape[1]
    bits = max(1, int(n_vals - 1).bit_length())
    if bits * width <= 62:
        place = np.left_shift(np.int64(1), bits * np.arange(width - 1, -1, -1, dtype=np.int64))
        # key = sum((arr[:, j] + 1) << place_j): one integer matrix-vector product.
        key = arr @ place + int(place.sum())
        if w.size and int(w.min()) == 1 and int(w.max()) == 1:
            uniq, counts = np.unique(key, return_counts=True)
            sums = counts.astype(np.int64)
        else:
            order = np.argsort(key)
            ks = key[order]
            starts = np.flatnonzero(np.concatenate(([True], ks[1:] != ks[:-1])))
            uniq = ks[starts]
            sums = np.add.reduceat(w[order].astype(np.int64), starts)
        rows = np.empty((uniq.shape[0], width), dtype=np.int32)
        mask = (1 << bits) - 1
        for j in range(width - 1, -1, -1):
            rows[:, j] = (uniq & mask) - 1
            uniq = uniq >> bits
        return rows, sums
    view = np.ascontiguousarray(arr).view(np.dtype((np.void, arr.dtype.itemsize * width)))
    _, first, inv = np.unique(view.ravel(), return_index=True, return_inverse=True)
    sums = np.bincount(inv.ravel(), weights=w, minlength=len(first)).astype(np.int64)
    return np.ascontiguousarray(arr[first]), sums
