"""API: my ballots, one ballot, casting a vote, results and the published papers.

The same rules as the pages, through the same functions: a ballot is found only through
:func:`permissions.access_ballot` (a ballot the caller may not see is a 404, so ids cannot
be probed), a vote is cast only by :func:`casting.vote_cast`, and results and papers
are shown only when :func:`permissions.can_view_result` allows. Nothing here ever says
who voted or how a named member voted: the ballot shows the electorate's size, the result
shows the turnout, and a paper is found only by the random tracking code its voter holds.

No ``from __future__ import annotations`` here: django-ninja builds its request models
from the evaluated annotations.
"""

import datetime as dt
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import StrictInt, StrictStr

from rankandfile.ballots import casting, outside, permissions, queries, tally
from rankandfile.ballots.models import Ballot, Elector, Method, Option
from rankandfile.core.errors import DomainError, NotFound, PermissionDenied
from rankandfile.core.links import expand_paths
from rankandfile.membership import permissions as membership_permissions

router = Router(tags=["ballots"])


class ErrorOut(Schema):
    detail: str


class OptionOut(Schema):
    position: int
    name: str
    description: str
    gender: str

    @staticmethod
    def resolve_description(obj: Option) -> str:
        # Stored site paths become links here, at render time (core.links).
        return expand_paths(obj.description)


class BallotSummaryOut(Schema):
    id: int
    title: str
    method: str
    method_label: str
    seats: int
    state: str
    scope: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    electorate_size: int | None
    can_vote: bool
    has_voted: bool
    can_manage: bool
    can_view_result: bool


class BallotOut(BallotSummaryOut):
    description: str
    threshold: str
    quota_minimums: dict[str, int]
    results_visibility: str
    frozen_at: dt.datetime | None
    electorate_digest: str
    how_to_vote: str
    options: list[OptionOut]


class VoteIn(Schema):
    """A ranking or marks as option positions (most preferred first, counting from 0), or
    ``"yes"``, ``"no"`` or ``"abstain"`` for a yes/no ballot."""

    choice: list[StrictInt] | StrictStr


class ReceiptOut(Schema):
    ballot: int
    tracking_code: str
    message: str


class ResultOut(Schema):
    id: int
    title: str
    method: str
    seats: int
    state: str
    electorate_size: int | None
    turnout: int | None
    turnout_percent: str | None
    counted_at: dt.datetime | None
    declared_at: dt.datetime | None
    outcome: str
    elected: list[str]
    stages: list[dict[str, Any]]
    #: AV figures by electorate section, where the ballot publishes them (decision 0025).
    by_section: dict[str, Any] | None = None
    result: dict[str, Any]
    seed: int | None
    papers_digest: str


class PaperOut(Schema):
    tracking_code: str
    choice: list[int] | str
    choice_names: list[str]


_HOW_TO_VOTE = {
    Method.YESNO: 'send {"choice": "yes"}, "no" or "abstain"',
    Method.APPROVAL: "send the positions of every option you approve of",
    Method.BLOCK: "send the positions of up to `seats` candidates you vote for",
    Method.PLURALITY: "send the position of the one candidate you vote for",
}
_RANKED_HOW = "send option positions in order of preference, most preferred first"


# --- reads --------------------------------------------------------------------------------
def _flags(request: HttpRequest, ballots: list[Ballot]) -> list[dict[str, Any]]:
    """Each ballot with the caller's flags, in two queries however many ballots there are
    (plus the caller's member record and roles, loaded once)."""
    user = request.user
    elector_of, voted_in = queries.participation(
        membership_permissions.own_member(user), [b.pk for b in ballots]
    )
    now = timezone.now()
    rows = []
    for ballot in ballots:
        is_open = ballot.state == Ballot.State.OPEN and ballot.opens_at <= now < ballot.closes_at
        rows.append(
            {
                "ballot": ballot,
                "can_vote": is_open and ballot.pk in elector_of and ballot.pk not in voted_in,
                "has_voted": ballot.pk in voted_in,
                "can_manage": permissions.can_manage_ballot(user, ballot),
                "can_view_result": permissions.can_view_result(user, ballot),
            }
        )
    return rows


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    ballot: Ballot = row.pop("ballot")
    return {
        "id": ballot.pk,
        "title": ballot.title,
        "method": ballot.method,
        "method_label": Method(ballot.method).label,
        "seats": ballot.seats,
        "state": ballot.state,
        "scope": ballot.scope_label,
        "opens_at": ballot.opens_at,
        "closes_at": ballot.closes_at,
        "electorate_size": ballot.electorate_size,
        **row,
    }


@router.get("/ballots", response=list[BallotSummaryOut], summary="My ballots")
def my_ballots(request: HttpRequest) -> list[dict[str, Any]]:
    """Every ballot you may open — as an elector, an officer running it, a scrutineer, or
    because its result is public — newest first, with what you may do in each."""
    ballots: QuerySet[Ballot] = permissions.visible_ballots(request.user).select_related(
        "branch__clp__constituency"
    )
    return [_summary(row) for row in _flags(request, list(ballots))]


@router.get(
    "/ballots/{ballot_id}",
    response={200: BallotOut, 404: ErrorOut},
    summary="One ballot: its options, method and timetable",
)
def ballot_detail(request: HttpRequest, ballot_id: int) -> dict[str, Any]:
    """The ballot paper and its rules. Never the papers or who has voted: only the
    electorate's size and digest."""
    ballot = permissions.access_ballot(request.user, ballot_id)
    options: list[Option] = list(ballot.options.order_by("position"))
    (row,) = _flags(request, [ballot])
    return {
        **_summary(row),
        "description": expand_paths(ballot.description),
        "threshold": ballot.threshold if ballot.method == Method.YESNO else "",
        "quota_minimums": ballot.quota_minimums or {},
        "results_visibility": ballot.results_visibility,
        "frozen_at": ballot.frozen_at,
        "electorate_digest": ballot.electorate_digest,
        "how_to_vote": _HOW_TO_VOTE.get(Method(ballot.method), _RANKED_HOW),
        "options": options,
    }


# --- casting ------------------------------------------------------------------------------
MAX_KEY = 2**63 - 1  # the largest primary key (BigAutoField)


def _own_elector(request: HttpRequest, ballot_id: int) -> Elector | None:
    """The caller's entry on the ballot's frozen electorate, with the ballot, in one query.

    Being on the electorate makes a ballot visible (see ``permissions.visible_ballots``),
    so for an elector this is :func:`permissions.access_ballot` followed by
    :func:`permissions.elector_for` without their four queries: casting is the one
    request that arrives by the hundred a second. Everyone else falls back to
    ``access_ballot`` (404 for a ballot they may not see, else 403).
    """
    if not 0 < ballot_id <= MAX_KEY:
        # No ballot has this id, and past a 64-bit key it would overflow the SQL parameter
        # (a foreign-key lookup is not range-checked as a primary key is): found by
        # schemathesis. ``access_ballot`` answers 404.
        return None
    # At most one row (one member per login, one elector per member and ballot): a slice,
    # not ``first()``, which would add an ORDER BY.
    # The ballot's number of options comes in the same query (``n_options``).
    n_options = (
        Option.objects.filter(ballot_id=OuterRef("ballot_id"))
        .order_by()
        .values("ballot_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    found = (
        Elector.objects.select_related("ballot")
        .filter(ballot_id=ballot_id, member__user_id=int(request.user.pk or 0))
        .annotate(n_options=Subquery(n_options))[:1]
    )
    elector = next(iter(found), None)
    if elector is None:  # a supporter's login (``ballots.outside``; decision 0025)
        supporters = outside.ids_for_user(request.user.pk)
        if supporters:
            found = (
                Elector.objects.select_related("ballot")
                .filter(ballot_id=ballot_id, supporter_id__in=supporters)
                .annotate(n_options=Subquery(n_options))[:1]
            )
            elector = next(iter(found), None)
    return elector


@router.post(
    "/ballots/{ballot_id}/vote",
    response={201: ReceiptOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Cast my vote",
)
def cast_vote(request: HttpRequest, ballot_id: int, payload: VoteIn) -> Status[Any]:
    """Cast your vote, once. The answer carries your tracking code: it is shown this once
    and never stored with your name, so keep it to find your paper among the published
    ones after the count.

    400: the paper is filled in wrongly (the message says how) or the ballot is not open;
    403: you may see the ballot but are not on its electorate; 404: no such ballot among
    those you may see; 409: your vote is already recorded (a retry never casts twice).
    """
    elector = _own_elector(request, ballot_id)
    if elector is None:
        permissions.access_ballot(request.user, ballot_id)  # 404 unless the ballot is visible
        raise PermissionDenied("you are not on the electorate of this ballot")
    ballot = elector.ballot
    outcome = casting.vote_cast(
        ballot=ballot,
        elector_id=elector.pk,
        member_id=elector.member_id,
        supporter_id=elector.supporter_id,
        section=elector.section,
        choice=payload.choice,
        n_options=getattr(elector, "n_options", None) or 0,
    )
    return Status(*casting.api_answer(ballot.pk, outcome))


# --- results and papers -------------------------------------------------------------------
def _result_ballot(request: HttpRequest, ballot_id: int) -> Ballot:
    ballot = permissions.access_ballot(request.user, ballot_id)
    if not permissions.can_view_result(request.user, ballot):
        raise PermissionDenied("the result of this ballot is not published to you yet")
    return ballot


def _outcome(result: dict[str, Any]) -> tuple[str, list[str]]:
    kind = result.get("kind")
    if kind == "yesno":
        return str(result.get("explanation") or result.get("outcome") or ""), []
    if kind == "ranked":
        elected = [str(name) for name in result.get("elected", [])]
        return ("elected: " + ", ".join(elected)) if elected else "no one elected", elected
    return str(result.get("note", "")), []


@router.get(
    "/ballots/{ballot_id}/result",
    response={200: ResultOut, 403: ErrorOut, 404: ErrorOut},
    summary="A ballot's result: turnout, outcome and every stage of the count",
)
def ballot_result(request: HttpRequest, ballot_id: int) -> dict[str, Any]:
    """Officers and scrutineers see the result once counted; after the declaration,
    whoever the ballot's result visibility names."""
    ballot = _result_ballot(request, ballot_id)
    result: dict[str, Any] = ballot.result or {}
    outcome, elected = _outcome(result)
    size, turnout = ballot.electorate_size, ballot.turnout
    return {
        "id": ballot.pk,
        "title": ballot.title,
        "method": ballot.method,
        "seats": ballot.seats,
        "state": ballot.state,
        "electorate_size": size,
        "turnout": turnout,
        "turnout_percent": f"{100 * turnout / size:.1f}" if size and turnout is not None else None,
        "counted_at": ballot.counted_at,
        "declared_at": ballot.declared_at,
        "outcome": outcome,
        "elected": elected,
        "stages": result.get("stages", []),
        "by_section": result.get("by_section"),
        "result": result,
        "seed": ballot.seed,
        "papers_digest": ballot.papers_digest,
    }


def _download(ballot: Ballot, text: str, extension: str, content_type: str) -> HttpResponse:
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ballot-{ballot.pk}-papers.{extension}"'
    )
    return response


@router.get(
    "/ballots/{ballot_id}/papers.blt",
    response={200: str, 403: ErrorOut, 404: ErrorOut},
    summary="The published papers as BLT (ranked and approval ballots)",
    openapi_extra={"responses": {200: {"content": {"text/plain": {}}}}},
)
def papers_blt(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """Every paper with its tracking code, in random order. Its SHA-256 is the result's
    ``papers_digest``, and ``rankandfile count`` on it reproduces the result."""
    ballot = _result_ballot(request, ballot_id)
    if not ballot.papers_blt:
        raise NotFound("this ballot publishes its papers as CSV only")
    return _download(ballot, ballot.papers_blt, "blt", "text/plain")


@router.get(
    "/ballots/{ballot_id}/papers.csv",
    response={200: str, 403: ErrorOut, 404: ErrorOut},
    summary="The published papers as CSV",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def papers_csv(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """One row per paper: its tracking code and each option's preference or mark (or the
    answer, for yes/no). For a yes/no ballot this is the digested, counted document."""
    ballot = _result_ballot(request, ballot_id)
    return _download(ballot, ballot.papers_csv, "csv", "text/csv")


@router.get(
    "/ballots/{ballot_id}/papers/{code}",
    response={200: PaperOut, 400: ErrorOut, 404: ErrorOut},
    summary="Find my paper by its tracking code (after the count)",
)
def paper_by_code(request: HttpRequest, ballot_id: int, code: str) -> dict[str, Any]:
    """Check that your paper was counted as you cast it. Open to everyone who may see the
    ballot once it is counted: a code is random and known only to its voter, and a paper
    says nothing about who cast it."""
    ballot = permissions.access_ballot(request.user, ballot_id)
    if ballot.state not in (Ballot.State.COUNTED, Ballot.State.DECLARED):
        raise DomainError("papers are published when the ballot has been counted")
    paper = tally.lookup_code(ballot, code[:40])
    if paper is None:
        raise NotFound("no paper with that tracking code in this ballot")
    names = dict(ballot.options.values_list("position", "name"))
    choice = paper.choice
    return {
        "tracking_code": paper.tracking_code,
        "choice": choice,
        "choice_names": [names[p] for p in choice] if isinstance(choice, list) else [],
    }
