"""API: the caller's account and personal API tokens.

Listing needs ``read`` and revoking ``write``; *creating* a token needs the signed-in
browser session (where the login's two-factor authentication applies): a token cannot
mint another, possibly broader or longer-lived, token.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from rankandfile.core import tokens
from rankandfile.core.apiauth import session_only_auth
from rankandfile.core.models import ApiToken

router = Router(tags=["account"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_scopes(obj: ApiToken | TokenOut) -> list[str]:
        # A model stores them space-separated; an already-built TokenOut has the list.
        return obj.scopes.split() if isinstance(obj.scopes, str) else list(obj.scopes)


class TokenCreateIn(Schema):
    name: str
    scopes: list[str] = Field(
        default_factory=lambda: [tokens.READ],
        description="Any of read, write, personal (default: read only).",
    )
    expires_in_days: int = Field(
        default=tokens.DEFAULT_LIFETIME.days,
        ge=1,
        le=tokens.MAX_LIFETIME.days,
        description=f"1 to {tokens.MAX_LIFETIME.days}.",
    )


class TokenCreatedOut(Schema):
    token: TokenOut
    secret: str


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    return list(request.user.api_tokens.all())  # type: ignore[union-attr,arg-type]


@router.post(
    "/tokens",
    response={201: TokenCreatedOut},
    auth=session_only_auth(),
    summary="Create an API token (browser session only)",
)
def create_token(request: HttpRequest, payload: TokenCreateIn) -> Status[TokenCreatedOut]:
    issued = tokens.api_token_create(
        actor=request.user,  # type: ignore[arg-type]
        name=payload.name,
        scopes=payload.scopes,
        lifetime=dt.timedelta(days=payload.expires_in_days),
    )
    return Status(201, TokenCreatedOut(token=TokenOut.from_orm(issued.token), secret=issued.secret))


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke one of my API tokens")
def revoke_token(request: HttpRequest, token_id: int) -> TokenOut:
    return tokens.api_token_revoke(actor=request.user, token_id=token_id)  # type: ignore[arg-type,return-value]
