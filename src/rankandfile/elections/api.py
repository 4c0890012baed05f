"""JSON API for internal elections (mounted under /api/v1/ by rankandfile.api).

Reads: the elections the caller may see, an election with every candidate, every live
nomination and who made it, and the thresholds explained; a past round judged under each
historic rule. Writes: an MP's own nomination, and a national officer's registration of
a supporter (the same services as the page).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rankandfile.core.errors import NotFound
from rankandfile.elections import permissions, queries, services
from rankandfile.elections.models import Contest, Supporter
from rankandfile.membership.models import Affiliate

router = Router(tags=["elections"])


class ErrorOut(Schema):
    detail: str


class ContestOut(Schema):
    id: int
    title: str
    office: str
    kind: str
    stage: str
    rules_on: dt.date
    mp_nominations_close: dt.datetime
    nominations_close: dt.datetime
    ballot_id: int | None
    url: str


class NominationOut(Schema):
    id: int
    by: str
    nominator: str
    method: str
    votes_for: int | None
    votes_cast: int | None


class StandingOut(Schema):
    id: int
    name: str
    incumbent: bool
    qualified: bool
    explanation: list[str]
    nominations: list[NominationOut]


class SectionOut(Schema):
    section: str
    label: str
    papers: int
    first_preferences: dict[str, int]
    final_round: dict[str, int]
    non_transferable: int


class BySectionOut(Schema):
    min_papers: int
    note: str
    sections: list[SectionOut]


class ContestDetailOut(ContestOut):
    candidates: list[StandingOut]
    elected: list[str]
    appeals_until: dt.date | None
    #: AV figures by electorate section where the rules publish them (decision 0025).
    by_section: BySectionOut | None = None


class SupporterIn(Schema):
    kind: str
    name: str
    email: str
    affiliate_id: int | None = None
    fee_pence_paid: int = 0
    paid_on: dt.date | None = None


class SupporterOut(Schema):
    id: int
    contest_id: int
    kind: str
    name: str
    email: str
    affiliate_id: int | None
    fee_pence_paid: int
    paid_on: dt.date | None
    registered_at: dt.datetime


class VerdictOut(Schema):
    rules: str
    admitted: list[str]
    explanations: dict[str, str]


class NominateIn(Schema):
    candidate_id: int


def _out(c: Contest) -> dict[str, Any]:
    return {
        "id": c.pk,
        "title": c.title,
        "office": c.office,
        "kind": c.kind,
        "stage": c.stage,
        "rules_on": c.rules_on,
        "mp_nominations_close": c.mp_nominations_close,
        "nominations_close": c.nominations_close,
        "ballot_id": c.ballot_id,
        "url": f"/elections/{c.pk}/",
    }


def _detail(request: HttpRequest, contest: Contest) -> dict[str, Any]:
    page = queries.contest_page(contest, request.user)
    return {
        **_out(contest),
        "candidates": [
            {
                "id": s.candidate.pk,
                "name": s.candidate.name,
                "incumbent": s.candidate.is_incumbent,
                "qualified": s.assessment.qualified,
                "explanation": list(s.assessment.lines),
                "nominations": [
                    {
                        "id": n.pk,
                        "by": n.by,
                        "nominator": n.nominator,
                        "method": n.method,
                        "votes_for": n.votes_for,
                        "votes_cast": n.votes_cast,
                    }
                    for n in [*s.mps, *s.clps, *s.affiliates]
                ],
            }
            for s in page.standings
        ],
        "elected": page.elected,
        "appeals_until": contest.appeals_until,
        "by_section": (contest.ballot.result or {}).get("by_section")
        if contest.ballot is not None
        else None,
    }


def _supporter_out(s: Supporter) -> dict[str, Any]:
    return {
        "id": s.pk,
        "contest_id": s.contest_id,
        "kind": s.kind,
        "name": s.name,
        "email": s.email,
        "affiliate_id": s.affiliate_id,
        "fee_pence_paid": s.fee_pence_paid,
        "paid_on": s.paid_on,
        "registered_at": s.registered_at,
    }


@router.get("/elections/", response=list[ContestOut])
def contest_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Elections for leader, deputy leader and the NEC's CLP section."""
    return [_out(c) for c in queries.contests(request.user)]


@router.get("/elections/{contest_id}/", response=ContestDetailOut)
def contest_detail(request: HttpRequest, contest_id: int) -> dict[str, Any]:
    """An election: candidates, live nominations by whom, thresholds in words, result."""
    return _detail(request, permissions.access_contest(request.user, contest_id))


@router.post("/elections/{contest_id}/nominations/mp/", response={201: ContestDetailOut})
def nominate_as_mp(request: HttpRequest, contest_id: int, payload: NominateIn) -> Status[Any]:
    """The calling MP nominates a candidate (one per election; MPs only)."""
    contest = permissions.access_contest(request.user, contest_id)
    candidate = permissions.access_candidate(request.user, contest, payload.candidate_id)
    services.nomination_by_mp(actor=request.user, contest=contest, candidate=candidate)  # type: ignore[arg-type]
    return Status(201, _detail(request, contest))


@router.get("/elections/{contest_id}/supporters/", response=list[SupporterOut])
def supporter_list(request: HttpRequest, contest_id: int) -> list[dict[str, Any]]:
    """The supporters registered for an election (national officers who run elections)."""
    contest = permissions.access_run_contest(request.user, contest_id)
    return [_supporter_out(s) for s in queries.supporters(contest)]


@router.post(
    "/elections/{contest_id}/supporters/",
    response={201: SupporterOut, 400: ErrorOut, 404: ErrorOut},
)
def supporter_register(request: HttpRequest, contest_id: int, payload: SupporterIn) -> Status[Any]:
    """Register an affiliated or registered supporter (national officers who run
    elections). Refused in words: outside the registration window, the wrong fee, a kind
    the rules in force on the day do not admit, a party member, a second registration."""
    contest = permissions.access_run_contest(request.user, contest_id)
    affiliate = None
    if payload.affiliate_id is not None:
        affiliate = Affiliate.objects.filter(pk=payload.affiliate_id).first()
        if affiliate is None:
            raise NotFound("no such affiliate")
    supporter = services.supporter_register(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        kind=payload.kind,
        name=payload.name,
        email=payload.email,
        affiliate=affiliate,
        fee_pence_paid=payload.fee_pence_paid,
        paid_on=payload.paid_on,
    )
    return Status(201, _supporter_out(supporter))


@router.get("/elections/past/{round_id}/compare/", response=list[VerdictOut])
def past_compare(request: HttpRequest, round_id: int) -> list[dict[str, Any]]:
    """What each historic version of the rules would have admitted in a past round."""
    past = permissions.access_past_round(request.user, round_id)
    return [
        {
            "rules": col.label,
            "admitted": col.admitted,
            "explanations": {name: a.words for name, a in col.verdicts.items()},
        }
        for col in queries.past_comparison(past)
    ]
