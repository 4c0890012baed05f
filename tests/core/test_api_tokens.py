"""Personal API tokens: created and revoked by their owner, stored only as digests, and
the account endpoints of the API."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client

from rankandfile.core.errors import PermissionDenied
from rankandfile.core.models import ApiToken, AuditEntry
from rankandfile.core.tokens import api_token_create, api_token_revoke, user_for_token
from tests.conftest import Party, enable_totp

API = "/api/v1/account/tokens"


def test_create_stores_only_a_digest(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="  laptop  ")
    token = ApiToken.objects.get()
    assert token.name == "laptop"
    _, prefix, secret = issued.secret.split("_", 2)
    assert prefix == token.prefix
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())


def test_create_and_revoke_are_audited(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    api_token_revoke(actor=party.member, token_id=issued.token.pk)
    actions = list(AuditEntry.objects.values_list("action", "actor_id"))
    assert actions == [
        ("core.api_token.create", party.member.pk),
        ("core.api_token.revoke", party.member.pk),
    ]


def test_revoking_twice_is_harmless(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    first = api_token_revoke(actor=party.member, token_id=issued.token.pk).revoked_at
    second = api_token_revoke(actor=party.member, token_id=issued.token.pk).revoked_at
    assert first == second
    assert AuditEntry.objects.filter(action="core.api_token.revoke").count() == 1


def test_cannot_revoke_another_users_token(party: Party) -> None:
    enable_totp(party.clp_secretary)
    issued = api_token_create(actor=party.clp_secretary, name="theirs")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=party.member, token_id=issued.token.pk)
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=party.member, token_id=999999)
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_user_for_token(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    assert user_for_token(issued.secret) == party.member
    assert user_for_token(f"  {issued.secret}  ") == party.member
    assert user_for_token(issued.secret + "x") is None
    assert user_for_token("") is None
    assert user_for_token(issued.secret.replace("rf_", "xx_", 1)) is None


# --- The account endpoints --------------------------------------------------------------
def auth(party: Party) -> Client:
    issued = api_token_create(actor=party.member, name="bootstrap")
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def test_api_lists_only_my_tokens(party: Party) -> None:
    enable_totp(party.clp_secretary)
    api_token_create(actor=party.clp_secretary, name="theirs")
    listed = auth(party).get(API).json()
    assert [t["name"] for t in listed] == ["bootstrap"]
    assert "digest" not in listed[0]


def test_api_creates_a_token_that_works_with_the_session_only(party: Party) -> None:
    session = Client()
    session.force_login(party.member)
    response = session.post(
        API,
        {"name": "script", "scopes": ["read", "personal"], "expires_in_days": 7},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"]["scopes"] == ["read", "personal"]
    secret = body["secret"]
    fresh = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert fresh.get("/api/v1/members/me").json()["membership_number"] == "RF000001"
    # A token cannot mint another (broader or longer-lived) token.
    refused = fresh.post(API, {"name": "more"}, content_type="application/json")
    assert refused.status_code == 403
    assert "browser session, not an API token" in refused.json()["detail"]
    assert ApiToken.objects.count() == 1


def test_api_token_defaults_to_read_only(party: Party) -> None:
    session = Client()
    session.force_login(party.member)
    body = session.post(API, {"name": "x"}, content_type="application/json").json()
    assert body["token"]["scopes"] == ["read"]
    token = ApiToken.objects.get()
    assert dt.timedelta(days=89) < token.expires_at - token.created_at <= dt.timedelta(days=90)


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"name": "x", "scopes": []}, 400, "choose at least one scope"),
        ({"name": "x", "scopes": ["root"]}, 400, "unknown token scope root"),
        ({"name": "x", "expires_in_days": 0}, 422, ""),
        ({"name": "x", "expires_in_days": 366}, 422, ""),
    ],
)
def test_api_refuses_bad_token_requests(
    party: Party, payload: dict[str, object], status: int, words: str
) -> None:
    session = Client()
    session.force_login(party.member)
    response = session.post(API, payload, content_type="application/json")
    assert response.status_code == status
    assert words in str(response.json())
    assert not ApiToken.objects.exists()


def test_api_revokes_my_token(party: Party) -> None:
    client = auth(party)
    victim = api_token_create(actor=party.member, name="old")
    response = client.delete(f"{API}/{victim.token.pk}")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {victim.secret}").get(API).status_code == 401


def test_api_cannot_revoke_another_users_token(party: Party) -> None:
    enable_totp(party.clp_secretary)
    theirs = api_token_create(actor=party.clp_secretary, name="theirs")
    response = auth(party).delete(f"{API}/{theirs.token.pk}")
    assert response.status_code == 403
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None


def test_api_token_endpoints_need_authentication(db: None) -> None:
    assert Client().get(API).status_code == 401
    assert Client().post(API, {"name": "x"}, content_type="application/json").status_code in {
        401,
        403,
    }
