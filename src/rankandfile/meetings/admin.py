"""Admin for meetings: meetings, motions and messages (read mostly; every change of
substance goes through the services and the officers' pages)."""

from __future__ import annotations

from django.contrib import admin

from rankandfile.meetings.models import Meeting, MessageTemplate, Motion, OfficerMessage


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin[Meeting]):
    list_display = ("title", "branch", "clp", "kind", "starts_at", "state", "minutes_state")
    list_filter = ("kind", "state", "minutes_state")
    readonly_fields = ("checkin_code", "entitled_count", "quorum", "notice_sent_at", "minutes")


@admin.register(Motion)
class MotionAdmin(admin.ModelAdmin[Motion]):
    list_display = ("title", "branch", "clp", "state", "created_at")
    list_filter = ("state",)
    readonly_fields = ("forwarded_from", "decided_in", "original_text")


@admin.register(OfficerMessage)
class OfficerMessageAdmin(admin.ModelAdmin[OfficerMessage]):
    list_display = ("subject", "audience", "branch", "clp", "created_at", "recipients")
    list_filter = ("audience",)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin[MessageTemplate]):
    list_display = ("name", "branch", "clp")
