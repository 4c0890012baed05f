"""Membership pages: CLPs an officer manages, a CLP's members, a member's record."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions, queries


@login_required
def clp_list(request: HttpRequest) -> HttpResponse:
    clps = permissions.managed_clps(request.user)
    page = Paginator(clps, 50).get_page(request.GET.get("page"))
    return render(request, "membership/clp_list.html", {"nav": "clps", "page": page})


@login_required
def clp_members(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        clp = permissions.access_managed_clp(request.user, slug)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    search = request.GET.get("q", "").strip()
    members = queries.clp_members(clp.pk, search=search)
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    template = "membership/_member_rows.html" if request.htmx else "membership/clp_members.html"  # type: ignore[attr-defined]
    return render(request, template, {"nav": "clps", "clp": clp, "page": page, "q": search})


@login_required
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    try:
        member = permissions.access_member(request.user, member_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(
        request,
        "membership/member_detail.html",
        {
            "member": member,
            "periods": member.periods.all(),
            "status": queries.member_status(member),
            "can_manage": permissions.can_manage_member(request.user, member),
        },
    )
