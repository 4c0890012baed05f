"""Reads for the floor: the agenda and sessions, the business the CAC may put on the floor,
the live card-vote tally (one aggregate query) and a delegate's cards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Card,
    Composite,
    Conference,
    FloorSession,
    Submission,
)
from rankandfile.conference.queries.amendments import documents_of
from rankandfile.conference.rules import RuleParameters
from rankandfile.counting.cardvote import CardVoteResult, Section, count_card_vote
from rankandfile.counting.yesno import SIMPLE_MAJORITY, percent_str

SECTION_LABELS = {"clp": "Constituency parties", "affiliate": "Affiliates"}


@dataclass(frozen=True)
class Tally:
    result: CardVoteResult | None
    cards: int
    cast: int
    by_section: dict[str, tuple[int, int]]  # section -> (cast, cards)

    @property
    def for_percent(self) -> str | None:
        r = self.result
        return None if r is None or r.for_share is None else percent_str(r.for_share)

    @property
    def against_percent(self) -> str | None:
        r = self.result
        return None if r is None or r.against_share is None else percent_str(r.against_share)


def card_tally(item: AgendaItem, p: RuleParameters) -> Tally:
    """The live tally of a card vote in one aggregate query.

    Clause 3.IV.1: each CLP's membership is shared equally among its delegates present
    (``unit_weight / unit_present`` per card), each affiliate casts its affiliated
    membership; the sections are scaled to their shares (``counting.cardvote``). Exact
    Fractions throughout; rounding only in display.
    """
    rows = (
        Card.objects.filter(item=item)
        .values("section", "unit_id", "unit_weight", "unit_present", "choice")
        .annotate(n=Count("id"))
        .order_by()
    )
    sums: dict[str, dict[str, Fraction]] = defaultdict(
        lambda: {"for": Fraction(0), "against": Fraction(0), "abstain": Fraction(0)}
    )
    cards: dict[str, int] = defaultdict(int)
    cast: dict[str, int] = defaultdict(int)
    for r in rows:
        sec = r["section"]
        cards[sec] += r["n"]
        if not r["choice"]:
            continue
        cast[sec] += r["n"]
        sums[sec][r["choice"]] += Fraction(r["unit_weight"] * r["n"], r["unit_present"])
    shares = p.card_vote_section_shares
    total_cast = sum(cast.values())
    result = None
    if total_cast:
        sections = [
            Section(
                name=name,
                share=share,
                for_votes=sums[name]["for"],
                against=sums[name]["against"],
                abstain=sums[name]["abstain"],
                voters=cast.get(name, 0),
            )
            for name, share in shares.items()
        ]
        result = count_card_vote(sections, threshold=SIMPLE_MAJORITY)
    return Tally(
        result=result,
        cards=sum(cards.values()),
        cast=total_cast,
        by_section={s: (cast.get(s, 0), cards.get(s, 0)) for s in shares},
    )


def my_cards(user: Any, item: AgendaItem) -> list[Card]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Card.objects.filter(item=item, user=user).order_by("section", "unit_name"))


def open_items_with_my_cards(user: Any, conference: Conference) -> list[AgendaItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        AgendaItem.objects.filter(
            session__conference=conference, state=AgendaItem.State.OPEN, cards__user=user
        )
        .distinct()
        .select_related("session")
    )


def agenda(conference: Conference) -> list[FloorSession]:
    return list(
        FloorSession.objects.filter(conference=conference).prefetch_related(
            Prefetch(
                "items",
                queryset=AgendaItem.objects.select_related("submission", "composite").order_by(
                    "position", "pk"
                ),
            )
        )
    )


def sessions_of(conference: Conference) -> QuerySet[FloorSession]:
    return FloorSession.objects.filter(conference=conference)


def floor_business(conference: Conference) -> list[tuple[str, str]]:
    """What the CAC may put on the floor: agreed composites, submissions in order debated
    this year, designated documents, and amendments in order not yet on the floor
    (``c:``/``s:``/``d:``/``a:`` keys)."""
    out = [(f"d:{d.pk}", d.label) for d in documents_of(conference)]
    out += [
        (f"c:{c.pk}", f"Composite {c.number}: {c.title}")
        for c in Composite.objects.filter(conference=conference, status=Composite.Status.AGREED)
    ]
    out += [
        (f"s:{s.pk}", f"{s.reference} {s.title} ({s.organisation_name})")
        for s in Submission.objects.filter(
            debate_year=conference.year, status=Submission.Status.IN_ORDER
        ).select_related("clp", "affiliate")
    ]
    out += [
        (f"a:{a.pk}", f"Amendment {a.reference} ({a.organisation_name}) to {a.target_label}")
        for a in Amendment.objects.filter(conference=conference, status=Amendment.Status.IN_ORDER)
        .exclude(items__isnull=False)
        .select_related("clp", "affiliate", "submission", "composite", "document")
    ]
    return out
