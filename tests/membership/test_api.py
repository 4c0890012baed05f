"""The members API (/api/v1/): every role both ways, with token and session auth, and the
OpenAPI schema and docs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from rankandfile.core.tokens import api_token_create
from rankandfile.membership.models import Period
from tests.conftest import Party, with_second_factor
from tests.membership import factories as f
from tests.membership.test_permissions import (
    CLP_ACCESS,
    CLPS,
    MEMBER_VISIBILITY,
    RECORDS,
    ROLES,
)

API = "/api/v1"


def bearer(party: Party, role: str) -> Client:
    """A client authenticating with a fresh personal API token of ``role``'s login."""
    issued = api_token_create(actor=with_second_factor(getattr(party, role)), name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def session(party: Party, role: str) -> Client:
    client = Client()
    client.force_login(getattr(party, role))
    return client


AUTHS = {"token": bearer, "session": session}


# --- Every role, both ways --------------------------------------------------------------
@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_members_me(party: Party, role: str, auth: str) -> None:
    response = AUTHS[auth](party, role).get(f"{API}/members/me")
    if role == "member":
        assert response.status_code == 200
        body = response.json()
        assert body["membership_number"] == "RF000001"
        assert body["clp"] == "northtown"
        assert body["branch"] == "Riverside"
        assert body["standing"] == "good"
    else:
        assert response.status_code == 404
        assert "not linked" in response.json()["detail"]


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_member_record(party: Party, role: str, auth: str) -> None:
    client = AUTHS[auth](party, role)
    for record in RECORDS:
        member = getattr(party, record)
        response = client.get(f"{API}/members/{member.pk}")
        if record in MEMBER_VISIBILITY[role]:
            assert response.status_code == 200, record
            assert response.json()["id"] == member.pk
        else:
            assert response.status_code == 404, record
            assert response.json() == {"detail": "no such member among those you may see"}


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_clp_members(party: Party, role: str, auth: str) -> None:
    client = AUTHS[auth](party, role)
    for clp in CLPS:
        response = client.get(f"{API}/clps/{clp}/members")
        if clp in CLP_ACCESS[role]:
            assert response.status_code == 200, clp
            assert all(item["clp"] == clp for item in response.json()["items"])
        else:
            assert response.status_code == 404, clp


def test_unknown_member_and_clp_are_404(party: Party) -> None:
    client = bearer(party, "national_admin")
    assert client.get(f"{API}/members/999999").status_code == 404
    assert client.get(f"{API}/clps/nowhere/members").status_code == 404


# --- The members list -------------------------------------------------------------------
def test_clp_members_search_filter_and_standing(party: Party) -> None:
    today = dt.date.today()
    Period.objects.create(member=party.neighbour, kind="arrears", start=today)
    client = bearer(party, "clp_secretary")
    everyone = client.get(f"{API}/clps/northtown/members").json()
    assert everyone["count"] == 3
    assert [m["last_name"] for m in everyone["items"]] == ["Branchmate", "Member", "Neighbour"]
    assert {m["last_name"]: m["standing"] for m in everyone["items"]}["Neighbour"] == "arrears"

    found = client.get(f"{API}/clps/northtown/members", {"q": "nell"}).json()
    assert [m["last_name"] for m in found["items"]] == ["Neighbour"]
    riverside = client.get(f"{API}/clps/northtown/members", {"branch": party.riverside.pk}).json()
    assert riverside["count"] == 2
    arrears = client.get(f"{API}/clps/northtown/members", {"status": "arrears"}).json()
    assert [m["last_name"] for m in arrears["items"]] == ["Neighbour"]
    assert client.get(f"{API}/clps/northtown/members", {"status": "nonsense"}).status_code == 422


def test_clp_members_paginates(party: Party, django_assert_max_num_queries: object) -> None:
    for n in range(130):
        f.MemberFactory(clp=party.northtown, branch=party.hillside, last_name=f"Zed{n:03d}")
    client = bearer(party, "clp_secretary")
    first = client.get(f"{API}/clps/northtown/members").json()
    assert first["count"] == 133
    assert len(first["items"]) == 100
    second = client.get(f"{API}/clps/northtown/members", {"page": 2}).json()
    assert len(second["items"]) == 33
    # No N+1: a fixed handful of queries whatever the page size.
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        assert client.get(f"{API}/clps/northtown/members").status_code == 200


# --- Token authentication ---------------------------------------------------------------
def test_no_credentials_is_401(party: Party) -> None:
    assert Client().get(f"{API}/members/me").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer nonsense",
        "Bearer rf_",
        "Bearer rf_deadbeef",
        "Bearer rf_deadbeef_notthesecret",
        "Bearer xx_deadbeef_secret",
        "Token rf_deadbeef_secret",
        "Basic bWVtYmVyQGV4YW1wbGUub3JnOnB3",
    ],
)
def test_malformed_or_unknown_tokens_are_401(party: Party, header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get(f"{API}/members/me")
    assert response.status_code == 401


def test_token_with_a_wrong_secret_is_401(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    prefix = issued.token.prefix
    forged = Client(HTTP_AUTHORIZATION=f"Bearer rf_{prefix}_{'x' * 43}")
    assert forged.get(f"{API}/members/me").status_code == 401


def test_revoked_token_is_401(party: Party) -> None:
    from rankandfile.core.tokens import api_token_revoke

    issued = api_token_create(actor=party.member, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get(f"{API}/members/me").status_code == 200
    api_token_revoke(actor=party.member, token_id=issued.token.pk)
    assert client.get(f"{API}/members/me").status_code == 401


def test_token_of_a_deactivated_login_is_401(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    party.member.is_active = False
    party.member.save(update_fields=["is_active"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get(f"{API}/members/me").status_code == 401


def test_another_users_token_acts_as_that_user_only(party: Party) -> None:
    # A secretary's token presented in a member's browser session is the secretary.
    theirs = api_token_create(actor=with_second_factor(party.clp_secretary), name="t")
    client = session(party, "member")
    response = client.get(
        f"{API}/members/{party.neighbour.pk}", HTTP_AUTHORIZATION=f"Bearer {theirs.secret}"
    )
    assert response.status_code == 200
    # ...and the member's own session cannot borrow it for the CLP list afterwards.
    assert client.get(f"{API}/clps/northtown/members").status_code == 404


def test_token_use_is_recorded(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    assert issued.token.last_used_at is None
    Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}").get(f"{API}/members/me")
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_token_auth_needs_no_csrf_for_unsafe_methods(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    response = client.post(
        f"{API}/account/tokens", {"name": "scripted"}, content_type="application/json"
    )
    assert response.status_code == 201


# --- Session authentication -------------------------------------------------------------
def test_session_auth_reads_without_csrf(party: Party) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(party.member)
    assert client.get(f"{API}/members/me").status_code == 200


def test_session_auth_needs_csrf_for_unsafe_methods(party: Party) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(party.member)
    refused = client.post(f"{API}/account/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    client.get("/account/")  # sets the CSRF cookie, as a page visit does
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        f"{API}/account/tokens",
        {"name": "x"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 201


def test_logged_out_session_is_401(party: Party) -> None:
    client = session(party, "member")
    client.logout()
    assert client.get(f"{API}/members/me").status_code == 401


# --- Schema and docs --------------------------------------------------------------------
def test_openapi_schema_lists_the_endpoints(db: None, client: Client) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Rank and File API"
    paths = schema["paths"]
    for path in (
        "/api/v1/members/me",
        "/api/v1/members/{member_id}",
        "/api/v1/clps/{slug}/members",
        "/api/v1/account/tokens",
        "/api/v1/account/tokens/{token_id}",
    ):
        assert path in paths, path
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    params = {p["name"] for p in paths["/api/v1/clps/{slug}/members"]["get"]["parameters"]}
    assert {"slug", "q", "branch", "status", "page"} <= params


def test_interactive_docs_render(db: None, client: Client) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "openapi.json" in html
