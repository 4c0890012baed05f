"""Immutable results with a full audit trail, shared by the ranked methods.

Vote values are exact: ``int`` for whole votes, ``Decimal`` for fixed-point rules (Scottish
STV: 5 places; Meek: 9 places), ``Fraction`` where a rule fixes rational arithmetic.
Never floats.
"""

from __future__ import annotations

from collections.abc import Mapping
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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankedResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. after a JSON round trip).

        Values come back exactly: ints as ints, ``"1300.00000"`` as :class:`Decimal` with
        the same places, ``"1/3"`` as :class:`Fraction`.
        """
        cands = tuple(Candidate(c["name"], c.get("attributes") or {}) for c in data["candidates"])
        index = {c.name: i for i, c in enumerate(cands)}

        def idx(names: Any) -> tuple[int, ...]:
            return tuple(index[nm] for nm in names)

        def per_candidate(values: Mapping[str, Any]) -> tuple[Num, ...]:
            return tuple(from_jsonable(values[c.name]) for c in cands)

        stages = tuple(
            Stage(
                number=int(s["number"]),
                action=s["action"],
                subjects=idx(s["subjects"]),
                votes=per_candidate(s["votes"]),
                states=tuple(State(s["states"][c.name]) for c in cands),
                non_transferable=from_jsonable(s["non_transferable"]),
                quota=None if s.get("quota") is None else from_jsonable(s["quota"]),
                transfers=None if s.get("transfers") is None else per_candidate(s["transfers"]),
                note=s.get("note", ""),
                residual=from_jsonable(s.get("residual", 0)),
            )
            for s in data["stages"]
        )
        ties = tuple(
            Tie(
                stage=int(t["stage"]),
                purpose=t["purpose"],
                tied=idx(t["tied"]),
                chosen=index[t["chosen"]],
                how=t["how"],
            )
            for t in data.get("ties", ())
        )
        return cls(
            method=data["method"],
            seats=int(data["seats"]),
            candidates=cands,
            elected=idx(data["elected"]),
            stages=stages,
            total_votes=from_jsonable(data["total_votes"]),
            quota=None if data.get("quota") is None else from_jsonable(data["quota"]),
            ties=ties,
            excluded=idx(data.get("excluded", ())),
            seed=data.get("seed"),
            notes=tuple(data.get("notes", ())),
        )


def jsonable(v: Num | None) -> int | str | None:
    """Exact JSON form of a vote value: ints stay ints; others become strings."""
    if v is None or isinstance(v, int):
        return v
    return str(v)


def from_jsonable(v: int | str) -> Num:
    """Inverse of :func:`jsonable` for a vote value."""
    if isinstance(v, bool):
        raise TypeError(f"not a vote value: {v!r}")
    if isinstance(v, int):
        return v
    if "/" in v:
        return Fraction(v)
    return Decimal(v)
