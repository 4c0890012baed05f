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
stage's note), so at every stage ``sum(votes) + non_transferable + residual == ballots``.

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
from decimal import Decimal

import numpy as np

from rankandfile.counting.av import BoolArray, first_continuing, sum_by_candidate
from rankandfile.counting.ballots import IntArray, RankArray, RankedBallots
from rankandfile.counting.errors import TooManySeatsError
from rankandfile.counting.result import RankedResult, Stage, State
from rankandfile.counting.tiebreak import TieBreaker

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
) -> RankedResult:
    """Count ``ballots`` for ``seats`` seats under Scottish STV (SSI 2007/42 Sch. 1 r. 45-52).

    ``tiebreak`` defaults to the statutory ``"backwards"`` rule (rules 49(2), 51(2)(a));
    ``"forwards"`` and ``"lot"`` are available for other rule books. Lots (rules 49(3),
    51(2)(b)) use ``seed`` or a predetermined ``lot_order`` (see
    :mod:`~rankandfile.counting.tiebreak`). Withdrawn candidates are skipped on every
    ballot. Raises :class:`TooManySeatsError` if ``seats < 1`` or there are fewer
    candidates standing than seats.
    """
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
    tb = TieBreaker(tiebreak, seed=seed, lot_order=lot_order, n_candidates=n)

    rankings = ballots.rankings
    mult = ballots.weights.astype(np.int64)
    total_ballots = int(mult.sum())
    quota_whole = scottish_quota(total_ballots, seats)
    quota = quota_whole * SCALE

    state = [State.HOPEFUL] * n
    for w in ballots.withdrawn:
        state[w] = State.WITHDRAWN
    cont = np.zeros(n + 1, dtype=bool)
    for c in standing:
        cont[c + 1] = True

    # Per group: current candidate (or -1 when non-transferable) and per-ballot value.
    cur = first_continuing(rankings, cont)
    value = np.full(rankings.shape[0], SCALE, dtype=np.int64)
    votes = sum_by_candidate(cur, value * mult, n)
    nt = total_ballots * SCALE - int(votes.sum())

    elected: list[int] = []
    pending: list[int] = []  # elected, surplus not yet transferred (rules 48-49)
    excluded: list[int] = []
    history: list[IntArray] = []
    stages: list[Stage] = []

    def n_hopeful() -> int:
        return sum(1 for s in state if s is State.HOPEFUL)

    def elect_quota_holders() -> list[int]:
        """Rule 47: every hopeful candidate at or above the quota is deemed elected."""
        new = [c for c in range(n) if state[c] is State.HOPEFUL and votes[c] >= quota]
        new.sort(key=lambda c: (-int(votes[c]), c))
        for c in new:
            state[c] = State.ELECTED
            cont[c + 1] = False
            elected.append(c)
            pending.append(c)
        return new

    def complete() -> bool:
        left = seats - len(elected)
        return left <= 0 or n_hopeful() <= left

    def record(number: int, action: str, subjects: tuple[int, ...],
               before: IntArray | None, note: str) -> None:
        residual = total_ballots * SCALE - int(votes.sum()) - nt
        text = f"residual {to_decimal(residual)}"
        stages.append(Stage(
            number=number,
            action=action,
            subjects=subjects,
            votes=tuple(to_decimal(int(v)) for v in votes),
            states=tuple(state),
            non_transferable=to_decimal(nt),
            quota=to_decimal(quota),
            transfers=None if before is None
            else tuple(to_decimal(int(v)) for v in votes - before),
            note=f"{note}; {text}" if note else text,
        ))

    # ---- Stage 1: first preferences (rule 45), then rule 47.
    new = elect_quota_holders()
    history.append(votes.copy())
    done = complete()
    record(1, "first", tuple(new), None, _elected_note(ballots, new))
    stage_no = 1

    while not done:
        stage_no += 1
        before = votes.copy()
        if pending:
            # Rules 48-49: the largest surplus first (all pending have the quota or more).
            top = max(int(votes[c]) for c in pending)
            tied = [c for c in pending if votes[c] == top]
            c = tb.choose(tied, history, stage=stage_no, purpose="surplus", lowest=False)
            pending.remove(c)
            surplus = int(votes[c]) - quota
            rows = np.flatnonzero(cur == c)
            if rows.size:
                # Rule 48(3): value when received x surplus / total, 5 places, truncated.
                value[rows] = value[rows] * surplus // int(votes[c])
                nt_delta = _move(rows, rankings, cont, cur, value, mult, votes, n)
            else:
                nt_delta = 0
            nt += nt_delta
            votes[c] = quota
            action, subjects = "surplus", (c,)
            note = (f"surplus of {ballots.candidates[c].name} ({to_decimal(surplus)}) "
                    "transferred")
        else:
            # Rules 50-51: exclude the lowest continuing candidate.
            hopeful = [c for c in range(n) if state[c] is State.HOPEFUL]
            low = min(int(votes[c]) for c in hopeful)
            tied = [c for c in hopeful if votes[c] == low]
            c = tb.choose(tied, history, stage=stage_no, purpose="exclude", lowest=True)
            state[c] = State.EXCLUDED
            cont[c + 1] = False
            excluded.append(c)
            rows = np.flatnonzero(cur == c)
            nt += _move(rows, rankings, cont, cur, value, mult, votes, n) if rows.size else 0
            votes[c] = 0
            action, subjects = "exclude", (c,)
            note = f"{ballots.candidates[c].name} excluded"
            if complete():
                # Droop checks for completion straight after an exclusion (rule 52), before
                # rule 47; candidates at the quota are then elected by rule 52 below.
                history.append(votes.copy())
                _finish(state, elected, pending, seats, votes)
                record(stage_no, action, subjects, before, note)
                break
        new = elect_quota_holders()
        history.append(votes.copy())
        done = complete()
        extra = _elected_note(ballots, new)
        record(stage_no, action, subjects, before, f"{note}; {extra}" if extra else note)
    else:
        _finish(state, elected, pending, seats, votes)
        last = stages[-1]
        stages[-1] = Stage(
            number=last.number, action=last.action, subjects=last.subjects, votes=last.votes,
            states=tuple(state), non_transferable=last.non_transferable, quota=last.quota,
            transfers=last.transfers, note=last.note,
        )

    return RankedResult(
        method="scottish-stv",
        seats=seats,
        candidates=ballots.candidates,
        elected=tuple(elected),
        stages=tuple(stages),
        total_votes=to_decimal(total_ballots * SCALE),
        quota=to_decimal(quota),
        ties=tuple(tb.ties),
        excluded=tuple(excluded),
        seed=tb.seed,
        notes=(f"quota {quota_whole} = floor({total_ballots} / {seats + 1}) + 1 (rule 46)",),
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


def _finish(state: list[State], elected: list[int], pending: list[int], seats: int,
            votes: IntArray) -> None:
    """End of count: rule 52 (fill the last vacancies), then mark the rest not elected."""
    pending.clear()
    hopeful = [c for c in range(len(state)) if state[c] is State.HOPEFUL]
    left = seats - len(elected)
    if 0 < left and len(hopeful) <= left:
        hopeful.sort(key=lambda c: (-int(votes[c]), c))
        for c in hopeful:
            state[c] = State.ELECTED
            elected.append(c)
        return
    for c in hopeful:
        state[c] = State.EXCLUDED


def _elected_note(ballots: RankedBallots, new: list[int]) -> str:
    if not new:
        return ""
    return "elected: " + ", ".join(ballots.candidates[c].name for c in new)
