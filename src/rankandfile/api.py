"""The versioned JSON API under /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json,
interactive docs at /api/v1/docs). Each app contributes a router from its ``api`` module.
Authentication: a personal API token (``Authorization: Bearer rf_...``) or the browser
session (with CSRF). Failed authentication is 401 with ``WWW-Authenticate: Bearer``; the
OpenAPI schema documents every operation's 401/403/404/422/400 answers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from rankandfile.core.apiauth import (
    MISSING_CREDENTIALS,
    WWW_AUTHENTICATE,
    InvalidToken,
    SessionAuth,
    TokenAuth,
)
from rankandfile.core.errors import DomainError, NotFound, PermissionDenied


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
    "the CSRF token). A token has scopes: `read` (safe methods), `write` (everything "
    "else) and `personal` (endpoints returning member records, whose reads are audited); "
    "it expires, and can be revoked. Without valid credentials the answer is 401 with a "
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
    from rankandfile.elections.api import router as elections_router
    from rankandfile.meetings.api import router as meetings_router
    from rankandfile.membership.api import router as membership_router
    from rankandfile.privacy.api import router as privacy_router
    from rankandfile.selections.api import router as selections_router

    api.add_router("/account/", core_router)
    api.add_router("/", membership_router)
    api.add_router("/", ballots_router)
    api.add_router("/", conference_router)
    api.add_router("/", accountability_router)
    api.add_router("/", selections_router)
    api.add_router("/", campaigns_router)
    api.add_router("/", meetings_router)
    api.add_router("/", privacy_router)
    api.add_router("/", elections_router)


_register()
