from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rankandfile.membership import permissions


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_clps": permissions.managed_clps(user).exists(),
        "nav_admin": permissions.can_use_admin(user),
    }
