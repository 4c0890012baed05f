"""JSON API for accountability (mounted under /api/v1/ by rankandfile.api).

Read-only and public, like the pages: an MP's stored scorecard and party changes, the
policies with their linked divisions and justifications. (Authentication is still
required by the API as a whole: a personal token or the browser session.)

No ``from __future__ import annotations``: django-ninja evaluates the annotations.
"""

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from rankandfile.accountability import permissions, queries
from rankandfile.accountability.models import Policy

router = Router(tags=["accountability"])


class ErrorOut(Schema):
    detail: str


class ScoreLineOut(Schema):
    policy_title: str
    policy_url: str
    wording: str
    agreement: float | None
    divisions_counted: int
    absences: int


class PartyChangeOut(Schema):
    date: dt.date
    kind: str
    from_party: str
    to_party: str
    note: str


class ScorecardOut(Schema):
    mnis_id: int
    name: str
    party: str
    constituency: str | None
    scores: list[ScoreLineOut]
    party_changes: list[PartyChangeOut]


class LinkOut(Schema):
    division_id: int
    date: dt.date
    title: str
    supports: str
    strength: str
    justification: str


class PolicyOut(Schema):
    slug: str
    title: str
    programme_reference: str | None
    links: list[LinkOut]


@router.get(
    "/accountability/mps/{mnis_id}",
    response={200: ScorecardOut, 404: ErrorOut},
    summary="An MP's stored scorecard and party changes",
)
def mp_scorecard(request: HttpRequest, mnis_id: int) -> ScorecardOut:
    mp = permissions.access_mp(mnis_id)
    return ScorecardOut(
        mnis_id=mp.mnis_id,
        name=mp.name,
        party=mp.party,
        constituency=mp.constituency.name if mp.constituency else None,
        scores=[ScoreLineOut(**line.__dict__) for line in queries.mp_scorecard(mp)],
        party_changes=[PartyChangeOut(**c.__dict__) for c in queries.party_changes(mp)],
    )


@router.get("/accountability/policies", response=list[PolicyOut], summary="Policies and links")
def policies(request: HttpRequest) -> list[PolicyOut]:
    items = Policy.objects.select_related("programme_entry").prefetch_related("links__division")
    return [
        PolicyOut(
            slug=p.slug,
            title=p.title,
            programme_reference=p.programme_entry.reference if p.programme_entry else None,
            links=[
                LinkOut(
                    division_id=lk.division.division_id,
                    date=lk.division.date,
                    title=lk.division.title,
                    supports=lk.direction_label,
                    strength=lk.strength,
                    justification=lk.justification,
                )
                for lk in p.links.all()
            ],
        )
        for p in items.order_by("title")
    ]
