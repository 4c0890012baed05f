"""Two-factor authentication required for the roles that can do harm with a stolen
password: whoever can read member records, manage ballots or scrutinise a count.

``user_must_have_mfa`` and ``user_has_mfa`` are the two questions every entry point
asks: the web middleware below (with a grace period and a banner), and API token
authentication (a token cannot stand in for a second factor its owner must have).

The grace period (``MFA_GRACE_DAYS``) starts the first time a signed-in user who must
have two factors is seen without them — the first request after the role was granted or
after this requirement was deployed — and is stored on the login
(``User.mfa_grace_started_at``), with an audit entry. During it every page shows a
banner; after it every page but the two-factor set-up (and sign-out) sends the user to
set up an authenticator app; session calls to the API answer 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rankandfile.core import audit
from rankandfile.core.models import User

# Role kinds (membership.Role.Kind values) whose holders must use two factors:
# member records (branch, CLP, regional officers, national admins), ballot management
# (CLP and regional officers, national admins) and scrutiny (scrutineers).
MFA_ROLE_KINDS = frozenset(
    {
        "branch_officer",
        "clp_chair",
        "clp_secretary",
        "clp_officer",
        "regional_officer",
        "national_admin",
        "scrutineer",
    }
)
# Authenticator types that are a second factor (recovery codes only back one up).
SECOND_FACTOR_TYPES = ("totp", "webauthn")

REQUIRED_MESSAGE = gettext_noop(
    "Your role gives access to members' records, ballots or counts, so your account needs "
    "two-factor authentication. Set up an authenticator app to continue."
)


def user_must_have_mfa(user: Any) -> bool:
    """True for a login that can read member records, manage ballots or scrutinise:
    any role in force of those kinds, or a login that may use the Django admin."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return any(role.kind in MFA_ROLE_KINDS for role in user.roles_in_force())


def user_has_mfa(user: Any) -> bool:
    """True when the login has a second factor (an authenticator app or a security key)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    from allauth.mfa.models import Authenticator

    return bool(Authenticator.objects.filter(user=user, type__in=SECOND_FACTOR_TYPES).exists())


def grace_period() -> dt.timedelta:
    return dt.timedelta(days=settings.MFA_GRACE_DAYS)


@dataclass(frozen=True)
class Requirement:
    """Where a login stands: ``deadline`` is when the grace period ends (``None`` when
    nothing is required or the second factor is set up)."""

    deadline: dt.datetime | None

    @property
    def pending(self) -> bool:
        return self.deadline is not None

    def overdue(self, now: dt.datetime) -> bool:
        return self.deadline is not None and now >= self.deadline


def grace_start(user: User) -> dt.datetime:
    """When ``user``'s grace period started, starting it now (audited) if it has not."""
    if user.mfa_grace_started_at is not None:
        return user.mfa_grace_started_at
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.mfa_grace_started_at is None:
            locked.mfa_grace_started_at = timezone.now()
            locked.save(update_fields=["mfa_grace_started_at"])
            audit.record(
                actor=locked,
                action="core.mfa.grace_start",
                target=locked,
                data={"grace_days": settings.MFA_GRACE_DAYS},
            )
    user.mfa_grace_started_at = locked.mfa_grace_started_at
    return user.mfa_grace_started_at


@transaction.atomic
def grace_restart(*, actor: User | None, user: User) -> None:
    """Start ``user``'s grace period again from now (the demo's officers, each time the
    demo logins are printed; an administrator after an authenticator was lost)."""
    User.objects.filter(pk=user.pk).update(mfa_grace_started_at=timezone.now())
    audit.record(
        actor=actor,
        action="core.mfa.grace_restart",
        target=user,
        data={"grace_days": settings.MFA_GRACE_DAYS},
    )


def requirement(user: Any) -> Requirement:
    if not user_must_have_mfa(user) or user_has_mfa(user):
        return Requirement(deadline=None)
    return Requirement(deadline=grace_start(user) + grace_period())


# Paths a user past the grace period may still open: two-factor set-up and its
# reauthentication, sign-out, static files, the health check.
_ALLOWED_NAMES = (
    "mfa_index",
    "mfa_activate_totp",
    "mfa_reauthenticate",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_add_webauthn",
    "mfa_list_webauthn",
    "mfa_reauthenticate_webauthn",
    "account_reauthenticate",
    "account_logout",
    "healthz",
)


def _allowed_paths() -> tuple[str, ...]:
    from django.urls import NoReverseMatch

    paths = []
    for name in _ALLOWED_NAMES:
        try:
            paths.append(reverse(name))
        except NoReverseMatch:
            continue
    return tuple(paths)


class RequireMFAMiddleware:
    """After ``AuthenticationMiddleware``: holds signed-in users who must have two
    factors to the requirement (banner during the grace period, set-up after it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._allowed: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
        if request.path.startswith(static):
            return self.get_response(request)
        state = requirement(user)
        request.mfa_requirement = state  # type: ignore[attr-defined]  # for the banner
        if state.overdue(timezone.now()):
            if self._allowed is None:
                self._allowed = _allowed_paths()
            if request.path not in self._allowed:
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": gettext(REQUIRED_MESSAGE)}, status=403)
                messages.warning(request, gettext(REQUIRED_MESSAGE))
                if request.headers.get("HX-Request"):
                    # An htmx fragment request: the whole page goes to set-up.
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("mfa_activate_totp")
                    return response
                return redirect("mfa_activate_totp")
        return self.get_response(request)


def banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the grace-period banner's deadline, if any."""
    state: Requirement | None = getattr(request, "mfa_requirement", None)
    if state is None or not state.pending:
        return {}
    return {"mfa_deadline": state.deadline}
