"""Django admin for selections: national admins only (see ``core.admin``), read-only.

Every change to a selection goes through ``selections.services`` (permission checks,
rules, audit log), so the admin only lets national admins look things up.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rankandfile.selections.models import (
    Application,
    Hustings,
    Nomination,
    Selection,
    SelectionRound,
    TriggerDecision,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SelectionRound)
class SelectionRoundAdmin(ReadOnly):
    list_display = ["name", "mode", "freeze_date", "applications_close", "ballot_closes_by"]


@admin.register(Selection)
class SelectionAdmin(ReadOnly):
    list_display = ["clp", "round", "mode", "stage", "sitting_mp", "selected"]
    list_filter = ["stage", "mode", "round"]
    search_fields = ["clp__name"]


@admin.register(TriggerDecision)
class TriggerDecisionAdmin(ReadOnly):
    list_display = ["selection", "branch", "affiliate", "members_present", "votes_for",
                    "votes_against", "affiliate_vote", "wants_open"]  # fmt: skip


@admin.register(Application)
class ApplicationAdmin(ReadOnly):
    list_display = ["name", "selection", "status", "on_longlist", "on_shortlist"]
    list_filter = ["status"]
    search_fields = ["name", "selection__clp__name"]


@admin.register(Nomination)
class NominationAdmin(ReadOnly):
    list_display = ["selection", "application", "branch", "affiliate"]


@admin.register(Hustings)
class HustingsAdmin(ReadOnly):
    list_display = ["selection", "starts_at", "venue"]
