"""API: the caller's account and personal API tokens."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rankandfile.core import tokens

router = Router(tags=["account"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreateIn(Schema):
    name: str


class TokenCreatedOut(Schema):
    token: TokenOut
    secret: str


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    return list(request.user.api_tokens.all())  # type: ignore[union-attr,arg-type]


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create an API token")
def create_token(request: HttpRequest, payload: TokenCreateIn) -> Status[TokenCreatedOut]:
    issued = tokens.api_token_create(actor=request.user, name=payload.name)  # type: ignore[arg-type]
    return Status(201, TokenCreatedOut(token=TokenOut.from_orm(issued.token), secret=issued.secret))


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke one of my API tokens")
def revoke_token(request: HttpRequest, token_id: int) -> TokenOut:
    return tokens.api_token_revoke(actor=request.user, token_id=token_id)  # type: ignore[arg-type,return-value]
