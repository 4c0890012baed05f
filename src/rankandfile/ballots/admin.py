"""Django admin for ballots: national admins only (see ``core.admin``).

Secrecy: :class:`~rankandfile.ballots.models.Paper` and
:class:`~rankandfile.ballots.models.VoteRecord` are deliberately not registered, and no
inline shows them — the admin offers no path from a member to a paper. The elector admin
never shows the link's token digest. Results, papers and digests are read-only: they are
written by the count and only by the count.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from rankandfile.ballots.models import Ballot, Elector, Option


class OptionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Option
    extra = 0
    fields = ["position", "name", "gender", "description"]


@admin.register(Ballot)
class BallotAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "method", "scope_kind", "state", "opens_at", "closes_at", "turnout"]
    list_filter = ["state", "method", "scope_kind"]
    search_fields = ["title"]
    date_hierarchy = "opens_at"
    raw_id_fields = ["region", "clp", "branch", "created_by"]
    inlines = [OptionInline]
    readonly_fields = [
        "state",
        "created_by",
        "created_at",
        "frozen_at",
        "electorate_size",
        "electorate_digest",
        "seed",
        "counted_at",
        "turnout",
        "result",
        "papers_digest",
        "declared_at",
    ]
    # The published papers are downloads on the result page, not admin form fields.
    exclude = ["papers_blt", "papers_csv"]


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "ballot", "position", "gender"]
    search_fields = ["name", "ballot__title"]
    raw_id_fields = ["ballot"]


@admin.register(Elector)
class ElectorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Who is on a ballot's electorate and how their invitation went; never the token."""

    list_display = ["member", "ballot", "invited_at", "reminded_at", "send_attempts"]
    list_filter = ["ballot"]
    search_fields = ["member__membership_number", "member__last_name", "ballot__title"]
    fields = ["ballot", "member", "invited_at", "reminded_at", "send_attempts", "last_send_error"]
    readonly_fields = ["ballot", "member", "invited_at", "reminded_at", "send_attempts"]
    raw_id_fields = ["ballot", "member"]
    list_select_related = ["member", "ballot"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the electorate is frozen by opening the ballot, never typed in
