"""System checks: ``rankandfile check --deploy`` refuses an unsafe audit key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def audit_key_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    key = str(getattr(settings, "AUDIT_HMAC_KEY", ""))
    if settings.AUDIT_HMAC_KEY_ID == settings.AUDIT_INSECURE_KEY_ID or len(key) < 32:
        errors.append(
            Error(
                "AUDIT_HMAC_KEY is not set (or shorter than 32 characters): the audit log is "
                "sealed with the insecure development key",
                hint="Set AUDIT_HMAC_KEY (and AUDIT_HMAC_KEY_ID) in the environment; keep "
                "the key off the database server.",
                id="rankandfile.E001",
            )
        )
    elif key == str(settings.SECRET_KEY):
        errors.append(
            Error(
                "AUDIT_HMAC_KEY is the same as SECRET_KEY",
                hint="Use a separate key for the audit seal, so rotating one leaves the other.",
                id="rankandfile.E002",
            )
        )
    return errors
