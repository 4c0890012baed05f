"""The versioned JSON API under /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json,
interactive docs at /api/v1/docs). Each app contributes a router from its ``api`` module.
Authentication: a personal API token (``Authorization: Bearer rf_...``) or the browser
session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI

from rankandfile.core.apiauth import SessionAuth, TokenAuth
from rankandfile.core.errors import DomainError, NotFound, PermissionDenied

api = NinjaAPI(
    title="Rank and File API",
    version="1",
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    description="Members, ballots, conference, selections, accountability and campaigns. "
    "Authenticate with a personal API token (create one on your account page) as "
    "`Authorization: Bearer rf_...`, or with your browser session. A token has scopes: "
    "`read` (safe methods), `write` (everything else) and `personal` (endpoints returning "
    "member records, whose reads are audited); it expires, and can be revoked.",
)


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
    from rankandfile.privacy.api import router as privacy_router
    from rankandfile.selections.api import router as selections_router

    api.add_router("/account/", core_router)
    api.add_router("/", membership_router)
    api.add_router("/", ballots_router)
    api.add_router("/", conference_router)
    api.add_router("/", accountability_router)
    api.add_router("/", selections_router)
    api.add_router("/", campaigns_router)
    api.add_router("/", privacy_router)


_register()
