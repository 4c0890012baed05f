"""Authentication for the JSON API (``rankandfile.api``): personal API tokens, checked for
liveness, scope and the owner's two-factor requirement on every request, and the browser
session. Endpoints returning member records use :func:`personal_data_auth`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from rankandfile.core import tokens
from rankandfile.core.errors import PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """A personal API token, checked on every request: live (not revoked, not expired),
    holding the scope the request needs (``read`` for safe methods, ``write`` otherwise,
    plus ``personal`` on endpoints that return member records), and not the token of a
    login whose roles require two-factor authentication while it has none.

    A presented token that fails any check is refused: the request is not retried with
    the session."""

    def __init__(self, *, personal: bool = False, allow_tokens: bool = True) -> None:
        super().__init__()
        self.personal = personal
        self.allow_tokens = allow_tokens

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.authenticate(token)
        if found is None:
            return None
        if not self.allow_tokens:
            raise PermissionDenied(
                "this endpoint needs your signed-in browser session, not an API token"
            )
        needed = [tokens.READ if request.method in SAFE_METHODS else tokens.WRITE]
        if self.personal:
            needed.append(tokens.PERSONAL)
        tokens.check_use(found, needed)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The Django session cookie; unsafe methods need the CSRF token (ninja checks it)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def personal_data_auth() -> list[Any]:
    """Authentication for endpoints that return member records: a token needs the
    ``personal`` scope as well as ``read``/``write``."""
    return [TokenAuth(personal=True), SessionAuth()]


def session_only_auth() -> list[Any]:
    """Authentication for endpoints a token must not reach (creating tokens): a presented
    token is refused with a clear message; the signed-in session works."""
    return [TokenAuth(allow_tokens=False), SessionAuth()]
