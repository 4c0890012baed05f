"""Pages: my data (download JSON or PDF); an officer's subject access export for a member;
a national admin's erasure of a member's personal data."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from rankandfile.core.errors import DomainError, NotFound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import Member
from rankandfile.privacy import permissions, services


def _download(request: HttpRequest, member: Member, fmt: str) -> HttpResponse:
    try:
        data = services.subject_data_export(
            actor=request.user,  # type: ignore[arg-type]
            member=member,
            fmt=fmt,
        )
    except DomainError as exc:
        raise Http404(str(exc)) from exc
    name = f"personal-data-{member.membership_number}.{fmt}"
    if fmt == "json":
        body = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        from rankandfile.privacy.pdf import subject_pdf

        response = HttpResponse(
            subject_pdf(data, settings.RANKANDFILE_SITE_NAME), content_type="application/pdf"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    member = membership_permissions.own_member(request.user)
    return render(request, "privacy/my_data.html", {"nav": "account", "member": member})


@login_required
def my_data_download(request: HttpRequest, fmt: str) -> HttpResponse:
    member = membership_permissions.own_member(request.user)
    if member is None or fmt not in ("json", "pdf"):
        raise Http404("no member record is linked to your login")
    return _download(request, member, fmt)


@login_required
def member_data_download(request: HttpRequest, member_id: int, fmt: str) -> HttpResponse:
    """A subject access export for an officer who manages the member (404 otherwise)."""
    if fmt not in ("json", "pdf"):
        raise Http404("personal data is exported as json or pdf")
    try:
        member = permissions.access_member_for_export(request.user, member_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return _download(request, member, fmt)


@login_required
@require_http_methods(["GET", "POST"])
def member_erase(request: HttpRequest, member_id: int) -> HttpResponse:
    """Confirm and erase: the admin types the membership number and gives a reason."""
    try:
        member = permissions.access_member_for_erasure(request.user, member_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    errors: list[str] = []
    context: dict[str, Any] = {"nav": "clps", "member": member, "errors": errors, "reason": ""}
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        confirm = request.POST.get("confirm", "").strip()
        context["reason"] = reason
        if confirm != member.membership_number:
            errors.append(
                gettext("type the membership number %(number)s to confirm")
                % {"number": member.membership_number}
            )
        if not reason:
            errors.append(gettext("give the reason for the erasure (e.g. the request's reference)"))
        if not errors:
            try:
                services.member_erase(
                    actor=request.user,  # type: ignore[arg-type]
                    member=member,
                    reason=reason,
                )
            except DomainError as exc:
                errors.append(str(exc))
            else:
                messages.success(
                    request,
                    gettext("Personal data of member %(number)s erased.")
                    % {"number": member.membership_number},
                )
                return redirect("membership:member_detail", member_id=member.pk)
        return render(request, "privacy/erase.html", context, status=400)
    return render(request, "privacy/erase.html", context)
