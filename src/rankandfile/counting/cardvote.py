"""Card votes: weighted votes in sections, each section scaled to a share of the whole.

Rule implemented (domain.md, "Sovereign conference: card vote"): each CLP casts its
membership and each affiliate its affiliated membership; each section's vote is scaled to
the section's share (CLPs 50%, affiliates 50%) and the scaled votes are added::

    for% = 50 * CLP_for / (CLP_for + CLP_against) + 50 * AFF_for / (AFF_for + AFF_against)

In general, with sections ``s`` of share ``w_s`` (shares sum to 1)::

    for_share = Σ w_s * for_s / cast_s          against_share = Σ w_s * against_s / cast_s

where ``cast_s = for_s + against_s`` (abstentions are not votes cast), or, for a threshold
"of those present", ``cast_s = for_s + against_s + abstain_s``. The motion is decided on the
exact ``for_share`` against a :class:`~rankandfile.counting.yesno.Threshold` (simple
majority: more than 1/2; policy enters the programme with at least 2/3). A CLP's vote may be
shared among its delegates present (:func:`delegate_shares`), so weights may be Fractions.

**A section in which no votes were cast** (``cast_s = 0``) is handled by ``empty``:

* :attr:`EmptySection.RENORMALISE` (default): the section is left out and the shares of the
  sections that voted are scaled up to make 100% (two equal sections, one silent: the other
  decides alone). This is what a conference does in practice: the result is the verdict of
  the votes actually cast, and for% + against% stays 100%; counting the silent section as
  zero would make a two-thirds majority impossible without it.
* :attr:`EmptySection.COUNT_AS_ZERO`: the section keeps its share but contributes nothing
  for or against (the worked formula read literally with 0/0 taken as 0). The motion must
  then reach the threshold of the *whole* college, as under an "electoral college" rule
  where an absent section's weight is lost.

If no section cast any vote the motion is lost (no share is defined).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from rankandfile.counting.errors import EmptyBallotSetError, InvalidBallotError
from rankandfile.counting.yesno import (
    SIMPLE_MAJORITY,
    Threshold,
    Weight,
    check_weight,
    exact,
    percent_str,
)


class EmptySection(StrEnum):
    RENORMALISE = "renormalise"
    COUNT_AS_ZERO = "count_as_zero"


def delegate_shares(vote: int, delegates_present: int) -> tuple[Fraction, ...]:
    """Share a block vote (a CLP's membership) equally among its delegates present."""
    check_weight(vote, "the block vote")
    if isinstance(delegates_present, bool) or not isinstance(delegates_present, int):
        raise InvalidBallotError("the number of delegates present must be a whole number")
    if delegates_present < 1:
        raise InvalidBallotError("a block vote needs at least one delegate present to cast it")
    return tuple(Fraction(vote, delegates_present) for _ in range(delegates_present))


@dataclass(frozen=True)
class Section:
    """A section's totals: votes for, against and abstaining, and its share of the college.

    ``voters`` (number of delegations or voters) is informational. Build from individual
    voters with :meth:`from_voters`.
    """

    name: str
    share: Fraction
    for_votes: Weight
    against: Weight
    abstain: Weight = 0
    voters: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidBallotError("a section needs a name")
        share = self.share
        if isinstance(share, bool) or not isinstance(share, int | Fraction):
            raise InvalidBallotError(
                f"section {self.name!r}: the share must be a Fraction (e.g. Fraction(1, 2)), "
                f"not {share!r}"
            )
        if not 0 < share <= 1:
            raise InvalidBallotError(
                f"section {self.name!r}: the share must be above 0 and at most 1 (got {share})"
            )
        object.__setattr__(self, "share", Fraction(share))
        check_weight(self.for_votes, f"section {self.name!r}: the vote for")
        check_weight(self.against, f"section {self.name!r}: the vote against")
        check_weight(self.abstain, f"section {self.name!r}: the abstentions")
        if self.voters is not None and (isinstance(self.voters, bool) or self.voters < 0):
            raise InvalidBallotError(f"section {self.name!r}: bad number of voters")

    @classmethod
    def from_voters(
        cls,
        name: str,
        share: Fraction,
        votes: Iterable[tuple[Weight, Weight, Weight] | tuple[Weight, Weight]],
    ) -> Section:
        """Add up per-voter ``(for, against, abstain)`` weights (``abstain`` optional).

        A delegation may split its vote, e.g. ``(600, 400, 0)``. Raises
        :class:`InvalidBallotError` for a negative or malformed entry, naming the voter.
        """
        f: Weight = 0
        a: Weight = 0
        ab: Weight = 0
        count = 0
        for i, v in enumerate(votes, start=1):
            if len(v) not in (2, 3):
                raise InvalidBallotError(
                    f"section {name!r} voter {i}: expected (for, against, abstain), got {v!r}"
                )
            f += check_weight(v[0], f"section {name!r} voter {i}: the vote for")
            a += check_weight(v[1], f"section {name!r} voter {i}: the vote against")
            if len(v) == 3:
                ab += check_weight(v[2], f"section {name!r} voter {i}: the abstention")
            count += 1
        return cls(name=name, share=share, for_votes=f, against=a, abstain=ab, voters=count)


@dataclass(frozen=True)
class SectionResult:
    """One section's contribution. ``for_fraction`` is of the section's votes cast (or of
    those present, per the threshold); ``effective_share`` its share after the empty-section
    rule; ``for_part``/``against_part`` what it adds to the combined shares."""

    name: str
    share: Fraction
    effective_share: Fraction
    for_votes: Weight
    against: Weight
    abstain: Weight
    voters: int | None
    cast: Weight
    for_fraction: Fraction | None
    against_fraction: Fraction | None
    for_part: Fraction
    against_part: Fraction

    @property
    def empty(self) -> bool:
        return self.cast == 0

    def to_dict(self) -> dict[str, Any]:
        def pct(x: Fraction | None) -> str | None:
            return None if x is None else percent_str(x)

        return {
            "name": self.name,
            "share": exact(self.share),
            "share_percent": percent_str(self.share),
            "effective_share": exact(self.effective_share),
            "effective_share_percent": percent_str(self.effective_share),
            "voters": self.voters,
            "for": exact(self.for_votes),
            "against": exact(self.against),
            "abstain": exact(self.abstain),
            "cast": exact(self.cast),
            "empty": self.empty,
            "for_fraction": None if self.for_fraction is None else exact(self.for_fraction),
            "for_percent": pct(self.for_fraction),
            "against_fraction": None
            if self.against_fraction is None
            else exact(self.against_fraction),
            "against_percent": pct(self.against_fraction),
            "contributes_for": exact(self.for_part),
            "contributes_for_percent": percent_str(self.for_part),
            "contributes_against": exact(self.against_part),
            "contributes_against_percent": percent_str(self.against_part),
        }


@dataclass(frozen=True)
class CardVoteResult:
    """Outcome of a card vote: per-section results and the combined exact shares.

    ``for_share``/``against_share`` are fractions of the college (``None`` when nobody
    voted); multiply by 100 for the percentages the conference is told.
    """

    sections: tuple[SectionResult, ...]
    threshold: Threshold
    empty_rule: EmptySection
    for_share: Fraction | None
    against_share: Fraction | None
    carried: bool
    explanation: str

    @property
    def outcome(self) -> str:
        return "carried" if self.carried else "lost"

    @property
    def for_percent(self) -> Fraction | None:
        return None if self.for_share is None else self.for_share * 100

    @property
    def against_percent(self) -> Fraction | None:
        return None if self.against_share is None else self.against_share * 100

    def to_dict(self) -> dict[str, Any]:
        def frac(x: Fraction | None) -> int | str | None:
            return None if x is None else exact(x)

        def pct(x: Fraction | None) -> str | None:
            return None if x is None else percent_str(x)

        return {
            "method": "card vote",
            "outcome": self.outcome,
            "carried": self.carried,
            "for_share": frac(self.for_share),
            "for_percent": pct(self.for_share),
            "against_share": frac(self.against_share),
            "against_percent": pct(self.against_share),
            "threshold": self.threshold.to_dict(),
            "empty_sections": self.empty_rule.value,
            "sections": [s.to_dict() for s in self.sections],
            "explanation": self.explanation,
        }


def count_card_vote(
    sections: Sequence[Section],
    *,
    threshold: Threshold = SIMPLE_MAJORITY,
    empty: EmptySection = EmptySection.RENORMALISE,
) -> CardVoteResult:
    """Combine the sections' votes by their shares and decide the motion.

    Raises :class:`InvalidBallotError` when section names repeat or the shares do not add
    up to exactly 1, and :class:`EmptyBallotSetError` when there are no sections.

    Three steps, as a teller works: check the sections (:func:`_check_sections`), scale
    each section's vote to its share (:func:`_section_results`), then add the shares and
    decide against the threshold (:func:`_decide`).
    """
    _check_sections(sections)
    empty = EmptySection(empty)
    results, voted_share = _section_results(sections, threshold, empty)
    return _decide(results, voted_share, threshold, empty)


def _check_sections(sections: Sequence[Section]) -> None:
    """At least one section, no name twice, shares adding up to exactly 1."""
    if not sections:
        raise EmptyBallotSetError("a card vote needs at least one section")
    names = [s.name for s in sections]
    if len(set(names)) != len(names):
        dup = next(nm for nm in names if names.count(nm) > 1)
        raise InvalidBallotError(f"section {dup!r} is listed twice")
    total_share = sum((s.share for s in sections), Fraction(0))
    if total_share != 1:
        raise InvalidBallotError(
            f"the section shares add up to {total_share} ({percent_str(total_share)}), not 100%"
        )


def _section_results(
    sections: Sequence[Section], threshold: Threshold, empty: EmptySection
) -> tuple[list[SectionResult], Fraction]:
    """Each section's vote scaled to its effective share (the empty-section rule applied),
    and the share of the sections in which votes were cast."""

    def cast_of(s: Section) -> Weight:
        return s.for_votes + s.against + (s.abstain if threshold.of_present else 0)

    voted_share = sum((s.share for s in sections if cast_of(s) != 0), Fraction(0))
    results: list[SectionResult] = []
    for s in sections:
        cast = cast_of(s)
        if cast == 0:
            eff = Fraction(0) if empty is EmptySection.RENORMALISE else s.share
            results.append(_section_result(s, eff, cast, None, None))
            continue
        eff = s.share / voted_share if empty is EmptySection.RENORMALISE else s.share
        ff = Fraction(s.for_votes) / Fraction(cast)
        af = Fraction(s.against) / Fraction(cast)
        results.append(_section_result(s, eff, cast, ff, af))
    return results, voted_share


def _section_result(
    s: Section,
    eff: Fraction,
    cast: Weight,
    for_fraction: Fraction | None,
    against_fraction: Fraction | None,
) -> SectionResult:
    """One section's contribution: its fractions for and against (``None`` when no votes
    were cast, contributing nothing) times its effective share."""
    return SectionResult(
        name=s.name,
        share=s.share,
        effective_share=eff,
        for_votes=s.for_votes,
        against=s.against,
        abstain=s.abstain,
        voters=s.voters,
        cast=cast,
        for_fraction=for_fraction,
        against_fraction=against_fraction,
        for_part=Fraction(0) if for_fraction is None else eff * for_fraction,
        against_part=Fraction(0) if against_fraction is None else eff * against_fraction,
    )


def _decide(
    results: list[SectionResult],
    voted_share: Fraction,
    threshold: Threshold,
    empty: EmptySection,
) -> CardVoteResult:
    """Add the sections' parts and decide the motion on the exact share for (lost when no
    section cast a vote)."""
    if voted_share == 0:
        for_share = against_share = None
        carried = False
        explanation = "Lost: no votes were cast in any section."
    else:
        for_share = sum((r.for_part for r in results), Fraction(0))
        against_share = sum((r.against_part for r in results), Fraction(0))
        carried = threshold.met_by(for_share)
        explanation = _explain(results, threshold, empty, for_share, against_share, carried)
    return CardVoteResult(
        sections=tuple(results),
        threshold=threshold,
        empty_rule=empty,
        for_share=for_share,
        against_share=against_share,
        carried=carried,
        explanation=explanation,
    )


def _explain(
    results: list[SectionResult],
    threshold: Threshold,
    empty: EmptySection,
    for_share: Fraction,
    against_share: Fraction,
    carried: bool,
) -> str:
    verdict = "Carried" if carried else "Lost"
    parts = [
        f"{verdict}: {percent_str(for_share)} for and {percent_str(against_share)} against; "
        f"the motion needed {threshold.describe()}."
    ]
    silent = [r.name for r in results if r.empty]
    if silent:
        who = ", ".join(silent)
        if empty is EmptySection.RENORMALISE:
            parts.append(
                f"No votes were cast in {who}; its share was left out and the other "
                "sections' shares were scaled up to 100%."
            )
        else:
            parts.append(
                f"No votes were cast in {who}; its share was counted as neither for nor against."
            )
    return " ".join(parts)
