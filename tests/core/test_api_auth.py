"""API authentication answers: a bad or missing token is 401 with a ``WWW-Authenticate``
challenge (never "CSRF check failed"); a session without its CSRF token is 403; a token
cannot stand in for a second factor its owner's role requires; and the OpenAPI schema
documents every operation's 401, 403, 404, 422 and 400 answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from rankandfile.api import api
from rankandfile.core.tokens import api_token_create, api_token_revoke
from tests.conftest import Party, with_second_factor

API = "/api/v1"


def assert_401(response: Any, invalid_token: bool) -> None:
    assert response.status_code == 401, response.content
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is invalid_token
    assert "CSRF" not in response.json()["detail"]


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_no_credentials_is_401_with_a_challenge(db: None, method: str) -> None:
    client = Client(enforce_csrf_checks=True)
    paths = {"get": "/members/me", "post": "/ballots/1/vote", "delete": "/account/tokens/1"}
    response = getattr(client, method)(
        f"{API}{paths[method]}", data={"choice": [0]}, content_type="application/json"
    )
    assert_401(response, invalid_token=False)
    assert "Bearer rf_" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rf_nothere_secret",  # unknown prefix
        "Bearer nonsense",  # malformed
        "Bearer ",  # empty
        "Token rf_x_y",  # another scheme
        "Basic dXNlcjpwYXNz",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_token_is_401_not_a_csrf_failure(db: None, header: str, method: str) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=header)
    if method == "get":
        response = client.get(f"{API}/members/me")
    else:
        response = client.post(
            f"{API}/ballots/1/vote", data={"choice": [0]}, content_type="application/json"
        )
    assert_401(response, invalid_token=True)


def test_a_revoked_token_is_401_even_with_a_session(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    api_token_revoke(actor=party.member, token_id=issued.token.pk)
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    client.force_login(party.member)  # a presented token is judged alone
    assert_401(client.get(f"{API}/members/me"), invalid_token=True)


def test_a_good_token_needs_no_csrf_token(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    other = api_token_create(actor=party.member, name="old laptop")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    # An unsafe method (revoking a token) with a bearer token and no CSRF token.
    response = client.delete(f"{API}/account/tokens/{other.token.pk}")
    assert response.status_code == 200, response.content


def test_a_session_without_its_csrf_token_is_403(party: Party) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(party.member)
    response = client.post(
        f"{API}/account/tokens", data={"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert client.get(f"{API}/members/me").status_code == 200  # safe methods need none


# --- tokens and the two-factor requirement ---------------------------------------------------
@pytest.mark.parametrize(
    "role", ["branch_officer", "clp_secretary", "regional_officer", "national_admin", "scrutineer"]
)
def test_tokens_of_roles_that_need_two_factors_are_refused_without_them(
    party: Party, role: str
) -> None:
    from allauth.mfa.models import Authenticator

    user = getattr(party, role)
    # A token made while the login had an authenticator, which it has since lost.
    issued = api_token_create(actor=with_second_factor(user), name="t")
    Authenticator.objects.filter(user=user).delete()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    refused = client.get(f"{API}/members/me")
    assert refused.status_code == 403
    assert "two-factor" in refused.json()["detail"]
    with_second_factor(user)
    assert client.get(f"{API}/members/me").status_code in {200, 404}


@pytest.mark.parametrize("role", ["member", "affiliate_officer", "no_roles"])
def test_tokens_of_other_logins_need_no_second_factor(party: Party, role: str) -> None:
    issued = api_token_create(actor=getattr(party, role), name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get(f"{API}/members/me").status_code in {200, 404}


# --- the schema documents the answers -----------------------------------------------------------
def operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    return [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_the_schema_has_operations() -> None:
    methods = {method for _path, method, _op in operations()}
    assert {"get", "post", "delete"} <= methods
    assert len(operations()) > 25


@pytest.mark.parametrize(
    ("path", "method", "op"), operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_operation_documents_its_error_answers(
    path: str, method: str, op: dict[str, Any]
) -> None:
    responses = op["responses"]
    if op.get("security"):
        assert "401" in responses and "WWW-Authenticate" in responses["401"]["headers"]
        assert "403" in responses
    if "{" in path:
        assert "404" in responses
    if op.get("parameters") or op.get("requestBody"):
        assert "422" in responses
    if method in {"post", "put", "patch", "delete"}:
        assert "400" in responses
    for status, answer in responses.items():
        if status.startswith(("4", "5")):
            assert answer.get("content"), f"{status} has no body schema"


def test_the_schema_is_served_with_the_answers(db: None) -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    me = schema["paths"][f"{API}/members/me"]["get"]["responses"]
    assert {"200", "401", "403"} <= set(me)
    assert "Error" in schema["components"]["schemas"]
