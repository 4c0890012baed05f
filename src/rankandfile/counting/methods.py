"""The method registry: every counting method by name, behind one entry point.

:data:`METHODS` describes each method (label, ballot type, seats, quota support, the rule
it implements, the tie-break options) for anything that offers a choice of method -- the
command line and the web pages. :func:`count` runs a method by name::

    result = count("scottish-stv", ballots, seats=4, quotas={"woman": 2})

Ranked ballots (:class:`~rankandfile.counting.ballots.RankedBallots`) can be counted by
every method here; approval and plurality also take X-mark ballots
(:class:`~rankandfile.counting.approval.ApprovalBallots`). For approval, a ranked ballot
approves every candidate it ranks.

The result is the method's own type (:class:`RankedResult` for the stage-by-stage methods,
:class:`ApprovalResult`, :class:`SchulzeResult`); :func:`as_ranked` turns any of them into
a :class:`RankedResult` for uniform display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np

from rankandfile.counting.approval import ApprovalBallots, ApprovalResult, count_approval
from rankandfile.counting.av import count_av
from rankandfile.counting.ballots import RankedBallots
from rankandfile.counting.errors import CountingError, QuotaError, TooManySeatsError
from rankandfile.counting.meek import count_meek
from rankandfile.counting.plurality import count_plurality
from rankandfile.counting.quotas import count_av_multi, count_with_quota
from rankandfile.counting.result import RankedResult
from rankandfile.counting.schulze import SchulzeResult, count_schulze
from rankandfile.counting.stv_scottish import count_scottish_stv
from rankandfile.counting.tiebreak import TIEBREAK_METHODS

__all__ = [
    "GROUP_SYNONYMS",
    "METHODS",
    "AnyResult",
    "MethodInfo",
    "UnknownMethodError",
    "as_ranked",
    "count",
    "method_info",
    "parse_quota",
    "resolve_group",
]

AnyResult = RankedResult | ApprovalResult | SchulzeResult


class UnknownMethodError(CountingError):
    """The method name is not in :data:`METHODS`."""


@dataclass(frozen=True)
class MethodInfo:
    """What a method is, for people choosing one and for code offering the choice."""

    name: str
    label: str
    ballot: str  # "ranked" or "ranked or X" (X-mark ballots accepted too)
    multi_seat: bool  # can fill more than one seat
    single_seat: bool  # can fill exactly one seat
    quotas: bool  # supports group minimums (e.g. at least K women)
    rule: str  # the rule text it implements
    description: str
    tiebreaks: tuple[str, ...]  # accepted ``tiebreak`` names, the default first
    stages: bool  # counted in stages (transfers); else one stage

    def seats_allowed(self, seats: int) -> bool:
        return (seats == 1 and self.single_seat) or (seats > 1 and self.multi_seat)


_STAGED = TIEBREAK_METHODS  # ("backwards", "forwards", "lot")
_LOT = ("lot",)

METHODS: Final[Mapping[str, MethodInfo]] = MappingProxyType(
    {
        m.name: m
        for m in (
            MethodInfo(
                name="plurality",
                label="First past the post (plurality)",
                ballot="ranked or X",
                multi_seat=False,
                single_seat=True,
                quotas=False,
                rule="FPTP: the candidate with most first preferences (X votes) wins",
                description="One seat; each ballot is one vote for its first preference.",
                tiebreaks=_LOT,
                stages=False,
            ),
            MethodInfo(
                name="block",
                label="Block vote (plurality, several seats)",
                ballot="ranked or X",
                multi_seat=True,
                single_seat=True,
                quotas=False,
                rule="Block vote: each voter marks up to one candidate per seat; most marks win",
                description=(
                    "Several seats; each ballot gives one vote to each of its first "
                    "preferences up to the number of seats."
                ),
                tiebreaks=_LOT,
                stages=False,
            ),
            MethodInfo(
                name="av",
                label="Alternative vote (eliminating ballot)",
                ballot="ranked",
                multi_seat=False,
                single_seat=True,
                quotas=False,
                rule="AV: lowest excluded until a majority of continuing votes",
                description=(
                    "One seat; the lowest candidate is excluded and their ballots transferred "
                    "until a candidate has more than half of the continuing votes."
                ),
                tiebreaks=_STAGED,
                stages=True,
            ),
            MethodInfo(
                name="av-multi",
                label="Preferential block (sequential AV)",
                ballot="ranked",
                multi_seat=True,
                single_seat=True,
                quotas=True,
                rule="Sequential AV: one AV race per seat, winners removed",
                description=(
                    "Several seats filled one at a time, each by an alternative-vote race "
                    "among the candidates not yet elected."
                ),
                tiebreaks=_STAGED,
                stages=True,
            ),
            MethodInfo(
                name="scottish-stv",
                label="Single transferable vote (Scottish rules)",
                ballot="ranked",
                multi_seat=True,
                single_seat=True,
                quotas=True,
                rule=(
                    "The Scottish Local Government Elections Order 2007, Sch. 1 rules 45-52: "
                    "Droop quota, Weighted Inclusive Gregory, 5-decimal truncation"
                ),
                description=(
                    "Several seats, proportional: candidates reaching the quota are elected, "
                    "surpluses and the ballots of excluded candidates are transferred."
                ),
                tiebreaks=_STAGED,
                stages=True,
            ),
            MethodInfo(
                name="meek",
                label="Single transferable vote (Meek)",
                ballot="ranked",
                multi_seat=True,
                single_seat=True,
                quotas=True,
                rule=(
                    "Meek STV, Hill, Wichmann & Woodall, Algorithm 123 (PR Foundation reference "
                    "rule: 9-place fixed point, omega 0.000001)"
                ),
                description=(
                    "Several seats, proportional: like STV, but each elected candidate keeps "
                    "only the share of every ballot needed for the quota, recomputed until "
                    "stable, and excluded candidates are skipped as if they never stood."
                ),
                tiebreaks=(*_STAGED, "order"),
                stages=True,
            ),
            MethodInfo(
                name="approval",
                label="Approval vote",
                ballot="ranked or X",
                multi_seat=True,
                single_seat=True,
                quotas=False,
                rule="Approval: every candidate marked (ranked) gets one vote; most votes win",
                description="Each ballot approves any number of candidates; most approvals win.",
                tiebreaks=_LOT,
                stages=False,
            ),
            MethodInfo(
                name="schulze",
                label="Schulze (Condorcet)",
                ballot="ranked",
                multi_seat=True,
                single_seat=True,
                quotas=False,
                rule="Schulze method: strongest paths over the pairwise contests",
                description=(
                    "Candidates ranked by the strongest chains of pairwise majorities; a "
                    "candidate who beats every other head to head always wins."
                ),
                tiebreaks=_LOT,
                stages=False,
            ),
        )
    }
)

GROUP_SYNONYMS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "women": "woman",
        "woman": "woman",
        "female": "woman",
        "f": "woman",
        "w": "woman",
        "men": "man",
        "man": "man",
        "male": "man",
        "m": "man",
    }
)
"""Words accepted for the usual gender values (:func:`resolve_group`)."""


def method_info(method: str) -> MethodInfo:
    """The :class:`MethodInfo` for ``method``; :class:`UnknownMethodError` names the valid
    methods otherwise."""
    info = METHODS.get(method)
    if info is None:
        valid = ", ".join(METHODS)
        raise UnknownMethodError(f"unknown counting method {method!r}; choose one of: {valid}")
    return info


def resolve_group(word: str, values: Sequence[str | None]) -> str:
    """The attribute value meant by ``word`` in a quota such as ``women:2``.

    A value some candidate actually has (``values``) is taken as written (letter case
    ignored if unambiguous); otherwise the usual words are mapped (women/woman/female ->
    ``woman``, men/man/male -> ``man``); otherwise ``word`` itself is returned.
    """
    present = [v for v in values if v is not None]
    if word in present:
        return word
    folded = [v for v in dict.fromkeys(present) if v.casefold() == word.casefold()]
    if len(folded) == 1:
        return folded[0]
    return GROUP_SYNONYMS.get(word.casefold(), word)


def parse_quota(spec: str, values: Sequence[str | None] = ()) -> tuple[str, int]:
    """``"women:2"`` -> ``("woman", 2)`` (see :func:`resolve_group`).

    Raises :class:`QuotaError` for a malformed spec.
    """
    group, sep, number = spec.rpartition(":")
    if not sep or not group.strip() or not number.strip().isdigit():
        raise QuotaError(f"a quota is written GROUP:MINIMUM, for example women:2, not {spec!r}")
    return resolve_group(group.strip(), values), int(number)


def _as_approval(ballots: RankedBallots) -> ApprovalBallots:
    n = ballots.n_candidates
    marks = np.zeros((ballots.rankings.shape[0], n + 1), dtype=np.bool_)
    rows = np.repeat(np.arange(ballots.rankings.shape[0]), ballots.rankings.shape[1])
    marks[rows, ballots.rankings.ravel().astype(np.intp) + 1] = True  # PAD lands in column 0
    keep = marks[:, 1:]
    for w in ballots.withdrawn:
        keep[:, w] = False
    return ApprovalBallots.build(ballots.candidates, keep, ballots.weights, title=ballots.title)


def count(
    method: str,
    ballots: RankedBallots | ApprovalBallots,
    *,
    seats: int = 1,
    quotas: Mapping[str, int] | None = None,
    quota_attribute: str = "gender",
    tiebreak: str = "backwards",
    seed: int | None = None,
    lot_order: Sequence[int] | None = None,
) -> AnyResult:
    """Count ``ballots`` for ``seats`` seats by ``method`` (a key of :data:`METHODS`).

    ``quotas`` maps attribute values to minimum seats (``{"woman": 2}``: at least two of
    the elected have ``gender == "woman"``; the attribute is ``quota_attribute``) and is
    accepted by the methods whose :attr:`MethodInfo.quotas` is true. ``tiebreak`` is one of
    the method's :attr:`MethodInfo.tiebreaks`; methods counted in one stage break every
    tie by lot (``"backwards"`` and ``"forwards"`` then also mean by lot: there is no
    earlier stage to look back to). ``seed`` fixes the lots; ``lot_order`` gives a
    predetermined lot order instead (staged methods).

    Raises :class:`UnknownMethodError` for an unknown method (naming the valid ones),
    :class:`TooManySeatsError` when the method cannot fill ``seats`` seats,
    :class:`QuotaError` for quotas on a method without them or quotas that cannot be met,
    and the method's own errors.
    """
    info = method_info(method)
    if isinstance(seats, bool) or not isinstance(seats, int):
        raise TooManySeatsError(f"the number of seats must be a whole number, not {seats!r}")
    if not info.seats_allowed(seats):
        if seats < 1:
            raise TooManySeatsError(f"there must be at least one seat to fill, not {seats}")
        raise TooManySeatsError(
            f"{info.label} fills exactly one seat, not {seats}; for several seats use "
            + ", ".join(m.name for m in METHODS.values() if m.multi_seat)
        )
    allowed = info.tiebreaks if info.stages else (*TIEBREAK_METHODS, *info.tiebreaks)
    if tiebreak not in allowed:
        raise CountingError(
            f"unknown tie-break {tiebreak!r} for {method}; choose one of: "
            + ", ".join(dict.fromkeys(allowed))
        )
    wanted = {g: k for g, k in (quotas or {}).items() if k}
    if wanted and not info.quotas:
        raise QuotaError(
            f"{info.label} does not support quotas; methods that do: "
            + ", ".join(m.name for m in METHODS.values() if m.quotas)
        )
    if isinstance(ballots, ApprovalBallots) and "X" not in info.ballot:
        raise CountingError(f"{info.label} needs ranked ballots, not X-mark ballots")

    if method in ("plurality", "block"):
        return count_plurality(ballots, seats, seed=seed)
    if method == "approval":
        marks = ballots if isinstance(ballots, ApprovalBallots) else _as_approval(ballots)
        return count_approval(marks, seats, seed=seed)
    assert isinstance(ballots, RankedBallots)
    if method == "schulze":
        return count_schulze(ballots, seats, seed=seed)
    if wanted:
        quota_method = {"scottish-stv": "scottish-stv", "meek": "meek"}.get(method, "av-multi")
        return count_with_quota(
            ballots,
            seats,
            method=quota_method,  # type: ignore[arg-type]
            minimums=wanted,
            attribute=quota_attribute,
            tiebreak=tiebreak,
            seed=seed,
            lot_order=lot_order,
        )
    if method == "av":
        return count_av(ballots, tiebreak=tiebreak, seed=seed, lot_order=lot_order)
    if method == "av-multi":
        return count_av_multi(ballots, seats, tiebreak=tiebreak, seed=seed, lot_order=lot_order)
    if method == "scottish-stv":
        return count_scottish_stv(ballots, seats, tiebreak=tiebreak, seed=seed, lot_order=lot_order)
    assert method == "meek"
    return count_meek(ballots, seats, tiebreak=tiebreak, seed=seed, lot_order=lot_order)


def as_ranked(result: AnyResult) -> RankedResult:
    """Any result as a :class:`RankedResult` (single-stage for approval and Schulze)."""
    if isinstance(result, RankedResult):
        return result
    return result.to_ranked()
