"""The versioned JSON API under /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json,
interactive docs at /api/v1/docs). Each app contributes a router from its ``api`` module.
Authentication: a personal API token (``Authorization: Bearer rf_...``) or the browser
session (with CSRF). Failed authentication is 401 with ``WWW-Authenticate: Bearer``; the
OpenAPI schema documents every operation's 401/403/404/422/400 answers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from rankandfile.core import mfa
from rankandfile.core.errors import DomainError, NotFound, PermissionDenied
from rankandfile.core.tokens import user_for_token

# RFC 6750: the challenge a 401 carries; the realm names the API.
WWW_AUTHENTICATE = 'Bearer realm="rankandfile-api"'
BAD_CREDENTIAL_MESSAGE = (
    "the API token is not valid (unknown, malformed, revoked or its login is inactive)"
)
MISSING_CREDENTIALS = (
    "authentication required: send a personal API token as `Authorization: Bearer rf_...`"
)
MFA_MISSING_MESSAGE = (
    "API tokens of this account are refused until it has two-factor authentication: "
    "its role can read member records, manage ballots or scrutinise. Set up an "
    "authenticator app on the website first."
)


class InvalidToken(AuthenticationError):
    def __init__(self, message: str = BAD_CREDENTIAL_MESSAGE) -> None:
        super().__init__(status_code=401, message=message)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer rf_...``. A request that presents a bearer token is judged
    on it alone: a bad token is a 401 (never a fall back to the session and its CSRF
    check). A token cannot stand in for a second factor its owner's role requires."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        scheme, _, _rest = header.partition(" ")
        if header and scheme.lower() != self.openapi_scheme:
            raise InvalidToken(f"unsupported authorization scheme {scheme!r}: use Bearer")
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            raise InvalidToken()
        if mfa.user_must_have_mfa(user) and not mfa.user_has_mfa(user):
            raise HttpError(403, MFA_MISSING_MESSAGE)
        request.user = user
        return user


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


def _error_schema(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


_ERROR_SCHEMAS: dict[str, Any] = {
    "Error": {
        "title": "Error",
        "type": "object",
        "properties": {"detail": {"title": "Detail", "type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "title": "ValidationError",
        "type": "object",
        "properties": {
            "detail": {
                "title": "Detail",
                "type": "array",
                "items": {"type": "object", "additionalProperties": True},
            }
        },
        "required": ["detail"],
    },
}


def _answer(description: str, schema: str, headers: dict[str, Any] | None = None) -> Any:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _error_schema(schema)}},
    }
    if headers:
        out["headers"] = headers
    return out


class RankAndFileAPI(NinjaAPI):
    """The NinjaAPI with every operation's error answers in its OpenAPI schema: 401 (with
    its ``WWW-Authenticate`` challenge) and 403 where authentication is required, 404
    where the path names an object, 422 where there is input to validate, 400 (a domain
    rule refused the request) on writes."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for name, body in _ERROR_SCHEMAS.items():
            schemas.setdefault(name, body)
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                document_errors(method, operation)
        return schema


def document_errors(method: str, operation: dict[str, Any]) -> None:
    # ninja keys answers by int; JSON by string: one spelling, so none is doubled.
    responses = {str(k): v for k, v in operation.get("responses", {}).items()}
    operation["responses"] = responses
    params = operation.get("parameters", [])
    if operation.get("security"):
        responses.setdefault(
            "401",
            _answer(
                "Unauthorized: no credentials, or a token that is not valid.",
                "Error",
                {
                    "WWW-Authenticate": {
                        "description": "The authentication scheme to use (Bearer).",
                        "schema": {"type": "string"},
                    }
                },
            ),
        )
        responses.setdefault(
            "403",
            _answer(
                "Forbidden: not allowed, a session call without its CSRF token, or an "
                "account that must first set up two-factor authentication.",
                "Error",
            ),
        )
    if any(p.get("in") == "path" for p in params):
        responses.setdefault("404", _answer("Not found (or not visible to you).", "Error"))
    if params or operation.get("requestBody"):
        responses.setdefault(
            "422", _answer("The request's parameters or body are not valid.", "ValidationError")
        )
    if method.lower() in {"post", "put", "patch", "delete"}:
        responses.setdefault("400", _answer("A rule refused the request.", "Error"))
    if params:
        # The WSGI server's own answer to a request line past its limit (gunicorn: 4094
        # bytes), before the app sees it.
        responses.setdefault(
            "414",
            {
                "description": "URI Too Long: the request line exceeds the server's limit.",
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
        )


api = RankAndFileAPI(
    title="Rank and File API",
    version="1",
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    description="Members, ballots, conference, selections, accountability and campaigns. "
    "Authenticate with a personal API token (create one on your account page) as "
    "`Authorization: Bearer rf_...`, or with your browser session (unsafe methods need "
    "the CSRF token). Without valid credentials the answer is 401 with a "
    "`WWW-Authenticate: Bearer` challenge.",
)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = str(exc) if isinstance(exc, InvalidToken) else MISSING_CREDENTIALS
    response = api.create_response(request, {"detail": message}, status=401)
    challenge = WWW_AUTHENTICATE
    if isinstance(exc, InvalidToken):
        challenge += ', error="invalid_token"'
    response["WWW-Authenticate"] = challenge
    return response


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: NotFound) -> Any:
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> Any:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> Any:
    return api.create_response(request, {"detail": str(exc)}, status=400)


def _register() -> None:
    from rankandfile.accountability.api import router as accountability_router
    from rankandfile.ballots.api import router as ballots_router
    from rankandfile.campaigns.api import router as campaigns_router
    from rankandfile.conference.api import router as conference_router
    from rankandfile.core.api import router as core_router
    from rankandfile.membership.api import router as membership_router
    from rankandfile.selections.api import router as selections_router

    api.add_router("/account/", core_router)
    api.add_router("/", membership_router)
    api.add_router("/", ballots_router)
    api.add_router("/", conference_router)
    api.add_router("/", accountability_router)
    api.add_router("/", selections_router)
    api.add_router("/", campaigns_router)


_register()
