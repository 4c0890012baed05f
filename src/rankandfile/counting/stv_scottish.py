"""Scottish STV: The Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1.

The count follows rules 45 to 52 of Schedule 1 (the brief's "rules 46-52"):

* Rule 45 (first stage): each valid ballot counts one vote for its first preference.
* Rule 46 (quota): ``quota = floor(valid ballots / (seats + 1)) + 1``, fixed for the count.
* Rule 47: a candidate whose votes equal or exceed the quota is deemed elected, at the end
  of the stage in which that happens; an elected candidate receives no further ballots.
* Rules 48 and 49 (surplus): while seats remain, the surplus of the elected candidate with
  the highest surplus is transferred, one surplus per stage. *Every* ballot the candidate
  holds is passed to its next available (continuing) preference, each at the transfer
  value ``value when received x surplus / candidate's total``, calculated to five decimal
  places with any remainder ignored (rule 48(3)) -- the Weighted Inclusive Gregory method.
  Ballots with no further preference form the non-transferable parcel (rule 48(1)(b)).
  The candidate is left with exactly the quota. Equal surpluses: the candidate with more
  votes at the most recent preceding stage where they differed goes first (rule 49(2)),
  otherwise by lot (rule 49(3)).
* Rule 50 (exclusion): when no surplus remains to transfer, the continuing candidate with
  the fewest votes is excluded and all of their ballots pass to their next available
  preference at the value at which they were received (rule 50(4)). Equal lowest: the one
  with fewer votes at the most recent preceding stage where they differed is excluded
  (rule 51(2)(a)), otherwise by lot (rule 51(2)(b)).
* Rule 52: when the continuing candidates are no more than the vacancies left, they are
  all deemed elected and no further transfer is made.

Arithmetic is exact: every value is an integer number of hundred-thousandths of a vote
(``int64`` scaled by 10**5), so a transfer value is ``value * surplus // total`` in scaled
integers, which is precisely "five decimal places, remainder ignored". Values in the
result are :class:`~decimal.Decimal` with five places. Because each ballot's transfer
value is truncated, a surplus transfer passes on slightly less than the surplus; the lost
fraction is not counted as non-transferable (it is the *residual*, reported in each
stage's ``residual`` field), so at every stage
``sum(votes) + non_transferable + residual == ballots``.

Stage structure mirrors the reference program Droop (v0.11, rule ``scotland``), whose
dumps this module reproduces value for value: stage 1 is the first preferences; every later
stage transfers one surplus or excludes one candidate. Like Droop, a candidate elected with
*exactly* the quota (surplus zero) still has a stage in which the nil surplus is "transferred"
(nothing changes), so stage numbers align with Droop's rounds. The count ends as soon as all
seats are filled or rule 52 applies; remaining candidates are then marked as not elected
(``State.EXCLUDED``) in the last stage, without being added to ``RankedResult.excluded``.

The count is vectorised over grouped ballots (identical ballots always carry identical
values): for each group the candidate it currently counts for and its current per-ballot
value are NumPy arrays, and each stage touches only the groups of the candidate being
transferred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from rankandfile.counting.av import BoolArray, first_continuing, sum_by_candidate
from rankandfile.counting.ballots import IntArray, RankArray, RankedBallots
from rankandfile.counting.errors import TooManySeatsError
from rankandfile.counting.result import RankedResult, Stage, State
from rankandfile.counting.tiebreak import TieBreaker

if TYPE_CHECKING:
    from rankandfile.counting.quotas import SeatConstraint

PLACES = 5
SCALE = 10**PLACES

__all__ = ["PLACES", "SCALE", "count_scottish_stv", "scottish_quota"]


def scottish_quota(valid_ballots: int, seats: int) -> int:
    """Rule 46: ``floor(valid / (seats + 1)) + 1`` (whole votes)."""
    return valid_ballots // (seats + 1) + 1


def to_decimal(scaled: int) -> Decimal:
    """A scaled integer (hundred-thousandths) as a Decimal with exactly five places."""
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(int(scaled)), SCALE)
    return Decimal(f"{sign}{whole}.{frac:0{PLACES}d}")


def count_scottish_stv(
    ballots: RankedBallots,
    seats: int,
    *,
    tiebreak: str = "backwards",
    seed: int | None = None,
    lot_order: Sequence[int] | None = None,
    constraint: SeatConstraint | None = None,
) -> RankedResult:
    """Count ``ballots`` for ``seats`` seats under Scottish STV (SSI 2007/42 Sch. 1 r. 45-52).

    ``tiebreak`` defaults to the statutory ``"backwards"`` rule (rules 49(2), 51(2)(a));
    ``"forwards"`` and ``"lot"`` are available for other rule books. Lots (rules 49(3),
    51(2)(b)) use ``seed`` or a predetermined ``lot_order`` (see
    :mod:`~rankandfile.counting.tiebreak`). Withdrawn candidates are skipped on every
    ballot. Raises :class:`TooManySeatsError` if ``seats < 1`` or there are fewer
    candidates standing than seats.

    ``constraint`` is an optional seat constraint (a group quota, see
    :mod:`rankandfile.counting.quotas`): at the start of every stage the candidates it
    requires are deemed elected or excluded "by quota" (one stage each time), a candidate
    reaching the quota is elected only if the constraint allows it (otherwise she stays
    hopeful and is excluded by quota at the next stage), and candidates it protects are
    never excluded as the lowest. Without a constraint the count is the statutory one.
    """
    count = _ScottishCount(ballots, seats, tiebreak, seed, lot_order, constraint)
    count.run()
    return count.result()


class _ScottishCount:
    """One count, stage by stage (the shape of ``meek._MeekCount``): :meth:`run` does the
    first stage, then one stage at a time — a quota hook stage, a surplus transfer or an
    exclusion — until the seats are filled or rule 52 applies; :meth:`result` reports it."""

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
        standing = [c for c in range(n) if c not in ballots.withdrawn]
        if isinstance(seats, bool) or not isinstance(seats, int):
            raise TooManySeatsError(f"the number of seats must be a whole number, not {seats!r}")
        if seats < 1:
            raise TooManySeatsError(f"there must be at least one seat to fill, not {seats}")
        if seats > len(standing):
            raise TooManySeatsError(
                f"{seats} seats to fill but only {len(standing)} candidates standing"
            )
        self.ballots = ballots
        self.n = n
        self.seats = seats
        self.constraint = constraint
        self.tb = TieBreaker(tiebreak, seed=seed, lot_order=lot_order, n_candidates=n)
        self.names = ballots.names
        self.rankings = ballots.rankings
        self.mult = ballots.weights.astype(np.int64)
        self.total_ballots = int(self.mult.sum())
        self.quota_whole = scottish_quota(self.total_ballots, seats)
        self.quota = self.quota_whole * SCALE

        self.state = [State.HOPEFUL] * n
        for w in ballots.withdrawn:
            self.state[w] = State.WITHDRAWN
        self.cont = np.zeros(n + 1, dtype=bool)
        for c in standing:
            self.cont[c + 1] = True

        # Per group: current candidate (or -1 when non-transferable) and per-ballot value.
        self.cur = first_continuing(self.rankings, self.cont)
        self.value = np.full(self.rankings.shape[0], SCALE, dtype=np.int64)
        self.votes = sum_by_candidate(self.cur, self.value * self.mult, n)
        self.nt = self.total_ballots * SCALE - int(self.votes.sum())

        self.elected: list[int] = []
        self.pending: list[int] = []  # elected, surplus not yet transferred (rules 48-49)
        self.excluded: list[int] = []
        self.history: list[IntArray] = []
        self.stages: list[Stage] = []
        self.quota_notes: list[str] = []
        self.stage_no = 1

    # ------------------------------------------------------------------ helpers
    def hopefuls(self) -> list[int]:
        return [c for c in range(self.n) if self.state[c] is State.HOPEFUL]

    def seats_left(self) -> int:
        return self.seats - len(self.elected)

    def complete(self) -> bool:
        left = self.seats_left()
        return left <= 0 or len(self.hopefuls()) <= left

    def move(self, rows: IntArray) -> None:
        """Pass the ballot groups ``rows`` on at their current value (see :func:`_move`)."""
        self.nt += _move(
            rows, self.rankings, self.cont, self.cur, self.value, self.mult, self.votes, self.n
        )

    def elect_quota_holders(self) -> list[int]:
        """Rule 47: every hopeful candidate at or above the quota is deemed elected.

        With a constraint, ``may_elect`` can refuse a seat: the refused candidate stays
        hopeful and is excluded by quota at the start of the next stage (``must_exclude``
        then always includes her)."""
        votes = self.votes
        new = [
            c for c in range(self.n) if self.state[c] is State.HOPEFUL and votes[c] >= self.quota
        ]
        new.sort(key=lambda c: (-int(votes[c]), c))
        out: list[int] = []
        for c in new:
            if self.constraint is not None and not self.constraint.may_elect(
                c, frozenset(self.elected), self.seats_left()
            ):
                continue
            self.state[c] = State.ELECTED
            self.cont[c + 1] = False
            self.elected.append(c)
            self.pending.append(c)
            out.append(c)
        return out

    def exclude(self, cands: Sequence[int]) -> None:
        """Rule 50: exclude ``cands``; their ballots pass on at the value received."""
        for c in cands:
            self.state[c] = State.EXCLUDED
            self.cont[c + 1] = False
            self.excluded.append(c)
        if len(cands) == 1:
            rows = np.flatnonzero(self.cur == cands[0])
        else:
            rows = np.flatnonzero(np.isin(self.cur, np.asarray(cands, dtype=np.int64)))
        if rows.size:
            self.move(rows)
        for c in cands:
            self.votes[c] = 0

    def record(
        self, action: str, subjects: tuple[int, ...], before: IntArray | None, note: str
    ) -> None:
        """The stage just counted, as the result reports it."""
        votes = self.votes
        self.stages.append(
            Stage(
                number=self.stage_no,
                action=action,
                subjects=subjects,
                votes=tuple(to_decimal(int(v)) for v in votes),
                states=tuple(self.state),
                non_transferable=to_decimal(self.nt),
                quota=to_decimal(self.quota),
                transfers=None
                if before is None
                else tuple(to_decimal(int(v)) for v in votes - before),
                note=note,
                residual=to_decimal(self.total_ballots * SCALE - int(votes.sum()) - self.nt),
            )
        )

    def end_stage(
        self, action: str, subjects: tuple[int, ...], before: IntArray, note: str
    ) -> bool:
        """Record an exclusion or election stage; return whether the count is over."""
        if self.complete():
            # Droop checks for completion straight after an exclusion (rule 52), before
            # rule 47; candidates at the quota are then elected by rule 52 below.
            self.history.append(self.votes.copy())
            filled = _finish(self.state, self.elected, self.pending, self.seats, self.votes)
            self.record(action, subjects, before, note + _rule52_note(self.names, filled))
            return True
        extra = _elected_note(self.names, self.elect_quota_holders())
        self.history.append(self.votes.copy())
        self.record(action, subjects, before, f"{note}; {extra}" if extra else note)
        return False

    # ------------------------------------------------------------------ stages
    def first_stage(self) -> None:
        """Stage 1: first preferences (rule 45), then rule 47."""
        new = self.elect_quota_holders()
        self.history.append(self.votes.copy())
        self.record("first", tuple(new), None, _elected_note(self.names, new))

    def quota_stage(self) -> bool | None:
        """The seat constraint's hook at the start of a stage: deemed elections, else
        exclusions, in a stage of their own. ``None`` when it has nothing to do; else
        whether the count is over."""
        constraint = self.constraint
        if constraint is None or self.seats_left() <= 0:
            return None
        hop, el = frozenset(self.hopefuls()), frozenset(self.elected)
        deem = sorted(constraint.must_elect(hop, el, self.seats_left()) & hop)
        out = [] if deem else sorted(constraint.must_exclude(hop, el, self.seats_left()) & hop)
        if not (deem or out):
            return None
        self.stage_no += 1
        before = self.votes.copy()
        if deem:
            for c in deem:
                self.state[c] = State.ELECTED
                self.cont[c + 1] = False
                self.elected.append(c)
            action, subjects = "elect", tuple(deem)
            note = "deemed elected by quota: " + ", ".join(self.names[c] for c in deem)
        else:
            self.exclude(out)
            action, subjects = "exclude", tuple(out)
            note = "excluded by quota: " + ", ".join(self.names[c] for c in out)
        self.quota_notes.append(note)
        return self.end_stage(action, subjects, before, note)

    def close_complete(self) -> None:
        """Rule 52 at the start of a stage: fill the last vacancies in the last stage."""
        filled = _finish(self.state, self.elected, self.pending, self.seats, self.votes)
        last = self.stages[-1]
        extra = _rule52_note(self.names, filled)
        note = f"{last.note}{extra}" if last.note else extra.removeprefix("; ")
        self.stages[-1] = replace(last, states=tuple(self.state), note=note)

    def transfer_surplus(self) -> None:
        """Rules 48-49: the largest surplus first (all pending have the quota or more)."""
        votes = self.votes
        before = votes.copy()
        top = max(int(votes[c]) for c in self.pending)
        tied = [c for c in self.pending if votes[c] == top]
        c = self.tb.choose(tied, self.history, stage=self.stage_no, purpose="surplus", lowest=False)
        self.pending.remove(c)
        surplus = int(votes[c]) - self.quota
        rows = np.flatnonzero(self.cur == c)
        if rows.size:
            # Rule 48(3): value when received x surplus / total, 5 places, truncated.
            self.value[rows] = self.value[rows] * surplus // int(votes[c])
            self.move(rows)
        votes[c] = self.quota
        note = f"surplus of {self.names[c]} ({to_decimal(surplus)}) transferred"
        extra = _elected_note(self.names, self.elect_quota_holders())
        self.history.append(votes.copy())
        self.record("surplus", (c,), before, f"{note}; {extra}" if extra else note)

    def exclude_lowest(self) -> bool:
        """Rules 50-51: exclude the lowest continuing candidate; whether the count is over."""
        votes = self.votes
        before = votes.copy()
        candidates = self.hopefuls()
        spared = ""
        if self.constraint is not None:
            # Quota hook: a protected candidate is never excluded as the lowest.
            prot = self.constraint.protected(
                frozenset(candidates), frozenset(self.elected), self.seats_left()
            )
            low_all = min(int(votes[c]) for c in candidates)
            saved = [c for c in candidates if c in prot and votes[c] == low_all]
            if saved:
                spared = " (protected by quota: " + ", ".join(self.names[c] for c in saved) + ")"
                self.quota_notes.append(spared.strip(" ()"))
            candidates = [c for c in candidates if c not in prot] or candidates
        low = min(int(votes[c]) for c in candidates)
        tied = [c for c in candidates if votes[c] == low]
        c = self.tb.choose(tied, self.history, stage=self.stage_no, purpose="exclude", lowest=True)
        self.exclude([c])
        return self.end_stage("exclude", (c,), before, f"{self.names[c]} excluded{spared}")

    def run(self) -> None:
        self.first_stage()
        while True:
            over = self.quota_stage()
            if over:
                return
            if over is False:
                continue
            if self.complete():
                self.close_complete()
                return
            self.stage_no += 1
            if self.pending:
                self.transfer_surplus()
            elif self.exclude_lowest():
                return

    # ------------------------------------------------------------------ output
    def result(self) -> RankedResult:
        return RankedResult(
            method="scottish-stv",
            seats=self.seats,
            candidates=self.ballots.candidates,
            elected=tuple(self.elected),
            stages=tuple(self.stages),
            total_votes=to_decimal(self.total_ballots * SCALE),
            quota=to_decimal(self.quota),
            ties=tuple(self.tb.ties),
            excluded=tuple(self.excluded),
            seed=self.tb.seed,
            notes=(
                f"quota {self.quota_whole} = floor({self.total_ballots} / {self.seats + 1}) "
                "+ 1 (rule 46)",
                *self.quota_notes,
            ),
        )


def _move(
    rows: IntArray,
    rankings: RankArray,
    cont: BoolArray,
    cur: IntArray,
    value: IntArray,
    mult: IntArray,
    votes: IntArray,
    n: int,
) -> int:
    """Pass the ballot groups ``rows`` to their next continuing preference at their current
    value; add to ``votes`` in place; return the value that became non-transferable."""
    new_cur = first_continuing(rankings[rows], cont)
    cur[rows] = new_cur
    amounts = value[rows] * mult[rows]
    gained = sum_by_candidate(new_cur, amounts, n)
    votes += gained
    return int(amounts.sum()) - int(gained.sum())


def _finish(
    state: list[State], elected: list[int], pending: list[int], seats: int, votes: IntArray
) -> list[int]:
    """End of count: rule 52 (fill the last vacancies), then mark the rest not elected."""
    pending.clear()
    hopeful = [c for c in range(len(state)) if state[c] is State.HOPEFUL]
    left = seats - len(elected)
    if left > 0 and len(hopeful) <= left:
        hopeful.sort(key=lambda c: (-int(votes[c]), c))
        for c in hopeful:
            state[c] = State.ELECTED
            elected.append(c)
        return hopeful
    for c in hopeful:
        state[c] = State.EXCLUDED
    return []


def _rule52_note(names: Sequence[str], filled: list[int]) -> str:
    if not filled:
        return ""
    return "; deemed elected (rule 52): " + ", ".join(names[c] for c in filled)


def _elected_note(names: Sequence[str], new: list[int]) -> str:
    if not new:
        return ""
    return "elected: " + ", ".join(names[c] for c in new)
