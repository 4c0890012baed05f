"""Django admin for national admins: party structure, members (histories read-only here —
they change through the membership services and the importer, which keep them merged),
and roles. Every save is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

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
