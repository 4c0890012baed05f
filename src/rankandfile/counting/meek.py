"""Meek STV: Hill, Wichmann & Woodall, Algorithm 123 (Computer Journal 30(3), 1987).

This module implements the variant fixed by the Proportional Representation Foundation's
*Reference Meek Rule* (the rule Droop calls ``meek-prf``), in exact fixed-point decimal
arithmetic with nine places: every value is a Python/NumPy integer scaled by ``10**9``;
floats are never used. The rule, step by step (letters follow the PRF text):

A. Every hopeful candidate gets keep factor ``kf = 1``; withdrawn candidates ``kf = 0``.
   ``omega = 0.000001``. For the opening report the quota is ``ballots / (seats + 1)``
   truncated to 9 places plus ``0.000000001`` and each candidate has her first preferences.

B.1. The count is complete when all seats are filled or when the hopeful candidates are no
   more than the seats left (go to C). Otherwise a new *round* starts.

B.2. Iterate:

   a. *Distribute votes.* Each ballot starts with weight ``w = 1``; for each candidate in
      order of preference, the candidate keeps ``w * kf`` (**rounded up** at 9 places) and
      ``w`` is reduced by the same amount, until the ballot ends or ``w`` is 0. Whatever no
      candidate keeps is the *residual* (non-transferable).
   b. *Quota* ``q`` = the sum of all candidates' votes divided by ``seats + 1``, truncated
      at 9 places, plus ``0.000000001``.
   c. Elect every hopeful candidate with ``vote >= q``.
   d. *Surplus* ``s`` = sum over the elected of ``vote - q`` (not less than 0).
   e. If (c) elected anyone the round ends (back to B.1). Otherwise, if ``s < omega``, or
      (after the first iteration) ``s`` is not smaller than the previous iteration's, the
      iteration ends: go to B.3.
   f. Each elected candidate's ``kf`` becomes ``kf * q`` (rounded up) ``/ vote`` (rounded up),
      and the iteration continues at (a).

B.3. Defeat the hopeful candidate with the lowest vote; every hopeful candidate whose vote
   is at most the lowest vote plus ``s`` is *tied* with it, and the tie is broken by
   procedure T. The defeated candidate's ``kf`` becomes 0. Next round (B.1).

C. Elect all remaining hopefuls if seats remain unfilled, otherwise defeat them.

T. Ties are broken by :class:`rankandfile.counting.tiebreak.TieBreaker`. The PRF
   reference uses a fixed candidate order (``tiebreak="order"``: the first tied candidate
   in ballot-file order, or in ``lot_order``, is defeated), which the golden tests use.
   The project default ``"backwards"`` compares the tied candidates' votes at the end of
   the *earlier* rounds (most recent first; the current round is skipped because within it
   the tied differ by less than the surplus) and defeats the one with fewest votes at the
   latest round where they differed; if they were equal throughout it draws lots with
   ``random.Random(seed)``. ``"forwards"`` and ``"lot"`` are also accepted. The seed
   actually used is recorded in the result.

Two safety refinements that never change a PRF count in practice: keep factors are capped
at 1 (step B.2.f can only exceed 1 for a candidate below the quota, which the PRF rule never
elects), and if more hopefuls reach the quota than there are seats left the highest are
elected (impossible with a Droop quota rounded up, handled for robustness).

Residual: the PRF rule (and Droop's dump) calls *residual* the value no candidate keeps
after a distribution. Because every keep is rounded *up*, nothing is lost to rounding: the
kept values plus the weight left at the end of each ballot are exactly the ballots, so
that value is the weight of exhausted ballots, reported as each stage's
``non_transferable`` (as in the reference dumps). A stage's ``residual`` field is whatever
is then unaccounted for, ``ballots - votes - non_transferable``: 0 after a distribution,
but a candidate defeated since the last distribution (or when the count ends) has her
votes set to 0 at once while her ballots are only redistributed by the next
distribution, so until then they are counted as residual. (Likewise, the opening report
gives first preferences only, as Droop does.)

The result has one :class:`~rankandfile.counting.result.Stage` per action, in the order
Droop reports them: ``begin``, then per round the ``elect`` of each candidate reaching
the quota and the ``defeat`` of the lowest, then ``elect``/``defeat`` of the remaining
candidates and ``end``. Iterations inside a round are summarised by the values at the end
of the round. :func:`meek_trace` also returns the keep factors and surplus of every action
(the columns of a Droop dump), which the golden tests compare digit for digit.

A :class:`~rankandfile.counting.quotas.SeatConstraint` may be passed (see
:mod:`rankandfile.counting.quotas`): candidates it requires are *excluded by quota* at the
start of a round or instead of being elected, candidates it requires are *deemed elected*
(keeping all their votes, ``kf = 1``), and candidates it protects are never defeated as
lowest.

Performance: ballots are grouped; each distribution is a vectorised scan over the rank
columns of the grouped ballot matrix (int64: ``w * kf <= 10**18`` fits), and the per-candidate
sums use a precomputed sort of the ballot cells (exact int64 ``reduceat``, not float
``bincount``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import numpy.typing as npt

from rankandfile.counting.ballots import RankedBallots
from rankandfile.counting.errors import TooManySeatsError
from rankandfile.counting.result import RankedResult, Stage, State, Tie
from rankandfile.counting.tiebreak import TieBreaker

if TYPE_CHECKING:
    from rankandfile.counting.quotas import SeatConstraint

__all__ = [
    "OMEGA",
    "PLACES",
    "SCALE",
    "MeekAction",
    "MeekTrace",
    "TieBreak",
    "count_meek",
    "meek_trace",
    "to_decimal",
]

PLACES: Final[int] = 9
SCALE: Final[int] = 10**9
"""One vote in fixed-point units."""
OMEGA: Final[int] = SCALE // 10**6
"""Iteration limit 0.000001 in fixed-point units."""
METHOD = "meek-prf"

TieBreak = Literal["backwards", "forwards", "lot", "order"]

I64 = npt.NDArray[np.int64]


def to_decimal(v: int) -> Decimal:
    """A fixed-point integer as an exact 9-place :class:`Decimal`."""
    return Decimal(v).scaleb(-PLACES)


@dataclass(frozen=True)
class MeekAction:
    """One reported action with every value of a Droop dump line (fixed-point ints).

    ``votes_total`` is the sum of all candidates' votes at that moment; ``surplus`` is the
    rule's current total surplus *s* (for an ``elect`` inside an iteration this is still the
    previous iteration's *s*, as the reference reports it); ``residual`` the non-transferable
    value of the last distribution.
    """

    round: int
    action: str  # begin, elect, tie, defeat, end
    subjects: tuple[int, ...]
    quota: int
    votes_total: int
    surplus: int
    residual: int
    votes: tuple[int, ...]
    keep_factors: tuple[int, ...]
    states: tuple[State, ...]
    message: str


@dataclass(frozen=True)
class MeekTrace:
    """The full record of a Meek count: reported actions and the result built from them."""

    actions: tuple[MeekAction, ...]
    result: RankedResult
    iterations: int


class _Distributor:
    """Vectorised B.2.a over grouped ballots."""

    def __init__(self, ballots: RankedBallots) -> None:
        ranks = np.asarray(ballots.rankings, dtype=np.int64)
        self.n = ballots.n_candidates
        self.ranks = ranks
        self.weights = np.asarray(ballots.weights, dtype=np.int64)
        self.total = int(self.weights.sum()) * SCALE
        flat = ranks.ravel()
        order = np.argsort(flat, kind="stable")
        sorted_c = flat[order]
        first = int(np.searchsorted(sorted_c, 0))
        self.order = order[first:]
        sorted_c = sorted_c[first:]
        starts = np.searchsorted(sorted_c, np.arange(self.n))
        ends = np.searchsorted(sorted_c, np.arange(self.n), side="right")
        self.present = np.nonzero(ends > starts)[0]
        self.starts = starts[self.present]

    def distribute(self, kf: Sequence[int]) -> tuple[list[int], int]:
        """Return each candidate's vote and the residual for keep factors ``kf``."""
        kf_ext = np.zeros(self.n + 1, dtype=np.int64)
        kf_ext[: self.n] = np.asarray(kf, dtype=np.int64)
        kfm = kf_ext[self.ranks]  # padding (PAD == -1) picks the trailing 0
        g, width = self.ranks.shape
        keeps = np.zeros((g, width), dtype=np.int64)
        w = np.full(g, SCALE, dtype=np.int64)
        rows = np.arange(g)
        for j in range(width):
            if rows.size == 0:
                break
            k = kfm[rows, j]
            ww = w[rows]
            keep = -((-(ww * k)) // SCALE)  # rounded up; w * kf <= 10**18 fits in int64
            keeps[rows, j] = keep
            ww = ww - keep
            w[rows] = ww
            rows = rows[ww > 0]
        contrib = (keeps * self.weights[:, None]).ravel()[self.order]
        votes = np.zeros(self.n, dtype=np.int64)
        if contrib.size:
            votes[self.present] = np.add.reduceat(contrib, self.starts)
        out = [int(v) for v in votes]
        return out, self.total - sum(out)


def _first_preferences(ballots: RankedBallots, active: Sequence[bool]) -> list[int]:
    """Votes by first *active* preference (withdrawn candidates skipped), fixed-point."""
    ranks = np.asarray(ballots.rankings, dtype=np.int64)
    ok = np.zeros(ballots.n_candidates + 1, dtype=bool)
    ok[: ballots.n_candidates] = np.asarray(active, dtype=bool)
    mask = ok[ranks]
    has = mask.any(axis=1)
    pos = np.argmax(mask, axis=1)
    top = ranks[np.arange(ranks.shape[0]), pos][has]
    w = np.asarray(ballots.weights, dtype=np.int64)[has]
    votes = [0] * ballots.n_candidates
    for c, wt in zip(top.tolist(), w.tolist(), strict=True):
        votes[c] += wt * SCALE
    return votes


class _MeekCount:
    def __init__(
        self,
        ballots: RankedBallots,
        seats: int,
        tiebreak: str,
        seed: int | None,
        lot_order: Sequence[int] | None,
        constraint: SeatConstraint | None,
    ) -> None:
        n = ballots.n_candidates
        eligible = n - len(ballots.withdrawn)
        if seats < 1 or seats > eligible:
            raise TooManySeatsError(
                f"{seats} seats cannot be filled from {eligible} candidates standing"
            )
        self.ballots = ballots
        self.n = n
        self.seats = seats
        if tiebreak == "order":  # PRF rule T: a fixed order, by default the ballot file's
            tiebreak, lot_order = "lot", list(lot_order if lot_order is not None else range(n))
        self.tb = TieBreaker(tiebreak, seed=seed, lot_order=lot_order, n_candidates=n)
        self.constraint = constraint
        self.dist = _Distributor(ballots)
        self.nballots = ballots.total * SCALE
        self.state = [
            State.WITHDRAWN if i in ballots.withdrawn else State.HOPEFUL for i in range(n)
        ]
        self.kf = [0 if i in ballots.withdrawn else SCALE for i in range(n)]
        self.deemed: set[int] = set()
        self.votes = [0] * n
        self.quota = 0
        self.surplus = 0
        self.residual = 0
        self.round = 0
        self.actions: list[MeekAction] = []
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.history: list[list[int]] = []
        self.iterations = 0

    # ------------------------------------------------------------------ helpers
    def hopeful(self) -> list[int]:
        return [i for i in range(self.n) if self.state[i] is State.HOPEFUL]

    def seats_left(self) -> int:
        return self.seats - len(self.elected)

    def log(self, action: str, subjects: tuple[int, ...], message: str) -> None:
        self.actions.append(
            MeekAction(
                round=self.round,
                action=action,
                subjects=subjects,
                quota=self.quota,
                votes_total=sum(self.votes),
                surplus=self.surplus,
                residual=self.residual,
                votes=tuple(self.votes),
                keep_factors=tuple(self.kf),
                states=tuple(self.state),
                message=message,
            )
        )

    def elect(self, c: int, message: str) -> None:
        self.state[c] = State.ELECTED
        self.elected.append(c)
        self.log("elect", (c,), message)

    def defeat(self, c: int, message: str) -> None:
        self.state[c] = State.EXCLUDED
        self.excluded.append(c)
        self.log("defeat", (c,), message)
        self.kf[c] = 0
        self.votes[c] = 0

    def name(self, c: int) -> str:
        return self.ballots.candidates[c].name

    def compute_surplus(self) -> int:
        s = 0
        for c in self.elected:
            d = self.votes[c] - self.quota
            s += max(d, 0) if c in self.deemed else d
        return max(s, 0)

    def apply_constraint(self) -> None:
        """Exclude by quota / deem elected until the constraint is satisfied (fixpoint)."""
        con = self.constraint
        if con is None:
            return
        while self.seats_left() > 0:
            hopeful = frozenset(self.hopeful())
            elected = frozenset(self.elected)
            deem = con.must_elect(hopeful, elected, self.seats_left()) & hopeful
            if deem:
                for c in sorted(deem):
                    self.deemed.add(c)
                    self.elect(c, f"Deemed elected by quota: {self.name(c)}")
                continue
            out = con.must_exclude(hopeful, elected, self.seats_left()) & hopeful
            if out:
                for c in sorted(out):
                    self.defeat(c, f"Excluded by quota: {self.name(c)}")
                continue
            break

    # ------------------------------------------------------------------ rule
    def iterate(self) -> str:
        """B.2: returns 'elected', 'omega' or 'stable'."""
        status = "iterate"
        last_surplus = self.nballots
        while True:
            self.iterations += 1
            dist_votes, self.residual = self.dist.distribute(self.kf)
            for c in range(self.n):
                if self.state[c] in (State.HOPEFUL, State.ELECTED):
                    self.votes[c] = dist_votes[c]
            total = sum(self.votes[c] for c in range(self.n) if self.state[c] is not State.EXCLUDED)
            self.quota = total // (self.seats + 1) + 1
            winners = [c for c in self.hopeful() if self.votes[c] >= self.quota]
            if winners:
                status = "elected"
                self.elect_winners(winners)
            self.surplus = self.compute_surplus()
            if status != "elected":
                if self.surplus < OMEGA:
                    status = "omega"
                elif self.surplus >= last_surplus:
                    status = "stable"
            if status != "iterate":
                return status
            last_surplus = self.surplus
            for c in self.elected:
                v = self.votes[c]
                if v <= 0:
                    continue
                kq = -((-self.kf[c] * self.quota) // SCALE)  # kf * q rounded up
                kf = -((-kq * SCALE) // v)  # / v rounded up
                self.kf[c] = min(kf, SCALE)

    def elect_winners(self, winners: list[int]) -> None:
        """B.2.c, with the constraint's veto and a guard against over-filling."""
        ranked = sorted(winners, key=lambda c: (-self.votes[c], c))
        con = self.constraint
        accept: list[int] = []
        refuse: list[int] = []
        elected = list(self.elected)
        for c in ranked:
            left = self.seats - len(elected)
            if left <= 0:
                break
            if con is not None and not con.may_elect(c, frozenset(elected), left):
                refuse.append(c)
                continue
            accept.append(c)
            elected.append(c)
        if refuse:
            for c in accept:
                self.elect(c, f"Elect: {self.name(c)}")
            for c in refuse:
                self.defeat(c, f"Excluded by quota: {self.name(c)}")
        else:
            for c in sorted(accept):
                self.elect(c, f"Elect: {self.name(c)}")

    def defeat_low(self, status: str) -> None:
        """B.3 (protected candidates are never defeated as lowest)."""
        hopeful = self.hopeful()
        if not hopeful:
            return
        spared = ""
        if self.constraint is not None:
            prot = self.constraint.protected(
                frozenset(hopeful), frozenset(self.elected), self.seats_left()
            )
            low_all = min(self.votes[c] for c in hopeful)
            saved = [c for c in hopeful if c in prot and self.votes[c] <= low_all + self.surplus]
            if saved:
                spared = " (protected by quota: " + ", ".join(self.name(c) for c in saved) + ")"
            hopeful = [c for c in hopeful if c not in prot] or hopeful
        low = min(self.votes[c] for c in hopeful)
        tied = [c for c in hopeful if self.votes[c] <= low + self.surplus]
        # Earlier rounds only: the current votes of the tied differ by less than the surplus.
        chosen = self.tb.choose(
            tied, self.history[:-1], stage=len(self.actions) + 1, purpose="exclude", lowest=True
        )
        if len(tied) > 1:
            names = ", ".join(self.name(c) for c in tied)
            self.log(
                "tie",
                tuple(tied),
                f"Break tie (defeat low candidate): [{names}] -> {self.name(chosen)}",
            )
        s = to_decimal(self.surplus)
        why = f"surplus {s} < omega" if status == "omega" else f"stable surplus {s}"
        self.defeat(chosen, f"Defeat ({why}): {self.name(chosen)}{spared}")

    def run(self) -> None:
        active = [s is State.HOPEFUL for s in self.state]
        self.votes = _first_preferences(self.ballots, active)
        self.quota = self.nballots // (self.seats + 1) + 1
        self.log("begin", (), "Begin Count")
        self.history.append(list(self.votes))
        self.apply_constraint()
        while len(self.hopeful()) > self.seats_left() > 0:
            self.round += 1
            status = self.iterate()
            self.history.append(list(self.votes))
            if status != "elected":
                self.defeat_low(status)
            self.apply_constraint()
        for c in self.hopeful():
            if len(self.elected) < self.seats:
                self.elect(c, f"Elect remaining: {self.name(c)}")
            else:
                self.defeat(c, f"Defeat remaining: {self.name(c)}")
        won = sum(self.votes[c] for c in self.elected)
        self.residual = self.nballots - won
        self.log("end", (), "Count Complete")

    # ------------------------------------------------------------------ output
    def result(self) -> RankedResult:
        stages: list[Stage] = []
        ties: list[Tie] = []
        index_of: dict[int, int] = {}
        for k, a in enumerate(self.actions):
            if a.action == "tie":
                continue
            index_of[k] = len(stages)
            stages.append(
                Stage(
                    number=len(stages),
                    action={"begin": "first", "defeat": "exclude"}.get(a.action, a.action),
                    subjects=a.subjects,
                    votes=tuple(to_decimal(v) for v in a.votes),
                    states=a.states,
                    non_transferable=to_decimal(a.residual),
                    quota=to_decimal(a.quota),
                    note=f"Round {a.round}: {a.message}; surplus {to_decimal(a.surplus)}",
                    residual=to_decimal(self.nballots - a.votes_total - a.residual),
                )
            )
        for t in self.tb.ties:
            # ``t.stage`` is the index of the defeat action the tie decided
            ties.append(
                Tie(
                    stage=index_of[t.stage],
                    purpose=t.purpose,
                    tied=t.tied,
                    chosen=t.chosen,
                    how=t.how,
                )
            )
        notes = [
            "PR Foundation Reference Meek Rule (Hill, Wichmann & Woodall, Algorithm 123): "
            "fixed-point 9 places, omega 0.000001",
            f"{self.iterations} iterations over {self.round} rounds",
        ]
        if self.deemed:
            notes.append(
                "deemed elected by quota: "
                + ", ".join(self.name(c) for c in self.elected if c in self.deemed)
            )
        return RankedResult(
            method=METHOD,
            seats=self.seats,
            candidates=self.ballots.candidates,
            elected=tuple(self.elected),
            stages=tuple(stages),
            total_votes=to_decimal(self.nballots),
            quota=to_decimal(self.quota),
            ties=tuple(ties),
            excluded=tuple(self.excluded),
            seed=self.tb.seed,
            notes=tuple(notes),
        )


def meek_trace(
    ballots: RankedBallots,
    seats: int,
    *,
    tiebreak: TieBreak | str = "backwards",
    seed: int | None = None,
    lot_order: Sequence[int] | None = None,
    constraint: SeatConstraint | None = None,
) -> MeekTrace:
    """Count by Meek STV (PRF reference rule) and return every reported action.

    ``lot_order`` (candidate indices, first chosen first) replaces drawing lots; with
    ``tiebreak="order"`` it is the PRF fixed order, by default the ballot-file order.
    ``constraint`` is a group-quota hook (see :mod:`rankandfile.counting.quotas`).
    """
    count = _MeekCount(ballots, seats, tiebreak, seed, lot_order, constraint)
    count.run()
    return MeekTrace(
        actions=tuple(count.actions), result=count.result(), iterations=count.iterations
    )


def count_meek(
    ballots: RankedBallots,
    seats: int,
    *,
    tiebreak: TieBreak | str = "backwards",
    seed: int | None = None,
    lot_order: Sequence[int] | None = None,
    constraint: SeatConstraint | None = None,
) -> RankedResult:
    """Count ``ballots`` for ``seats`` by Meek STV (Hill, Wichmann & Woodall, Algorithm 123,
    in the PR Foundation reference form: 9-place fixed point, omega 10^-6).

    Votes in the result are exact 9-place :class:`~decimal.Decimal` values. See the module
    docstring for the rule and the tie-breaking options.
    """
    return meek_trace(
        ballots, seats, tiebreak=tiebreak, seed=seed, lot_order=lot_order, constraint=constraint
    ).result
