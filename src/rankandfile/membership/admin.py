"""Django admin for national admins: party structure, members (histories read-only here —
they change through the membership services and the importer, which keep the history
rule of docs/rules/membership.md), and roles. Every save is audited.

Who may use the admin is decided here, where the roles are: national admins only
(``permissions.can_use_admin``). There is one way in: the admin has no login form of its
own. ``/admin/login/`` sends the browser to allauth's ``/accounts/login/`` (``?next=`` the
admin page asked for), so the login throttling and the two-factor step apply to the admin
exactly as to everything else."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from rankandfile.core.admin import AuditedAdmin
from rankandfile.membership.models import (
    CLP,
    MP,
    Affiliate,
    AffiliationYear,
    Branch,
    Constituency,
    Member,
    Period,
    Region,
    Role,
)
from rankandfile.membership.permissions import can_use_admin


def _national_admin_only(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and can_use_admin(user))


def _front_door_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Replaces ``AdminSite.login``: never checks a password itself.

    Signed out (or half-way through a two-factor login): to the site's login page, coming
    back to the admin afterwards. Signed in but not a national admin: 403 (sending them to
    the login page would bounce them straight back here)."""
    target = request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME) or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/"):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if _national_admin_only(request):
            return redirect(target)
        raise Forbidden("the administration site is for national admins")
    return redirect_to_login(target, login_url=resolve_url(settings.LOGIN_URL))


admin.site.has_permission = _national_admin_only  # type: ignore[method-assign]
admin.site.login = _front_door_login  # type: ignore[method-assign]
admin.site.site_header = "Rank and File — national administration"


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Constituency)
class ConstituencyAdmin(AuditedAdmin):
    list_display = ["name", "ons_code", "region", "electorate"]
    list_filter = ["region"]
    search_fields = ["name", "ons_code"]


@admin.register(CLP)
class CLPAdmin(AuditedAdmin):
    list_display = ["name", "constituency"]
    list_filter = ["constituency__region"]
    search_fields = ["name"]
    autocomplete_fields = ["constituency"]


@admin.register(Branch)
class BranchAdmin(AuditedAdmin):
    list_display = ["name", "clp"]
    search_fields = ["name", "clp__name"]
    autocomplete_fields = ["clp"]


class AffiliationYearInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AffiliationYear
    extra = 1


@admin.register(Affiliate)
class AffiliateAdmin(AuditedAdmin):
    list_display = ["name", "short_name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]
    inlines = [AffiliationYearInline]


@admin.register(MP)
class MPAdmin(AuditedAdmin):
    list_display = ["name", "constituency", "party", "in_office", "left_party_on"]
    list_filter = ["party", "in_office"]
    search_fields = ["name", "constituency__name"]
    autocomplete_fields = ["constituency"]


class PeriodInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Period
    extra = 0
    can_delete = False
    fields = ("kind", "start", "end", "end_reason", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(AuditedAdmin):
    list_display = ["membership_number", "last_name", "first_name", "clp", "branch"]
    search_fields = ["membership_number", "last_name", "first_name", "email", "postcode"]
    list_filter = ["clp__constituency__region", "gender"]
    autocomplete_fields = ["clp", "branch", "user"]
    inlines = [PeriodInline]
    list_select_related = ["clp", "branch"]


@admin.register(Role)
class RoleAdmin(AuditedAdmin):
    list_display = ["user", "kind", "title", "scope_label", "start", "end"]
    list_filter = ["kind"]
    search_fields = ["user__email", "title"]
    autocomplete_fields = ["user", "region", "clp", "branch", "affiliate"]
