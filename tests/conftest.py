"""Root fixtures: users in every role, a small party, the browser, and the database check."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rankandfile.core.models import User
    from rankandfile.membership.models import CLP, MP, Affiliate, Branch, Member, Region

PASSWORD = "correct horse battery staple"


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers this marker; declare it too so that `-p no:xdist` runs
    # (which do not load xdist) still pass --strict-markers.
    config.addinivalue_line(
        "markers", "xdist_group(name): run these tests in one xdist worker (--dist loadgroup)"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    # The PostgreSQL run must really be on PostgreSQL: fail loudly, never fall back.
    if os.environ.get("RANKANDFILE_REQUIRE_POSTGRES") == "1":
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"RANKANDFILE_REQUIRE_POSTGRES=1 but the database is {engine}")


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # allauth's rate limits and used TOTP codes live in the cache: no test sees another's.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request in Welsh leaves Welsh active in its thread (LocaleMiddleware activates the
    # reader's language and nothing deactivates it): every test starts in English.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Party:
    """A small party with a login in every role, for permission and page tests.

    Region North has Northtown CLP (branches Riverside and Hillside) and Easton CLP;
    region South has Southport CLP. Every login's password is :data:`PASSWORD`.
    """

    north: Region
    south: Region
    northtown: CLP
    easton: CLP  # same region as Northtown
    southport: CLP  # the other region
    riverside: Branch  # in Northtown
    hillside: Branch  # in Northtown
    affiliate: Affiliate
    mp: MP  # Northtown's MP
    # Members (records)
    me: Member  # the member who logs in, Northtown / Riverside
    neighbour: Member  # Northtown / Hillside
    branchmate: Member  # Northtown / Riverside
    eastoner: Member  # Easton (same region, other CLP)
    southerner: Member  # Southport (other region)
    # Logins
    member: User  # me.user
    branch_officer: User  # Riverside
    clp_secretary: User  # Northtown
    clp_chair: User  # Northtown
    regional_officer: User  # North
    affiliate_officer: User
    national_admin: User  # is_staff too: may use the Django admin
    scrutineer: User
    no_roles: User  # a login with no member record and no office


@pytest.fixture
def party(db: None) -> Party:
    from rankandfile.membership.models import Period, Role
    from tests.membership import factories as f

    north = f.RegionFactory(name="North", slug="north")
    south = f.RegionFactory(name="South", slug="south")
    northtown = f.CLPFactory(
        name="Northtown",
        slug="northtown",
        constituency=f.ConstituencyFactory(name="Northtown", region=north),
    )
    easton = f.CLPFactory(
        name="Easton",
        slug="easton",
        constituency=f.ConstituencyFactory(name="Easton", region=north),
    )
    southport = f.CLPFactory(
        name="Southport",
        slug="southport",
        constituency=f.ConstituencyFactory(name="Southport", region=south),
    )
    riverside = f.BranchFactory(clp=northtown, name="Riverside")
    hillside = f.BranchFactory(clp=northtown, name="Hillside")
    mp = f.MPFactory(name="Ada Lovelace", constituency=northtown.constituency)
    affiliate = f.AffiliateFactory(name="Union of Makers", short_name="UM")

    joined = dt.date(2015, 3, 1)
    me = f.MemberFactory(
        first_name="Mary",
        last_name="Member",
        membership_number="RF000001",
        clp=northtown,
        branch=riverside,
        joined=joined,
    )
    neighbour = f.MemberFactory(
        first_name="Nell",
        last_name="Neighbour",
        membership_number="RF000002",
        clp=northtown,
        branch=hillside,
        joined=joined,
    )
    branchmate = f.MemberFactory(
        first_name="Bert",
        last_name="Branchmate",
        membership_number="RF000003",
        clp=northtown,
        branch=riverside,
        joined=joined,
    )
    eastoner = f.MemberFactory(
        first_name="Eve", last_name="Eastoner", clp=easton, branch=None, joined=joined
    )
    southerner = f.MemberFactory(
        first_name="Sam", last_name="Southerner", membership_number="RF000009", clp=southport
    )
    Period.objects.create(member=southerner, kind=Period.Kind.MEMBERSHIP, start=joined)

    member = f.member_user(me)
    member.email = "member@example.org"
    member.save(update_fields=["email"])

    def officer(email: str, kind: str, **unit: object) -> User:
        user: User = f.UserFactory(email=email)
        f.RoleFactory(user=user, kind=kind, **unit)
        return user

    national_admin = officer("admin@example.org", Role.Kind.NATIONAL_ADMIN)
    national_admin.is_staff = True
    national_admin.save(update_fields=["is_staff"])
    return Party(
        north=north,
        south=south,
        northtown=northtown,
        easton=easton,
        southport=southport,
        riverside=riverside,
        hillside=hillside,
        affiliate=affiliate,
        mp=mp,
        me=me,
        neighbour=neighbour,
        branchmate=branchmate,
        eastoner=eastoner,
        southerner=southerner,
        member=member,
        branch_officer=officer("branch@example.org", Role.Kind.BRANCH_OFFICER, branch=riverside),
        clp_secretary=officer("secretary@example.org", Role.Kind.CLP_SECRETARY, clp=northtown),
        clp_chair=officer("chair@example.org", Role.Kind.CLP_CHAIR, clp=northtown),
        regional_officer=officer("region@example.org", Role.Kind.REGIONAL_OFFICER, region=north),
        affiliate_officer=officer(
            "affiliate@example.org", Role.Kind.AFFILIATE_OFFICER, affiliate=affiliate
        ),
        national_admin=national_admin,
        scrutineer=officer("scrutineer@example.org", Role.Kind.SCRUTINEER),
        no_roles=f.UserFactory(email="nobody@example.org"),
    )


def enable_totp(user: User) -> str:
    """Give ``user`` an authenticator app (as activating one on the 2FA page does) and
    return its secret. Officers need one before they may use personal API tokens."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def issue_token(user: User, name: str = "test", **options: object) -> str:
    """A personal API token (all scopes unless ``scopes=`` says otherwise) for ``user``,
    giving an officer the authenticator app their roles require first."""
    from rankandfile.core import mfa
    from rankandfile.core.tokens import api_token_create

    if mfa.user_must_have_mfa(user) and not mfa.user_has_mfa(user):
        enable_totp(user)
    return api_token_create(actor=user, name=name, **options).secret  # type: ignore[arg-type]


def with_second_factor(user: User) -> User:
    """``user`` with an authenticator app (``enable_totp`` unless it has a second factor
    already): logins whose role requires two factors need one before their API tokens
    work (``core.mfa``)."""
    from rankandfile.core import mfa

    if not mfa.user_has_mfa(user):
        enable_totp(user)
    return user
