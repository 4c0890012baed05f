"""API: my membership record; one member's record; a CLP's members for its officers.

Every endpoint goes through :mod:`rankandfile.membership.permissions`, exactly as the
pages do: a record or CLP the caller may not see is a 404, never a 403, so ids and slugs
cannot be probed.

These endpoints return personal data: a token needs the ``personal`` scope
(``core.apiauth.personal_data_auth``), and every read of records other than the caller's
own is written to the audit log, like an export (``membership.member.api_read``,
``membership.clp_members.api_read``).

No ``from __future__ import annotations`` here: django-ninja builds its query-parameter
models from the evaluated annotations, and a string ``Standing`` would not resolve.
"""

import datetime as dt
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from rankandfile.core import audit
from rankandfile.core.apiauth import personal_data_auth
from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions, queries
from rankandfile.membership.models import Member

router = Router(tags=["members"], auth=personal_data_auth())


def _via(request: HttpRequest) -> dict[str, str]:
    token = getattr(request, "api_token", None)
    return {"via": f"token rf_{token.prefix}_…" if token is not None else "session"}


Standing = Literal["good", "arrears", "suspended", "lapsed"]


class ErrorOut(Schema):
    detail: str


class MemberOut(Schema):
    id: int
    membership_number: str
    first_name: str
    last_name: str
    email: str
    postcode: str
    clp: str
    branch: str | None
    gender: str
    date_of_birth: dt.date | None
    standing: Standing

    @staticmethod
    def resolve_clp(obj: Member) -> str:
        return obj.clp.slug

    @staticmethod
    def resolve_branch(obj: Member) -> str | None:
        return obj.branch.name if obj.branch else None

    @staticmethod
    def resolve_standing(obj: Member) -> str:
        annotated: str | None = getattr(obj, "standing", None)
        return annotated or queries.member_status(obj).code


@router.get(
    "/members/me",
    response={200: MemberOut, 404: ErrorOut},
    summary="My membership record",
)
def my_record(request: HttpRequest) -> Member:
    member = permissions.own_member(request.user)
    if member is None:
        raise NotFound("your login is not linked to a membership record")
    return member


@router.get(
    "/clps/{slug}/members",
    response=list[MemberOut],
    summary="A CLP's members (its officers, regional officers, national admins)",
)
@paginate(PageNumberPagination, page_size=100)
def clp_members(
    request: HttpRequest,
    slug: str,
    q: str = "",
    branch: int | None = None,
    status: Standing | None = None,
) -> QuerySet[Member]:
    """Search (``q``), filter by branch id and by standing today; 100 a page."""
    clp = permissions.access_managed_clp(request.user, slug)
    members = queries.clp_members(
        clp.pk, search=q[:100], branch_id=branch, standing=status or ""
    ).select_related("clp")
    audit.record_read(
        actor=request.user,  # type: ignore[arg-type]
        action="membership.clp_members.api_read",
        target=clp,
        data={
            **_via(request),
            "q": q[:100],
            "branch": branch,
            "status": status or "",
            "page": request.GET.get("page", "1")[:10],
        },
    )
    return members


@router.get(
    "/members/{member_id}",
    response={200: MemberOut, 404: ErrorOut},
    summary="One member's record (if you may see it)",
)
def member(request: HttpRequest, member_id: int) -> Member:
    found = permissions.access_member(request.user, member_id)
    if found.user_id is None or found.user_id != request.user.pk:
        audit.record_read(
            actor=request.user,  # type: ignore[arg-type]
            action="membership.member.api_read",
            target=found,
            label=found.membership_number,
            data=_via(request),
        )
    return found
