"""API: my membership record; a CLP's members for its officers."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions, queries
from rankandfile.membership.models import Member

router = Router(tags=["members"])


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

    @staticmethod
    def resolve_clp(obj: Member) -> str:
        return obj.clp.slug

    @staticmethod
    def resolve_branch(obj: Member) -> str | None:
        return obj.branch.name if obj.branch else None


@router.get("/members/me", response=MemberOut, summary="My membership record")
def my_record(request: HttpRequest) -> Member:
    member = permissions.own_member(request.user)
    if member is None:
        raise NotFound("your login is not linked to a membership record")
    return member


@router.get("/clps/{slug}/members", response=list[MemberOut], summary="A CLP's members (officers)")
@paginate(PageNumberPagination, page_size=100)
def clp_members(request: HttpRequest, slug: str, q: str = "") -> object:
    clp = permissions.access_managed_clp(request.user, slug)
    return queries.clp_members(clp.pk, search=q).select_related("clp")


@router.get("/members/{member_id}", response=MemberOut, summary="One member's record")
def member(request: HttpRequest, member_id: int) -> Member:
    return permissions.access_member(request.user, member_id)
