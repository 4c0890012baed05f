"""Reads for ballot pages: lists, the paper, the result sheet, scrutiny.

Visibility is decided by :mod:`rankandfile.ballots.permissions` before these are called
(they take already-authorised ballots), except the list functions, which start from
``permissions.visible_ballots``. Each returns its data in a fixed number of queries; the
tests pin the counts of the pages built on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop

from rankandfile.ballots import invitations, permissions
from rankandfile.ballots.models import Ballot, Elector, Option, Visibility, VoteRecord
from rankandfile.core import audit
from rankandfile.core.models import AuditEntry
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, Branch, Member, Region

LIST_LIMIT = 100
RECENT_RESULTS_DAYS = 60


def percent(part: int, whole: int | None) -> str:
    """``"45.00%"`` with exact arithmetic (display only); ``"–"`` without a denominator."""
    if not whole:
        return "–"
    scaled = round(Fraction(part, whole) * 10000)
    return f"{scaled // 100}.{scaled % 100:02d}%"


# --- Scopes an officer may run ballots for ----------------------------------------------
@dataclass(frozen=True)
class Scope:
    value: str  # "party", "region:3", "clp:12", "branch:40"
    label: str
    kind: str
    unit: Region | CLP | Branch | None = None


def manageable_scopes(user: Any) -> list[Scope]:
    """Every unit the user may run a ballot for (see ``permissions.can_manage_scope``):
    the party and every region for national admins; their regions, and the CLPs and
    branches under their offices, for the others. Three queries at most."""
    scopes: list[Scope] = []
    if not can_create_ballots(user):
        return scopes
    national = membership_permissions.is_national_admin(user)
    if national:
        scopes.append(Scope("party", "Whole party", "party"))
        regions = list(Region.objects.order_by("name"))
    else:
        regions = list(
            Region.objects.filter(pk__in=membership_permissions.officer_region_ids(user)).order_by(
                "name"
            )
        )
    scopes += [Scope(f"region:{r.pk}", f"Region: {r.name}", "region", r) for r in regions]
    clps = list(membership_permissions.managed_clps(user).order_by("name"))
    # Branch ballots are for CLP and regional officers; a national admin's list would run
    # to thousands, and the party, regions and CLPs cover what national ballots need.
    branches = [] if national else list(Branch.objects.filter(clp__in=clps).order_by("name"))
    by_clp: dict[int, list[Branch]] = {}
    for branch in branches:
        by_clp.setdefault(branch.clp_id, []).append(branch)
    for clp in clps:
        scopes.append(Scope(f"clp:{clp.pk}", f"CLP: {clp.name}", "clp", clp))
        scopes += [
            Scope(f"branch:{b.pk}", f"Branch: {b.name} ({clp.name})", "branch", b)
            for b in by_clp.get(clp.pk, [])
        ]
    return scopes


def can_create_ballots(user: Any) -> bool:
    """Whether the user runs ballots anywhere (no query beyond the roles)."""
    return bool(
        membership_permissions.is_national_admin(user)
        or membership_permissions.officer_region_ids(user)
        or membership_permissions.officer_clp_ids(user)
    )


# --- Lists ------------------------------------------------------------------------------
@dataclass
class BallotRow:
    ballot: Ballot
    is_elector: bool = False
    voted: bool = False
    can_manage: bool = False
    can_scrutinise: bool = False
    can_see_result: bool = False

    @property
    def open_now(self) -> bool:
        now = timezone.now()
        b = self.ballot
        return b.state == Ballot.State.OPEN and b.opens_at <= now < b.closes_at


@dataclass
class MyBallots:
    to_vote: list[BallotRow] = field(default_factory=list)
    managed: list[BallotRow] = field(default_factory=list)
    results: list[BallotRow] = field(default_factory=list)
    truncated: bool = False


def _result_visible(user: Any, row: BallotRow) -> bool:
    """``permissions.can_view_result`` with the elector check already answered, so a list
    of ballots costs no query per ballot. Kept in step with it by the tests."""
    ballot = row.ballot
    if ballot.state not in (Ballot.State.COUNTED, Ballot.State.DECLARED):
        return False
    if row.can_manage or row.can_scrutinise:
        return True
    if ballot.state != Ballot.State.DECLARED:
        return False
    if ballot.results_visibility == Visibility.PUBLIC:
        return True
    return ballot.results_visibility == Visibility.ELECTORATE and row.is_elector


def participation(member: Member | None, ballot_ids: list[int]) -> tuple[set[int], set[int]]:
    """Of ``ballot_ids``, those the member is an elector in and those they voted in
    (two queries, however many ballots)."""
    if member is None or not ballot_ids:
        return set(), set()
    elector_of = set(
        Elector.objects.filter(member=member, ballot_id__in=ballot_ids).values_list(
            "ballot_id", flat=True
        )
    )
    voted_in = set(
        VoteRecord.objects.filter(member=member, ballot_id__in=ballot_ids).values_list(
            "ballot_id", flat=True
        )
    )
    return elector_of, voted_in


def my_ballots(user: Any) -> MyBallots:
    """The "My ballots" page: ballots I can vote in (and whether I have), ballots I
    manage or scrutinise, and results I can see. Queries: the ballots (1), my elector
    and vote records among them (2), plus the roles and member shared with navigation."""
    ballots = list(permissions.visible_ballots(user).order_by("-opens_at", "-pk")[: LIST_LIMIT + 1])
    out = MyBallots(truncated=len(ballots) > LIST_LIMIT)
    ballots = ballots[:LIST_LIMIT]
    member = membership_permissions.own_member(user)
    elector_of, voted_in = participation(member, [b.pk for b in ballots])
    for ballot in ballots:
        row = BallotRow(
            ballot=ballot,
            is_elector=ballot.pk in elector_of,
            voted=ballot.pk in voted_in,
            can_manage=permissions.can_manage_ballot(user, ballot),
            can_scrutinise=permissions.can_scrutinise(user, ballot),
        )
        row.can_see_result = _result_visible(user, row)
        if row.is_elector and ballot.state == Ballot.State.OPEN:
            out.to_vote.append(row)
        if row.can_manage or row.can_scrutinise:
            out.managed.append(row)
        if row.can_see_result:
            out.results.append(row)
    return out


@dataclass(frozen=True)
class HomeBallot:
    """One line of the home page's "My ballots" card; renders itself as a link.

    ``str()`` gives safe HTML, because the home template prints ``{{ b }}`` and Django's
    templates call ``str()`` before escaping (``__html__`` alone would be bypassed)."""

    ballot_id: int
    title: str
    state: str
    closes_at: dt.datetime
    voted: bool

    def __str__(self) -> str:
        return self.__html__()

    def __html__(self) -> SafeString:
        if self.state == Ballot.State.OPEN:
            closes = timezone.localtime(self.closes_at)
            status = (
                gettext("you have voted")
                if self.voted
                else gettext("open until %(time)s on %(date)s")
                % {"time": date_format(closes, "H:i"), "date": date_format(closes, "j F")}
            )
            url = reverse("ballots:vote", args=[self.ballot_id])
        else:
            status = gettext("result declared")
            url = reverse("ballots:result", args=[self.ballot_id])
        return format_html('<a href="{}">{}</a> — {}', url, self.title, status)


def home_ballots(user: Any, member: Member | None = None) -> list[HomeBallot]:
    """For the home page: open ballots I am on the electorate of, and results declared in
    the last :data:`RECENT_RESULTS_DAYS` days that I may see. One query (none without a
    member record); pass ``member`` if already loaded."""
    member = member or membership_permissions.own_member(user)
    if member is None:
        return []
    since = timezone.now() - dt.timedelta(days=RECENT_RESULTS_DAYS)
    rows = (
        Ballot.objects.filter(electors__member=member)
        .filter(
            Q(state=Ballot.State.OPEN)
            | Q(
                state=Ballot.State.DECLARED,
                declared_at__gte=since,
                results_visibility__in=[Visibility.ELECTORATE, Visibility.PUBLIC],
            )
        )
        .annotate(voted=Exists(VoteRecord.objects.filter(ballot=OuterRef("pk"), member=member)))
        .order_by("closes_at")
        .values_list("pk", "title", "state", "closes_at", "voted")[:20]
    )
    return [HomeBallot(*row) for row in rows]


# --- One ballot -------------------------------------------------------------------------
def ballot_options(ballot: Ballot) -> list[Option]:
    return list(ballot.options.order_by("position"))


def token_elector(elector_id: int, ballot_id: int, link_digest: str) -> Elector | None:
    """The elector a ballot-link session names, if it belongs to this ballot and the link
    the session was opened with is still the elector's current one (not replaced by a
    reminder or re-invitation, not used)."""
    return (
        Elector.objects.select_related("ballot", "member")
        .filter(pk=elector_id, ballot_id=ballot_id, token_digest=link_digest)
        .first()
    )


def votes_so_far(ballot: Ballot) -> int:
    return VoteRecord.objects.filter(ballot=ballot).count()


def invitation_progress(ballot: Ballot, *, sending: bool = False) -> dict[str, Any]:
    """``invitations.invitation_progress`` plus what the page needs: the share sent and
    whether to keep polling (``sending``: asked for, or some sent and some still to go)."""
    progress: dict[str, Any] = dict(invitations.invitation_progress(ballot))
    total = progress.get("electorate", 0)
    progress["percent"] = percent(progress.get("invited", 0), total)
    progress["voted_percent"] = percent(progress.get("voted", 0), total)
    progress["sending"] = bool(progress.get("pending")) and (
        sending or bool(progress.get("invited") or progress.get("failed"))
    )
    return progress


def lookup_member(ballot: Ballot, number: str) -> Member | None:
    """The member with ``number`` if they are on the ballot's electorate or in its unit
    (``permissions.lookup_members``); ``None`` for anyone else and for unknown numbers
    alike, so a lookup cannot tell whether a number exists elsewhere in the party."""
    return (
        permissions.lookup_members(ballot)
        .filter(membership_number=number.strip().upper())
        .select_related("clp", "branch")
        .first()
    )


def on_electorate(ballot: Ballot, member: Member) -> bool:
    return Elector.objects.filter(ballot=ballot, member=member).exists()


def audit_trail(ballot: Ballot) -> QuerySet[AuditEntry]:
    return audit.history(ballot).select_related("actor")


#: The entries that fix a result: the declaration, else the latest count or recount.
ANCHOR_ACTIONS = ("ballots.ballot.declare", "ballots.ballot.count", "ballots.ballot.recount")


def audit_anchor(ballot: Ballot) -> AuditEntry | None:
    """The audit entry printed on the declaration: ``<seq>:<digest>`` of the declaration
    (or, before it, the latest count). Anyone holding a copy can check it is still in the
    log with ``audit_verify --expect`` (decision 0015)."""
    from django.db.models import Case, IntegerField, Value, When

    return (
        audit.history(ballot)
        .filter(action__in=ANCHOR_ACTIONS)
        .order_by(
            Case(
                When(action=ANCHOR_ACTIONS[0], then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "-seq",
        )
        .first()
    )


def audit_head() -> audit.Head:
    """The audit log's current head, shown to scrutineers."""
    return audit.current_head()


# --- The result sheet -------------------------------------------------------------------
@dataclass
class StageCell:
    votes: str
    transfer: str = ""
    state: str = ""


@dataclass
class ResultView:
    """Everything the result page, the declaration and the PDF show about the count."""

    kind: str
    method_label: str
    outcome_lines: list[str]
    elected: list[str]
    turnout: int
    electorate: int | None
    turnout_percent: str
    stage_headers: list[str] = field(default_factory=list)
    stage_rows: list[tuple[str, list[StageCell]]] = field(default_factory=list)
    extra_rows: list[tuple[str, list[str]]] = field(default_factory=list)
    tallies: list[tuple[str, str, str, bool]] = field(default_factory=list)  # name, n, %, won
    notes: list[str] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)
    quota: str = ""
    carried: bool | None = None


def _num(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _signed(value: Any) -> str:
    text = _num(value)
    if not text or text.lstrip("-").strip("0.") == "":
        return ""
    return text if text.startswith("-") else f"+{text}"


_ACTIONS = {
    "first": gettext_noop("First preferences"),
    "elect": gettext_noop("Elected"),
    "surplus": gettext_noop("Surplus of"),
    "exclude": gettext_noop("Excluded"),
    "end": gettext_noop("End"),
}


def result_view(ballot: Ballot) -> ResultView:
    """The stored result as a sheet: outcome in words, stage table (candidates down,
    stages across, with transfers), tallies for one-round methods. No query. Worded in
    the reader's language, except what the count itself wrote (its notes, ties and
    explanation: the official record, in English)."""
    result: dict[str, Any] = ballot.result or {}
    view = _result_sheet(ballot, result)
    if view.kind == "empty":
        note = result.get("note")
        view.outcome_lines = [note.capitalize() + "." if note else gettext("No votes were cast.")]
        return view
    if view.kind == "yesno":
        _yesno_outcome(view, result)
        return view
    _elected_outcome(view, result, ballot.seats)
    stages = result.get("stages") or []
    if stages:
        _stage_table(view, result, stages)
    elif result.get("candidates") and "votes" in result["candidates"][0]:
        for c in result["candidates"]:
            view.tallies.append(
                (c["name"], str(c["votes"]), str(c.get("percent", "")), bool(c.get("elected")))
            )
    elif result.get("ranking"):
        view.tallies = [
            (name, str(place), "", name in view.elected)
            for place, name in enumerate(result["ranking"], start=1)
        ]
    return view


def _result_sheet(ballot: Ballot, result: dict[str, Any]) -> ResultView:
    """The sheet's frame: method, turnout, the count's notes and ties; no outcome yet."""
    turnout = ballot.turnout or 0
    return ResultView(
        kind=result.get("kind", "empty"),
        method_label=ballot.get_method_display(),
        outcome_lines=[],
        elected=list(result.get("elected", [])),
        turnout=turnout,
        electorate=ballot.electorate_size,
        turnout_percent=percent(turnout, ballot.electorate_size),
        notes=list(result.get("notes", [])),
        ties=[
            f"Stage {t['stage']}: {', '.join(t['tied'])} tied ({t['purpose']}); "
            f"{t['chosen']} chosen {t['how']}"
            for t in result.get("ties", [])
        ],
        quota=_num(result.get("quota")),
    )


def _yesno_outcome(view: ResultView, result: dict[str, Any]) -> None:
    """Carried or lost, and the yes / no / abstain tallies."""
    view.carried = bool(result.get("carried"))
    share = result.get("achieved_percent") or "–"
    # The threshold is worded once, in the count's explanation (issue 17.6).
    view.outcome_lines = [
        (
            gettext("Carried: %(share)s in favour.")
            if view.carried
            else gettext("Lost: %(share)s in favour.")
        )
        % {"share": share},
        str(result.get("explanation", "")),
    ]
    voting = int(result.get("present") or 0)
    for key, label in (
        ("yes", gettext("Yes")),
        ("no", gettext("No")),
        ("abstain", gettext("Abstain")),
    ):
        n = int(result.get(key) or 0)
        view.tallies.append((label, str(n), percent(n, voting), False))


def _elected_outcome(view: ResultView, result: dict[str, Any], ballot_seats: int) -> None:
    """Who is elected, in order of election where several are."""
    elected = view.elected
    seats = result.get("seats", ballot_seats)
    if not elected:
        line = (
            gettext("Elected: nobody.")
            if seats == 1
            else gettext("Elected, in order of election: nobody.")
        )
    elif seats == 1 or len(elected) == 1:
        line = gettext("Elected: %(names)s.") % {"names": ", ".join(elected)}
    else:
        line = gettext("Elected, in order of election: %(names)s.") % {"names": ", ".join(elected)}
    view.outcome_lines = [line]


def _stage_table(view: ResultView, result: dict[str, Any], stages: list[dict[str, Any]]) -> None:
    """Candidates down, stages across, with each stage's transfers; then the rows for
    non-transferable votes, rounding and the quota."""
    for stage in stages:
        code = stage.get("action", "")
        action = gettext(_ACTIONS[code]) if code in _ACTIONS else str(code).title()
        subjects = ", ".join(stage.get("subjects", []))
        if subjects and code != "first":
            header = gettext("Stage %(number)s: %(action)s %(subjects)s")
        else:
            header = gettext("Stage %(number)s: %(action)s")
        view.stage_headers.append(
            header % {"number": stage["number"], "action": action, "subjects": subjects}
        )
    for name in [c["name"] for c in result.get("candidates", [])]:
        cells = [
            StageCell(
                votes=_num(s["votes"].get(name)),
                transfer=_signed((s.get("transfers") or {}).get(name))
                if s.get("number", 1) > 1
                else "",
                state=s["states"].get(name, ""),
            )
            for s in stages
        ]
        view.stage_rows.append((name, cells))
    view.extra_rows.append(
        (gettext("Non-transferable"), [_num(s.get("non_transferable")) for s in stages])
    )
    if any(str(s.get("residual") or "0").strip("0.") for s in stages):
        view.extra_rows.append(
            (gettext("Lost to rounding"), [_num(s.get("residual")) for s in stages])
        )
    if any(s.get("quota") is not None for s in stages):
        view.extra_rows.append((gettext("Quota"), [_num(s.get("quota")) for s in stages]))


# --- the result by electorate section (decision 0025) --------------------------------------
@dataclass
class SectionTable:
    """The AV result by electorate section (``tally.by_section``) as a table, worded in
    the reader's language: a row per section, its papers, first preferences and
    final-round votes per candidate, and why sections are merged or not broken down."""

    candidates: list[str]
    finalists: list[str]
    rows: list[dict[str, Any]]
    note: str
    min_papers: int


def _section_note(reason: str, k: int) -> str:
    if reason == "members_only":
        return gettext("Only members' papers: nothing to break down.")
    if reason == "merged":
        return gettext(
            "Affiliated and registered supporters are shown together: one of the two "
            "sections has fewer than %(k)s papers."
        ) % {"k": intcomma(k)}
    if reason == "too_few":
        return gettext("Not broken down by section: a section has fewer than %(k)s papers.") % {
            "k": intcomma(k)
        }
    return ""


def section_table(ballot: Ballot | None) -> SectionTable | None:
    """The ballot's result by section, or ``None`` when it is not published by section."""
    found = (ballot.result or {}).get("by_section") if ballot is not None else None
    if ballot is None or not found:
        return None
    sections = found.get("sections") or []
    # In the ballot paper's order: a JSON column need not keep the keys' order (jsonb
    # does not), so the stored dicts' order is not the candidates'.
    printed = [o.name for o in ballot_options(ballot)] if sections else []
    candidates = [c for c in printed if c in sections[0]["first_preferences"]] if sections else []
    finalists = [c for c in printed if c in sections[0]["final_round"]] if sections else []
    rows = [
        {
            "label": gettext(s["label"]),
            "papers": s["papers"],
            "first": [s["first_preferences"][c] for c in candidates],
            "final": [s["final_round"][c] for c in finalists],
            "non_transferable": s["non_transferable"],
        }
        for s in sections
    ]
    k = int(found.get("min_papers", 0))
    return SectionTable(
        candidates=candidates,
        finalists=finalists,
        rows=rows,
        note=_section_note(str(found.get("reason", "")), k),
        min_papers=k,
    )
