"""Nomination thresholds for the leader, the deputy leader and the NEC's CLP section.

Pure arithmetic (no Django; import-linter keeps it so): exact fractions, and every
outcome explained in words, e.g. "41 of 198 MPs = 20.7%, threshold 20%: met". The rules
themselves are rule-book parameters (``conference.rules.ElectionRules``); the clauses are
4.II.1 (vacancy), 4.II.2 (challenge) and 4.III.1 (NEC CLP section), docs/rules/elections.md.

A share threshold is met when ``count / base >= share`` — exactly, with fractions, so
"20% of 198" is met by 40 nominations (40/198 = 20.2%) and not by 39 (19.7%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from rankandfile.conference.rules import ElectionRules


def percent(f: Fraction) -> str:
    """A share as a percentage, truncated (never rounded up) to one decimal place so a
    share below a threshold never reads as reaching it: 41/198 -> "20.7%"."""
    tenths = f * 1000
    whole = tenths.numerator // tenths.denominator
    if whole % 10 == 0:
        return f"{whole // 10}%"
    return f"{whole // 10}.{whole % 10}%"


def share_met(count: int, base: int, share: Fraction) -> bool:
    """At least ``share`` of ``base``: ``count / base >= share``. A zero base meets only a
    zero share (nobody to nominate, nothing required)."""
    if count < 0 or base < 0:
        raise ValueError("counts cannot be negative")
    if base == 0:
        return share == 0
    return Fraction(count, base) >= share


def needed(base: int, share: Fraction) -> int:
    """The smallest count meeting ``share`` of ``base``."""
    product = share * base
    return -((-product.numerator) // product.denominator)


def share_words(count: int, base: int, share: Fraction, noun: str) -> str:
    """ "41 of 198 MPs = 20.7%, threshold 20%: met"."""
    met = share_met(count, base, share)
    got = percent(Fraction(count, base)) if base else "0%"
    verdict = "met" if met else "not met"
    return f"{count} of {base} {noun} = {got}, threshold {percent(share)}: {verdict}"


@dataclass(frozen=True)
class Field:
    """The whole field a share is taken of, when nominations open."""

    mps: int
    meps: int = 0
    clps: int = 0
    #: Total affiliated membership of all affiliates (the 5% base).
    affiliated_membership: int = 0


@dataclass(frozen=True)
class AffiliateSupport:
    name: str
    is_union: bool
    affiliated_members: int


@dataclass(frozen=True)
class Support:
    """The nominations one candidate has."""

    #: Nominations by MPs (and MEPs, where the rules count them).
    mps: int
    clps: int = 0
    affiliates: Sequence[AffiliateSupport] = ()


@dataclass(frozen=True)
class Assessment:
    qualified: bool
    lines: tuple[str, ...]

    @property
    def words(self) -> str:
        return "; ".join(self.lines)


def assess(
    rules: ElectionRules,
    field: Field,
    support: Support,
    *,
    challenge: bool = False,
    incumbent: bool = False,
) -> Assessment:
    """Whether a leader/deputy candidate qualifies for the ballot, with reasons.

    4.II.1 (vacancy): ``vacancy_mp_share`` of the MPs (with MEPs where
    ``mp_base_includes_meps``) and, where the rules have a second limb, either
    ``vacancy_clp_share`` of CLPs or ``vacancy_affiliates_min`` affiliates (at least
    ``vacancy_affiliates_min_unions`` of them unions) together holding
    ``vacancy_affiliates_membership_share`` of the affiliated membership.
    4.II.2 (challenge): ``challenge_mp_share`` of the MPs; the incumbent is on the ballot
    without nominations when ``incumbent_on_ballot``.
    """
    if challenge and incumbent and rules.incumbent_on_ballot:
        return Assessment(True, ("the incumbent is on the ballot without nominations",))
    base = field.mps + (field.meps if rules.mp_base_includes_meps else 0)
    noun = "MPs and MEPs" if rules.mp_base_includes_meps else "MPs"
    share = rules.challenge_mp_share if challenge else rules.vacancy_mp_share
    mps_ok = share_met(support.mps, base, share)
    lines = [share_words(support.mps, base, share, noun)]
    has_second_limb = not challenge and (rules.vacancy_clp_share or rules.vacancy_affiliates_min)
    if not has_second_limb:
        return Assessment(mps_ok, tuple(lines))
    clp_ok = bool(rules.vacancy_clp_share) and share_met(
        support.clps, field.clps, rules.vacancy_clp_share
    )
    if rules.vacancy_clp_share:
        lines.append(share_words(support.clps, field.clps, rules.vacancy_clp_share, "CLPs"))
    aff_ok = False
    if rules.vacancy_affiliates_min:
        aff_ok, words = affiliates_limb(rules, field, support.affiliates)
        lines.append(words)
    second = clp_ok or aff_ok
    lines.append(f"CLPs or affiliates: {'met' if second else 'not met'}")
    return Assessment(mps_ok and second, tuple(lines))


def affiliates_limb(
    rules: ElectionRules, field: Field, affiliates: Sequence[AffiliateSupport]
) -> tuple[bool, str]:
    """The affiliates' limb of 4.II.1: enough affiliates, enough unions, enough members."""
    count = len(affiliates)
    unions = sum(1 for a in affiliates if a.is_union)
    members = sum(a.affiliated_members for a in affiliates)
    share = rules.vacancy_affiliates_membership_share
    members_ok = share_met(members, field.affiliated_membership, share)
    ok = (
        count >= rules.vacancy_affiliates_min
        and unions >= rules.vacancy_affiliates_min_unions
        and members_ok
    )
    got = (
        percent(Fraction(members, field.affiliated_membership))
        if field.affiliated_membership
        else "0%"
    )
    words = (
        f"{count} affiliates ({unions} unions; at least {rules.vacancy_affiliates_min}, "
        f"{rules.vacancy_affiliates_min_unions} unions) with {members:,} of "
        f"{field.affiliated_membership:,} affiliated members = {got}, threshold "
        f"{percent(share)}: {'met' if ok else 'not met'}"
    )
    return ok, words


def assess_nec(rules: ElectionRules, clp_nominations: int) -> Assessment:
    """4.III.1: a candidate for the NEC's CLP section needs ``nec_clp_min_clp_nominations``."""
    minimum = rules.nec_clp_min_clp_nominations
    ok = clp_nominations >= minimum
    return Assessment(
        ok,
        (
            f"{clp_nominations} CLP nominations, at least {minimum} needed: "
            f"{'met' if ok else 'not met'}",
        ),
    )


def women_minimum(rules: ElectionRules) -> int:
    """Seats of the NEC's CLP section that must go to women: the share, rounded up."""
    return needed(rules.nec_clp_seats, rules.nec_clp_women_min_share)


def uncountable(rules: ElectionRules) -> str | None:
    """Why an NEC CLP-section contest cannot be run under ``rules``, in plain words, or
    None when it can.

    A block vote elects the candidates with most votes, whoever they are; the counting
    library has no way to hold back seats for women in a block vote (``counting.count``
    refuses quotas for it), so a women's minimum under block-vote rules (the 2014 and
    2018 rule books) could not be guaranteed by the count. Such a contest is refused
    rather than counted without the minimum the rules require."""
    minimum = women_minimum(rules)
    if rules.nec_clp_method != "block" or minimum == 0:
        return None
    return (
        f"the rules in force elect the NEC's CLP section by block vote with at least "
        f"{minimum} of its {rules.nec_clp_seats} seats for women; a block vote elects the "
        "candidates with most votes whoever they are, and the count cannot hold seats back "
        "for women in a block vote, so this contest cannot be run under these rules. A rule "
        "change to clause 4.III.1 (single transferable vote, which counts the minimum as a "
        "quota) must be carried and published first"
    )
