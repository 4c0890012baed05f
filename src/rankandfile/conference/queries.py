"""Reads for conference pages and the API (query counts pinned in tests)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from rankandfile.ballots.models import Ballot
from rankandfile.conference import procedure, rulechanges
from rankandfile.conference.models import (
    AffiliateDelegation,
    AgendaItem,
    Amendment,
    Card,
    Composite,
    CompositeSignoff,
    Conference,
    ConferenceDocument,
    Delegate,
    FloorSession,
    PriorityChoice,
    ProgrammeEntry,
    ProgrammeVersion,
    RuleBookVersion,
    RuleClause,
    Submission,
    Topic,
)
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import RuleParameters
from rankandfile.core.models import User
from rankandfile.counting.cardvote import CardVoteResult, Section, count_card_vote
from rankandfile.counting.yesno import SIMPLE_MAJORITY, percent_str
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, Affiliate, Gender, Member, Period

SECTION_LABELS = {"clp": "Constituency parties", "affiliate": "Affiliates"}


# --- Conferences -----------------------------------------------------------------------
def current_conference(*, today: dt.date | None = None) -> Conference | None:
    """This year's conference if there is one, else the latest."""
    from django.utils import timezone

    day = today or timezone.localdate()
    return (
        Conference.objects.select_related("dates").filter(year=day.year).first()
        or Conference.objects.select_related("dates").order_by("-year").first()
    )


def conference_by_year(year: int) -> Conference | None:
    return Conference.objects.select_related("dates").filter(year=year).first()


def conference_parameters(conference: Conference) -> RuleParameters:
    """The rules in force when the conference opens (its decisions are judged by them)."""
    return parameters_in_force(on=conference.starts_on)


# --- Membership at the census date (delegates, card-vote weights) ----------------------
def _youth_cutoff(census: dt.date, age: int) -> dt.date:
    try:
        return census.replace(year=census.year - age)
    except ValueError:  # 29 February
        return census.replace(year=census.year - age, day=28)


def clp_membership(
    census: dt.date, p: RuleParameters, clp_ids: list[int] | None = None
) -> dict[int, tuple[int, int, int]]:
    """``{clp_id: (members, women, under_youth_age)}`` on the census date, one query.

    A member counts if a membership period covers the census date (half-open periods).
    """
    on = Period.objects.filter(
        member=OuterRef("pk"), kind=Period.Kind.MEMBERSHIP, start__lte=census
    ).filter(Q(end__isnull=True) | Q(end__gt=census))
    qs = Member.objects.filter(Exists(on))
    if clp_ids is not None:
        qs = qs.filter(clp_id__in=clp_ids)
    cutoff = _youth_cutoff(census, p.youth_age_under)
    rows = qs.values("clp_id").annotate(
        n=Count("id"),
        women=Count("id", filter=Q(gender=Gender.WOMAN)),
        young=Count("id", filter=Q(date_of_birth__gt=cutoff)),
    )
    return {r["clp_id"]: (r["n"], r["women"], r["young"]) for r in rows}


def clp_entitlement(conference: Conference, clp_id: int) -> procedure.Entitlement:
    p = conference_parameters(conference)
    m, w, y = clp_membership(conference.dates.census_date, p, [clp_id]).get(clp_id, (0, 0, 0))
    return procedure.entitlement(members=m, women=w, young=y, p=p)


# --- Card votes --------------------------------------------------------------------------
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


# --- Agenda, submissions, compositing ---------------------------------------------------
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


def submissions_by_topic(
    subs: QuerySet[Submission] | list[Submission],
) -> list[tuple[str, list[Submission]]]:
    """Group submissions under their topic (rule changes together), keeping the order."""
    if not isinstance(subs, list):
        subs = list(
            subs.select_related("clp", "affiliate", "topic").order_by(
                "topic__position", "topic__name", "kind", "reference"
            )
        )
    groups: dict[str, list[Submission]] = defaultdict(list)
    for s in subs:
        if s.kind == Submission.Kind.RULE_CHANGE:
            key = "Rule changes"
        else:
            key = s.topic.name if s.topic else "Not yet assigned to a topic"
        groups[key].append(s)
    return list(groups.items())


@dataclass
class CompositeView:
    composite: Composite
    originals: list[Submission]
    origins: list[procedure.SentenceOrigin]
    signed: dict[int, CompositeSignoff] = field(default_factory=dict)

    @property
    def new_words(self) -> list[str]:
        return [w for o in self.origins for w in o.new_words]

    @property
    def unsigned(self) -> list[Submission]:
        return [s for s in self.originals if s.pk not in self.signed]


def composite_view(composite: Composite) -> CompositeView:
    originals = list(
        Submission.objects.filter(
            Q(composite=composite) | Q(topic=composite.topic, kind=Submission.Kind.MOTION)
        )
        .filter(status__in=[Submission.Status.IN_ORDER, Submission.Status.COMPOSITED])
        .filter(Q(composite__isnull=True) | Q(composite=composite))
        .select_related("clp", "affiliate")
        .order_by("reference")
    )
    sources = {s.reference: s.text for s in originals}
    signed = {
        so.submission_id: so
        for so in CompositeSignoff.objects.filter(composite=composite).select_related("signed_by")
    }
    return CompositeView(
        composite=composite,
        originals=originals,
        origins=procedure.provenance(composite.text, sources),
        signed=signed,
    )


def topics_with_counts(conference: Conference) -> list[Topic]:
    return list(
        Topic.objects.filter(conference=conference).annotate(
            motions=Count(
                "submissions",
                filter=Q(
                    submissions__status__in=[
                        Submission.Status.IN_ORDER,
                        Submission.Status.COMPOSITED,
                    ]
                ),
            )
        )
    )


def delegates_of(conference: Conference, clp_id: int | None = None) -> QuerySet[Delegate]:
    qs = Delegate.objects.filter(conference=conference).select_related("member", "clp")
    if clp_id is not None:
        qs = qs.filter(clp_id=clp_id)
    return qs.order_by("clp__name", "kind", "member__last_name")


# --- Amendments ------------------------------------------------------------------------------
def amendment_targets(conference: Conference) -> list[tuple[str, str]]:
    """What may be amended (``("s:<id>" | "c:<id>" | "d:<id>", label)``): the motions and
    rule changes in order on this year's agenda, the composites agreed by every mover and
    the documents the CAC designated."""
    if getattr(conference, "dates", None) is None or conference.dates.agenda_published_at is None:
        return []
    out = [
        (f"c:{c.pk}", f"Composite {c.number}: {c.title}")
        for c in Composite.objects.filter(
            conference=conference, status=Composite.Status.AGREED
        ).order_by("number")
    ]
    out += [
        (f"s:{s.pk}", f"{s.reference} {s.title} ({s.organisation_name})")
        for s in Submission.objects.filter(
            debate_year=conference.year, status=Submission.Status.IN_ORDER
        )
        .select_related("clp", "affiliate")
        .order_by("reference")
    ]
    out += [(f"d:{d.pk}", d.label) for d in documents_of(conference)]
    return out


def amendment_target(
    conference: Conference, key: str
) -> Submission | Composite | ConferenceDocument | None:
    """The submission, composite or document a ``"s:<id>"`` / ``"c:<id>"`` / ``"d:<id>"``
    key names (any status: the service says why it cannot be amended)."""
    kind, _, pk = key.partition(":")
    if not pk.isdigit():
        return None
    if kind == "d":
        return ConferenceDocument.objects.filter(conference=conference, pk=int(pk)).first()
    if kind == "c":
        return Composite.objects.filter(conference=conference, pk=int(pk)).first()
    if kind == "s":
        return (
            Submission.objects.filter(pk=int(pk))
            .filter(Q(conference=conference) | Q(debate_year=conference.year))
            .first()
        )
    return None


def amendments_of(target: Submission | Composite | ConferenceDocument) -> QuerySet[Amendment]:
    """The amendments to a motion, rule change, composite or document that anyone may see
    (not withdrawn), with their votes."""
    qs = Amendment.objects.exclude(status=Amendment.Status.WITHDRAWN)
    if isinstance(target, Composite):
        qs = qs.filter(composite=target)
    elif isinstance(target, ConferenceDocument):
        qs = qs.filter(document=target)
    else:
        qs = qs.filter(submission=target)
    return qs.select_related("clp", "affiliate").prefetch_related("items").order_by("reference")


def amendment_vote(a: Amendment) -> AgendaItem | None:
    items = list(a.items.all())
    return items[0] if items else None


def amendment_json(a: Amendment) -> dict[str, Any]:
    vote = amendment_vote(a)
    return {
        "id": a.pk,
        "reference": a.reference,
        "conference": a.conference.year,
        "target": {
            "kind": "composite"
            if a.composite_id
            else "document"
            if a.document_id
            else "submission",
            "id": a.composite_id or a.document_id or a.submission_id,
            "label": a.target_label,
        },
        "organisation": a.organisation_name,
        "status": a.status,
        "ruling_reason": a.ruling_reason,
        "words_changed": a.words_changed,
        "base_text": a.base_text,
        "text": a.text,
        "note": a.note,
        "diff": [{"op": s.op, "text": s.text} for s in procedure.word_diff(a.base_text, a.text)],
        "submitted_at": a.submitted_at.isoformat(),
        "vote": None
        if vote is None
        else {
            "item": vote.pk,
            "method": vote.method,
            "state": vote.state,
            "outcome": vote.outcome,
            "for_percent": (vote.result or {}).get("for_percent"),
            "against_percent": (vote.result or {}).get("against_percent"),
        },
        "fell": a.fell,
        "text_after": a.text_after,
    }


# --- Programme ------------------------------------------------------------------------------
def programme_versions() -> list[ProgrammeVersion]:
    return list(ProgrammeVersion.objects.select_related("conference").order_by("-number"))


def programme_entries(version: ProgrammeVersion | None) -> list[ProgrammeEntry]:
    """Entries of a version (None: in force), with what the list and downloads show."""
    qs = ProgrammeEntry.objects.select_related("conference", "added_in", "supersedes")
    qs = qs.in_version(version) if version is not None else qs.current()
    return list(qs.order_by("topic", "reference"))


def programme_by_topic(entries: list[ProgrammeEntry]) -> list[tuple[str, list[ProgrammeEntry]]]:
    groups: dict[str, list[ProgrammeEntry]] = defaultdict(list)
    for e in entries:
        groups[e.topic].append(e)
    return sorted(groups.items())


@dataclass(frozen=True)
class ProgrammeComparison:
    old: ProgrammeVersion
    new: ProgrammeVersion
    added: list[ProgrammeEntry]
    removed: list[ProgrammeEntry]
    kept: int


def programme_compare(old: ProgrammeVersion, new: ProgrammeVersion) -> ProgrammeComparison:
    a = {e.pk: e for e in programme_entries(old)}
    b = {e.pk: e for e in programme_entries(new)}
    return ProgrammeComparison(
        old=old,
        new=new,
        added=[e for k, e in b.items() if k not in a],
        removed=[e for k, e in a.items() if k not in b],
        kept=len(set(a) & set(b)),
    )


def programme_json(version: ProgrammeVersion | None) -> dict[str, Any]:
    entries = programme_entries(version)
    return {
        "version": version.number if version else None,
        "published_on": version.published_on.isoformat() if version else None,
        "entries": [
            {
                "reference": e.reference,
                "title": e.title,
                "topic": e.topic,
                "text": e.text,
                "conference": e.conference.year,
                "added_in": e.added_in.number,
                "supersedes": e.supersedes.reference if e.supersedes else None,
                "figures": e.figures,
            }
            for e in entries
        ],
    }


# --- Rule book ----------------------------------------------------------------------------
def rule_book_versions() -> list[RuleBookVersion]:
    return list(RuleBookVersion.objects.select_related("adopted_by").order_by("-number"))


def clauses(version: RuleBookVersion) -> list[RuleClause]:
    return list(version.clauses.select_related("agenda_item").order_by("position"))


@dataclass(frozen=True)
class ClauseChange:
    number: str
    heading: str
    status: str  # "added" | "removed" | "changed" | "same"
    segments: list[procedure.Segment]
    new: RuleClause | None


@dataclass(frozen=True)
class ParameterChange:
    name: str
    old: str
    new: str


def rule_book_compare(
    old: RuleBookVersion, new: RuleBookVersion
) -> tuple[list[ClauseChange], list[ParameterChange]]:
    a = {c.number: c for c in clauses(old)}
    b = {c.number: c for c in clauses(new)}
    changes: list[ClauseChange] = []
    order = [*b, *(c for c in a if c not in b)]
    for num in order:
        oc, nc = a.get(num), b.get(num)
        if oc is None and nc is not None:
            changes.append(
                ClauseChange(num, nc.heading, "added", [procedure.Segment("ins", nc.text)], nc)
            )
        elif nc is None and oc is not None:
            changes.append(
                ClauseChange(num, oc.heading, "removed", [procedure.Segment("del", oc.text)], None)
            )
        elif oc is not None and nc is not None:
            status = "same" if oc.text == nc.text else "changed"
            changes.append(
                ClauseChange(num, nc.heading, status, procedure.word_diff(oc.text, nc.text), nc)
            )
    pa, pb = old.parameters, new.parameters
    params = [
        ParameterChange(k, str(pa.get(k, "—")), str(pb.get(k, "—")))
        for k in sorted(set(pa) | set(pb))
        if pa.get(k) != pb.get(k)
    ]
    return changes, params


def rule_book_json(version: RuleBookVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "title": version.title,
        "effective_from": version.effective_from.isoformat(),
        "adopted_by": version.adopted_by.year if version.adopted_by else None,
        "parameters": version.parameters,
        "clauses": [
            {
                "number": c.number,
                "chapter": c.chapter,
                "heading": c.heading,
                "text": c.text,
                "origin": c.origin,
                "since_year": c.since_year,
            }
            for c in clauses(version)
        ],
    }


def undecided_amendments(item: AgendaItem) -> list[Amendment]:
    """In-order amendments to the item's motion, composite or rule change whose own vote
    has not been decided (they must be voted before the item)."""
    if item.submission_id is None and item.composite_id is None and item.document_id is None:
        return []
    qs = Amendment.objects.filter(status=Amendment.Status.IN_ORDER)
    if item.composite_id is not None:
        qs = qs.filter(composite_id=item.composite_id)
    elif item.document_id is not None:
        qs = qs.filter(document_id=item.document_id)
    elif item.submission_id is not None:
        qs = qs.filter(submission_id=item.submission_id)
    decided = AgendaItem.objects.filter(amendment=OuterRef("pk"), state=AgendaItem.State.CLOSED)
    return list(qs.exclude(Exists(decided)).order_by("reference"))


def carried_amendments(item: AgendaItem) -> list[Amendment]:
    """The amendments carried (and applied) to the item's text, in the order voted."""
    if item.submission_id is None and item.composite_id is None and item.document_id is None:
        return []
    qs = Amendment.objects.filter(
        items__state=AgendaItem.State.CLOSED,
        items__outcome=AgendaItem.Outcome.CARRIED,
        fell=False,
    )
    if item.composite_id is not None:
        qs = qs.filter(composite_id=item.composite_id)
    elif item.document_id is not None:
        qs = qs.filter(document_id=item.document_id)
    elif item.submission_id is not None:
        qs = qs.filter(submission_id=item.submission_id)
    return list(qs.select_related("clp", "affiliate").order_by("items__closed_at", "reference"))


def priority_voter_unit_ids(actor: User, conference: Conference) -> tuple[set[int], set[int]]:
    """CLPs and affiliates the actor may cast the priorities vote for: a delegate of the
    CLP or its officer; the delegation's leader or an affiliate officer."""

    clps = set(membership_permissions.officer_clp_ids(actor))
    me = membership_permissions.own_member(actor)
    if me is not None:
        clps |= set(
            Delegate.objects.filter(conference=conference, member=me).values_list(
                "clp_id", flat=True
            )
        )
    affs = set(membership_permissions.officer_affiliate_ids(actor))
    affs |= set(
        AffiliateDelegation.objects.filter(conference=conference, leader=actor).values_list(
            "affiliate_id", flat=True
        )
    )
    return clps, affs


def priority_voter_units(actor: User, conference: Conference) -> tuple[list[CLP], list[Affiliate]]:
    clps, affs = priority_voter_unit_ids(actor, conference)
    return (
        list(CLP.objects.filter(pk__in=clps).order_by("name")),
        list(Affiliate.objects.filter(pk__in=affs).order_by("name")),
    )


# --- Reads for the pages (the views read nothing else) -------------------------------------
def conferences_set_up() -> QuerySet[Conference]:
    """Conferences run with the software (with dates), newest first."""
    return Conference.objects.filter(dates__isnull=False).order_by("-year")


def composites_of(conference: Conference) -> QuerySet[Composite]:
    return Composite.objects.filter(conference=conference).select_related("topic")


def topics_of(conference: Conference) -> QuerySet[Topic]:
    return Topic.objects.filter(conference=conference).order_by("position", "name")


def submissions_listed(visible: QuerySet[Submission], topic: str) -> QuerySet[Submission]:
    """The submissions list: ``topic`` is a topic's id, ``rules`` (rule changes) or
    ``none`` (motions without a topic); by topic, kind and reference."""
    if topic == "rules":
        visible = visible.filter(kind=Submission.Kind.RULE_CHANGE)
    elif topic == "none":
        visible = visible.filter(kind=Submission.Kind.MOTION, topic__isnull=True)
    elif topic.isdigit():
        visible = visible.filter(topic_id=int(topic))
    return visible.select_related("clp", "affiliate", "topic").order_by(
        "topic__position", "topic__name", "kind", "reference"
    )


def submissions_pending(visible: QuerySet[Submission]) -> QuerySet[Submission]:
    """Submissions awaiting the CAC's ruling."""
    return visible.filter(status=Submission.Status.SUBMITTED).select_related("clp", "affiliate")


def submissions_for_later(conference: Conference) -> QuerySet[Submission]:
    """Submitted to this conference, timetabled for a later one (clause 3.II.3)."""
    return (
        Submission.objects.filter(conference=conference)
        .exclude(debate_year=conference.year)
        .select_related("clp")
    )


def topic_motions(topic: Topic) -> QuerySet[Submission]:
    """The motions in order on a topic: a composite's originals."""
    return Submission.objects.filter(
        topic=topic, kind=Submission.Kind.MOTION, status=Submission.Status.IN_ORDER
    ).select_related("clp", "affiliate")


def topic_motion_texts(topic: Topic) -> dict[str, str]:
    """Reference -> text of the topic's motions in order or composited (provenance)."""
    return {
        s.reference: s.text
        for s in Submission.objects.filter(
            topic=topic,
            kind=Submission.Kind.MOTION,
            status__in=[Submission.Status.IN_ORDER, Submission.Status.COMPOSITED],
        )
    }


def sessions_of(conference: Conference) -> QuerySet[FloorSession]:
    return FloorSession.objects.filter(conference=conference)


def documents_of(conference: Conference) -> QuerySet[ConferenceDocument]:
    return ConferenceDocument.objects.filter(conference=conference).order_by("number")


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


def clp_entitlements(
    conference: Conference, clps: list[CLP], p: RuleParameters
) -> list[tuple[CLP, procedure.Entitlement, str]]:
    """Each CLP's delegate entitlement at the census date, with its explanation."""
    counts = clp_membership(conference.dates.census_date, p, [c.pk for c in clps])
    out = []
    for c in clps:
        members, women, young = counts.get(c.pk, (0, 0, 0))
        e = procedure.entitlement(members=members, women=women, young=young, p=p)
        out.append((c, e, e.explain(p)))
    return out


def declared_ballots(clps: list[CLP]) -> list[Ballot]:
    """The CLPs' declared ballots (delegates elected by ballot), newest first."""
    return list(
        Ballot.objects.filter(clp__in=clps, state=Ballot.State.DECLARED).order_by("-declared_at")[
            :20
        ]
    )


def priorities_voted(conference: Conference) -> tuple[set[int], set[int]]:
    """CLPs and affiliates that have cast their priorities vote."""
    rows = PriorityChoice.objects.filter(conference=conference).values_list(
        "clp_id", "affiliate_id"
    )
    return {c for c, _ in rows if c is not None}, {a for _, a in rows if a is not None}


def member_by_number(user: Any, number: str) -> Member | None:
    """A member the user manages, by membership number (None if unknown or out of scope)."""
    return (
        membership_permissions.visible_members(user)
        .filter(membership_number=number)
        .select_related("clp")
        .first()
    )


# --- Rule changes ------------------------------------------------------------------------
def rule_change_base(submission: Submission) -> RuleParameters:
    """The parameters a rule change's parameter changes apply to: those in force when the
    conference that debates it opens."""
    debated = Conference.objects.filter(year=submission.debate_year).first()
    day = debated.starts_on if debated is not None else submission.conference.starts_on
    return parameters_in_force(on=day)


def rule_change_disagreements(submission: Submission, text: str | None = None) -> list[str]:
    """Where the rule change's clause text (``text``: as amended) and its parameter
    changes disagree (empty: they agree)."""
    base = rule_change_base(submission)
    after = RuleParameters.from_json(
        rulechanges.apply(base.to_json(), submission.parameter_changes or {})
    )
    return rulechanges.disagreements(
        submission.clause_number, text if text is not None else submission.text, after, base
    )


def rule_change_current(submission: Submission) -> dict[str, Any]:
    """Every parameter (nested ones by dotted name) as the rule change would leave it: the
    parameters in force with its changes made (``rulechanges.apply``), for the CAC's form."""
    base = rule_change_base(submission).to_json()
    return rulechanges.flat(rulechanges.apply(base, submission.parameter_changes or {}))


def rule_change_rows(submission: Submission) -> list[tuple[str, str, str, str]]:
    """(parameter, meaning, value before, value after) of a rule change's parameter
    changes, for the CAC's form and the submission page."""
    return rulechanges.change_rows(submission.parameter_changes or {}, rule_change_base(submission))


def used_submissions(conference: Any, organisations: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """For the submit page, before the form (issue 17.4): each organisation the user
    submits for, with the submissions it already has at this conference (withdrawn ones
    do not count, as in ``services.submission_create``). One query."""
    from rankandfile.conference.models import Submission

    subs = list(
        Submission.objects.filter(conference=conference)
        .exclude(status=Submission.Status.WITHDRAWN)
        .filter(
            Q(clp_id__in=[int(v.split(":")[1]) for v, _ in organisations if v.startswith("clp:")])
            | Q(
                affiliate_id__in=[
                    int(v.split(":")[1]) for v, _ in organisations if v.startswith("affiliate:")
                ]
            )
        )
        .only("pk", "reference", "title", "clp_id", "affiliate_id")
    )
    out = []
    for value, label in organisations:
        kind, pk = value.split(":")
        mine = [s for s in subs if getattr(s, f"{kind}_id") == int(pk)]
        out.append({"value": value, "label": label, "submissions": mine})
    return out
