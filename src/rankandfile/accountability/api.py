"""JSON API for accountability (mounted under /api/v1/ by rankandfile.api).

Reads are public, like the pages (no token or session needed): an MP's stored scorecard
(both scores for an MP who left, the party comparison, a plain-English summary per
policy), the votes behind one score, MP search by name or constituency, the policies with
their linked divisions and justifications. Writes (creating a policy, linking a division)
need the API's authentication — a token with the ``write`` scope or the browser session
with its CSRF token — and a policy officer or national admin (rule P1), through the same
services as the pages.

No ``from __future__ import annotations``: django-ninja evaluates the annotations.
"""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from rankandfile.accountability import permissions, queries, services
from rankandfile.accountability.models import Division, Policy, PolicyDivision
from rankandfile.conference.models import ProgrammeEntry
from rankandfile.core.errors import DomainError, NotFound, PermissionDenied

router = Router(tags=["accountability"])
TEXT = r"^[^\x00]*$"  # no NUL characters (PostgreSQL text cannot hold them)


class ErrorOut(Schema):
    detail: str


class ScoreLineOut(Schema):
    policy_title: str
    policy_url: str
    policy_slug: str
    summary: str = Field(description='Plain English, e.g. "generally voted against <policy>".')
    wording: str
    agreement: float | None
    divisions_counted: int
    absences: int
    party: str = Field(description="The party the MP is compared with (rule A6).")
    party_agreement: float | None = Field(description="The party's mean, excluding the MP.")
    party_wording: str
    all_votes_wording: str = Field(
        description="Over every division the MP sat for in the parliament, whatever their "
        "party then (rule A8; differs only for MPs who changed party)."
    )
    all_votes_agreement: float | None


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


class MPOut(Schema):
    mnis_id: int
    name: str
    party: str
    constituency: str | None
    in_office: bool


class EvidenceOut(Schema):
    division_id: int
    date: dt.date
    title: str
    supports: str = Field(description="The vote that supports the policy: Aye or No.")
    strength: str
    vote: str | None = Field(description="How the MP voted; null: not an MP then.")
    party_then: str
    counted: str = Field(description="How the vote counted, or why it did not.")


class MPPolicyOut(Schema):
    mnis_id: int
    name: str
    policy_slug: str
    policy_title: str
    summary: str
    agreement: float | None
    party_agreement: float | None
    all_votes_agreement: float | None
    evidence: list[EvidenceOut]


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
    description: str
    programme_reference: str | None
    links: list[LinkOut]


class PolicyIn(Schema):
    title: str = Field(
        "", max_length=200, pattern=TEXT, description="Blank: the programme entry's title."
    )
    description: str = Field("", max_length=20_000, pattern=TEXT)
    programme_reference: str | None = Field(
        None, max_length=20, pattern=TEXT, description='A current programme entry, e.g. "2025/07".'
    )


class LinkIn(Schema):
    division_id: int = Field(ge=1, le=2_147_483_647, description="Commons Votes DivisionId.")
    supports: Literal["aye", "no"] = Field(description="The vote that supports the policy.")
    strength: Literal["strong", "weak"]
    justification: str = Field(
        min_length=services.MIN_JUSTIFICATION,
        max_length=5_000,
        pattern=TEXT,
        description="Why this division tests the policy (shown publicly).",
    )


class SearchIn(Schema):
    q: str = Field(
        min_length=1, max_length=100, pattern=TEXT, description="Name or constituency words."
    )


def _require_manager(request: HttpRequest) -> None:
    if not permissions.can_manage_policies(request.user):
        raise PermissionDenied("only policy officers and national admins maintain policies")


def _link_out(lk: PolicyDivision) -> LinkOut:
    return LinkOut(
        division_id=lk.division.division_id,
        date=lk.division.date,
        title=lk.division.title,
        supports=lk.direction_label,
        strength=lk.strength,
        justification=lk.justification,
    )


def _policy_out(p: Policy) -> PolicyOut:
    return PolicyOut(
        slug=p.slug,
        title=p.title,
        description=p.description,
        programme_reference=p.programme_entry.reference if p.programme_entry else None,
        links=[_link_out(lk) for lk in p.links.all()],
    )


@router.get(
    "/accountability/mps",
    response=list[MPOut],
    auth=None,
    summary="Find MPs by name or constituency (public)",
)
def mp_search(request: HttpRequest, filters: Query[SearchIn]) -> list[MPOut]:
    return [
        MPOut(
            mnis_id=mp.mnis_id,
            name=mp.name,
            party=mp.party,
            constituency=mp.constituency.name if mp.constituency else None,
            in_office=mp.in_office,
        )
        for mp in queries.find_mps(filters.q)
    ]


@router.get(
    "/accountability/mps/{mnis_id}",
    response={200: ScorecardOut, 404: ErrorOut},
    auth=None,
    summary="An MP's stored scorecard and party changes (public)",
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


@router.get(
    "/accountability/mps/{mnis_id}/policies/{slug}",
    response={200: MPPolicyOut, 404: ErrorOut},
    auth=None,
    summary="The votes behind one MP's score on one policy (public)",
)
def mp_policy(request: HttpRequest, mnis_id: int, slug: str) -> MPPolicyOut:
    mp = permissions.access_mp(mnis_id)
    policy = permissions.access_policy(slug)
    pe = queries.mp_page(mp, policy)["policies"][0]  # type: ignore[index]
    assert isinstance(pe, queries.PolicyEvidence)
    score = pe.score
    return MPPolicyOut(
        mnis_id=mp.mnis_id,
        name=mp.name,
        policy_slug=policy.slug,
        policy_title=policy.title,
        summary=pe.summary,
        agreement=score.agreement if score else None,
        party_agreement=score.party_agreement if score else None,
        all_votes_agreement=score.all_agreement if score else None,
        evidence=[
            EvidenceOut(
                division_id=e.link.division.division_id,
                date=e.link.division.date,
                title=e.link.division.title,
                supports=e.link.direction_label,
                strength=e.link.strength,
                vote=e.vote.position_label if e.vote else None,
                party_then=e.party_then,
                counted=e.excluded_reason or e.counted.label,
            )
            for e in pe.evidence
        ],
    )


@router.get(
    "/accountability/policies",
    response=list[PolicyOut],
    auth=None,
    summary="Policies and their linked divisions (public)",
)
def policies(request: HttpRequest) -> list[PolicyOut]:
    items = Policy.objects.select_related("programme_entry").prefetch_related("links__division")
    return [_policy_out(p) for p in items.order_by("title")]


@router.get(
    "/accountability/policies/{slug}",
    response={200: PolicyOut, 404: ErrorOut},
    auth=None,
    summary="One policy and its linked divisions (public)",
)
def policy(request: HttpRequest, slug: str) -> PolicyOut:
    return _policy_out(permissions.access_policy(slug))


@router.post(
    "/accountability/policies",
    response={201: PolicyOut, 400: ErrorOut, 403: ErrorOut},
    summary="Create a policy (policy officers)",
)
def policy_create(request: HttpRequest, payload: PolicyIn) -> Status[Any]:
    """A free-standing policy (a title), or the policy of a current programme entry
    (``programme_reference``; the title and text default to the entry's). 400: no title,
    an unknown or already-used programme entry; 403: not a policy officer."""
    _require_manager(request)
    entry = None
    if payload.programme_reference:
        entry = (
            ProgrammeEntry.objects.current().filter(reference=payload.programme_reference).first()
        )
        if entry is None:
            raise DomainError(f"no current programme entry {payload.programme_reference!r}")
    created = services.policy_create(
        actor=request.user,  # type: ignore[arg-type]
        title=payload.title,
        description=payload.description,
        programme_entry=entry,
    )
    return Status(201, _policy_out(created))


@router.post(
    "/accountability/policies/{slug}/links",
    response={200: LinkOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Link a division to a policy, or change the link (policy officers)",
)
def link_save(request: HttpRequest, slug: str, payload: LinkIn) -> LinkOut:
    """The division that tests the policy, the vote that supports it, its strength and a
    public justification (rule P1); scores recompute. 404: no such policy or division."""
    _require_manager(request)
    target = permissions.access_policy(slug)
    division = Division.objects.filter(division_id=payload.division_id).first()
    if division is None:
        raise NotFound(f"no division {payload.division_id} has been imported")
    link = services.link_save(
        actor=request.user,  # type: ignore[arg-type]
        policy=target,
        division=division,
        aye_supports=payload.supports == "aye",
        strength=payload.strength,
        justification=payload.justification,
    )
    return _link_out(link)
