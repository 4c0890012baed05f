"""Scoring an MP's votes against a policy — pure Python and NumPy, no Django.

Rules implemented (docs/rules/accountability.md; docs/domain.md "Accountability of MPs"):

- **A1 TheyWorkForYou method** (the default). Per *strong* division: a vote with the
  policy scores 0 points, against 10, both lobbies ("abstain") 5, each out of 10;
  an absence adds nothing to points or to the possible total. Weak divisions are shown as
  evidence but do not count. ``distance = points / possible``; ``agreement = 1 - distance``.
- **A2 Wording bands** by distance: ≤0.05 consistently voted for; ≤0.15 almost always;
  ≤0.4 generally; ≤0.6 a mixture; ≤0.85 generally against; ≤0.95 almost always against;
  else consistently against.
- **A3 Absence caps** (TheyWorkForYou's ``SimplifiedScore`` in mySociety's twfy-votes):
  absences move the *distance itself*, and the wording follows from the moved distance.
  First, with more than one strong absence, a distance ≤ 0.05 becomes 0.06 and one
  ≥ 0.95 becomes 0.94 (never "consistently"). Then, when strong absences are a third or
  more of the strong divisions sat (``3 × absences ≥ votes + absences``, both-lobby votes
  counting as votes), a distance ≤ 0.15 becomes 0.16 and one ≥ 0.85 becomes 0.84 (at
  most "generally"). So one vote with the policy and one absence score 0.16, "generally
  voted for". Bounds are inclusive. :func:`capped_distance` is the rule.
- **A4 Tellers** count as voting on their side (the importer records them as aye/no).
- **A5 Public Whip classic formula** (option): weak divisions weigh 10 (same 0, against 10,
  both 5, absent 1 out of 2) and strong ones 50 (same 0, against 50, both 25, absent 25
  out of 50). Same wording bands, no absence caps.
- **A6 Party comparison**: the mean distance (after the caps, as shown) of the MP's party
  colleagues (excluding the MP); a difference of ``SIGNIFICANT_DIFFERENCE`` (0.4) or more
  is flagged.

Positions are small integers so that the batch recompute works on NumPy arrays
(:func:`score_matrix`); :func:`score_votes` is the same rule for one MP and one policy,
with an explanation of how each vote counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

Method = Literal["twfy", "publicwhip"]
METHODS: tuple[Method, ...] = ("twfy", "publicwhip")

SIGNIFICANT_DIFFERENCE = 0.4


class Position(IntEnum):
    """How an MP took part in one division (tellers are recorded on their side)."""

    NOT_SITTING = 0  # not an MP then, or the division does not count for them
    AYE = 1
    NO = 2
    BOTH = 3  # voted in both lobbies: an active abstention
    ABSENT = 4  # an MP, but no vote recorded


class Outcome(IntEnum):
    """A vote relative to a policy."""

    NOT_COUNTED = 0
    WITH = 1
    AGAINST = 2
    ABSTAIN = 3
    ABSENT = 4


OUTCOME_LABELS = {
    Outcome.NOT_COUNTED: "not counted",
    Outcome.WITH: "voted for the policy",
    Outcome.AGAINST: "voted against the policy",
    Outcome.ABSTAIN: "voted both ways (abstained)",
    Outcome.ABSENT: "absent",
}

# Wording bands (A2): upper bound of distance (inclusive), wording.
BANDS: tuple[tuple[float, str], ...] = (
    (0.05, "consistently voted for"),
    (0.15, "almost always voted for"),
    (0.4, "generally voted for"),
    (0.6, "voted a mixture of for and against"),
    (0.85, "generally voted against"),
    (0.95, "almost always voted against"),
    (1.0, "consistently voted against"),
)
NO_VOTES = "has never voted on"
_EPS = 1e-9

# Points (numerator, denominator) per outcome (A1, A5).
_TWFY_STRONG = {Outcome.WITH: (0, 10), Outcome.AGAINST: (10, 10), Outcome.ABSTAIN: (5, 10)}
_PW_STRONG = {
    Outcome.WITH: (0, 50),
    Outcome.AGAINST: (50, 50),
    Outcome.ABSTAIN: (25, 50),
    Outcome.ABSENT: (25, 50),
}
_PW_WEAK = {
    Outcome.WITH: (0, 10),
    Outcome.AGAINST: (10, 10),
    Outcome.ABSTAIN: (5, 10),
    Outcome.ABSENT: (1, 2),
}


def outcome(position: int, aye_supports: bool) -> Outcome:
    """The outcome of one vote for a policy whose supporting direction is aye (or no)."""
    if position == Position.AYE:
        return Outcome.WITH if aye_supports else Outcome.AGAINST
    if position == Position.NO:
        return Outcome.AGAINST if aye_supports else Outcome.WITH
    if position == Position.BOTH:
        return Outcome.ABSTAIN
    if position == Position.ABSENT:
        return Outcome.ABSENT
    return Outcome.NOT_COUNTED


def band_index(distance: float) -> int:
    """Index into :data:`BANDS` for a distance in [0, 1] (A2; bounds are inclusive)."""
    for i, (upper, _) in enumerate(BANDS):
        if distance <= upper + _EPS:
            return i
    return len(BANDS) - 1


# Absence caps (A3), in the order applied: (applies when, low edge, moved to, high edge,
# moved to). A distance at or below the low edge, or at or above the high edge, moves.
CAP_MORE_THAN_ONE_ABSENCE = (0.05, 0.06, 0.95, 0.94)
CAP_A_THIRD_ABSENT = (0.15, 0.16, 0.85, 0.84)


def caps_in_force(strong_absences: int, strong_divisions: int) -> tuple[bool, bool]:
    """Which absence caps (A3) apply: (more than one strong absence, absences a third or
    more of the strong divisions sat). ``strong_divisions`` counts votes (with, against,
    both lobbies) and absences; the comparison is exact (``3 × absences ≥ divisions``)."""
    return (
        strong_absences > 1,
        strong_divisions > 0 and 3 * strong_absences >= strong_divisions,
    )


def capped_distance(distance: float, strong_absences: int, strong_divisions: int) -> float:
    """The TheyWorkForYou distance after the absence caps (A3).

    Each cap in force moves a distance at or below its low edge (or at or above its high
    edge) to just inside it; the second cap sees the first one's result, so a distance of
    0.0 with two absences out of six becomes 0.06 and then 0.16. Other distances are
    unchanged. Edges are compared with the same tolerance as the wording bands.
    """
    for in_force, (low, low_to, high, high_to) in zip(
        caps_in_force(strong_absences, strong_divisions),
        (CAP_MORE_THAN_ONE_ABSENCE, CAP_A_THIRD_ABSENT),
        strict=True,
    ):
        if not in_force:
            continue
        if distance <= low + _EPS:
            distance = low_to
        elif distance >= high - _EPS:
            distance = high_to
    return distance


@dataclass(frozen=True)
class Vote:
    """One division's vote by one MP, as the scorer sees it."""

    position: int
    aye_supports: bool
    strong: bool


@dataclass(frozen=True)
class CountedVote:
    """How one vote counted: its outcome, and the points and possible points it added."""

    outcome: Outcome
    strong: bool
    points: float
    possible: float

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass(frozen=True)
class Score:
    """An MP's score on one policy.

    ``distance`` is the score shown: ``points / possible``, moved by the absence caps under
    the TWFY method (A3); ``raw_distance`` is ``points / possible`` before them.
    """

    method: Method
    points: float
    possible: float
    strong_votes: int  # strong divisions with a vote (with, against or both)
    strong_absences: int
    weak_votes: int
    counted: tuple[CountedVote, ...]

    @property
    def raw_distance(self) -> float | None:
        return self.points / self.possible if self.possible else None

    @property
    def distance(self) -> float | None:
        d = self.raw_distance
        if d is None or self.method != "twfy":
            return d
        return capped_distance(d, self.strong_absences, self.strong_divisions)

    @property
    def capped(self) -> bool:
        """True when the absence caps moved the distance (A3)."""
        return self.distance != self.raw_distance

    @property
    def agreement(self) -> float | None:
        d = self.distance
        return None if d is None else 1.0 - d

    @property
    def wording(self) -> str:
        d = self.distance
        return NO_VOTES if d is None else BANDS[band_index(d)][1]

    @property
    def strong_divisions(self) -> int:
        return self.strong_votes + self.strong_absences


def wording(
    method: Method, distance: float | None, strong_absences: int, strong_divisions: int
) -> str:
    """The wording for an uncapped distance (A2), after the absence caps for the TWFY
    method (A3)."""
    if distance is None:
        return NO_VOTES
    if method == "twfy":
        distance = capped_distance(distance, strong_absences, strong_divisions)
    return BANDS[band_index(distance)][1]


def count_vote(method: Method, vote: Vote) -> CountedVote:
    """Points and possible points one vote adds under ``method`` (A1, A5)."""
    out = outcome(vote.position, vote.aye_supports)
    table: dict[Outcome, tuple[int, int]]
    if method == "twfy":
        table = _TWFY_STRONG if vote.strong else {}
    else:
        table = _PW_STRONG if vote.strong else _PW_WEAK
    points, possible = table.get(out, (0, 0))
    return CountedVote(out, vote.strong, float(points), float(possible))


def score_votes(votes: Iterable[Vote], method: Method = "twfy") -> Score:
    """Score one MP on one policy from their votes on its divisions."""
    counted = tuple(count_vote(method, v) for v in votes)
    strong_votes = sum(
        1
        for c in counted
        if c.strong and c.outcome in (Outcome.WITH, Outcome.AGAINST, Outcome.ABSTAIN)
    )
    strong_absences = sum(1 for c in counted if c.strong and c.outcome == Outcome.ABSENT)
    weak_votes = sum(
        1
        for c in counted
        if not c.strong and c.outcome in (Outcome.WITH, Outcome.AGAINST, Outcome.ABSTAIN)
    )
    return Score(
        method=method,
        points=sum(c.points for c in counted),
        possible=sum(c.possible for c in counted),
        strong_votes=strong_votes,
        strong_absences=strong_absences,
        weak_votes=weak_votes,
        counted=counted,
    )


# --- Batch (vectorised) -----------------------------------------------------------------
@dataclass(frozen=True)
class MatrixScores:
    """Scores of every MP on every policy for one method: arrays of shape (MPs, policies).

    ``distance`` is NaN where nothing counted and, for the TWFY method, already moved by the
    absence caps (A3; ``points / possible`` is the uncapped one); ``band`` is the band
    index of ``distance`` (-1 where nothing counted); ``party_distance`` the mean distance
    of the MP's party colleagues (NaN where none has a score); ``significant`` the A6 flag.
    """

    points: npt.NDArray[np.float64]
    possible: npt.NDArray[np.float64]
    strong_votes: npt.NDArray[np.int32]
    strong_absences: npt.NDArray[np.int32]
    distance: npt.NDArray[np.float64]
    band: npt.NDArray[np.int8]
    party_distance: npt.NDArray[np.float64]
    significant: npt.NDArray[np.bool_]


def score_matrix(
    positions: npt.NDArray[np.integer],
    link_division: Sequence[int] | npt.NDArray[np.integer],
    link_policy: Sequence[int] | npt.NDArray[np.integer],
    link_aye_supports: Sequence[bool] | npt.NDArray[np.bool_],
    link_strong: Sequence[bool] | npt.NDArray[np.bool_],
    n_policies: int,
    party: Sequence[int] | npt.NDArray[np.integer] | None = None,
    method: Method = "twfy",
) -> MatrixScores:
    """Score every MP on every policy at once.

    ``positions`` is (MPs × divisions) of :class:`Position` codes, with ``NOT_SITTING``
    wherever a division does not count for that MP (not an MP then, or outside their
    membership of the party). Links are parallel arrays: the division column, the policy
    index, whether aye supports the policy, whether the link is strong. ``party`` gives
    each MP's party code (for A6; -1 for none). Same results as :func:`score_votes`.
    """
    pos = np.asarray(positions, dtype=np.int8)
    n_mps = pos.shape[0]
    # Links sorted by policy, so each policy's links are one run of columns.
    lp = np.asarray(link_policy, dtype=np.int64)
    order = np.argsort(lp, kind="stable")
    lp = lp[order]
    ld = np.asarray(link_division, dtype=np.int64)[order]
    aye = np.asarray(link_aye_supports, dtype=bool)[order]
    strong = np.asarray(link_strong, dtype=bool)[order]
    # One lookup per (MP, link): key = position + 5·aye_supports + 10·strong (0..19).
    link_key = (aye.astype(np.int8) * 5 + strong.astype(np.int8) * 10)[None, :]
    key = pos[:, ld] + link_key if len(ld) else np.zeros((n_mps, 0), dtype=np.int8)
    tables = _tables(method)
    starts = np.flatnonzero(np.r_[True, lp[1:] != lp[:-1]]) if len(lp) else lp
    columns = lp[starts]

    def by_policy(table: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        out = np.zeros((n_mps, n_policies), dtype=np.int32)
        if len(starts):
            out[:, columns] = np.add.reduceat(table[key], starts, axis=1, dtype=np.int32)
        return out

    points = by_policy(tables[0]).astype(np.float64)
    possible = by_policy(tables[1]).astype(np.float64)
    strong_votes = by_policy(tables[2])
    strong_absences = by_policy(tables[3])
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.where(possible > 0, points / np.where(possible > 0, possible, 1), np.nan)
    if method == "twfy":
        distance = _capped(distance, strong_absences, strong_votes + strong_absences)
    band = _bands(distance)
    party_distance, significant = _party_comparison(distance, party, n_mps)
    return MatrixScores(
        points=points,
        possible=possible,
        strong_votes=strong_votes,
        strong_absences=strong_absences,
        distance=distance,
        band=band,
        party_distance=party_distance,
        significant=significant,
    )


def _tables(method: Method) -> tuple[npt.NDArray[np.int32], ...]:
    """Lookup tables indexed by position + 5·aye_supports + 10·strong: points, possible
    points, strong vote (0/1), strong absence (0/1) — the same numbers as
    :func:`count_vote`, for the batch."""
    points = np.zeros(20, dtype=np.int32)
    possible = np.zeros(20, dtype=np.int32)
    strong_vote = np.zeros(20, dtype=np.int32)
    strong_absent = np.zeros(20, dtype=np.int32)
    for aye in (False, True):
        for is_strong in (False, True):
            for position in Position:
                k = int(position) + 5 * aye + 10 * is_strong
                counted = count_vote(method, Vote(int(position), aye, is_strong))
                points[k] = int(counted.points)
                possible[k] = int(counted.possible)
                if is_strong and counted.outcome in (
                    Outcome.WITH,
                    Outcome.AGAINST,
                    Outcome.ABSTAIN,
                ):
                    strong_vote[k] = 1
                if is_strong and counted.outcome == Outcome.ABSENT:
                    strong_absent[k] = 1
    return points, possible, strong_vote, strong_absent


def _capped(
    distance: npt.NDArray[np.float64],
    absences: npt.NDArray[np.int32],
    divisions: npt.NDArray[np.int32],
) -> npt.NDArray[np.float64]:
    """:func:`capped_distance` over arrays (NaN stays NaN: its comparisons are false)."""
    in_force = (absences > 1, (divisions > 0) & (3 * absences >= divisions))
    for applies, (low, low_to, high, high_to) in zip(
        in_force, (CAP_MORE_THAN_ONE_ABSENCE, CAP_A_THIRD_ABSENT), strict=True
    ):
        distance = np.where(applies & (distance <= low + _EPS), low_to, distance)
        distance = np.where(applies & (distance >= high - _EPS), high_to, distance)
    return distance


def _bands(distance: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
    uppers = np.array([u for u, _ in BANDS[:-1]]) + _EPS
    d = np.nan_to_num(distance, nan=0.0)
    band = np.searchsorted(uppers, d, side="left").astype(np.int8)
    return np.where(np.isnan(distance), -1, band).astype(np.int8)


def _party_comparison(
    distance: npt.NDArray[np.float64],
    party: Sequence[int] | npt.NDArray[np.integer] | None,
    n_mps: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Mean distance of each MP's party colleagues, excluding the MP (A6)."""
    nan = np.full(distance.shape, np.nan)
    if party is None or n_mps == 0:
        return nan, np.zeros(distance.shape, dtype=bool)
    codes = np.asarray(party, dtype=np.int64)
    valid = ~np.isnan(distance)
    d0 = np.where(valid, distance, 0.0)
    n_parties = int(codes.max()) + 1 if len(codes) and codes.max() >= 0 else 0
    if n_parties == 0:
        return nan, np.zeros(distance.shape, dtype=bool)
    member = np.zeros((n_parties, n_mps))
    has = codes >= 0
    member[codes[has], np.nonzero(has)[0]] = 1.0
    sums = member @ d0  # (parties, policies)
    counts = member @ valid.astype(np.float64)
    safe = np.where(has, codes, 0)
    own_sum = sums[safe] - d0
    own_count = counts[safe] - valid
    with np.errstate(invalid="ignore", divide="ignore"):
        party_distance = np.where(
            has[:, None] & (own_count > 0), own_sum / np.where(own_count > 0, own_count, 1), np.nan
        )
    significant = (
        valid
        & ~np.isnan(party_distance)
        & (
            np.abs(np.nan_to_num(distance) - np.nan_to_num(party_distance))
            >= SIGNIFICANT_DIFFERENCE - _EPS
        )
    )
    return party_distance, significant
