"""API: my personal data; a subject access export for an officer; erasure for national
admins. Same permissions as the pages (``privacy.permissions``): a member the caller may
not act on is a 404. Exports and erasures are audited like the pages'.

No ``from __future__ import annotations``: django-ninja evaluates the annotations.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.privacy import permissions, services

router = Router(tags=["personal data"])


class ErrorOut(Schema):
    detail: str


class EraseIn(Schema):
    reason: str


class ErasureOut(Schema):
    membership_number: str
    erased_at: dt.datetime
    counts: dict[str, int]


@router.get("/account/personal-data", response={200: dict[str, Any], 404: ErrorOut})
def my_personal_data(request: HttpRequest) -> dict[str, Any]:
    """Everything held about the caller's member record (as the JSON download)."""
    member = membership_permissions.own_member(request.user)
    if member is None:
        raise NotFound("no member record is linked to your login")
    return services.subject_data_export(actor=request.user, member=member, fmt="json")  # type: ignore[arg-type]


@router.get("/members/{member_id}/personal-data", response={200: dict[str, Any], 404: ErrorOut})
def member_personal_data(request: HttpRequest, member_id: int) -> dict[str, Any]:
    """A subject access export, for officers who manage the member and national admins."""
    member = permissions.access_member_for_export(request.user, member_id)
    return services.subject_data_export(actor=request.user, member=member, fmt="json")  # type: ignore[arg-type]


@router.post("/members/{member_id}/erase", response={200: ErasureOut, 400: ErrorOut, 404: ErrorOut})
def member_erase(request: HttpRequest, member_id: int, payload: EraseIn) -> ErasureOut:
    """Erase a member's personal data (national admins; refused while still a member)."""
    member = permissions.access_member_for_erasure(request.user, member_id)
    erasure = services.member_erase(actor=request.user, member=member, reason=payload.reason)  # type: ignore[arg-type]
    assert erasure.member.erased_at is not None
    return ErasureOut(
        membership_number=erasure.member.membership_number,
        erased_at=erasure.member.erased_at,
        counts=erasure.counts,
    )


class SupporterErasureOut(Schema):
    supporter_id: int
    erased_at: dt.datetime
    counts: dict[str, int]


@router.get(
    "/supporters/{supporter_id}/personal-data", response={200: dict[str, Any], 404: ErrorOut}
)
def supporter_personal_data(request: HttpRequest, supporter_id: int) -> dict[str, Any]:
    """Everything held about an election's supporter (the supporter; national admins)."""
    supporter = permissions.access_supporter_for_export(request.user, supporter_id)
    return services.supporter_data_export(actor=request.user, supporter=supporter)  # type: ignore[arg-type]


@router.post(
    "/supporters/{supporter_id}/erase",
    response={200: SupporterErasureOut, 400: ErrorOut, 404: ErrorOut},
)
def supporter_erase(
    request: HttpRequest, supporter_id: int, payload: EraseIn
) -> SupporterErasureOut:
    """Erase an election supporter's personal data (national admins; refused while the
    ballot they are on is not declared)."""
    supporter = permissions.access_supporter_for_erasure(request.user, supporter_id)
    erasure = services.supporter_erase(
        actor=request.user,  # type: ignore[arg-type]
        supporter=supporter,
        reason=payload.reason,
    )
    assert erasure.supporter.erased_at is not None
    return SupporterErasureOut(
        supporter_id=erasure.supporter.pk,
        erased_at=erasure.supporter.erased_at,
        counts=erasure.counts,
    )
