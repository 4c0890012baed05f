"""Immutable results with a full audit trail, shared by the ranked methods.

Vote values are exact: ``int`` for whole votes, ``Decimal`` for fixed-point rules (Scottish
STV: 5 places; Meek: 9 places), ``Fraction`` where a rule fixes rational arithmetic.
Never floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from rankandfile.counting.ballots import Candidate

Num = int | Decimal | Fraction


class State(StrEnum):
    HOPEFUL = "hopeful"
    ELECTED = "elected"
    EXCLUDED = "excluded"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Tie:
    """A tie met during the count and how it was broken."""

    stage: int
    purpose: str  # "exclude", "elect", "surplus", ...
    tied: tuple[int, ...]
    chosen: int
    how: str  # e.g. "fewer votes at stage 2", "by lot (seed 7)"


@dataclass(frozen=True)
class Stage:
    """One stage (row of the result sheet).

    ``votes`` holds each candidate's total after the stage; ``transfers`` (when given) the
    change this stage made to each candidate. ``subjects`` are the candidates the action was
    about (the surplus transferred, the candidates excluded, the elected).

    ``non_transferable`` is the value of ballots with no continuing preference left;
    ``residual`` the value lost to truncation or rounding (Scottish STV truncates each
    transfer value to 5 places; Droop reports the loss as "residual"). At every stage
    ``sum(votes) + non_transferable + residual == total_votes``.
    """

    number: int
    action: str  # "first", "elect", "surplus", "exclude", "end", ...
    subjects: tuple[int, ...]
    votes: tuple[Num, ...]
    states: tuple[State, ...]
    non_transferable: Num = 0
    quota: Num | None = None
    transfers: tuple[Num, ...] | None = None
    note: str = ""
    residual: Num = 0


@dataclass(frozen=True)
class RankedResult:
    """Outcome and audit trail of a ranked count (plurality, AV, STV, Meek)."""

    method: str
    seats: int
    candidates: tuple[Candidate, ...]
    elected: tuple[int, ...]  # in order of election
    stages: tuple[Stage, ...]
    total_votes: Num
    quota: Num | None = None
    ties: tuple[Tie, ...] = ()
    excluded: tuple[int, ...] = ()  # in order of exclusion
    seed: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def elected_names(self) -> tuple[str, ...]:
        return tuple(self.candidates[i].name for i in self.elected)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: numbers exact as strings (``"1300.00000"``) or ints."""
        names = [c.name for c in self.candidates]
        return {
            "method": self.method,
            "seats": self.seats,
            "candidates": [
                {"name": c.name, "attributes": dict(c.attributes)} for c in self.candidates
            ],
            "elected": [names[i] for i in self.elected],
            "excluded": [names[i] for i in self.excluded],
            "total_votes": jsonable(self.total_votes),
            "quota": jsonable(self.quota),
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
            "stages": [
                {
                    "number": s.number,
                    "action": s.action,
                    "subjects": [names[i] for i in s.subjects],
                    "votes": {names[i]: jsonable(v) for i, v in enumerate(s.votes)},
                    "states": {names[i]: st.value for i, st in enumerate(s.states)},
                    "non_transferable": jsonable(s.non_transferable),
                    "residual": jsonable(s.residual),
                    "quota": jsonable(s.quota),
                    "transfers": None
                    if s.transfers is None
                    else {names[i]: jsonable(v) for i, v in enumerate(s.transfers)},
                    "note": s.note,
                }
                for s in self.stages
            ],
        }


def jsonable(v: Num | None) -> int | str | None:
    """Exact JSON form of a vote value: ints stay ints; others become strings."""
    if v is None or isinstance(v, int):
        return v
    return str(v)
