"""Who must use two-factor authentication, and who has it.

One place answers both questions for every path into the system (the login, personal API
tokens): a login that can read member records, run ballots or scrutinise them must have a
second factor. The roles are those of :mod:`rankandfile.membership.permissions`; the
factors are allauth.mfa's (an authenticator app or a security key — recovery codes are a
fallback for those, not a factor of their own).
"""

from __future__ import annotations

from typing import Any

AnyUser = Any  # User | AnonymousUser

MFA_ROLE_KINDS = frozenset(
    {
        # read member records (and run ballots for their units)
        "branch_officer",
        "clp_chair",
        "clp_secretary",
        "clp_officer",
        "regional_officer",
        "national_admin",
        # scrutinise ballots
        "scrutineer",
    }
)
"""Role kinds (``membership.Role.Kind`` values) whose holders must have a second factor."""

MFA_REQUIRED_MESSAGE = (
    "your roles (member records, ballots or scrutiny) require two-factor authentication: "
    "set up an authenticator app on your account page"
)


def user_must_have_mfa(user: AnyUser) -> bool:
    """Whether ``user`` holds, today, a role that may read member records, manage ballots
    or scrutinise them (or may use the Django admin)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    from rankandfile.membership.permissions import active_roles

    return any(role.kind in MFA_ROLE_KINDS for role in active_roles(user))


def user_has_mfa(user: AnyUser) -> bool:
    """Whether ``user`` has a second factor: an authenticator app (TOTP) or a security key
    (WebAuthn)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    from allauth.mfa.models import Authenticator

    found: bool = Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
    return found
