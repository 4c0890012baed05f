"""Trigger-ballot rules and the shortlist rules, as pure Python (no Django).

Implements docs/rules/selections.md:

- **S1** branch decision: a branch wants an open selection when a *majority of the
  members present* at its meeting vote for one (``2 × for > present``); a meeting where
  nobody voted either way has abstained and counts as not having voted.
- **S2** affiliate decision: one vote each (for, against, or abstain).
- **S3** the four selection modes of :class:`rankandfile.conference.rules.SelectionMode`:

  - ``trigger_pre_2018``: open selection only if a majority of the branches and
    affiliates combined that voted want one (``2 × yes > voted``);
  - ``trigger_2018``: open selection if at least one third of the branches that voted,
    *or* at least one third of the affiliates that voted, want one (``3 × yes ≥ voted``,
    each section judged only if any of it voted);
  - ``trigger_2021``: open selection if more than 50% of an electoral college weighted
    50% branches / 50% affiliates want one; a section in which nobody voted has no
    share, and the other section then carries the whole college;
  - ``mandatory_open``: no trigger — every sitting MP faces a full, open selection.

  Under every trigger rule, if no branch and no affiliate voted, no open selection is
  triggered (the sitting MP is reselected).
- **S4** the shortlist rules (women share, BAME candidates, a sitting MP facing a full
  selection is on the shortlist).

Every number is exact (:class:`fractions.Fraction`); every outcome carries an explanation
in words, e.g. "3 of 8 branches that voted — 37.5% — want an open selection: threshold
one third reached".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

TRIGGER_PRE_2018 = "trigger_pre_2018"
TRIGGER_2018 = "trigger_2018"
TRIGGER_2021 = "trigger_2021"
MANDATORY_OPEN = "mandatory_open"
MODES = (TRIGGER_PRE_2018, TRIGGER_2018, TRIGGER_2021, MANDATORY_OPEN)
TRIGGER_MODES = (TRIGGER_PRE_2018, TRIGGER_2018, TRIGGER_2021)
MODE_NAMES: Mapping[str, str] = {
    TRIGGER_PRE_2018: "Before 2018: majority of branches and affiliates combined",
    TRIGGER_2018: "2018: one third of branches or one third of affiliates",
    TRIGGER_2021: "2021: over 50% of a 50/50 branch/affiliate college",
    MANDATORY_OPEN: "Mandatory open selection (no trigger)",
}

BRANCH = "branch"
AFFILIATE = "affiliate"


class TriggerError(ValueError):
    """Figures that cannot be a meeting's record (the message says which)."""


def percent(value: Fraction) -> str:
    """``Fraction(3, 8)`` → ``"37.5%"``; at most one decimal place, rounded half up."""
    tenths = (value * 1000 + Fraction(1, 2)) // 1
    whole, tenth = divmod(int(tenths), 10)
    return f"{whole}%" if tenth == 0 else f"{whole}.{tenth}%"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def branch_wants_open(*, present: int, votes_for: int, votes_against: int) -> bool | None:
    """S1: a branch meeting's decision. ``None``: the branch abstained (nobody voted).

    Raises :class:`TriggerError` for figures that cannot be a meeting's record.
    """
    if present < 0 or votes_for < 0 or votes_against < 0:
        raise TriggerError("numbers of members cannot be negative")
    if votes_for + votes_against > present:
        raise TriggerError(
            f"{votes_for} for and {votes_against} against is more votes than the "
            f"{present} members present"
        )
    if votes_for == 0 and votes_against == 0:
        return None
    return 2 * votes_for > present


@dataclass(frozen=True)
class UnitVote:
    """One branch's or affiliate's decision: ``wants_open`` True (wants an open
    selection), False (does not), None (abstained: counts as not having voted)."""

    kind: str  # BRANCH or AFFILIATE
    name: str
    wants_open: bool | None


@dataclass(frozen=True)
class Section:
    """How one section voted: units that voted, and how many of them want an open selection."""

    voted: int
    yes: int
    abstained: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.yes, self.voted) if self.voted else None


@dataclass(frozen=True)
class TriggerOutcome:
    """The decision under one rule, with its figures and the reasons in words."""

    mode: str
    open_selection: bool
    reasons: tuple[str, ...]
    branches: Section
    affiliates: Section
    share: Fraction | None = None  # the share compared with the threshold, where one

    @property
    def mode_name(self) -> str:
        return MODE_NAMES[self.mode]

    @property
    def summary(self) -> str:
        if self.mode == MANDATORY_OPEN:
            return "Full open selection (mandatory)."
        if self.open_selection:
            return "Trigger reached: a full, open selection is held."
        return "Trigger not reached: the sitting MP is reselected without an open selection."

    @property
    def explanation(self) -> str:
        return " ".join([*self.reasons, self.summary])


def _section(votes: Iterable[UnitVote], kind: str) -> Section:
    mine = [v for v in votes if v.kind == kind]
    voted = [v for v in mine if v.wants_open is not None]
    return Section(
        voted=len(voted),
        yes=sum(1 for v in voted if v.wants_open),
        abstained=len(mine) - len(voted),
    )


def _section_line(section: Section, noun: str, plural: str) -> str:
    share = section.share
    assert share is not None
    return (
        f"{section.yes} of {_plural(section.voted, noun, plural)} that voted — "
        f"{percent(share)} — {'wants' if section.voted == 1 else 'want'} an open selection"
    )


def _abstentions(branches: Section, affiliates: Section) -> list[str]:
    lines = []
    if branches.abstained:
        lines.append(
            f"{_plural(branches.abstained, 'branch', 'branches')} abstained and "
            f"{'is' if branches.abstained == 1 else 'are'} not counted."
        )
    if affiliates.abstained:
        lines.append(
            f"{_plural(affiliates.abstained, 'affiliate')} abstained and "
            f"{'is' if affiliates.abstained == 1 else 'are'} not counted."
        )
    return lines


def decide(mode: str, votes: Sequence[UnitVote]) -> TriggerOutcome:
    """S3: the outcome of a trigger ballot under ``mode``, explained."""
    if mode not in MODES:
        raise TriggerError(f"unknown selection mode {mode!r}")
    branches = _section(votes, BRANCH)
    affiliates = _section(votes, AFFILIATE)
    if mode == MANDATORY_OPEN:
        return TriggerOutcome(
            mode,
            True,
            ("No trigger ballot: under mandatory open selection every sitting MP faces a "
             "full, open selection.",),
            branches,
            affiliates,
        )  # fmt: skip
    reasons = _abstentions(branches, affiliates)
    if branches.voted == 0 and affiliates.voted == 0:
        reasons.append("No branch and no affiliate voted, so nothing triggers an open selection.")
        return TriggerOutcome(mode, False, tuple(reasons), branches, affiliates)
    if mode == TRIGGER_PRE_2018:
        voted = branches.voted + affiliates.voted
        yes = branches.yes + affiliates.yes
        share = Fraction(yes, voted)
        reached = 2 * yes > voted
        reasons.append(
            f"{yes} of {voted} branches and affiliates that voted — {percent(share)} — want "
            f"an open selection: a majority (more than half) "
            f"{'reached' if reached else 'not reached'}."
        )
        return TriggerOutcome(mode, reached, tuple(reasons), branches, affiliates, share)
    if mode == TRIGGER_2018:
        reached = False
        best: Fraction | None = None
        for section, noun, plural in (
            (branches, "branch", "branches"),
            (affiliates, "affiliate", "affiliates"),
        ):
            section_share = section.share
            if section_share is None:
                reasons.append(f"No {noun} voted: that section cannot trigger.")
                continue
            ok = 3 * section.yes >= section.voted
            reached = reached or ok
            best = section_share if best is None else max(best, section_share)
            reasons.append(
                f"{_section_line(section, noun, plural)}: threshold one third "
                f"{'reached' if ok else 'not reached'}."
            )
        return TriggerOutcome(mode, reached, tuple(reasons), branches, affiliates, best)
    # TRIGGER_2021: the electoral college.
    sections = [(s, n, p) for s, n, p in ((branches, "branch", "branches"),
                                          (affiliates, "affiliate", "affiliates"))
                if s.share is not None]  # fmt: skip
    weight = Fraction(1, len(sections))
    college = Fraction(0)
    for section, noun, plural in sections:
        college_share = section.share
        assert college_share is not None
        college += weight * college_share
        reasons.append(
            f"{_section_line(section, noun, plural)}, weighted {percent(weight)} of the college."
        )
    if len(sections) == 1:
        other = "affiliate" if sections[0][1] == "branch" else "branch"
        reasons.append(f"No {other} voted, so the {sections[0][2]} carry the whole college.")
    reached = college > Fraction(1, 2)
    reasons.append(
        f"The college gives {percent(college)} for an open selection: more than 50% "
        f"{'reached' if reached else 'not reached'}."
    )
    return TriggerOutcome(mode, reached, tuple(reasons), branches, affiliates, college)


def compare_all(votes: Sequence[UnitVote]) -> list[TriggerOutcome]:
    """What each of the four rules would have decided on the same recorded votes."""
    return [decide(mode, votes) for mode in MODES]


# --- the shortlist rules (S4) -----------------------------------------------------------
@dataclass(frozen=True)
class ShortlistEntry:
    name: str
    is_woman: bool
    is_bame: bool
    is_sitting_mp: bool = False


@dataclass(frozen=True)
class ShortlistRules:
    min_women_share: Fraction = Fraction(1, 2)
    min_bame: int = 1
    min_size: int = 2


@dataclass(frozen=True)
class ShortlistCheck:
    breaches: tuple[str, ...]
    facts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.breaches


def check_shortlist(
    entries: Sequence[ShortlistEntry],
    rules: ShortlistRules,
    *,
    sitting_mp_name: str | None = None,
) -> ShortlistCheck:
    """S4: every breach of the shortlist rules, in words a panel can act on.

    ``sitting_mp_name``: a sitting MP who applied and faces a full selection; they must be
    on the shortlist (the services put them there automatically).
    """
    breaches: list[str] = []
    facts: list[str] = []
    n = len(entries)
    if n < rules.min_size:
        breaches.append(
            f"The shortlist has {_plural(n, 'candidate')}; members need a choice of at "
            f"least {rules.min_size}."
        )
    women = sum(1 for e in entries if e.is_woman)
    if n:
        share = Fraction(women, n)
        facts.append(f"{women} of {n} shortlisted are women ({percent(share)}).")
        if share < rules.min_women_share:
            needed = 0
            while Fraction(women + needed, n + needed) < rules.min_women_share:
                needed += 1
            breaches.append(
                f"At least {percent(rules.min_women_share)} of the shortlist must be women, "
                f"but {women} of {n} are ({percent(share)}): add "
                f"{_plural(needed, 'woman', 'women')} or replace a man with a woman."
            )
    bame = sum(1 for e in entries if e.is_bame)
    if n:
        facts.append(f"{_plural(bame, 'candidate')} self-identified as BAME.")
    if bame < rules.min_bame:
        breaches.append(
            f"At least {_plural(rules.min_bame, 'BAME candidate')} must be shortlisted, "
            f"but {'none is' if bame == 0 else f'only {bame} is'}."
        )
    if sitting_mp_name and not any(e.is_sitting_mp for e in entries):
        breaches.append(
            f"{sitting_mp_name}, the sitting MP, faces a full selection and must be on the "
            "shortlist."
        )
    return ShortlistCheck(tuple(breaches), tuple(facts))
