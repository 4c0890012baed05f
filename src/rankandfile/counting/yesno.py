"""Yes/no/abstain votes decided against a threshold, in exact arithmetic.

Rules implemented (domain.md, "Sovereign conference" and "Counting rules"):

* **Simple majority of those voting**: carried when ``yes > no``, i.e. ``yes / (yes + no)``
  is *more than* one half. Abstentions are not votes cast.
* **Two-thirds of those voting**: carried when ``3 * yes >= 2 * (yes + no)``, i.e. at least
  two-thirds of the votes cast (the conference rule for adding policy to the programme).
* **Two-thirds of those present**: as above, but abstentions (and anyone else recorded as
  present) count in the denominator: ``3 * yes >= 2 * present``.
* **Any threshold**: a :class:`Threshold` is a :class:`~fractions.Fraction` ``f`` with a
  ``strict`` flag (``share > f`` when strict, ``share >= f`` otherwise) and a choice of
  denominator (those voting, or those present).

A vote in which nobody voted (denominator zero) is **lost**: a motion is carried only by
votes actually cast for it. Every comparison is made on integers or Fractions; percentages
are rounded only for display (:func:`percent_str`) and the exact fraction is always given.

This module also holds the small display helpers (:func:`exact`, :func:`percent_str`) shared
by the other non-ranked methods (approval, card vote, top-N).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from rankandfile.counting.errors import CountingError, InvalidBallotError

Weight = int | Fraction
"""A number of votes: whole votes, or a Fraction where a block vote is shared out."""


# ---------------------------------------------------------------------- display helpers
def exact(v: Weight) -> int | str:
    """Exact JSON form: integral values stay ``int``; other fractions become ``"2/3"``."""
    if isinstance(v, int):
        return v
    if v.denominator == 1:
        return int(v.numerator)
    return str(v)


def percent_str(share: Fraction | int, places: int = 2) -> str:
    """Display a share (``Fraction(9, 20)``) as a percentage (``"45.00%"``).

    Display only: rounds half to even at ``places`` decimals using exact integer
    arithmetic (never floats). Decisions are always taken on the exact fraction.
    """
    if places < 0:
        raise ValueError("places must be zero or more")
    scaled = round(Fraction(share) * 100 * 10**places)  # Fraction.__round__: half to even
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10**places)
    if places == 0:
        return f"{sign}{whole}%"
    return f"{sign}{whole}.{part:0{places}d}%"


def check_weight(v: object, what: str) -> Weight:
    """Validate a vote count: a non-negative int or Fraction (bools and floats refused)."""
    if isinstance(v, bool) or not isinstance(v, int | Fraction):
        raise InvalidBallotError(
            f"{what} must be a whole number or a Fraction, not {type(v).__name__} {v!r}"
        )
    if v < 0:
        raise InvalidBallotError(f"{what} cannot be negative (got {v})")
    return v


# ---------------------------------------------------------------------- thresholds
@dataclass(frozen=True)
class Threshold:
    """The share of the vote a motion needs.

    ``fraction`` is the bar; ``strict`` means the share must be *more than* the bar (a
    simple majority is "more than 1/2"), otherwise *at least* the bar ("at least 2/3").
    ``of_present`` puts abstentions (everyone present) in the denominator.
    """

    fraction: Fraction
    strict: bool
    of_present: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        f = self.fraction
        if isinstance(f, bool) or not isinstance(f, int | Fraction):
            raise CountingError(f"a threshold must be a Fraction, not {f!r}")
        f = Fraction(f)
        object.__setattr__(self, "fraction", f)
        if not 0 < f <= 1:
            raise CountingError(f"a threshold must be above 0 and at most 1 (got {f})")
        if self.strict and f == 1:
            raise CountingError("a threshold of more than 100% can never be met")

    @property
    def denominator_name(self) -> str:
        return "those present" if self.of_present else "those voting"

    def describe(self) -> str:
        if self.name:
            return self.name
        if self.fraction == Fraction(1, 2) and self.strict:
            bar = "more than half"
        else:
            bar = f"{'more than' if self.strict else 'at least'} {_fraction_words(self.fraction)}"
        return f"{bar} of {self.denominator_name}"

    def met_by(self, share: Fraction) -> bool:
        """Whether an exact share of the vote meets the threshold."""
        return share > self.fraction if self.strict else share >= self.fraction

    def met(self, yes: Weight, denominator: Weight) -> bool:
        """``yes`` out of ``denominator`` meets the threshold; never met when nobody voted."""
        if denominator == 0:
            return False
        return self.met_by(Fraction(yes) / Fraction(denominator))

    def needed(self, denominator: Weight) -> Weight | None:
        """Smallest whole number of yes votes out of ``denominator`` that carries.

        ``None`` when nobody voted. For fractional denominators (shared block votes) the
        exact bar ``fraction * denominator`` is returned instead (met when exceeded if
        strict).
        """
        if denominator == 0:
            return None
        bar = self.fraction * Fraction(denominator)
        if isinstance(denominator, Fraction) and denominator.denominator != 1:
            return bar
        n = bar.numerator // bar.denominator  # floor
        if self.strict or n < bar:
            n += 1
        return n

    def to_dict(self) -> dict[str, Any]:
        return {
            "fraction": exact(self.fraction),
            "percent": percent_str(self.fraction),
            "strict": self.strict,
            "of": self.denominator_name,
            "description": self.describe(),
        }


def _fraction_words(f: Fraction) -> str:
    words = {
        Fraction(1, 2): "half",
        Fraction(2, 3): "two-thirds",
        Fraction(3, 4): "three-quarters",
        Fraction(3, 5): "three-fifths",
        Fraction(1, 3): "one third",
        Fraction(1): "all",
    }
    return words.get(f, f"{percent_str(f)} ({f})")


SIMPLE_MAJORITY = Threshold(Fraction(1, 2), strict=True, name="a simple majority of those voting")
"""Carried when yes > no; abstentions ignored."""
TWO_THIRDS = Threshold(Fraction(2, 3), strict=False, name="two-thirds of those voting")
"""Carried when 3 * yes >= 2 * (yes + no); abstentions ignored."""
TWO_THIRDS_OF_PRESENT = Threshold(
    Fraction(2, 3), strict=False, of_present=True, name="two-thirds of those present"
)
"""Carried when 3 * yes >= 2 * present; abstentions count against."""


# ---------------------------------------------------------------------- the count
class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


@dataclass(frozen=True)
class YesNoResult:
    """Outcome of a yes/no/abstain vote.

    ``achieved`` is the exact share of the denominator voting yes (``None`` if nobody voted);
    ``needed`` the smallest yes vote that would have carried with this denominator.
    """

    yes: Weight
    no: Weight
    abstain: Weight
    present: Weight
    threshold: Threshold
    carried: bool
    achieved: Fraction | None
    needed: Weight | None
    explanation: str

    @property
    def voting(self) -> Weight:
        return self.yes + self.no

    @property
    def denominator(self) -> Weight:
        return self.present if self.threshold.of_present else self.voting

    @property
    def outcome(self) -> str:
        return "carried" if self.carried else "lost"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "yes/no",
            "outcome": self.outcome,
            "carried": self.carried,
            "yes": exact(self.yes),
            "no": exact(self.no),
            "abstain": exact(self.abstain),
            "present": exact(self.present),
            "voting": exact(self.voting),
            "denominator": exact(self.denominator),
            "achieved": None if self.achieved is None else exact(self.achieved),
            "achieved_percent": None if self.achieved is None else percent_str(self.achieved),
            "needed": None if self.needed is None else exact(self.needed),
            "threshold": self.threshold.to_dict(),
            "explanation": self.explanation,
        }


def count_yes_no(
    yes: Weight,
    no: Weight,
    abstain: Weight = 0,
    *,
    threshold: Threshold = SIMPLE_MAJORITY,
    present: Weight | None = None,
) -> YesNoResult:
    """Decide a yes/no/abstain vote from its totals.

    ``present`` defaults to ``yes + no + abstain``; give it when some of those present took
    no part at all (it matters only for thresholds "of those present"). Raises
    :class:`InvalidBallotError` for negative or non-numeric counts, or ``present`` smaller
    than the votes recorded.
    """
    yes = check_weight(yes, "the yes vote")
    no = check_weight(no, "the no vote")
    abstain = check_weight(abstain, "the abstentions")
    recorded = yes + no + abstain
    if present is None:
        present = recorded
    else:
        present = check_weight(present, "the number present")
        if present < recorded:
            raise InvalidBallotError(
                f"{present} recorded as present but {recorded} votes and abstentions recorded"
            )
    denominator = present if threshold.of_present else yes + no
    carried = threshold.met(yes, denominator)
    achieved = None if denominator == 0 else Fraction(yes) / Fraction(denominator)
    needed = threshold.needed(denominator)
    return YesNoResult(
        yes=yes,
        no=no,
        abstain=abstain,
        present=present,
        threshold=threshold,
        carried=carried,
        achieved=achieved,
        needed=needed,
        explanation=_explain(yes, no, abstain, present, threshold, carried, achieved, needed),
    )


def count_yes_no_votes(
    votes: Iterable[Choice | str],
    weights: Iterable[Weight] | None = None,
    *,
    threshold: Threshold = SIMPLE_MAJORITY,
    present: Weight | None = None,
) -> YesNoResult:
    """Tally individual votes (``"yes"``, ``"no"``, ``"abstain"``), then decide them.

    ``weights`` gives each vote's weight (default 1). An unrecognised vote raises
    :class:`InvalidBallotError` naming it.
    """
    tally: dict[Choice, Weight] = {Choice.YES: 0, Choice.NO: 0, Choice.ABSTAIN: 0}
    vote_list = list(votes)
    weight_list: list[Weight] = [1] * len(vote_list) if weights is None else list(weights)
    if len(weight_list) != len(vote_list):
        raise InvalidBallotError(f"{len(vote_list)} votes but {len(weight_list)} weights")
    for i, (v, w) in enumerate(zip(vote_list, weight_list, strict=True), start=1):
        try:
            choice = Choice(str(v).strip().lower())
        except ValueError:
            raise InvalidBallotError(
                f"vote {i} is {v!r}; expected 'yes', 'no' or 'abstain'"
            ) from None
        tally[choice] += check_weight(w, f"the weight of vote {i}")
    return count_yes_no(
        tally[Choice.YES],
        tally[Choice.NO],
        tally[Choice.ABSTAIN],
        threshold=threshold,
        present=present,
    )


def _num(v: Weight) -> str:
    e = exact(v)
    return f"{e:,}" if isinstance(e, int) else e


def _explain(
    yes: Weight,
    no: Weight,
    abstain: Weight,
    present: Weight,
    threshold: Threshold,
    carried: bool,
    achieved: Fraction | None,
    needed: Weight | None,
) -> str:
    counts = f"{_num(yes)} for, {_num(no)} against, {_num(abstain)} abstaining"
    if achieved is None:
        return (
            f"Lost: {counts}; no votes were cast, so the motion cannot reach "
            f"{threshold.describe()}."
        )
    verdict = "Carried" if carried else "Lost"
    denom = present if threshold.of_present else yes + no
    need = "" if needed is None else f"; {_num(needed)} needed"
    return (
        f"{verdict}: {counts}; {percent_str(achieved)} ({_num(yes)} of {_num(denom)}) "
        f"of {threshold.denominator_name} voted for, and the motion "
        f"needed {threshold.describe()}{need}."
    )
