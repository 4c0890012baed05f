"""Django admin for the core models (logins, API tokens, the read-only audit log, the
outbox). Who may use the admin, and its one way in through the site's login page, are set
in ``membership/admin.py``: national admins are a membership role."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from rankandfile.core.models import ApiToken, AuditEntry, OutboxEmail, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]  # stubs want AbstractUser
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    list_filter = ["is_staff", "is_active"]
    filter_horizontal = ["groups"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = [
        "user",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "digest",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin[OutboxEmail]):
    """Emails waiting to be sent (``core.outbox``). The message itself is not shown (a
    password-reset link may be in it); an administrator can have it tried again."""

    list_display = ("created_at", "recipients", "subject", "attempts", "last_attempt_at")
    fields = (*list_display, "last_error")
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description="to")
    def recipients(self, obj: OutboxEmail) -> str:
        return ", ".join(obj.message.get("to", []))

    @admin.display(description="subject")
    def subject(self, obj: OutboxEmail) -> str:
        return str(obj.message.get("subject", ""))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Try sending the selected emails again")
    def send_again(self, request: HttpRequest, queryset: Any) -> None:
        from django.db import transaction

        from rankandfile.core import audit
        from rankandfile.core.outbox import resend

        with transaction.atomic():
            ids = resend(list(queryset.values_list("pk", flat=True)))
            audit.record(
                actor=request.user,  # type: ignore[arg-type]
                action="core.outbox.retry",
                label=f"{len(ids)} queued email(s)",
                data={"count": len(ids)},
            )
        self.message_user(request, f"{len(ids)} email(s) queued to be sent again.")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ["seq", "at", "actor_label", "action", "object_type", "object_label", "channel"]
    list_filter = ["action", "channel"]
    search_fields = ["actor_label", "action", "object_label", "object_id"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose saves and deletes are written to the audit log."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from rankandfile.core import audit

        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,  # type: ignore[arg-type]
            action=f"admin.{obj._meta.label_lower}.{'change' if change else 'add'}",
            target=obj,
            data={"fields": sorted(form.changed_data)} if form is not None else {},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from rankandfile.core import audit

        audit.record(
            actor=request.user,  # type: ignore[arg-type]
            action=f"admin.{obj._meta.label_lower}.delete",
            target=obj,
        )
        super().delete_model(request, obj)
