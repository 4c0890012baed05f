# ruff: noqa: E501 - data tables: one row per line reads better than wrapped text
"""The rule book the software ships with: numbered clauses and parameters, by version.

Paraphrased from the Labour Party rule book (chapters 3 "Party conference", 5 "Selections",
and appendix 6 "Conference procedure"), with the history of the changes conference made:

* 2017: trigger ballot by a majority of branches and affiliates; 4 priorities per section;
  no cap on CLP delegations.
* 2018 (Liverpool): the trigger ballot threshold falls to one third of branches or of
  affiliates; 10 priorities per section.
* 2021 (Brighton): the trigger becomes more than 50% of a 50/50 electoral college;
  6 priorities per section.
* 2022 (Liverpool): CLP delegations are capped at 6 (plus women's and youth delegates).
* 2025 (the demo party's reform): mandatory open selection of every sitting MP.

Chapter 4 (elections of the leader, deputy leader and the NEC's CLP section; the
``elections`` parameters, docs/rules/elections.md): the first version stands for the rule
book from the 2014 special conference (one member one vote; registered supporters at a
fee; 15% of MPs and MEPs for a vacancy, 20% for a challenge; NEC CLP section by block
vote); 2018 adds the Democracy Review's second limb (5% of CLPs, or three affiliates, two
of them unions, with 5% of the affiliated membership) to a 10% MPs-and-MEPs threshold
(the 10% itself was carried in 2017 and is folded into the 2018 version here); 2021
raises a vacancy to 20% of MPs alone, ends registered supporters and counts the NEC's
CLP section by STV with at least half women.

Clause texts are templates filled from the version's parameters, so a clause always says
what the software does. See docs/rules/conference.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from rankandfile.conference.rules import ElectionRules, RuleParameters, SelectionMode


@dataclass(frozen=True)
class ClauseSpec:
    number: str
    chapter: str
    heading: str
    text: str  # str.format template over RuleParameters fields (plus a few derived words)


@dataclass(frozen=True)
class VersionSpec:
    number: int
    title: str
    effective_from: dt.date
    adopted_year: int | None
    parameters: RuleParameters
    note: str


@dataclass(frozen=True)
class ConferenceSpec:
    year: int
    title: str
    venue: str
    starts_on: dt.date
    ends_on: dt.date


HISTORIC_CONFERENCES: tuple[ConferenceSpec, ...] = (
    ConferenceSpec(2017, "Annual Conference 2017", "Brighton", dt.date(2017, 9, 24), dt.date(2017, 9, 27)),
    ConferenceSpec(2018, "Annual Conference 2018", "Liverpool", dt.date(2018, 9, 23), dt.date(2018, 9, 26)),
    ConferenceSpec(2019, "Annual Conference 2019", "Brighton", dt.date(2019, 9, 21), dt.date(2019, 9, 25)),
    ConferenceSpec(2021, "Annual Conference 2021", "Brighton", dt.date(2021, 9, 25), dt.date(2021, 9, 29)),
    ConferenceSpec(2022, "Annual Conference 2022", "Liverpool", dt.date(2022, 9, 25), dt.date(2022, 9, 28)),
    ConferenceSpec(2023, "Annual Conference 2023", "Liverpool", dt.date(2023, 10, 8), dt.date(2023, 10, 11)),
    ConferenceSpec(2024, "Annual Conference 2024", "Liverpool", dt.date(2024, 9, 22), dt.date(2024, 9, 25)),
    ConferenceSpec(2025, "Annual Conference 2025", "Liverpool", dt.date(2025, 9, 28), dt.date(2025, 10, 1)),
)  # fmt: skip

#: Chapter 4 as it stood from the 2014 special conference (used in 2015 and 2016).
ELECTIONS_2014 = ElectionRules(
    vacancy_mp_share=Fraction(3, 20),
    challenge_mp_share=Fraction(1, 5),
    mp_base_includes_meps=True,
    vacancy_clp_share=Fraction(0),
    vacancy_affiliates_min=0,
    vacancy_affiliates_min_unions=0,
    vacancy_affiliates_membership_share=Fraction(0),
    member_months_required=0,
    registered_supporters=True,
    registered_supporter_fee_pence=300,
    registered_supporter_window_days=28,
    publish_by_section=True,
    nec_clp_seats=6,
    nec_clp_method="block",
    nec_clp_women_min_share=Fraction(1, 2),
)
#: The Democracy Review (2018): 10% of MPs and MEPs plus 5% of CLPs or three affiliates.
ELECTIONS_2018 = ELECTIONS_2014.replace(
    vacancy_mp_share=Fraction(1, 10),
    vacancy_clp_share=Fraction(1, 20),
    vacancy_affiliates_min=3,
    vacancy_affiliates_min_unions=2,
    vacancy_affiliates_membership_share=Fraction(1, 20),
    member_months_required=6,
    registered_supporter_fee_pence=2500,
    registered_supporter_window_days=2,
    nec_clp_seats=9,
)
#: 2021: 20% of MPs for a vacancy; no registered supporters; NEC CLP section by STV.
ELECTIONS_2021 = ELECTIONS_2018.replace(
    vacancy_mp_share=Fraction(1, 5),
    mp_base_includes_meps=False,
    registered_supporters=False,
    registered_supporter_fee_pence=0,
    registered_supporter_window_days=0,
    publish_by_section=False,
    nec_clp_method="scottish-stv",
)

_BASE = RuleParameters(
    priorities_topics_per_section=4,
    delegate_max=0,  # 0: no cap (before 2022)
    selection_mode=SelectionMode.TRIGGER_PRE_2018,
    elections=ELECTIONS_2014,
)
V2018 = _BASE.replace(
    priorities_topics_per_section=10,
    selection_mode=SelectionMode.TRIGGER_2018,
    elections=ELECTIONS_2018,
)
V2021 = V2018.replace(
    priorities_topics_per_section=6,
    selection_mode=SelectionMode.TRIGGER_2021,
    elections=ELECTIONS_2021,
)
V2022 = V2021.replace(delegate_max=6)
V2025 = V2022.replace(selection_mode=SelectionMode.MANDATORY_OPEN)

VERSIONS: tuple[VersionSpec, ...] = (
    VersionSpec(1, "Rule book 2017", dt.date(2014, 3, 1), None, _BASE,
                "The rule book as it stood before the 2017 conference (chapter 4 as "
                "reformed by the special conference of 1 March 2014)."),
    VersionSpec(2, "Rule book 2018", dt.date(2018, 9, 26), 2018, V2018,
                "Democracy Review: trigger ballot at one third; ten priorities per section."),
    VersionSpec(3, "Rule book 2021", dt.date(2021, 9, 29), 2021, V2021,
                "Trigger ballot by a 50/50 electoral college; six priorities per section."),
    VersionSpec(4, "Rule book 2022", dt.date(2022, 9, 28), 2022, V2022,
                "CLP delegations capped at six, plus women's and youth delegates."),
    VersionSpec(5, "Rule book 2025", dt.date(2025, 10, 1), 2025, V2025,
                "Mandatory open selection: every sitting MP faces a full selection."),
)  # fmt: skip

_SELECTION_TEXT = {
    SelectionMode.TRIGGER_PRE_2018: (
        "Where the Member of Parliament wishes to stand again, the branches and affiliates "
        "shall each indicate whether they wish a full selection to take place. A full "
        "selection shall be held only if a majority of the branches and affiliates taken "
        "together so indicate; otherwise the sitting Member shall be the sole nominee."
    ),
    SelectionMode.TRIGGER_2018: (
        "Where the Member of Parliament wishes to stand again, the branches and affiliates "
        "shall each indicate whether they wish a full selection to take place. A full "
        "selection shall be held if at least one third of the branches that vote, or at "
        "least one third of the affiliates that vote, so indicate."
    ),
    SelectionMode.TRIGGER_2021: (
        "Where the Member of Parliament wishes to stand again, a trigger ballot shall be "
        "held in which branches and affiliates each form half of an electoral college. A "
        "full selection shall be held if more than 50 per cent of the college so indicates."
    ),
    SelectionMode.MANDATORY_OPEN: (
        "Before each general election every sitting Member of Parliament who wishes to "
        "stand again shall face a full and open selection on the same terms as any other "
        "applicant, save that a sitting Member shall be included on the shortlist."
    ),
}

CLAUSES: tuple[ClauseSpec, ...] = (
    ClauseSpec("3.I.1", "Chapter 3: Party conference", "Sovereignty of conference",
        "The work of the Party shall be under the direction and control of Party conference, "
        "which shall meet annually. Conference shall decide the Party's programme and its rules."),
    ClauseSpec("3.I.2", "Chapter 3: Party conference", "The programme",
        "No proposal shall be included in the Party programme unless it has been adopted by "
        "conference by a majority of not less than {threshold_words} of the votes recorded on "
        "a card vote."),
    ClauseSpec("3.II.1", "Chapter 3: Party conference", "Submissions",
        "Each CLP and each affiliated organisation may submit {submissions_words} to "
        "conference: a motion or a rule change."),
    ClauseSpec("3.II.2", "Chapter 3: Party conference", "Length of motions",
        "A motion shall not exceed {motion_max_words} words, and its title shall not exceed "
        "{motion_title_max_words} words."),
    ClauseSpec("3.II.3", "Chapter 3: Party conference", "Rule changes from CLPs",
        "Rule changes submitted by CLPs shall be timetabled for debate at the conference "
        "{delay_words} after the conference to which they were submitted."),
    ClauseSpec("3.II.4", "Chapter 3: Party conference", "The three-year rule",
        "When conference has made a decision on a rule change, no proposal on the same clause "
        "shall be placed on the agenda for a period of {three_year_rule_years} years from "
        "the time that decision was made, save where the NEC so proposes."),
    ClauseSpec("3.III.1", "Chapter 3: Party conference", "CLP delegations",
        "Each CLP shall be entitled to one delegate for the first {delegate_base_members} "
        "members or part thereof, and one further delegate for each additional "
        "{delegate_members_per_additional} members or part thereof{cap_words}. A CLP with at "
        "least {women_delegate_min_women_members} women members shall be entitled to an "
        "additional woman delegate, and a CLP with at least {youth_delegate_min_young_members} "
        "members under {youth_age_under} to an additional youth delegate."),
    ClauseSpec("3.III.2", "Chapter 3: Party conference", "Gender balance",
        "At least one in every {delegate_woman_every} delegates of a CLP shall be a woman."),
    ClauseSpec("3.IV.1", "Chapter 3: Party conference", "Voting",
        "Votes shall be taken by show of hands unless a card vote is called. On a card vote "
        "the votes of CLP delegates shall make up {clp_share} and the votes of affiliated "
        "organisations {affiliate_share} of the total; each CLP's vote, being its membership, "
        "shall be divided equally among its delegates present, and each affiliate shall cast "
        "its affiliated membership."),
    ClauseSpec("A6.1", "Appendix 6: Procedural guidelines", "Priorities ballot",
        "The CAC shall group the motions in order into topics. The CLP section and the "
        "affiliated organisations section shall each select {priorities_topics_per_section} "
        "topics for debate by a priorities ballot, each CLP delegation and each affiliate "
        "casting one vote. The topics chosen by either section shall be debated."),
    ClauseSpec("A6.2", "Appendix 6: Procedural guidelines", "Compositing",
        "Motions on a topic chosen for debate shall be composited into one motion, using only "
        "the wording of the original motions, at a meeting of their movers. The composite "
        "shall be agreed by every mover before it is printed."),
    ClauseSpec("5.II.1", "Chapter 5: Selections", "Reselection of sitting Members",
        "{selection_text}"),
    ClauseSpec("5.II.2", "Chapter 5: Selections", "Candidates",
        "An applicant must have been a member for at least {candidate_min_membership_months} "
        "months continuously{union_words}."),
    ClauseSpec("5.II.3", "Chapter 5: Selections", "Shortlists",
        "Shortlists shall be at least {women_share_words} women and include at least "
        "{shortlist_min_bame} Black, Asian or minority ethnic applicant where one applies."),
    ClauseSpec("5.II.4", "Chapter 5: Selections", "The ballot",
        "The selection shall be by a one member one vote ballot of members with at least "
        "{selection_electorate_months} months' continuous membership at the freeze date, "
        "counted by eliminating ballot. Appeals must be lodged within "
        "{selection_appeal_days} days of the result."),
    ClauseSpec("4.II.1", "Chapter 4: Elections", "Nominations when there is a vacancy",
        "Where there is a vacancy for leader or deputy leader, each nomination must be "
        "supported by {vacancy_mp_words} of the {mp_base_words}{second_limb_words}."),
    ClauseSpec("4.II.2", "Chapter 4: Elections", "Challenges",
        "Where there is no vacancy, a challenger must be nominated by {challenge_mp_words} "
        "of the {mp_base_words}. {incumbent_words}"),
    ClauseSpec("4.II.3", "Chapter 4: Elections", "The electorate",
        "The leader and deputy leader are elected by one member one vote: members with "
        "{member_months_words} at the freeze date{supporters_words}. Votes are counted "
        "{leader_method_words}{section_words}."),
    ClauseSpec("4.II.4", "Chapter 4: Elections", "Timetable and appeals",
        "MPs' nominations are open for {mp_nomination_days} days, nominations by CLPs and "
        "affiliates for {unit_nomination_days} days, and the ballot for {ballot_days} days. "
        "Appeals must be lodged within {appeal_days} days of the declaration."),
    ClauseSpec("4.III.1", "Chapter 4: Elections", "The NEC's CLP section",
        "The {nec_clp_seats} members of the NEC's CLP section are elected by all members "
        "{nec_method_words}; at least {nec_women_words} of them shall be women. A candidate "
        "must be nominated by at least {nec_clp_min_clp_nominations} CLPs."),
)  # fmt: skip

_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _fraction_words(f: Fraction) -> str:
    named = {
        Fraction(2, 3): "two-thirds",
        Fraction(1, 2): "one half",
        Fraction(3, 5): "three-fifths",
    }
    return named.get(f, f"{f.numerator}/{f.denominator}")


def _percent(f: Fraction) -> str:
    p = f * 100
    return (
        f"{p.numerator // p.denominator} per cent"
        if p.denominator == 1
        else f"{float(p):.4g} per cent"
    )


def clause_values(p: RuleParameters) -> dict[str, object]:
    """The words a clause template may use, derived from the parameters."""
    from dataclasses import asdict

    values: dict[str, object] = {k: v for k, v in asdict(p).items() if not isinstance(v, dict)}
    n = p.submissions_per_organisation
    delay = p.clp_rule_change_delay_years
    values.update(
        threshold_words=_fraction_words(p.programme_threshold),
        submissions_words="one item" if n == 1 else f"{_WORDS.get(n, n)} items",
        delay_words="the year" if delay == 1 else f"{delay} years",
        cap_words=(f", up to a maximum of {p.delegate_max} delegates" if p.delegate_max else ""),
        clp_share=_percent(p.card_vote_section_shares.get("clp", Fraction(0))),
        affiliate_share=_percent(p.card_vote_section_shares.get("affiliate", Fraction(0))),
        selection_text=_SELECTION_TEXT[p.selection_mode],
        union_words=(
            " and be a member of a trade union affiliated to the Party"
            if p.candidate_requires_trade_union
            else ""
        ),
        women_share_words=_percent(p.shortlist_min_women_share),
    )
    values.update(election_clause_values(p.elections))
    return values


def election_clause_values(e: ElectionRules) -> dict[str, object]:
    """The words chapter 4's clauses use (docs/rules/elections.md)."""
    values: dict[str, object] = {
        k: v for k, v in dataclasses.asdict(e).items() if not isinstance(v, Fraction)
    }
    limbs = []
    if e.vacancy_clp_share:
        limbs.append(f"{_percent(e.vacancy_clp_share)} of CLPs")
    if e.vacancy_affiliates_min:
        limbs.append(
            f"at least {_WORDS.get(e.vacancy_affiliates_min, e.vacancy_affiliates_min)} "
            f"affiliates, {_WORDS.get(e.vacancy_affiliates_min_unions, e.vacancy_affiliates_min_unions)} "
            "of them trade unions, together comprising "
            f"{_percent(e.vacancy_affiliates_membership_share)} of the affiliated membership"
        )
    supporters = []
    if e.affiliated_supporters:
        supporters.append("affiliated supporters")
    if e.registered_supporters:
        supporters.append(
            f"registered supporters who registered within the {e.registered_supporter_window_days}-day "
            f"window and paid £{e.registered_supporter_fee_pence / 100:.2f}"
        )
    women = e.nec_clp_women_min_share * e.nec_clp_seats
    values.update(
        vacancy_mp_words=_percent(e.vacancy_mp_share),
        challenge_mp_words=_percent(e.challenge_mp_share),
        mp_base_words=(
            "Commons members of the parliamentary party and the Members of the European Parliament"
            if e.mp_base_includes_meps
            else "Commons members of the parliamentary party"
        ),
        second_limb_words=(", and by either " + " or ".join(limbs) if limbs else ""),
        incumbent_words=(
            "The incumbent shall be on the ballot without nominations."
            if e.incumbent_on_ballot
            else "The incumbent must be nominated like any candidate."
        ),
        member_months_words=(
            f"{e.member_months_required} months' continuous membership"
            if e.member_months_required
            else "membership"
        ),
        supporters_words=(", and " + " and ".join(supporters) if supporters else ""),
        leader_method_words=(
            "by eliminating ballot (alternative vote)"
            if e.leader_method == "av"
            else "by plurality"
        ),
        section_words=(
            ", and the results published by section as well as in total"
            if e.publish_by_section
            else ""
        ),
        nec_method_words={
            "block": "by block vote, each member voting for up to as many candidates as there are seats",
            "scottish-stv": "by single transferable vote",
            "meek": "by single transferable vote (Meek)",
        }[e.nec_clp_method],
        nec_women_words=(women.numerator + women.denominator - 1) // women.denominator,
    )
    return values


def clause_texts(p: RuleParameters) -> list[tuple[ClauseSpec, str]]:
    values = clause_values(p)
    return [(c, c.text.format(**values)) for c in CLAUSES]
