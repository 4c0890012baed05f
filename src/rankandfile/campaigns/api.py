"""JSON API for campaigns (mounted under /api/v1/ by rankandfile.api).

Public, read-only figures: launched campaigns with their confirmed counts and targets,
the pledge register and recall petitions with the threshold assessment. Personal data is
never served here (officers export it from the campaign's page).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from rankandfile.campaigns import permissions, queries

router = Router(tags=["campaigns"])


class CampaignOut(Schema):
    slug: str
    title: str
    demand: str
    constituency: str
    mp: str | None
    state: str
    event_kind: str
    event_date: dt.date | None
    confirmed: int
    target: int | None
    launched_at: dt.datetime | None
    handed_in_at: dt.datetime | None


class PledgeOut(Schema):
    constituency: str
    name: str
    role: str
    statement: str
    pledged_on: dt.date
    status: str
    left_party_on: dt.date | None


class RecallOut(Schema):
    id: int
    constituency: str
    mp_name: str
    ground: str
    opens_on: dt.date
    closes_on: dt.date
    signing_places: list[str]
    signatures: int | None
    electorate: int | None
    threshold: int | None
    met: bool | None
    state: str
    explanation: str


def _campaign_out(c: object) -> CampaignOut:
    from rankandfile.campaigns.models import Campaign

    assert isinstance(c, Campaign)
    return CampaignOut(
        slug=c.slug,
        title=c.title,
        demand=c.demand,
        constituency=c.constituency.name,
        mp=c.mp.name if c.mp else None,
        state=c.state,
        event_kind=c.event_kind,
        event_date=c.event_date,
        confirmed=c.confirmed_count,
        target=c.effective_target,
        launched_at=c.launched_at,
        handed_in_at=c.handed_in_at,
    )


@router.get("/campaigns", response=list[CampaignOut], auth=None)
def campaign_list(request: HttpRequest) -> list[CampaignOut]:
    return [_campaign_out(c) for c in queries.public_campaigns()]


@router.get("/campaigns/{slug}", response=CampaignOut, auth=None)
def campaign_detail(request: HttpRequest, slug: str) -> CampaignOut:
    campaign = permissions.access_campaign(request.user, slug)
    return _campaign_out(campaign)


@router.get("/pledges", response=list[PledgeOut], auth=None)
def pledge_list(request: HttpRequest, constituency: str | None = None) -> list[PledgeOut]:
    qs = queries.pledge_register()
    if constituency:
        qs = qs.filter(constituency__name=constituency)
    return [
        PledgeOut(
            constituency=p.constituency.name,
            name=p.name,
            role=p.role,
            statement=p.statement,
            pledged_on=p.pledged_on,
            status=p.status,
            left_party_on=p.left_party_on,
        )
        for p in qs
    ]


@router.get("/recall-petitions", response=list[RecallOut], auth=None)
def recall_list(request: HttpRequest) -> list[RecallOut]:
    out = []
    for petition in queries.recall_petitions():
        s = queries.recall_status(petition)
        a = s.assessment
        out.append(
            RecallOut(
                id=petition.pk,
                constituency=petition.constituency.name,
                mp_name=petition.mp_name,
                ground=petition.ground,
                opens_on=petition.opens_on,
                closes_on=petition.closes_on,
                signing_places=list(petition.signing_places),
                signatures=s.latest.signatures if s.latest else None,
                electorate=s.electorate,
                threshold=a.threshold if a else None,
                met=a.met if a else None,
                state=s.state,
                explanation=a.explain() if a else "",
            )
        )
    return out
