"""No way round the front door (issue 12, point 5).

- ``/admin/login/`` checks no password itself: it sends the browser to allauth's login,
  whose throttling and two-factor step therefore apply to the admin too.
- Personal API tokens have scopes (read / write / personal), an expiry and revocation,
  checked on every API endpoint, and never bypass a role's two-factor requirement.
- Reads of member records through the API are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.utils import timezone

from rankandfile.core import mfa
from rankandfile.core.apiauth import SessionAuth, TokenAuth
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import ApiToken, AuditEntry
from rankandfile.core.tokens import api_token_create, api_token_revoke
from rankandfile.membership.models import Role
from tests.conftest import PASSWORD, Party, enable_totp, issue_token
from tests.core.test_auth import NOW, totp_code

LOGIN = "/accounts/login/"


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def signed_in_user_id(client: Client) -> Any:
    return client.session.get("_auth_user_id")


# --- One login path: the admin ----------------------------------------------------------
def test_admin_login_page_is_the_site_login(party: Party, client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/core/user/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/core/user/"
    # The admin itself sends signed-out visitors the same way.
    first = client.get("/admin/")
    assert first.status_code == 302
    assert client.get(first["Location"])["Location"] == f"{LOGIN}?next=/admin/"


def test_admin_login_never_checks_a_password(party: Party, client: Client) -> None:
    failures: list[Any] = []

    def count(**kwargs: Any) -> None:
        failures.append(kwargs)

    user_login_failed.connect(count)
    try:
        for _ in range(20):
            response = client.post(
                "/admin/login/?next=/admin/",
                {"username": "admin@example.org", "password": "guess"},
            )
            assert response.status_code == 302
            assert response["Location"] == f"{LOGIN}?next=/admin/"
        # Not even the right password signs anyone in here.
        client.post("/admin/login/", {"username": "admin@example.org", "password": PASSWORD})
    finally:
        user_login_failed.disconnect(count)
    assert failures == []  # no password was ever tried
    assert signed_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302


def test_twenty_wrong_passwords_for_the_admin_are_throttled(
    party: Party, client: Client, clock: time_machine.Coordinates
) -> None:
    """The only place an admin's password is tried is the site login, which throttles:
    from the sixth failure within five minutes every attempt is refused, even the right
    password."""
    target = client.get("/admin/login/?next=/admin/")["Location"]
    refused = 0
    for _ in range(20):
        page = client.post(target, {"login": "admin@example.org", "password": "guess"})
        refused += "Too many failed login attempts" in page.content.decode()
    assert refused == 15
    right = client.post(target, {"login": "admin@example.org", "password": PASSWORD})
    assert "Too many failed login attempts" in right.content.decode()
    assert signed_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302


def test_admin_with_totp_needs_the_code_to_reach_the_admin(
    party: Party, client: Client, clock: time_machine.Coordinates
) -> None:
    secret = enable_totp(party.national_admin)
    clock.shift(dt.timedelta(seconds=60))
    target = client.get("/admin/login/?next=/admin/")["Location"]
    first = client.post(target, {"login": "admin@example.org", "password": PASSWORD})
    assert first.status_code == 302
    assert first["Location"] == "/accounts/2fa/authenticate/"
    # The password alone: no admin, and the admin's own login page lets nobody in.
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/core/auditentry/").status_code == 302
    client.post("/admin/login/", {"username": "admin@example.org", "password": PASSWORD})
    assert signed_in_user_id(client) is None
    code = totp_code(secret, NOW + dt.timedelta(seconds=60))
    done = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert done.status_code == 302
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_signed_in_admin_passes_straight_through(party: Party, client: Client) -> None:
    client.force_login(party.national_admin)
    assert client.get("/admin/login/?next=/admin/core/user/")["Location"] == "/admin/core/user/"
    # An outside address is never a destination.
    assert client.get("/admin/login/?next=https://evil.example/")["Location"] == "/admin/"


@pytest.mark.parametrize("who", ["member", "clp_secretary", "scrutineer"])
def test_signed_in_non_admin_is_refused_not_bounced(party: Party, client: Client, who: str) -> None:
    client.force_login(getattr(party, who))
    assert client.get("/admin/login/?next=/admin/").status_code == 403
    assert client.get("/admin/", follow=True).status_code == 403


# --- Who must have two-factor authentication ----------------------------------------------
MUST = ["branch_officer", "clp_secretary", "clp_chair", "regional_officer", "national_admin"]
MUST += ["scrutineer"]
NEED_NOT = ["member", "affiliate_officer", "no_roles"]


@pytest.mark.parametrize("who", MUST)
def test_roles_that_read_members_or_run_ballots_must_have_2fa(party: Party, who: str) -> None:
    user = getattr(party, who)
    assert mfa.user_must_have_mfa(user)
    assert not mfa.user_has_mfa(user)
    enable_totp(user)
    assert mfa.user_has_mfa(user)


@pytest.mark.parametrize("who", NEED_NOT)
def test_other_logins_need_not(party: Party, who: str) -> None:
    assert not mfa.user_must_have_mfa(getattr(party, who))


def test_an_ended_role_needs_no_2fa(party: Party) -> None:
    Role.objects.filter(user=party.clp_secretary).update(
        start=dt.date(2020, 1, 1), end=dt.date(2021, 1, 1)
    )
    party.clp_secretary._active_roles = None  # type: ignore[attr-defined]
    assert not mfa.user_must_have_mfa(party.clp_secretary)


def test_cac_and_policy_officers_need_no_2fa(party: Party) -> None:
    from tests.membership import factories as f

    for kind in (Role.Kind.CAC, Role.Kind.POLICY_OFFICER):
        user = f.UserFactory()
        f.RoleFactory(user=user, kind=kind)
        assert not mfa.user_must_have_mfa(user)


def test_recovery_codes_alone_are_not_a_second_factor(party: Party) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(
        user=party.clp_secretary, type=Authenticator.Type.RECOVERY_CODES, data={}
    )
    assert not mfa.user_has_mfa(party.clp_secretary)


# --- Tokens: creation ---------------------------------------------------------------------
def test_officer_without_2fa_cannot_create_a_token(party: Party) -> None:
    with pytest.raises(PermissionDenied, match="require two-factor authentication"):
        api_token_create(actor=party.clp_secretary, name="t")
    assert not ApiToken.objects.exists()
    enable_totp(party.clp_secretary)
    assert api_token_create(actor=party.clp_secretary, name="t").token.pk


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"scopes": []}, "choose at least one scope"),
        ({"scopes": ["read", "sudo"]}, "unknown token scope sudo"),
        ({"lifetime": dt.timedelta(days=366)}, "at most 365 days"),
        ({"lifetime": dt.timedelta(0)}, "at least one day"),
    ],
)
def test_bad_token_requests_are_refused(party: Party, options: Any, words: str) -> None:
    with pytest.raises(DomainError, match=words):
        api_token_create(actor=party.member, name="t", **options)
    assert not ApiToken.objects.exists()


def test_creation_is_audited_with_scopes_and_expiry(party: Party) -> None:
    issued = api_token_create(
        actor=party.member, name="t", scopes=["personal", "read"], lifetime=dt.timedelta(days=7)
    )
    assert issued.token.scopes == "read personal"
    entry = AuditEntry.objects.get(action="core.api_token.create")
    assert entry.data == {
        "scopes": ["read", "personal"],
        "expires_at": issued.token.expires_at.isoformat(),
    }


# --- Tokens: every request ----------------------------------------------------------------
def bearer(secret: str, **extra: Any) -> Client:
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {secret}", **extra)


def test_read_scope_reads_but_cannot_write(party: Party) -> None:
    client = bearer(issue_token(party.member, scopes=["read"]))
    assert client.get("/api/v1/ballots").status_code == 200
    refused = client.post(
        "/api/v1/ballots/1/vote", {"choice": [0]}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "lacks the write scope" in refused.json()["detail"]
    victim = api_token_create(actor=party.member, name="old")
    assert client.delete(f"/api/v1/account/tokens/{victim.token.pk}").status_code == 403
    victim.token.refresh_from_db()
    assert victim.token.revoked_at is None


def test_write_scope_alone_cannot_read(party: Party) -> None:
    client = bearer(issue_token(party.member, scopes=["write"]))
    refused = client.get("/api/v1/ballots")
    assert refused.status_code == 403
    assert "lacks the read scope" in refused.json()["detail"]


@pytest.mark.parametrize(
    "url", ["/api/v1/members/me", "/api/v1/clps/northtown/members", "/api/v1/members/{id}"]
)
def test_member_records_need_the_personal_scope(party: Party, url: str) -> None:
    url = url.replace("{id}", str(party.neighbour.pk))
    without = bearer(issue_token(party.clp_secretary, scopes=["read", "write"]))
    refused = without.get(url)
    assert refused.status_code == 403
    assert "lacks the personal scope" in refused.json()["detail"]
    with_personal = bearer(issue_token(party.clp_secretary, scopes=["read", "personal"]))
    assert with_personal.get(url).status_code in {200, 404}  # 404: /me, no member record
    # The session (a signed-in browser) needs no scopes.
    session = Client()
    session.force_login(party.clp_secretary)
    assert session.get(url).status_code == with_personal.get(url).status_code


def test_expired_token_no_longer_authenticates(party: Party) -> None:
    secret = issue_token(party.member, lifetime=dt.timedelta(days=1))
    client = bearer(secret)
    assert client.get("/api/v1/members/me").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, seconds=1)):
        assert client.get("/api/v1/members/me").status_code == 401


def test_revoked_token_no_longer_authenticates(party: Party) -> None:
    issued = api_token_create(actor=party.member, name="t")
    client = bearer(issued.secret)
    assert client.get("/api/v1/members/me").status_code == 200
    api_token_revoke(actor=party.member, token_id=issued.token.pk)
    assert client.get("/api/v1/members/me").status_code == 401


def test_token_of_an_officer_who_loses_2fa_stops_working(party: Party) -> None:
    from allauth.mfa.models import Authenticator

    client = bearer(issue_token(party.clp_secretary))
    assert client.get("/api/v1/clps/northtown/members").status_code == 200
    Authenticator.objects.filter(user=party.clp_secretary).delete()
    refused = client.get("/api/v1/clps/northtown/members")
    assert refused.status_code == 403
    assert "require two-factor authentication" in refused.json()["detail"]
    assert client.get("/api/v1/ballots").status_code == 403  # every endpoint


def test_token_of_a_member_given_an_office_later_needs_2fa(party: Party) -> None:
    from tests.membership import factories as f

    client = bearer(issue_token(party.member))
    assert client.get("/api/v1/ballots").status_code == 200
    f.RoleFactory(user=party.member, kind=Role.Kind.BRANCH_OFFICER, branch=party.riverside)
    assert client.get("/api/v1/ballots").status_code == 403


def test_every_authenticated_endpoint_checks_tokens(party: Party) -> None:
    """No endpoint takes the session while ignoring token rules, and every endpoint
    that returns member records asks for the personal scope."""
    from rankandfile.api import api

    personal = {"/members/me", "/clps/{slug}/members", "/members/{member_id}"}
    seen = set()
    for router in api._get_bound_routers():
        for path, view in router.path_operations.items():
            for op in view.operations:
                seen.add(path)
                if not op.auth_callbacks:
                    # Public (auth=None): reads nothing personal; only these.
                    assert op.methods == ["GET"], path
                    continue
                kinds = [type(a) for a in op.auth_callbacks]
                assert kinds == [TokenAuth, SessionAuth], path
                token_auth = op.auth_callbacks[0]
                assert token_auth.personal == (path in personal), path
    assert personal <= seen


# --- Audited reads of personal data -------------------------------------------------------
def test_api_reads_of_member_records_are_audited(party: Party) -> None:
    client = bearer(issue_token(party.clp_secretary))
    token = ApiToken.objects.get(user=party.clp_secretary)
    assert client.get(f"/api/v1/members/{party.neighbour.pk}").status_code == 200
    assert client.get("/api/v1/clps/northtown/members", {"q": "nell"}).status_code == 200
    entries = list(AuditEntry.objects.filter(action__endswith=".api_read").order_by("seq"))
    assert [(e.action, e.actor_id, e.channel) for e in entries] == [
        ("membership.member.api_read", party.clp_secretary.pk, "api"),
        ("membership.clp_members.api_read", party.clp_secretary.pk, "api"),
    ]
    assert entries[0].object_id == str(party.neighbour.pk)
    assert entries[0].data == {"via": f"token rf_{token.prefix}_…"}
    assert entries[1].data["q"] == "nell"


def test_session_reads_through_the_api_are_audited_too(party: Party) -> None:
    client = Client()
    client.force_login(party.regional_officer)
    client.get(f"/api/v1/members/{party.eastoner.pk}")
    entry = AuditEntry.objects.get(action="membership.member.api_read")
    assert entry.data == {"via": "session"}


def test_refused_and_own_reads_write_no_entry(party: Party) -> None:
    client = bearer(issue_token(party.member))
    assert client.get(f"/api/v1/members/{party.neighbour.pk}").status_code == 404
    assert client.get(f"/api/v1/members/{party.me.pk}").status_code == 200
    assert client.get("/api/v1/members/me").status_code == 200
    assert not AuditEntry.objects.filter(action__endswith=".api_read").exists()
