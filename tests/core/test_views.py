"""Home page, account page (API tokens) and health check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from rankandfile.core.models import ApiToken
from rankandfile.membership.models import Period, Role
from tests.conftest import Party, enable_totp
from tests.membership import factories as f

# Session, user, member (with CLP, constituency, region, branch), member's history, MP and
# roles (shared by the page and the navigation); officers add one: "manages any CLP?".
# The home page's own queries, plus the cards other apps add (core.home panels): the
# conference card 2 (this year's conference, else the latest), "How my MP votes" 1,
# the CLP selection 1, the constituency's campaign 1, the next meeting 1, elections under
# way 1 — and for a login without a member record only the conference card.
PANEL_QUERIES = 2 + 1 + 1 + 1 + 1 + 1
HOME_QUERIES = 7 + PANEL_QUERIES


# --- Home -------------------------------------------------------------------------------
def test_home_shows_my_branch_clp_mp_ballots_and_standing(party: Party, client: Client) -> None:
    client.force_login(party.member)
    html = client.get("/").content.decode()
    assert "Welcome, Mary" in html
    assert "Riverside" in html  # my branch
    assert "Northtown" in html and "North" in html  # my CLP and its region
    assert "Ada Lovelace" in html  # my MP
    assert "No ballots are open to you right now." in html
    assert "Member in good standing" in html
    assert "1 March 2015" in html  # continuously a member since
    assert f'href="/members/{party.me.pk}/"' in html


def test_home_shows_an_mp_who_left_the_party(party: Party, client: Client) -> None:
    import datetime as dt

    party.mp.left_party_on = dt.date(2019, 2, 18)
    party.mp.party = "Independent"
    party.mp.save()
    client.force_login(party.member)
    html = client.get("/").content.decode()
    assert "left our party on 18 February 2019" in html


def test_home_without_an_mp(party: Party, client: Client) -> None:
    party.mp.delete()
    client.force_login(party.member)
    assert "No MP recorded for Northtown." in client.get("/").content.decode()


def test_home_shows_suspension(party: Party, client: Client) -> None:
    import datetime as dt

    Period.objects.create(member=party.me, kind=Period.Kind.SUSPENSION, start=dt.date(2024, 1, 1))
    client.force_login(party.member)
    assert "Suspended" in client.get("/").content.decode()


def test_home_lists_my_offices_with_links(party: Party, client: Client) -> None:
    client.force_login(party.clp_secretary)
    html = client.get("/").content.decode()
    assert "not linked to a membership record" in html
    assert "<strong>CLP secretary</strong> — Northtown" in html
    assert 'href="/clps/northtown/members/"' in html


@pytest.mark.parametrize(
    ("who", "links", "absent"),
    [
        (
            "clp_secretary",
            [
                "/clps/northtown/members/",
                "/members/import/",
                "/ballots/",
                "/conference/",
                "/selections/",
                "/campaigns/",
            ],
            ["/admin/"],
        ),
        ("scrutineer", ["/ballots/"], ["/members/import/", "/clps/"]),
        ("national_admin", ["/clps/", "/members/import/", "/admin/", "/conference/new/"], []),
    ],
)
def test_each_role_home_lists_its_tools(
    party: Party, client: Client, who: str, links: list[str], absent: list[str]
) -> None:
    client.force_login(getattr(party, who))
    html = client.get("/").content.decode()
    card = html[html.index('id="my-roles"') :]
    card = card[: card.index("</section>")]
    for link in links:
        assert f'href="{link}' in card, link
    for link in absent:
        assert f'href="{link}' not in card, link


def test_cac_home_links_to_conference_business(party: Party, client: Client) -> None:
    from rankandfile.membership.models import Role
    from tests.membership import factories as f

    cac = f.UserFactory(email="cac@example.org")
    f.RoleFactory(user=cac, kind=Role.Kind.CAC)
    client.force_login(cac)
    html = client.get("/").content.decode()
    assert "Conference business" in html and 'href="/conference/"' in html


def test_visitors_get_a_public_home_page(db: None, client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for link in (
        "/conference/",
        "/conference/programme/",
        "/conference/rules/",
        "/accountability/",
        "/campaigns/",
        "/accounts/login/",
        "/account/activate/",
    ):
        assert f'href="{link}"' in html, link


def test_home_for_a_national_admin_links_to_admin(party: Party, client: Client) -> None:
    client.force_login(party.national_admin)
    html = client.get("/").content.decode()
    assert 'href="/admin/"' in html
    assert 'href="/clps/"' in html


def test_home_for_a_member_has_no_officer_navigation(party: Party, client: Client) -> None:
    client.force_login(party.member)
    html = client.get("/").content.decode()
    assert 'href="/clps/"' not in html
    assert 'href="/admin/"' not in html
    assert "My offices" not in html


# An officer's requests ask once whether the login has a second factor (core.mfa).
MFA_QUERY = 1


@pytest.mark.parametrize(
    ("extra_roles", "queries"),
    [(0, HOME_QUERIES), (1, HOME_QUERIES + 1 + MFA_QUERY), (8, HOME_QUERIES + 1 + MFA_QUERY)],
)
def test_home_query_count_is_fixed(
    party: Party,
    client: Client,
    django_assert_num_queries: object,
    extra_roles: int,
    queries: int,
) -> None:
    # A member holding many offices costs no more queries than one holding one.
    for _ in range(extra_roles):
        f.RoleFactory(user=party.member, kind=Role.Kind.CLP_OFFICER, clp=f.CLPFactory())
    f.PeriodFactory.create_batch(5, member=party.me, kind=Period.Kind.ARREARS)
    client.force_login(party.member)
    client.get("/")  # an officer's first request starts the two-factor grace period
    with django_assert_num_queries(queries):  # type: ignore[operator]
        response = client.get("/")
    assert response.status_code == 200


def test_home_query_count_for_an_officer_without_a_record(
    party: Party, client: Client, django_assert_num_queries: object
) -> None:
    client.force_login(party.regional_officer)
    client.get("/")  # the first request starts the two-factor grace period
    # No member record: no history, MP or ballots query; one for "manages any CLP?".
    with django_assert_num_queries(HOME_QUERIES - PANEL_QUERIES + 2 - 3 + 1 + MFA_QUERY):  # type: ignore[operator]
        assert client.get("/").status_code == 200


def test_home_has_skip_link_first_and_main_landmark(party: Party, client: Client) -> None:
    client.force_login(party.member)
    html = client.get("/").content.decode()
    body = html[html.index("<body") :]
    first_link = body.index("<a ")
    assert body[first_link:].startswith('<a class="skip-link" href="#main"')
    assert '<main id="main"' in html
    assert '<html lang="en-GB">' in html
    assert 'name="viewport"' in html


# --- Account page and tokens ------------------------------------------------------------
def test_account_page_creates_a_token_shown_once(party: Party, client: Client) -> None:
    client.force_login(party.member)
    response = client.post(
        "/account/",
        {"name": "branch spreadsheet", "scopes": ["read", "personal"], "lifetime_days": "30"},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=party.member)
    assert token.scopes == "read personal"
    assert dt.timedelta(days=29) < token.expires_at - token.created_at <= dt.timedelta(days=30)
    assert response["Cache-Control"].count("no-store") == 1
    html = response.content.decode()
    secret = html.split('id="new-token"')[1].split('value="')[1].split('"')[0]
    assert secret.startswith(f"rf_{token.prefix}_")
    assert token.digest not in html and secret.split("_", 2)[2] != token.digest
    # The secret is never shown again.
    assert secret not in client.get("/account/").content.decode()
    # ...and it works against the API.
    api = Client().get("/api/v1/members/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200


def test_account_page_token_name_defaults(party: Party, client: Client) -> None:
    client.force_login(party.member)
    client.post("/account/", {"name": "   ", "scopes": ["read"], "lifetime_days": "7"})
    assert ApiToken.objects.get(user=party.member).name == "API token"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "x", "lifetime_days": "30"}, "Choose at least one thing the token may do."),
        ({"name": "x", "scopes": ["admin"], "lifetime_days": "30"}, "admin is not one of"),
        ({"name": "x", "scopes": ["read"], "lifetime_days": "9999"}, "9999 is not one of"),
    ],
)
def test_account_page_refuses_a_bad_token_request_and_keeps_the_form(
    party: Party, client: Client, data: dict[str, object], error: str
) -> None:
    client.force_login(party.member)
    response = client.post("/account/", data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert 'value="x"' in response.content.decode()  # nothing typed is lost
    assert not ApiToken.objects.exists()


def test_officer_without_two_factor_cannot_create_a_token(party: Party, client: Client) -> None:
    client.force_login(party.clp_secretary)
    page = client.get("/account/").content.decode()
    assert "Two-factor authentication needed." in page
    refused = client.post("/account/", {"name": "x", "scopes": ["read"], "lifetime_days": "7"})
    assert refused.status_code == 400
    assert "require two-factor authentication" in refused.content.decode()
    assert not ApiToken.objects.exists()
    enable_totp(party.clp_secretary)
    done = client.post("/account/", {"name": "x", "scopes": ["read"], "lifetime_days": "7"})
    assert done.status_code == 200
    assert ApiToken.objects.filter(user=party.clp_secretary).count() == 1


def test_account_page_shows_expired_tokens(party: Party, client: Client) -> None:
    from django.utils import timezone

    from rankandfile.core.tokens import api_token_create

    issued = api_token_create(actor=party.member, name="old")
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now())
    client.force_login(party.member)
    html = client.get("/account/").content.decode()
    assert "Expired</span>" in html


def test_account_page_revokes_own_token(party: Party, client: Client) -> None:
    from rankandfile.core.tokens import api_token_create

    issued = api_token_create(actor=party.member, name="laptop")
    client.force_login(party.member)
    response = client.post(f"/account/tokens/{issued.token.pk}/revoke/", follow=True)
    assert "revoked" in response.content.decode()
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert (
        Client().get("/api/v1/members/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}").status_code
        == 401
    )


def test_account_page_cannot_revoke_another_users_token(party: Party, client: Client) -> None:
    from rankandfile.core.tokens import api_token_create

    enable_totp(party.clp_secretary)

    issued = api_token_create(actor=party.clp_secretary, name="theirs")
    client.force_login(party.member)
    response = client.post(f"/account/tokens/{issued.token.pk}/revoke/", follow=True)
    assert "no such token" in response.content.decode()
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_token_revoke_needs_post(party: Party, client: Client) -> None:
    from rankandfile.core.tokens import api_token_create

    issued = api_token_create(actor=party.member, name="laptop")
    client.force_login(party.member)
    assert client.get(f"/account/tokens/{issued.token.pk}/revoke/").status_code == 405


def test_account_page_needs_csrf(party: Party) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(party.member)
    assert client.post("/account/", {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_account_page_lists_tokens_and_their_state(party: Party, client: Client) -> None:
    from rankandfile.core.tokens import api_token_create, api_token_revoke

    api_token_create(actor=party.member, name="kept")
    gone = api_token_create(actor=party.member, name="gone")
    api_token_revoke(actor=party.member, token_id=gone.token.pk)
    client.force_login(party.member)
    html = client.get("/account/").content.decode()
    assert "kept" in html and "gone" in html
    assert html.count("Revoked</span>") == 1
    assert html.count(">Revoke<") == 1


def test_healthz(db: None, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"
