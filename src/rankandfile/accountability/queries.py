"""Reads for accountability pages and the API (stored results only; rule B1).

Cross-app contract (selections and campaigns rely on these names):

- :func:`mp_scorecard` ``(mp) -> list[ScoreLine]``;
- :func:`party_changes` ``(mp) -> list[PartyChange]`` (the dataclass below, not the model).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

from rankandfile.accountability import models as m
from rankandfile.accountability import scoring
from rankandfile.accountability.parties import is_ours, our_party_name, party_on
from rankandfile.membership.models import CLP, MP


# --- Contract ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreLine:
    """An MP's stored score on one policy (TheyWorkForYou method)."""

    policy_title: str
    policy_url: str
    wording: str  # e.g. "consistently voted for"
    agreement: float | None  # 0..1; None when no vote counted
    divisions_counted: int  # strong divisions with a vote
    absences: int  # strong divisions absent
    # Added for the API and the MP page (issue 15): optional for other readers.
    policy_slug: str = ""
    summary: str = ""  # plain English: "consistently voted for <policy>"
    party: str = ""  # the party the MP is compared with (A6)
    party_agreement: float | None = None  # the party's mean, excluding the MP
    party_wording: str = ""
    all_votes_wording: str = ""  # A8: over every division sat in the parliament
    all_votes_agreement: float | None = None


@dataclass(frozen=True)
class PartyChange:
    date: dt.date
    kind: str  # "left_party" | "lost_whip" | "regained_whip" | "changed_party"
    from_party: str
    to_party: str
    note: str

    @property
    def kind_label(self) -> str:
        """ "Left the party", "Lost the whip", ..."""
        return str(dict(m.PartyChange.Kind.choices).get(self.kind, self.kind))


def _member_scored() -> Q:
    """Score rows with anything counted by the member rule (A7); rows with only votes cast
    outside the party (A8's all-votes score) are left out of the party's views."""
    return ~Q(distance__isnull=True, absences=0, pw_distance__isnull=True)


def mp_scorecard(mp: MP) -> list[ScoreLine]:
    """The MP's stored scores, one line per policy with anything counted, by title (1 query)."""
    scores = (
        m.Score.objects.filter(_member_scored(), mp=mp)
        .select_related("policy")
        .order_by("policy__title")
    )
    return [
        ScoreLine(
            policy_title=s.policy.title,
            policy_url=reverse("accountability:policy", kwargs={"slug": s.policy.slug}),
            wording=s.wording,
            agreement=s.agreement,
            divisions_counted=s.strong_votes,
            absences=s.absences,
            policy_slug=s.policy.slug,
            summary=PolicyEvidence(s.policy, s).summary,
            party=s.party,
            party_agreement=s.party_agreement,
            party_wording=PolicyEvidence(s.policy, s).party_wording,
            all_votes_wording=s.all_wording,
            all_votes_agreement=s.all_agreement,
        )
        for s in scores
    ]


def find_mps(q: str, limit: int = 50) -> list[MP]:
    """MPs whose name or constituency contains every word of ``q`` (any case), sitting
    MPs first, then by name (1 query)."""
    words = q.split()
    if not words:
        return []
    match = Q()
    for word in words[:8]:
        match &= Q(name__icontains=word) | Q(constituency__name__icontains=word)
    return list(
        MP.objects.filter(match)
        .select_related("constituency")
        .order_by("-in_office", "name")[:limit]
    )


def party_changes(mp: MP) -> list[PartyChange]:
    """The MP's recorded party changes, oldest first (1 query)."""
    return [
        PartyChange(c.date, c.kind, c.from_party, c.to_party, c.note)
        for c in m.PartyChange.objects.filter(mp=mp).order_by("date")
    ]


# --- MP page ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """One division behind a score and how it counted."""

    link: m.PolicyDivision
    vote: m.MPVote | None
    party_then: str
    counted: scoring.CountedVote
    excluded_reason: str  # why it does not count ("" if it does)
    twfy_points: str  # "10 of 10", "—"


@dataclass
class PolicyEvidence:
    policy: m.Policy
    score: m.Score | None
    evidence: list[Evidence] = field(default_factory=list)
    evidence_url: str = ""

    # Percentages for display, computed once here rather than by template tags per row.
    @property
    def agreement_pct(self) -> int | None:
        return _pct(self.score.agreement if self.score else None)

    @property
    def party_pct(self) -> int | None:
        return _pct(self.score.party_agreement if self.score else None)

    @property
    def pw_pct(self) -> int | None:
        return _pct(self.score.pw_agreement if self.score else None)

    @property
    def all_pct(self) -> int | None:
        return _pct(self.score.all_agreement if self.score else None)

    @property
    def party_wording(self) -> str:
        """The party's average (A6) in the same words as the MP's score."""
        if self.score is None or self.score.party_distance is None:
            return ""
        return scoring.BANDS[scoring.band_index(self.score.party_distance)][1]

    @property
    def summary(self) -> str:
        """Plain English, as TheyWorkForYou puts it: "voted generally against …"."""
        if self.score is None or self.score.distance is None:
            return f"{scoring.NO_VOTES} {self.policy.title} while a member of the party"
        return f"{self.score.wording} {self.policy.title}"


def _pct(value: float | None) -> int | None:
    return None if value is None else round(100 * value)


INLINE_EVIDENCE_LIMIT = 150  # links: above this the MP page links to each policy's evidence


_PAGE_SCORE_FIELDS = (
    "policy",
    "points",
    "possible",
    "distance",
    "wording",
    "strong_votes",
    "absences",
    "pw_distance",
    "party",
    "party_distance",
    "significant",
    "all_distance",
    "all_wording",
    "all_strong_votes",
    "all_absences",
)


# scoring.BANDS and scoring.NO_VOTES, for makemessages: the stored wording is English and
# is translated where the MP page shows it (docs/decisions/0027-welsh.md).
_WORDING_FOR_TRANSLATION = (
    gettext_noop("consistently voted for"),
    gettext_noop("almost always voted for"),
    gettext_noop("generally voted for"),
    gettext_noop("voted a mixture of for and against"),
    gettext_noop("generally voted against"),
    gettext_noop("almost always voted against"),
    gettext_noop("consistently voted against"),
    gettext_noop("has never voted on"),
)


def _pct_cell(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _score_rows(policies: list[PolicyEvidence], inline: bool, all_votes: bool) -> SafeString:
    """The MP page's table rows, built here in one pass: the same markup the template
    would produce per row, without ~15 template lookups and filters per row. With
    ``all_votes`` (an MP who left the party), a column with the score over all their votes
    in the parliament (A8)."""
    out = []
    for pe in policies:
        title = escape(pe.policy.title)
        if inline:
            link = f'<a href="#policy-{pe.policy.pk}">{title}</a>'
        else:
            url = escape(pe.evidence_url)
            link = f'<a href="{url}" hx-get="{url}" hx-target="#evidence">{title}</a>'
        score = pe.score
        wording: str
        if score is None:
            wording = escape(gettext("no votes counted"))
        else:
            wording = escape(gettext(score.wording))
            if score.significant:
                differs = escape(gettext("differs from party"))
                wording += f' <span class="badge warn">{differs}</span>'
        every = ""
        if all_votes:
            every = (
                "      <td>—</td>\n"
                if score is None
                else f"      <td>{escape(gettext(score.all_wording or scoring.NO_VOTES))} "
                f"({_pct_cell(pe.all_pct)})</td>\n"
            )
        out.append(
            f'<tr>\n      <th scope="row">{link}</th>\n      <td>{wording}</td>\n'
            f"      <td>{_pct_cell(pe.agreement_pct)}</td>\n{every}"
            f"      <td>{_pct_cell(pe.party_pct)}</td>\n"
            f"      <td>{_pct_cell(pe.pw_pct)}</td>\n    </tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def _summary_items(mp: MP, policies: list[PolicyEvidence], all_votes: bool) -> SafeString:
    """One plain-English line per policy (TheyWorkForYou's "voted generally against …"),
    with the party's average in the same words and, for an MP who left, the score over
    all their votes in the parliament."""
    out = []
    for pe in policies:
        score = pe.score
        if score is None:
            continue
        policy = pe.policy.title
        line: str
        if score.distance is None:
            line = escape(
                gettext("%(name)s has never voted on %(policy)s while a member of the party")
                % {"name": mp.name, "policy": policy}
            )
        else:
            line = escape(
                gettext("%(name)s %(wording)s %(policy)s")
                % {"name": mp.name, "wording": gettext(score.wording), "policy": policy}
            )
        if pe.party_wording:
            party = gettext("(%(party)s MPs on average %(wording)s it)") % {
                "party": score.party,
                "wording": gettext(pe.party_wording),
            }
            line += f' <span class="muted">{escape(party)}</span>'
        if all_votes and score.all_differs:
            line += escape(
                gettext("; over all their votes in this parliament, %(name)s %(wording)s it")
                % {"name": mp.name, "wording": gettext(score.all_wording or scoring.NO_VOTES)}
            )
        out.append(f"<li>{line}</li>")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def _page_links(policy: m.Policy | None) -> tuple[list[m.PolicyDivision], bool]:
    """The links whose evidence the page shows inline (one policy's, or every link while
    there are at most :data:`INLINE_EVIDENCE_LIMIT`), and whether evidence is inline."""
    link_qs = m.PolicyDivision.objects.select_related("division", "policy")
    if policy is not None:
        return list(link_qs.filter(policy=policy)), True
    inline = m.PolicyDivision.objects.count() <= INLINE_EVIDENCE_LIMIT
    return (list(link_qs) if inline else []), inline


def _votes_on(mp: MP, links: list[m.PolicyDivision]) -> dict[tuple[int, str], m.MPVote]:
    """The MP's votes in the links' divisions, by (division, source)."""
    if not links:
        return {}
    division_ids = {lk.division_id for lk in links}
    return {
        (v.division_id, v.source): v
        for v in m.MPVote.objects.filter(mp=mp, division_id__in=division_ids)
    }


def _evidence(
    link: m.PolicyDivision,
    vote: m.MPVote | None,
    changes: list[m.PartyChange],
    ever_ours: bool,
) -> Evidence:
    """One division's line of evidence: the vote, the party then, what it counts for
    (TheyWorkForYou's method) and, when it does not count, why."""
    party_then = party_on(vote.party, link.division.date, changes) if vote else ""
    if vote is None:
        reason = "not an MP then"
        position = scoring.Position.NOT_SITTING
    elif ever_ours and not is_ours(party_then):
        reason = f"not counted: {party_then} then, not a member of the party"
        position = scoring.Position.NOT_SITTING
    else:
        reason = ""
        position = scoring.Position(vote.position)
    counted = scoring.count_vote(
        "twfy", scoring.Vote(int(position), link.aye_supports, link.strong)
    )
    if not reason and not link.strong:
        reason = "weak division: shown, not scored"
    points = f"{counted.points:g} of {counted.possible:g}" if counted.possible else "—"
    return Evidence(link, vote, party_then, counted, reason, points)


def mp_page(mp: MP, policy: m.Policy | None = None) -> dict[str, object]:
    """Everything the MP page shows: stored scores with the votes behind them, party history.

    With ``policy``, the evidence for that policy only (the MP × policy page). Without,
    every policy's evidence inline while the party has at most
    :data:`INLINE_EVIDENCE_LIMIT` links; beyond that the page lists the stored scores and
    links to each policy's evidence (so the page stays fast with thousands of divisions).

    Queries: scores (1), link count (0-1), links with divisions and policies (0-1), the
    MP's votes on those divisions (0-1), party changes (1), the last score run (1).
    """
    # Only the columns the page shows (the MP page reads ~300 rows).
    scores = {
        s.policy_id: s
        for s in m.Score.objects.filter(mp=mp)
        .select_related("policy")
        .only(*_PAGE_SCORE_FIELDS, "policy__title", "policy__slug")
    }
    changes = list(m.PartyChange.objects.filter(mp=mp).order_by("date"))
    links, inline = _page_links(policy)
    votes = _votes_on(mp, links)
    # As in the batch (A7): an MP ever in our party is scored only while in it.
    ever_ours = is_ours(mp.party) or any(
        is_ours(c.from_party) or is_ours(c.to_party) for c in changes
    )
    by_policy: dict[int, PolicyEvidence] = {}
    for link in links:
        vote = votes.get((link.division_id, link.division.primary_source))
        pe = by_policy.setdefault(
            link.policy_id, PolicyEvidence(link.policy, scores.get(link.policy_id))
        )
        pe.evidence.append(_evidence(link, vote, changes, ever_ours))
    if policy is None:
        for policy_id, score in scores.items():
            by_policy.setdefault(policy_id, PolicyEvidence(score.policy, score))
    elif policy.pk not in by_policy:
        by_policy[policy.pk] = PolicyEvidence(policy, scores.get(policy.pk))
    departure = departure_from_party(mp, changes)
    policies = sorted(by_policy.values(), key=lambda p: p.policy.title)
    # One reverse() for the page, not one per policy row.
    prefix = reverse("accountability:mp_policy", kwargs={"mnis_id": mp.mnis_id, "slug": "x"})[:-2]
    for pe in policies:
        pe.evidence_url = f"{prefix}{pe.policy.slug}/"
        pe.evidence.sort(key=lambda e: (e.link.division.date, e.link.division.division_id))
    return {
        "mp": mp,
        "policies": policies,
        "score_rows": _score_rows(policies, inline, departure is not None),
        "summary_items": _summary_items(mp, policies, departure is not None),
        "inline_evidence": inline,
        "departure": departure,
        "our_party": our_party_name(),
        "party_changes": [
            PartyChange(c.date, c.kind, c.from_party, c.to_party, c.note) for c in changes
        ],
        "last_run": m.ScoreRun.objects.first(),
    }


def departure_from_party(
    mp: MP, changes: list[m.PartyChange] | None = None
) -> m.PartyChange | None:
    """The MP's latest recorded departure from our party (left it, lost the whip, changed
    party), unless a later change brought them back; None if there is none (0-1 query)."""
    if changes is None:
        changes = list(m.PartyChange.objects.filter(mp=mp).order_by("date"))
    latest = None
    for change in changes:
        if is_ours(change.from_party) and not is_ours(change.to_party):
            latest = change
        elif is_ours(change.to_party):
            latest = None
    return latest


@dataclass(frozen=True)
class RecordItem:
    """One vote on a programme policy's division: how the MP voted and which way supports."""

    date: dt.date
    division_title: str
    policy_title: str
    policy_url: str
    vote: str
    supports: str
    against: bool


@dataclass(frozen=True)
class RecordSince:
    """A former member's votes on the programme since a date (a by-election campaign)."""

    since: dt.date
    items: list[RecordItem]

    @property
    def against(self) -> list[RecordItem]:
        return [i for i in self.items if i.against]

    @property
    def voted(self) -> int:
        return sum(1 for i in self.items if i.vote != "No vote recorded")


def record_since(mp: MP, since: dt.date) -> RecordSince:
    """The MP's votes in divisions on or after ``since`` linked to programme policies,
    from each division's primary source, oldest first; ``against`` lists those against
    the programme (rule A9). Queries: links (1), the MP's votes (1)."""
    links = list(
        m.PolicyDivision.objects.filter(
            division__date__gte=since, policy__programme_entry__isnull=False
        )
        .select_related("division", "policy")
        .order_by("division__date", "division__division_id", "policy__title")
    )
    votes = {
        (v.division_id, v.source): v
        for v in m.MPVote.objects.filter(mp=mp, division_id__in={lk.division_id for lk in links})
    }
    items = []
    for lk in links:
        vote = votes.get((lk.division_id, lk.division.primary_source))
        if vote is None:
            continue  # not an MP then
        items.append(
            RecordItem(
                date=lk.division.date,
                division_title=lk.division.title,
                policy_title=lk.policy.title,
                policy_url=reverse("accountability:policy", kwargs={"slug": lk.policy.slug}),
                vote=vote.position_label,
                supports=lk.direction_label,
                against=scoring.outcome(vote.position, lk.aye_supports) == scoring.Outcome.AGAINST,
            )
        )
    return RecordSince(since, items)


# --- Policy page ------------------------------------------------------------------------
def policy_page(policy: m.Policy) -> dict[str, object]:
    """A policy with its links (justifications) and every MP's stored score.

    Queries: links with divisions (1), scores with MPs and constituencies (1)."""
    links = list(policy.links.select_related("division", "created_by"))
    scores = list(
        m.Score.objects.filter(_member_scored(), policy=policy)
        .select_related("mp__constituency")
        .order_by("distance", "mp__name")
    )
    bands: dict[str, int] = defaultdict(int)
    for s in scores:
        bands[s.wording] += 1
    entry_url = None
    if policy.programme_entry_id is not None:
        try:
            entry_url = reverse(
                "conference:programme_entry", kwargs={"pk": policy.programme_entry_id}
            )
        except NoReverseMatch:  # the conference pages may not be installed yet
            entry_url = None
    return {
        "policy": policy,
        "entry_url": entry_url,
        "links": links,
        "scores": scores,
        "bands": [(w, bands.get(w, 0)) for _, w in scoring.BANDS]
        + [(scoring.NO_VOTES, bands.get(scoring.NO_VOTES, 0))],
    }


def policy_list() -> list[m.Policy]:
    return list(
        m.Policy.objects.select_related("programme_entry")
        .annotate(n_links=Count("links", distinct=True))
        .order_by("title")
    )


# --- CLP view, votes against the programme ---------------------------------------------
def clp_view(clp: CLP) -> dict[str, object]:
    """For officers: the CLP's MP, scores, significant differences, members opted in."""
    mp = (
        MP.objects.filter(constituency_id=clp.constituency_id).order_by("-in_office", "-pk").first()
    )
    scores = (
        list(
            m.Score.objects.filter(_member_scored(), mp=mp)
            .select_related("policy")
            .order_by("policy__title")
        )
        if mp
        else []
    )
    opted_in = m.AlertPreference.objects.filter(member__clp=clp, enabled=True).count()
    return {
        "clp": clp,
        "mp": mp,
        "scores": scores,
        "significant": [s for s in scores if s.significant],
        "opted_in": opted_in,
        "party_changes": party_changes(mp) if mp else [],
    }


AGAINST_FROM = 0.6  # "generally voted against" and worse (A2)


def votes_against_programme() -> list[m.Score]:
    """Our MPs whose score on a programme policy is "generally against" or worse."""
    return list(
        m.Score.objects.filter(
            policy__programme_entry__isnull=False,
            distance__gt=AGAINST_FROM,
        )
        .filter(Q(party__in=_our_names()))
        .select_related("mp__constituency", "policy__programme_entry")
        .order_by("policy__title", "-distance", "mp__name")
    )


def _our_names() -> list[str]:
    from rankandfile.accountability.parties import our_party_names

    return sorted(our_party_names())


# --- Reconciliation (I6) ---------------------------------------------------------------
@dataclass(frozen=True)
class Disagreement:
    division: m.Division
    mp: MP
    commons: str
    mnis: str


@dataclass(frozen=True)
class Reconciliation:
    divisions_compared: int
    disagreements: list[Disagreement]
    totals: list[tuple[m.Division, dict[str, int], dict[str, int]]]


def _side(position: int | None) -> str:
    if position is None:
        return "missing"
    return {1: "aye", 2: "no", 3: "both", 4: "absent"}.get(position, "?")


def reconciliation() -> Reconciliation:
    """Compare the two sources on every division both cover: each MP's vote (tellers on
    their side) and the totals. The Commons record is authoritative; these are reported,
    never silently changed."""
    both = list(m.Division.objects.annotate(n=Count("sources")).filter(n__gte=2).order_by("date"))
    ids = [d.pk for d in both]
    votes: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    mp_ids: set[int] = set()
    for div_id, mp_id, source, position in m.MPVote.objects.filter(division_id__in=ids).values_list(
        "division_id", "mp_id", "source", "position"
    ):
        votes[div_id, mp_id][source] = position
        mp_ids.add(mp_id)
    mps = MP.objects.in_bulk(mp_ids)
    by_id = {d.pk: d for d in both}
    disagreements: list[Disagreement] = []
    totals: dict[int, tuple[dict[str, int], dict[str, int]]] = {
        d: (defaultdict(int), defaultdict(int)) for d in ids
    }
    for (div_id, mp_id), sources in sorted(votes.items()):
        c = _side(sources.get(m.Source.COMMONS))
        n = _side(sources.get(m.Source.MNIS))
        totals[div_id][0][c] += 1
        totals[div_id][1][n] += 1
        if c != n:
            disagreements.append(Disagreement(by_id[div_id], mps[mp_id], c, n))
    return Reconciliation(
        divisions_compared=len(both),
        disagreements=disagreements,
        totals=[(by_id[d], dict(totals[d][0]), dict(totals[d][1])) for d in ids],
    )


def divisions_list(limit: int = 200) -> list[m.Division]:
    return list(
        m.Division.objects.annotate(n_links=Count("links")).order_by("-date", "-division_id")[
            :limit
        ]
    )
