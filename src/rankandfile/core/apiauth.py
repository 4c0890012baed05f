"""Authentication for the JSON API (``rankandfile.api``): personal API tokens, checked for
liveness, scope and the owner's two-factor requirement on every request, and the browser
session. Endpoints returning member records use :func:`personal_data_auth`.

A request that presents a bearer token is judged on it alone: a token that is unknown,
malformed, revoked, expired or of an inactive login is a 401 with a ``WWW-Authenticate``
challenge (``rankandfile.api``), never a fall-back to the session and its CSRF check.
A live token lacking a scope, or whose owner must have two factors and has none, is a 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from rankandfile.core import tokens
from rankandfile.core.errors import PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# RFC 6750: the challenge a 401 carries; the realm names the API.
WWW_AUTHENTICATE = 'Bearer realm="rankandfile-api"'
BAD_CREDENTIAL_MESSAGE = (
    "the API token is not valid (unknown, malformed, revoked, expired or its login is inactive)"
)
MISSING_CREDENTIALS = (
    "authentication required: send a personal API token as `Authorization: Bearer rf_...`"
)


class InvalidToken(AuthenticationError):
    def __init__(self, message: str = BAD_CREDENTIAL_MESSAGE) -> None:
        super().__init__(status_code=401, message=message)


class TokenAuth(HttpBearer):
    """A personal API token, checked on every request: live (not revoked, not expired),
    holding the scope the request needs (``read`` for safe methods, ``write`` otherwise,
    plus ``personal`` on endpoints that return member records), and not the token of a
    login whose roles require two-factor authentication while it has none."""

    def __init__(self, *, personal: bool = False, allow_tokens: bool = True) -> None:
        super().__init__()
        self.personal = personal
        self.allow_tokens = allow_tokens

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        scheme, _, _rest = header.partition(" ")
        if header and scheme.lower() != self.openapi_scheme:
            raise InvalidToken(f"unsupported authorization scheme {scheme!r}: use Bearer")
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.authenticate(token)
        if found is None:
            raise InvalidToken()
        if not self.allow_tokens:
            raise PermissionDenied(
                gettext("this endpoint needs your signed-in browser session, not an API token")
            )
        needed = [tokens.READ if request.method in SAFE_METHODS else tokens.WRITE]
        if self.personal:
            needed.append(tokens.PERSONAL)
        tokens.check_use(found, needed)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The Django session cookie. Only a signed-in session is checked for CSRF (unsafe
    methods need the token): a call without a session is unauthenticated (401), not a
    CSRF failure."""

    param_name = "sessionid"

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if (
            self.csrf
            and not getattr(request, "_ninja_csrf_exempt", False)
            and check_csrf(request) is not None
        ):
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None  # pragma: no cover - __call__ decides


def personal_data_auth() -> list[Any]:
    """Authentication for endpoints that return member records: a token needs the
    ``personal`` scope as well as ``read``/``write``."""
    return [TokenAuth(personal=True), SessionAuth()]


def session_only_auth() -> list[Any]:
    """Authentication for endpoints a token must not reach (creating tokens): a presented
    token is refused with a clear message; the signed-in session works."""
    return [TokenAuth(allow_tokens=False), SessionAuth()]
