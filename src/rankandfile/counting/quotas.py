"""Group quotas ("at least K of the seats go to women") on multi-seat ranked counts.

A *group minimum* says that at least ``minimums[g]`` of the elected must have
``candidate.attributes[attribute] == g`` (e.g. ``attribute="gender"``,
``minimums={"woman": 2}``). Candidates without the attribute belong to no group. The
constrained count is the ordinary count (Scottish STV, Meek STV or sequential AV) with
three interventions, applied by a :class:`SeatConstraint` hook. Notation, at any moment:

* ``seats_left`` = seats still to fill;
* ``need[g]`` = ``max(0, minimums[g] - elected members of g)``; ``N`` = sum of ``need[g]``;
* a group is *needed* while ``need[g] > 0``.

The rule (invariant: ``N <= seats_left`` throughout):

1. **Excluded by quota.** A hopeful candidate whose election would make some group
   minimum unreachable is excluded instead of elected: that is a candidate outside every
   needed group when ``N >= seats_left`` (electing her would leave ``seats_left - 1 < N``
   seats for the groups that still need them). At the start of each stage (STV: before
   each transfer; Meek: before each round; AV: before each seat's race) all such hopefuls
   are excluded at once and their ballots pass on as in an ordinary exclusion; a
   candidate who reaches the quota at a moment when she may not be elected is excluded
   at that point instead of elected (if several reach the quota together they are
   considered in order of votes, highest first).
2. **Protected.** A hopeful of a needed group whose hopefuls number no more than the
   group's need (``hopeful[g] <= need[g]``) must all be elected, so she is never excluded
   as the lowest candidate: the lowest *unprotected* hopeful is excluded instead.
3. **Deemed elected.** When the remaining seats require it — every remaining seat is
   reserved for a needed group (``N == seats_left``) — the hopefuls of each needed group
   with ``hopeful[g] == need[g]`` are deemed elected without reaching the quota. They
   keep the votes they hold and have no surplus (Meek: keep factor stays 1).

At each check deemed elections (3) are made before exclusions (1), and both are repeated
until neither applies. Everything else is the unconstrained rule: candidates reaching the
quota are elected, surpluses are transferred, the lowest is excluded, and the last
vacancies are filled by the continuing candidates. If no intervention ever happens the
constrained count is identical, stage by stage, to the unconstrained one.

Feasibility is checked before the count (:class:`~rankandfile.counting.errors.QuotaError`):
minimums must be non-negative integers summing to at most the seats, and every group
must have at least its minimum of (non-withdrawn) candidates. Rules 1-3 then guarantee the
minimums are met.

Methods (``count_with_quota(method=...)``):

* ``"scottish-stv"``: :func:`rankandfile.counting.stv_scottish.count_scottish_stv` with
  the hook (The Scottish Local Government Elections Order 2007, Schedule 1, rules 45-52:
  Weighted Inclusive Gregory, Droop quota, transfer values truncated to 5 places). Each
  exclusion or deemed election by quota is a stage of its own.
* ``"meek"``: :func:`rankandfile.counting.meek.count_meek` with the hook.
* ``"av-multi"``: :func:`count_av_multi`, sequential (repeated) alternative vote, the
  "preferential block": each seat is an AV race among the hopefuls (majority of
  continuing votes, lowest excluded, ties backwards then lot); the winner is elected and
  removed and the next race starts from all remaining hopefuls.

Hook call points for another count (see :class:`SeatConstraint`): call ``must_elect``
then ``must_exclude`` until neither returns anyone, at the start of the count and after
every stage; ask ``may_elect`` for each candidate reaching the quota (highest first) and
exclude her if refused; remove ``protected`` hopefuls from the candidates for exclusion
as lowest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from rankandfile.counting.ballots import PAD, Candidate, RankedBallots
from rankandfile.counting.errors import CountingError, QuotaError, TooManySeatsError
from rankandfile.counting.meek import count_meek
from rankandfile.counting.result import RankedResult, Stage, State
from rankandfile.counting.stv_scottish import count_scottish_stv
from rankandfile.counting.tiebreak import TieBreaker

__all__ = [
    "GroupMinimums",
    "SeatConstraint",
    "count_av_multi",
    "count_with_quota",
]

Method = Literal["scottish-stv", "meek", "av-multi"]
I64 = npt.NDArray[np.int64]


class SeatConstraint(Protocol):
    """Hook a count calls to enforce a constraint on the elected set.

    Arguments are candidate indices; ``seats_left`` counts seats still to fill.
    """

    def must_exclude(
        self, hopeful: frozenset[int], elected: frozenset[int], seats_left: int
    ) -> frozenset[int]:
        """Hopefuls to exclude now ("excluded by quota")."""
        ...

    def must_elect(
        self, hopeful: frozenset[int], elected: frozenset[int], seats_left: int
    ) -> frozenset[int]:
        """Hopefuls to deem elected now."""
        ...

    def may_elect(self, candidate: int, elected: frozenset[int], seats_left: int) -> bool:
        """Whether ``candidate`` (who has reached the quota) may take a seat now."""
        ...

    def protected(
        self, hopeful: frozenset[int], elected: frozenset[int], seats_left: int
    ) -> frozenset[int]:
        """Hopefuls who must not be excluded as the lowest candidate."""
        ...


class GroupMinimums:
    """Minimum seats per group of a candidate attribute (see the module docstring)."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        seats: int,
        minimums: Mapping[str, int],
        *,
        attribute: str = "gender",
        withdrawn: frozenset[int] = frozenset(),
    ) -> None:
        self.attribute = attribute
        self.minimums = {g: m for g, m in minimums.items() if m}
        for g, m in minimums.items():
            if not isinstance(m, int) or isinstance(m, bool) or m < 0:
                raise QuotaError(f"the minimum for {attribute} {g!r} must be a whole number >= 0")
        total = sum(self.minimums.values())
        if total > seats:
            raise QuotaError(
                f"the group minimums add up to {total} but only {seats} seats are to be filled"
            )
        self.group: list[str | None] = [c.attribute(attribute) for c in candidates]
        for g, m in self.minimums.items():
            standing = sum(1 for i, cg in enumerate(self.group) if cg == g and i not in withdrawn)
            if standing < m:
                raise QuotaError(
                    f"at least {m} seats must go to {attribute} {g!r} but only {standing} "
                    f"such candidate{'s are' if standing != 1 else ' is'} standing"
                )

    def needs(self, elected: frozenset[int]) -> dict[str, int]:
        got: dict[str, int] = {}
        for c in elected:
            g = self.group[c]
            if g is not None:
                got[g] = got.get(g, 0) + 1
        return {g: max(0, m - got.get(g, 0)) for g, m in self.minimums.items()}

    def _needed(self, elected: frozenset[int]) -> tuple[dict[str, int], int]:
        need = {g: k for g, k in self.needs(elected).items() if k}
        return need, sum(need.values())

    def must_exclude(
        self, hopeful: frozenset[int], elected: frozenset[int], seats_left: int
    ) -> frozenset[int]:
        need, total = self._needed(elected)
        if seats_left <= 0 or total < seats_left:
            return frozenset()
        return frozenset(c for c in hopeful if self.group[c] not in need)

    def must_elect(
        self, hopeful: frozenset[int], elected: frozenset[int], seats_left: int
    ) -> frozenset[int]:
        need, total = self._needed(elected)
        if seats_left <= 0 or total != seats_left:
            return frozenset()
        out: set[int] = set()
        for g, k in need.items():
            members = [c for c in hopeful if self.group[c] == g]
            if len(members) <= k:
                out.update(members)
        return frozenset(out)

    def may_elect(self, candidate: int, elected: frozenset[int], seats_left: int) -> bool:
        need, total = self._needed(elected)
        if self.group[candidate] in need:
            return True
        return total <= seats_left - 1

    def protected(
        self, hopeful: frozenset[int], elected: frozenset[int], seats_left: int
    ) -> frozenset[int]:
        need, _ = self._needed(elected)
        out: set[int] = set()
        for g, k in need.items():
            members = [c for c in hopeful if self.group[c] == g]
            if len(members) <= k:
                out.update(members)
        return frozenset(out)

    def satisfied(self, elected: Sequence[int]) -> bool:
        return not any(self.needs(frozenset(elected)).values())


# ---------------------------------------------------------------------------- shared
def _check_seats(ballots: RankedBallots, seats: int) -> None:
    eligible = ballots.n_candidates - len(ballots.withdrawn)
    if seats < 1 or seats > eligible:
        raise TooManySeatsError(f"{seats} seats cannot be filled from {eligible} candidates")


class _Papers:
    """Grouped ballot papers with a current position and value (Scottish STV / AV)."""

    def __init__(self, ballots: RankedBallots, unit: int) -> None:
        self.ranks = np.asarray(ballots.rankings, dtype=np.int64)
        self.weights = np.asarray(ballots.weights, dtype=np.int64)
        g, self.width = self.ranks.shape
        self.n = ballots.n_candidates
        self.pos = np.full(g, -1, dtype=np.int64)
        self.value = np.full(g, unit, dtype=np.int64)

    def holder(self) -> I64:
        ok = self.pos < self.width
        out = np.full(self.pos.shape, PAD, dtype=np.int64)
        idx = np.nonzero(ok)[0]
        out[idx] = self.ranks[idx, self.pos[idx]]
        return out

    def advance(self, rows: I64, continuing: Sequence[bool]) -> None:
        """Move ``rows`` to their next continuing preference (or exhaust them)."""
        if rows.size == 0:
            return
        cont = np.zeros(self.n + 1, dtype=bool)
        cont[: self.n] = np.asarray(continuing, dtype=bool)
        mask = cont[self.ranks[rows]] & (np.arange(self.width)[None, :] > self.pos[rows, None])
        has = mask.any(axis=1)
        self.pos[rows] = np.where(has, np.argmax(mask, axis=1), self.width)

    def votes(self) -> list[int]:
        h = self.holder()
        live = h >= 0
        out = np.zeros(self.n, dtype=np.int64)
        np.add.at(out, h[live], (self.value * self.weights)[live])
        return [int(v) for v in out]


# ---------------------------------------------------------------------------- AV
def count_av_multi(
    ballots: RankedBallots,
    seats: int,
    *,
    constraint: SeatConstraint | None = None,
    tiebreak: str = "backwards",
    seed: int | None = None,
    lot_order: Sequence[int] | None = None,
) -> RankedResult:
    """Sequential alternative vote ("preferential block"), with an optional constraint.

    For each seat: an AV race among the hopefuls. A candidate with more than half of the
    continuing (non-exhausted) votes wins; otherwise the lowest is excluded from the race
    (ties: fewest votes at the latest earlier round of the race where they differed, then
    lot) and her ballots go to their next hopeful preference. The winner is elected and
    removed; candidates excluded from a race stand again in the next one. Votes are whole
    ballots; ``quota`` in each stage is the majority of continuing votes.
    """
    _check_seats(ballots, seats)
    tb = TieBreaker(tiebreak, seed=seed, lot_order=lot_order, n_candidates=ballots.n_candidates)
    count = _AvMultiCount(ballots, seats, constraint, tb)
    count.run()
    return count.result()


class _Race:
    """One seat's AV race: who is still in it, the papers and the earlier rounds' votes."""

    def __init__(self, ballots: RankedBallots, number: int, in_race: list[bool]) -> None:
        self.number = number
        self.in_race = in_race
        self.papers = _Papers(ballots, 1)
        self.papers.advance(np.arange(self.papers.pos.size, dtype=np.int64), in_race)
        self.history: list[list[int]] = []
        self.round = 0


class _AvMultiCount:
    """One sequential AV count, stage by stage (the shape of ``stv_scottish._ScottishCount``):
    :meth:`run` makes the constraint's elections and exclusions, then races for one seat
    at a time, a round per stage, until the seats are filled; :meth:`result` reports it."""

    def __init__(
        self,
        ballots: RankedBallots,
        seats: int,
        constraint: SeatConstraint | None,
        tb: TieBreaker,
    ) -> None:
        n = ballots.n_candidates
        self.ballots = ballots
        self.seats = seats
        self.constraint = constraint
        self.tb = tb
        self.n = n
        self.names = ballots.names
        self.total = ballots.total
        self.state = [
            State.WITHDRAWN if i in ballots.withdrawn else State.HOPEFUL for i in range(n)
        ]
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.stages: list[Stage] = []
        self.notes: list[str] = []
        self.races = 0

    # ------------------------------------------------------------------ helpers
    def seats_left(self) -> int:
        return self.seats - len(self.elected)

    def hopefuls(self) -> list[int]:
        return [i for i in range(self.n) if self.state[i] is State.HOPEFUL]

    def record(
        self,
        action: str,
        subjects: tuple[int, ...],
        votes: Sequence[int],
        quota: int | None,
        note: str,
        states: Sequence[State] | None = None,
    ) -> None:
        """The stage just counted, as the result reports it."""
        self.stages.append(
            Stage(
                number=len(self.stages),
                action=action,
                subjects=subjects,
                votes=tuple(votes),
                states=tuple(states if states is not None else self.state),
                non_transferable=self.total - sum(votes),
                quota=quota,
                note=note,
            )
        )

    def tally(self) -> list[int]:
        """First preferences among the hopefuls (for stages outside a race)."""
        papers = _Papers(self.ballots, 1)
        papers.advance(
            np.arange(papers.pos.size, dtype=np.int64), [s is State.HOPEFUL for s in self.state]
        )
        return papers.votes()

    # ------------------------------------------------------------------ stages
    def apply_constraint(self) -> None:
        """The seat constraint's hook before each race: deemed elections, else exclusions,
        a stage each, until neither applies."""
        constraint = self.constraint
        if constraint is None:
            return
        while self.seats_left() > 0:
            hop, el = frozenset(self.hopefuls()), frozenset(self.elected)
            deem = constraint.must_elect(hop, el, self.seats_left()) & hop
            if deem:
                self.deem_elected(sorted(deem))
                continue
            out = constraint.must_exclude(hop, el, self.seats_left()) & hop
            if out:
                self.exclude_by_quota(sorted(out))
                continue
            break

    def deem_elected(self, deem: list[int]) -> None:
        for c in deem:
            self.state[c] = State.ELECTED
            self.elected.append(c)
        msg = "deemed elected by quota: " + ", ".join(self.names[c] for c in deem)
        self.notes.append(msg)
        self.record("elect", tuple(deem), self.tally(), None, msg)

    def exclude_by_quota(self, out: list[int]) -> None:
        for c in out:
            self.state[c] = State.EXCLUDED
            self.excluded.append(c)
        msg = "excluded by quota: " + ", ".join(self.names[c] for c in out)
        self.notes.append(msg)
        self.record("exclude", tuple(out), self.tally(), None, msg)

    def elect_remaining(self) -> bool:
        """The last vacancies: when the hopefuls are no more than the seats left, elect them
        all in one stage; whether that happened."""
        hop = self.hopefuls()
        if len(hop) > self.seats_left():
            return False
        votes = self.tally()
        for c in hop:
            self.state[c] = State.ELECTED
            self.elected.append(c)
        self.record("elect", tuple(hop), votes, None, "remaining candidates elected")
        return True

    def run_race(self) -> None:
        """One seat's AV race among every hopeful, a round per stage, until it is won."""
        self.races += 1
        race = _Race(self.ballots, self.races, [s is State.HOPEFUL for s in self.state])
        while not self.race_round(race):
            pass

    def race_round(self, race: _Race) -> bool:
        """One round of ``race``: the leader wins with a majority of the continuing votes
        (or as the last in the race), else the lowest is excluded from the race and her
        papers move on. Whether the seat was won."""
        race.round += 1
        votes = race.papers.votes()
        live = sum(votes)
        majority = live // 2 + 1
        in_race = race.in_race
        racing = [c for c in range(self.n) if in_race[c]]
        race_states = [
            s if not (s is State.HOPEFUL and not in_race[i]) else State.EXCLUDED
            for i, s in enumerate(self.state)
        ]
        where = f"seat {race.number} round {race.round}"
        leader = max(racing, key=lambda c: votes[c])
        if 2 * votes[leader] > live or len(racing) == 1:
            self.state[leader] = State.ELECTED
            self.elected.append(leader)
            race_states[leader] = State.ELECTED
            note = f"{where}: {self.names[leader]} elected"
            self.record("elect", (leader,), votes, majority, note, race_states)
            return True
        low = min(votes[c] for c in racing)
        tied = [c for c in racing if votes[c] == low]
        loser = self.tb.choose(
            tied, [*race.history, votes], stage=len(self.stages), purpose="exclude", lowest=True
        )
        in_race[loser] = False
        race_states[loser] = State.EXCLUDED
        note = f"{where}: {self.names[loser]} excluded from this race"
        self.record("exclude", (loser,), votes, majority, note, race_states)
        race.history.append(votes)
        h = race.papers.holder()
        race.papers.advance(np.nonzero(h == loser)[0], in_race)
        return False

    def close(self) -> None:
        """End of count: the hopefuls left are not elected; a last stage says so."""
        for c in self.hopefuls():
            self.state[c] = State.EXCLUDED
            self.excluded.append(c)
        last = [int(x) for x in self.stages[-1].votes] if self.stages else [0] * self.n
        self.record("end", (), last, None, "count complete")

    def run(self) -> None:
        while True:
            self.apply_constraint()
            if self.seats_left() <= 0 or self.elect_remaining():
                break
            self.run_race()
        self.close()

    # ------------------------------------------------------------------ output
    def result(self) -> RankedResult:
        return RankedResult(
            method="av-multi",
            seats=self.seats,
            candidates=self.ballots.candidates,
            elected=tuple(self.elected),
            stages=tuple(self.stages),
            total_votes=self.total,
            quota=None,
            ties=tuple(self.tb.ties),
            excluded=tuple(self.excluded),
            seed=self.tb.seed,
            notes=tuple(self.notes),
        )


# ---------------------------------------------------------------------------- entry
def count_with_quota(
    ballots: RankedBallots,
    seats: int,
    *,
    method: Method,
    minimums: Mapping[str, int],
    attribute: str = "gender",
    tiebreak: str = "backwards",
    seed: int | None = None,
    lot_order: Sequence[int] | None = None,
) -> RankedResult:
    """Count ``ballots`` for ``seats`` by ``method`` subject to group minimums.

    ``minimums`` maps attribute values to the least number of seats they must receive,
    e.g. ``{"woman": 2}`` with ``attribute="gender"``. Raises
    :class:`~rankandfile.counting.errors.QuotaError` when the minimums cannot be met. The
    rule is stated in the module docstring; the result's ``notes`` record every exclusion,
    protection and election made by quota.
    """
    _check_seats(ballots, seats)
    constraint = GroupMinimums(
        ballots.candidates, seats, minimums, attribute=attribute, withdrawn=ballots.withdrawn
    )
    if method == "meek":
        result = count_meek(
            ballots, seats, tiebreak=tiebreak, seed=seed, lot_order=lot_order, constraint=constraint
        )
    elif method == "scottish-stv":
        result = count_scottish_stv(
            ballots,
            seats,
            constraint=constraint,
            tiebreak=tiebreak,
            seed=seed,
            lot_order=lot_order,
        )
    elif method == "av-multi":
        result = count_av_multi(
            ballots, seats, constraint=constraint, tiebreak=tiebreak, seed=seed, lot_order=lot_order
        )
    else:
        raise CountingError(f"unknown counting method {method!r} for a quota count")
    if not constraint.satisfied(result.elected):  # pragma: no cover - guaranteed by the rule
        raise QuotaError("internal error: the count did not meet the group minimums")
    rule = ", ".join(f"at least {m} {g}" for g, m in sorted(constraint.minimums.items()))
    note = f"group minimums by {attribute}: {rule or 'none'}"
    return RankedResult(
        method=f"{result.method}+quota",
        seats=result.seats,
        candidates=result.candidates,
        elected=result.elected,
        stages=result.stages,
        total_votes=result.total_votes,
        quota=result.quota,
        ties=result.ties,
        excluded=result.excluded,
        seed=result.seed,
        notes=(*result.notes, note),
    )
