"""The parameters of the rule book that the software obeys (pure Python, no Django).

Every number the party's rules fix — motion limits, delegate entitlement, card-vote
section shares, the programme threshold, the selection rules — is a field here, read from
the rule-book version in force on a date (``rankandfile.conference.rulebook``), never a
constant in code. A rule change carried at conference produces a new rule-book version
with new parameters, so behaviour changes from the date it takes effect.

Defaults are the rules described in docs/rules and docs/domain.md (Labour Party rule
book, 2022 onwards, with the demo party's reform of mandatory open selection).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any


class SelectionMode:
    """How a sitting MP's reselection is decided (Chapter 5 of the rule book)."""

    #: Open selection only if a majority of branches and affiliates combined want it.
    TRIGGER_PRE_2018 = "trigger_pre_2018"
    #: Open selection if at least one third of the branches, or one third of the
    #: affiliates, that voted want it (2018 rule change).
    TRIGGER_2018 = "trigger_2018"
    #: Open selection if more than 50% of a college weighted 50% branches / 50%
    #: affiliates want it (2021 rule change).
    TRIGGER_2021 = "trigger_2021"
    #: No trigger: every sitting MP faces a full, open selection.
    MANDATORY_OPEN = "mandatory_open"

    ALL = (TRIGGER_PRE_2018, TRIGGER_2018, TRIGGER_2021, MANDATORY_OPEN)
    LABELS: Mapping[str, str] = {
        TRIGGER_PRE_2018: "Trigger ballot: majority of branches and affiliates (before 2018)",
        TRIGGER_2018: "Trigger ballot: one third of branches or of affiliates (2018)",
        TRIGGER_2021: "Trigger ballot: over 50% of a 50/50 branch/affiliate college (2021)",
        MANDATORY_OPEN: "Mandatory open selection: every sitting MP faces a full selection",
    }


def _fraction(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str):
        return Fraction(value.strip())
    raise ValueError(f"expected a fraction such as '2/3', got {value!r}")


@dataclass(frozen=True)
class ElectionRules:
    """Chapter 4 (elections of the leader, the deputy leader and the NEC's CLP section).

    Nested in :class:`RuleParameters` as ``elections``; docs/rules/elections.md. Shares
    are exact fractions ("p/q" in JSON); a share of 0 means the requirement is absent.
    """

    #: Nominations by MPs needed when there is a vacancy (leader or deputy).
    vacancy_mp_share: Fraction = Fraction(1, 5)
    #: Nominations needed by a challenger when there is no vacancy.
    challenge_mp_share: Fraction = Fraction(1, 5)
    #: The base of the MPs' share counts the MEPs too (the EPLP, until 2020).
    mp_base_includes_meps: bool = False
    #: The second limb for a vacancy: this share of CLPs (0: no second limb) ...
    vacancy_clp_share: Fraction = Fraction(1, 20)
    #: ... or this many affiliates (0: none), of which this many unions, together
    #: holding this share of the affiliated membership.
    vacancy_affiliates_min: int = 3
    vacancy_affiliates_min_unions: int = 2
    vacancy_affiliates_membership_share: Fraction = Fraction(1, 20)
    #: A challenged leader or deputy is on the ballot without nominations.
    incumbent_on_ballot: bool = True
    # Electorate.
    member_months_required: int = 6
    affiliated_supporters: bool = True
    registered_supporters: bool = False
    registered_supporter_fee_pence: int = 0
    registered_supporter_window_days: int = 0
    #: Results are published by electorate section (members, affiliated and registered
    #: supporters) as well as in total.
    publish_by_section: bool = False
    # Timetable (days).
    mp_nomination_days: int = 7
    unit_nomination_days: int = 35
    ballot_days: int = 28
    appeal_days: int = 7
    # Counting.
    leader_method: str = "av"
    nec_clp_seats: int = 9
    nec_clp_method: str = "scottish-stv"
    nec_clp_women_min_share: Fraction = Fraction(1, 2)
    nec_clp_min_clp_nominations: int = 5

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Fraction) and not Fraction(0) <= value <= 1:
                raise ValueError(f"elections.{f.name} must be a share between 0 and 1")
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"elections.{f.name} cannot be negative")
        if self.leader_method not in ("av", "plurality"):
            raise ValueError(f"unknown leadership counting method {self.leader_method!r}")
        if self.nec_clp_method not in ("scottish-stv", "meek", "block"):
            raise ValueError(f"unknown NEC counting method {self.nec_clp_method!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            f.name: (f"{v.numerator}/{v.denominator}" if isinstance(v, Fraction) else v)
            for f in dataclasses.fields(self)
            for v in [getattr(self, f.name)]
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ElectionRules:
        """Unknown keys are an error, missing keys take the defaults."""
        if not isinstance(data, Mapping):
            raise ValueError("elections must be an object of election rules")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown election rules: {', '.join(unknown)}")
        defaults = cls()
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            current = getattr(defaults, key)
            if isinstance(current, Fraction):
                kwargs[key] = _fraction(value)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"elections.{key} must be true or false")
                kwargs[key] = value
            elif isinstance(current, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"elections.{key} must be a whole number")
                kwargs[key] = value
            else:
                kwargs[key] = str(value)
        return cls(**kwargs)

    def replace(self, **changes: Any) -> ElectionRules:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class RuleParameters:
    """The rule book's numbers. Fractions are exact; JSON stores them as "p/q" strings."""

    # Submissions to conference.
    motion_max_words: int = 250
    motion_title_max_words: int = 10
    #: An amendment to a motion, composite or rule change changes at most this many words
    #: (words deleted plus words inserted, counted as for motions).
    amendment_max_words: int = 250
    #: Each CLP and each affiliate may submit this many items in all (motion *or* rule change).
    submissions_per_organisation: int = 1
    #: The "contemporary" test: the motion's issue arose after the policy document.
    contemporary_test: bool = False
    #: CLP rule changes are debated at the conference after the one they were submitted to.
    clp_rule_change_delay_years: int = 1
    #: No proposal on a point conference decided within this many years.
    three_year_rule_years: int = 3

    # Priorities ballot and card vote.
    priorities_topics_per_section: int = 6
    #: Each section's share of the card vote; the shares add up to 1.
    card_vote_section_shares: Mapping[str, Fraction] = field(
        default_factory=lambda: {"clp": Fraction(1, 2), "affiliate": Fraction(1, 2)}
    )
    #: Share of the card vote needed for a motion to enter the programme.
    programme_threshold: Fraction = Fraction(2, 3)

    # Delegate entitlement of a CLP.
    delegate_base_members: int = 749
    delegate_members_per_additional: int = 250
    delegate_max: int = 6
    women_delegate_min_women_members: int = 100
    youth_delegate_min_young_members: int = 30
    youth_age_under: int = 27
    #: At least every n-th delegate is a woman (2: every second).
    delegate_woman_every: int = 2

    # Selections of parliamentary candidates.
    selection_mode: str = SelectionMode.MANDATORY_OPEN
    candidate_min_membership_months: int = 12
    candidate_requires_trade_union: bool = True
    shortlist_min_women_share: Fraction = Fraction(1, 2)
    shortlist_min_bame: int = 1
    selection_electorate_months: int = 6
    selection_appeal_days: int = 7

    # Internal elections (chapter 4): nested, see ElectionRules.
    elections: ElectionRules = field(default_factory=ElectionRules)
    # Branch and CLP meetings (rankandfile.meetings; docs/rules/meetings.md).
    meetings: MeetingRules = field(default_factory=lambda: MeetingRules())

    def __post_init__(self) -> None:
        if self.selection_mode not in SelectionMode.ALL:
            raise ValueError(f"unknown selection mode {self.selection_mode!r}")
        shares = self.card_vote_section_shares
        if sum(shares.values(), Fraction(0)) != 1:
            raise ValueError("card-vote section shares must add up to 1")
        if not Fraction(0) < self.programme_threshold <= 1:
            raise ValueError("the programme threshold must be a share between 0 and 1")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{f.name} cannot be negative")

    # JSON round trip -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Fraction):
                value = f"{value.numerator}/{value.denominator}"
            elif isinstance(value, Mapping):
                value = {k: f"{v.numerator}/{v.denominator}" for k, v in value.items()}
            elif isinstance(value, (ElectionRules, MeetingRules)):
                value = value.to_json()
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleParameters:
        """Build from stored JSON; unknown keys are an error, missing keys take defaults."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"unknown rule-book parameters: {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        defaults = cls()
        for key, value in data.items():
            current = getattr(defaults, key)
            if isinstance(current, ElectionRules):
                kwargs[key] = ElectionRules.from_json(value)
            elif isinstance(current, Fraction):
                kwargs[key] = _fraction(value)
            elif isinstance(current, Mapping):
                kwargs[key] = {str(k): _fraction(v) for k, v in dict(value).items()}
            elif isinstance(current, MeetingRules):
                kwargs[key] = MeetingRules.from_json(value)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                kwargs[key] = value
            elif isinstance(current, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"{key} must be a whole number")
                kwargs[key] = value
            else:
                kwargs[key] = str(value)
        return cls(**kwargs)

    def replace(self, **changes: Any) -> RuleParameters:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class MeetingRules:
    """The rule book's numbers for branch and CLP meetings (docs/rules/meetings.md).

    Quorum: the larger of a minimum head count and a share of the members entitled to
    attend, rounded up (an executive committee: its share alone). Notice: days between
    the notice going out and the meeting. Stored inside :class:`RuleParameters` under
    ``meetings``; a rule change may amend any of them.
    """

    quorum_share: Fraction = Fraction(1, 20)
    branch_quorum_min: int = 5
    clp_quorum_min: int = 15
    executive_quorum_share: Fraction = Fraction(1, 2)
    notice_days: int = 7
    executive_notice_days: int = 3

    def __post_init__(self) -> None:
        for share in (self.quorum_share, self.executive_quorum_share):
            if not Fraction(0) < share <= 1:
                raise ValueError("a quorum share must be between 0 and 1")
        for name in ("branch_quorum_min", "clp_quorum_min", "notice_days", "executive_notice_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"meetings.{name} cannot be negative")

    def to_json(self) -> dict[str, Any]:
        return {
            f.name: (
                f"{v.numerator}/{v.denominator}"
                if isinstance(v := getattr(self, f.name), Fraction)
                else v
            )
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_json(cls, data: Any) -> MeetingRules:
        if not isinstance(data, Mapping):
            raise ValueError("meetings must be a mapping of meeting rules")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown meeting rules: {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key.endswith("_share"):
                kwargs[key] = _fraction(value)
            elif isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"meetings.{key} must be a whole number")
            else:
                kwargs[key] = value
        return cls(**kwargs)
