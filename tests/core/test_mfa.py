"""Two-factor authentication required for the roles that read member records, manage
ballots or scrutinise (core.mfa): who must, the grace period with its banner, the
redirect to set-up after it, recovery codes, and the demo logins."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.test import Client

from rankandfile.core import mfa
from rankandfile.core.models import AuditEntry, User
from rankandfile.membership.models import Role
from tests.conftest import Party, with_second_factor

NOW = dt.datetime(2025, 3, 3, 12, 0, tzinfo=dt.UTC)
MUST = [
    "branch_officer",
    "clp_secretary",
    "clp_chair",
    "regional_officer",
    "national_admin",
    "scrutineer",
]
NEED_NOT = ["member", "affiliate_officer", "no_roles"]


@pytest.mark.parametrize("role", MUST)
def test_roles_that_reach_records_ballots_or_counts_must(party: Party, role: str) -> None:
    assert mfa.user_must_have_mfa(getattr(party, role))


@pytest.mark.parametrize("role", NEED_NOT)
def test_other_logins_need_not(party: Party, role: str) -> None:
    assert not mfa.user_must_have_mfa(getattr(party, role))


def test_superusers_must_and_anonymous_need_not(party: Party) -> None:
    from django.contrib.auth.models import AnonymousUser

    party.no_roles.is_superuser = True
    assert mfa.user_must_have_mfa(party.no_roles)
    assert not mfa.user_must_have_mfa(AnonymousUser())
    assert not mfa.user_has_mfa(AnonymousUser())


def test_an_ended_role_no_longer_requires(party: Party) -> None:
    user = party.scrutineer
    Role.objects.filter(user=user).update(end=dt.date(2000, 1, 1), start=dt.date(1999, 1, 1))
    assert not mfa.user_must_have_mfa(User.objects.get(pk=user.pk))


def test_only_a_real_second_factor_counts(party: Party) -> None:
    user = party.clp_secretary
    Authenticator.objects.create(user=user, type="recovery_codes", data={"seed": "x"})
    assert not mfa.user_has_mfa(user)  # recovery codes only back a factor up
    with_second_factor(user)
    assert mfa.user_has_mfa(user)


def test_grace_banner_then_redirect_to_set_up(party: Party, settings: object) -> None:
    settings.MFA_GRACE_DAYS = 7  # type: ignore[attr-defined]
    client = Client()
    client.force_login(party.clp_secretary)
    with time_machine.travel(NOW, tick=False) as clock:
        page = client.get("/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Two-factor authentication needed" in html
        assert "10 March 2025" in html  # the deadline, in the banner
        user = User.objects.get(pk=party.clp_secretary.pk)
        assert user.mfa_grace_started_at == NOW
        started = AuditEntry.objects.filter(action="core.mfa.grace_start")
        assert started.count() == 1 and started.get().actor_id == user.pk
        # Later requests inside the grace period: same start, no more entries.
        clock.shift(dt.timedelta(days=6, hours=23))
        assert client.get("/").status_code == 200
        assert started.count() == 1
        # After it: every page sends the officer to set up an authenticator app...
        clock.shift(dt.timedelta(hours=2))
        refused = client.get("/")
        assert refused.status_code == 302
        assert refused["Location"] == "/accounts/2fa/totp/activate/"
        assert client.get(f"/clps/{party.northtown.slug}/members/").status_code == 302
        fragment = client.get("/", HTTP_HX_REQUEST="true")  # htmx: the page goes, too
        assert fragment["HX-Redirect"] == "/accounts/2fa/totp/activate/"
        # ...session API calls are 403...
        api = client.get("/api/v1/members/me")
        assert api.status_code == 403 and "two-factor" in api.json()["detail"]
        # ...but the set-up itself and signing out still work.
        setup = client.get("/accounts/2fa/totp/activate/", follow=True)
        assert setup.status_code == 200
        assert client.get("/accounts/2fa/").status_code == 200
        # With an authenticator the officer is back, without a banner.
        with_second_factor(party.clp_secretary)
        page = client.get("/")
        assert page.status_code == 200
        assert "Two-factor authentication needed" not in page.content.decode()


def test_logins_that_need_not_see_no_banner_and_start_no_grace(party: Party) -> None:
    client = Client()
    client.force_login(party.member)
    assert "Two-factor authentication needed" not in client.get("/").content.decode()
    assert User.objects.get(pk=party.member.pk).mfa_grace_started_at is None


def test_recovery_codes_are_offered() -> None:
    from django.conf import settings

    assert "recovery_codes" in settings.MFA_SUPPORTED_TYPES
    assert "totp" in settings.MFA_SUPPORTED_TYPES


def test_an_overdue_officer_can_still_set_up_totp_and_gets_recovery_codes(
    party: Party,
) -> None:
    # Past the grace period, the officer signs in with the password, is sent to set-up,
    # confirms the password again (allauth asks before changing a factor), activates an
    # authenticator app and is back in — with recovery codes.
    from allauth.mfa.totp.internal.auth import (
        SECRET_SESSION_KEY,
        format_hotp_value,
        hotp_value,
    )

    from tests.conftest import PASSWORD

    User.objects.filter(pk=party.clp_secretary.pk).update(
        mfa_grace_started_at=NOW - dt.timedelta(days=30)
    )
    client = Client()
    with time_machine.travel(NOW, tick=False):
        signed_in = client.post(
            "/accounts/login/", {"login": "secretary@example.org", "password": PASSWORD}
        )
        assert signed_in.status_code == 302
        sent = client.get("/")
        assert sent["Location"] == "/accounts/2fa/totp/activate/"
        asked = client.get("/accounts/2fa/totp/activate/")
        assert asked["Location"].startswith("/accounts/reauthenticate/")
        again = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
        assert again.status_code == 302
        assert client.get("/accounts/2fa/totp/activate/").status_code == 200
        secret = client.session[SECRET_SESSION_KEY]
        code = format_hotp_value(hotp_value(secret, int(NOW.timestamp()) // 30))
        done = client.post("/accounts/2fa/totp/activate/", {"code": code})
        assert done.status_code == 302
        assert client.get("/").status_code == 200
    types = set(
        Authenticator.objects.filter(user=party.clp_secretary).values_list("type", flat=True)
    )
    assert types == {"totp", "recovery_codes"}
    assert mfa.user_has_mfa(party.clp_secretary)


def test_demo_logins_restart_the_officers_grace(party: Party, settings: object) -> None:
    from rankandfile.membership import demo

    settings.MFA_GRACE_DAYS = 3  # type: ignore[attr-defined]
    # Make two of the fixture's logins demo logins: one officer, one member.
    officer = demo.DEMO_LOGINS[1]
    member = next(d for d in demo.DEMO_LOGINS if "member" in d.label.lower())
    User.objects.filter(pk=party.scrutineer.pk).update(
        email=officer.email, mfa_grace_started_at=NOW - dt.timedelta(days=30)
    )
    User.objects.filter(pk=party.member.pk).update(email=member.email)
    restarted = demo.demo_logins_restart_mfa_grace(actor=None)
    assert restarted == [officer.email]
    user = User.objects.get(pk=party.scrutineer.pk)
    assert user.mfa_grace_started_at is not None
    assert not mfa.requirement(user).overdue(user.mfa_grace_started_at)
    assert AuditEntry.objects.filter(action="core.mfa.grace_restart").count() == 1
