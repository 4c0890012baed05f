"""Django admin for internal elections: read-only look-ups. Every change goes through
``elections.services`` (an MP's login: ``rankandfile elections_link_mp``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rankandfile.elections.models import (
    Candidate,
    Contest,
    Hustings,
    MPAccount,
    Nomination,
    PastRound,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contest)
class ContestAdmin(ReadOnly):
    list_display = ("title", "office", "kind", "stage", "nominations_close")
    list_filter = ("office", "stage")


@admin.register(Candidate)
class CandidateAdmin(ReadOnly):
    list_display = ("name", "contest", "is_incumbent", "on_ballot", "withdrawn_at")


@admin.register(Nomination)
class NominationAdmin(ReadOnly):
    list_display = ("contest", "candidate", "by", "method", "created_at", "withdrawn_at")
    list_filter = ("by", "method")


@admin.register(Hustings)
class HustingsAdmin(ReadOnly):
    list_display = ("contest", "starts_at", "place")


@admin.register(PastRound)
class PastRoundAdmin(ReadOnly):
    list_display = ("title", "office", "held_on", "modelled")


@admin.register(MPAccount)
class MPAccountAdmin(ReadOnly):
    list_display = ("mp", "user")
