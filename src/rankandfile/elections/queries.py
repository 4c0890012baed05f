"""Reads for election pages and the API: standings (nominations counted live against the
rules in force, explained in words), the contest page, MPs' own page, results by round,
and the comparison of what each historic rule would have admitted."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext, gettext_noop

from rankandfile.ballots import outside
from rankandfile.ballots import queries as ballots_queries
from rankandfile.conference.models import RuleBookVersion
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import ElectionRules, RuleParameters
from rankandfile.elections import permissions, thresholds
from rankandfile.elections.models import (
    Candidate,
    Contest,
    ContestKind,
    Hustings,
    Nomination,
    PastCandidate,
    PastRound,
    Supporter,
    UnitBallot,
)
from rankandfile.membership.models import AffiliationYear


def rules_for(contest: Contest) -> ElectionRules:
    return parameters_in_force(on=contest.rules_on).elections


def _affiliate_members(year: int) -> dict[int, int]:
    out: dict[int, int] = {}
    for row in AffiliationYear.objects.filter(year__lte=year).order_by("affiliate_id", "year"):
        out[row.affiliate_id] = row.affiliated_members
    return out


@dataclass
class Standing:
    candidate: Candidate
    mps: list[Nomination] = field(default_factory=list)
    clps: list[Nomination] = field(default_factory=list)
    affiliates: list[Nomination] = field(default_factory=list)
    assessment: thresholds.Assessment = field(
        default_factory=lambda: thresholds.Assessment(False, ())
    )


def contest_field(contest: Contest) -> thresholds.Field:
    return thresholds.Field(
        mps=contest.field_mps,
        meps=contest.field_meps,
        clps=contest.field_clps,
        affiliated_membership=contest.field_affiliated_membership,
    )


def standings(contest: Contest) -> list[Standing]:
    """Every candidate still standing with their live nominations and whether they meet
    the thresholds of the rules in force (three queries whatever the size)."""
    rules = rules_for(contest)
    rows: dict[int, Standing] = {
        c.pk: Standing(c) for c in contest.candidates.filter(withdrawn_at__isnull=True)
    }
    nominations = (
        contest.nominations.filter(withdrawn_at__isnull=True)
        .select_related("mp", "clp", "affiliate")
        .order_by("created_at", "pk")
    )
    for n in nominations:
        row = rows.get(n.candidate_id)
        if row is None:
            continue
        {"mp": row.mps, "clp": row.clps, "affiliate": row.affiliates}[n.by].append(n)
    members = _affiliate_members(contest.rules_on.year)
    for row in rows.values():
        if contest.is_nec:
            row.assessment = thresholds.assess_nec(rules, len(row.clps))
            continue
        support = thresholds.Support(
            mps=len(row.mps),
            clps=len(row.clps),
            affiliates=tuple(
                thresholds.AffiliateSupport(
                    name=str(n.affiliate),
                    is_union=n.affiliate is not None and n.affiliate.kind == "union",
                    affiliated_members=members.get(n.affiliate_id or 0, 0),
                )
                for n in row.affiliates
            ),
        )
        row.assessment = thresholds.assess(
            rules,
            contest_field(contest),
            support,
            challenge=contest.kind == ContestKind.CHALLENGE,
            incumbent=row.candidate.is_incumbent,
        )
    return sorted(
        rows.values(),
        key=lambda r: (not r.candidate.is_incumbent, -len(r.mps), -len(r.clps), r.candidate.name),
    )


@dataclass
class CountSheet:
    """The count as a sheet: a column per round (AV) or stage (STV), a row per candidate;
    each cell the votes held and, where it changed there, the candidate's new state."""

    rounds: list[tuple[int, str]]
    rows: list[tuple[str, list[str]]]


_STATE_WORDS = {
    "elected": gettext_noop("%(votes)s (elected)"),
    "excluded": gettext_noop("%(votes)s (excluded)"),
    "withdrawn": gettext_noop("%(votes)s (withdrawn)"),
}
_ACTION_WORDS = {
    "first": gettext_noop("first"),
    "elect": gettext_noop("elect"),
    "surplus": gettext_noop("surplus"),
    "exclude": gettext_noop("exclude"),
    "end": gettext_noop("end"),
}


def count_sheet(contest: Contest) -> CountSheet | None:
    ballot = contest.ballot
    if ballot is None or not ballot.result or ballot.result.get("kind") != "ranked":
        return None
    stages = ballot.result.get("stages") or []
    names = [c["name"] for c in ballot.result.get("candidates", [])]
    rows: list[tuple[str, list[str]]] = []
    for name in names:
        cells, before = [], "hopeful"
        for stage in stages:
            state = stage["states"].get(name, "")
            votes = str(stage["votes"].get(name, ""))
            if before == "excluded":
                cells.append("—")
            elif state != before and state in _STATE_WORDS:
                cells.append(gettext(_STATE_WORDS[state]) % {"votes": votes})
            else:
                cells.append(votes)
            before = state
        rows.append((name, cells))
    rounds = [
        (
            s["number"],
            gettext(_ACTION_WORDS[s["action"]]) if s["action"] in _ACTION_WORDS else s["action"],
        )
        for s in stages
    ]
    return CountSheet(rounds=rounds, rows=rows)


@dataclass
class ContestPage:
    contest: Contest
    rules: ElectionRules
    standings: list[Standing]
    withdrawn: list[Candidate]
    hustings: list[Hustings]
    unit_ballots: list[UnitBallot]
    sheet: CountSheet | None
    elected: list[str]
    my_mp_nomination: Nomination | None
    is_mp: bool
    #: NEC seats that must go to women under the contest's rules (4.III.1).
    women_minimum: int = 0
    #: The AV result by electorate section, where the rules publish it (decision 0025).
    sections: ballots_queries.SectionTable | None = None


def contest_page(contest: Contest, user: Any) -> ContestPage:
    own_mp = permissions.mp_for(user)
    mine = (
        contest.nominations.filter(mp=own_mp, withdrawn_at__isnull=True)
        .select_related("candidate", "mp")
        .first()
        if own_mp
        else None
    )
    elected: list[str] = []
    if contest.ballot is not None and contest.ballot.state == "declared" and contest.ballot.result:
        elected = list(contest.ballot.result.get("elected") or [])
    elif contest.stage == "declared" and contest.ballot is None:
        elected = list(contest.candidates.filter(on_ballot=True).values_list("name", flat=True))
    rules = rules_for(contest)
    return ContestPage(
        contest=contest,
        rules=rules,
        women_minimum=thresholds.women_minimum(rules),
        standings=standings(contest),
        withdrawn=list(contest.candidates.filter(withdrawn_at__isnull=False)),
        hustings=list(contest.hustings.all()),
        unit_ballots=list(contest.unit_ballots.select_related("clp", "ballot")),
        sheet=count_sheet(contest),
        sections=section_table(contest),
        elected=elected,
        my_mp_nomination=mine,
        is_mp=own_mp is not None,
    )


def contests(user: Any) -> QuerySet[Contest]:
    return permissions.visible_contests(user).order_by("-created_at", "-pk")


def past_rounds(user: Any) -> QuerySet[PastRound]:
    if not permissions.can_see_elections(user):
        return PastRound.objects.none()
    return PastRound.objects.prefetch_related(
        Prefetch("candidates", queryset=PastCandidate.objects.order_by("-mps", "name"))
    )


@dataclass
class RuleColumn:
    label: str
    effective_from: dt.date
    rules: ElectionRules
    #: candidate name -> assessment
    verdicts: dict[str, thresholds.Assessment]

    @property
    def admitted(self) -> list[str]:
        return [name for name, a in self.verdicts.items() if a.qualified]


def past_comparison(past: PastRound) -> list[RuleColumn]:
    """What each historic version of chapter 4 would have admitted to the ballot, on the
    round's recorded nominations (versions with identical election rules are merged)."""
    versions = list(RuleBookVersion.objects.order_by("effective_from"))
    grouped: dict[tuple[Any, ...], list[RuleBookVersion]] = defaultdict(list)
    order: list[tuple[Any, ...]] = []
    params: dict[tuple[Any, ...], ElectionRules] = {}
    for v in versions:
        rules = RuleParameters.from_json(v.parameters).elections
        key: tuple[Any, ...] = tuple(sorted(rules.to_json().items()))
        if key not in grouped:
            order.append(key)
            params[key] = rules
        grouped[key].append(v)
    if not versions:
        order = [("defaults",)]
        params = {("defaults",): RuleParameters().elections}
    candidates = list(past.candidates.all())
    fld = thresholds.Field(
        mps=past.field_mps,
        meps=past.field_meps,
        clps=past.field_clps,
        affiliated_membership=past.field_affiliated_membership,
    )
    out = []
    for key in order:
        rules = params[key]
        vs = grouped[key]
        label = " / ".join(v.title for v in vs) if vs else "Rules in force (no rule book loaded)"
        verdicts = {
            c.name: thresholds.assess(
                rules,
                fld,
                thresholds.Support(
                    mps=c.mps,
                    clps=c.clps,
                    affiliates=tuple(
                        thresholds.AffiliateSupport(
                            name=str(a.get("name", "")),
                            is_union=bool(a.get("is_union")),
                            affiliated_members=int(a.get("members", 0)),
                        )
                        for a in c.affiliates
                    ),
                ),
                challenge=past.kind == ContestKind.CHALLENGE,
                incumbent=c.is_incumbent,
            )
            for c in candidates
        }
        out.append(
            RuleColumn(
                label=label,
                effective_from=vs[0].effective_from if vs else dt.date.min,
                rules=rules,
                verdicts=verdicts,
            )
        )
    return out


def mp_page(user: Any) -> list[tuple[Contest, Nomination | None]]:
    """The MP's own page: each contest taking MPs' nominations, with their nomination."""
    own = permissions.mp_for(user)
    if own is None:
        return []
    mine = {
        n.contest_id: n
        for n in Nomination.objects.filter(mp=own, withdrawn_at__isnull=True).select_related(
            "candidate"
        )
    }
    return [
        (c, mine.get(c.pk))
        for c in Contest.objects.exclude(office="nec_clp").filter(stage="nominations")
    ]


# --- supporters (decision 0025) -------------------------------------------------------------
def supporters(contest: Contest) -> QuerySet[Supporter]:
    """The contest's supporters, for the officers running it (not erased)."""
    return contest.supporters.filter(erased_at__isnull=True).select_related("affiliate")


class SupporterDirectory:
    """The supporters as ``ballots.outside`` sees them (registered at start-up by
    ``elections.apps``): an invitation's address, and a login's supporter ids."""

    def contacts(self, ids: Iterable[int]) -> dict[int, outside.Contact]:
        rows = Supporter.objects.filter(pk__in=list(ids), erased_at__isnull=True)
        return {
            s.pk: outside.Contact(first_name=(s.name.split() or [""])[0], email=s.email)
            for s in rows.only("pk", "name", "email")
        }

    def ids_for_user(self, user_id: int) -> list[int]:
        return list(
            Supporter.objects.filter(user_id=user_id, erased_at__isnull=True).values_list(
                "pk", flat=True
            )
        )


def section_table(contest: Contest) -> ballots_queries.SectionTable | None:
    return ballots_queries.section_table(contest.ballot)
