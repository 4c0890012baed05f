"""Every role, both ways: what each login may see and manage, through the permission
functions and the pages. (The API uses the same functions: tests/membership/test_api.py
walks the same tables through it.)

Party layout (tests/conftest.py): region North has Northtown (branches Riverside and
Hillside) and Easton; region South has Southport. ``me`` and ``branchmate`` are in
Northtown/Riverside, ``neighbour`` in Northtown/Hillside, ``eastoner`` in Easton,
``southerner`` in Southport.
"""

from __future__ import annotations

import pytest
from django.test import Client

from rankandfile.membership import permissions
from rankandfile.membership.models import Role
from tests.conftest import Party
from tests.membership import factories as f

ROLES = [
    "member",
    "branch_officer",
    "clp_secretary",
    "clp_chair",
    "regional_officer",
    "affiliate_officer",
    "national_admin",
    "scrutineer",
    "no_roles",
]
RECORDS = ["me", "branchmate", "neighbour", "eastoner", "southerner"]
CLPS = ["northtown", "easton", "southport"]

# Which member records each login may see (everything else must be a 404).
MEMBER_VISIBILITY: dict[str, set[str]] = {
    "member": {"me"},
    "branch_officer": {"me", "branchmate"},  # Riverside only
    "clp_secretary": {"me", "branchmate", "neighbour"},  # Northtown only
    "clp_chair": {"me", "branchmate", "neighbour"},
    "regional_officer": {"me", "branchmate", "neighbour", "eastoner"},  # North only
    "affiliate_officer": set(),
    "national_admin": set(RECORDS),
    "scrutineer": set(),
    "no_roles": set(),
}
# Which CLPs' members lists each login may open (and whose records it may manage).
CLP_ACCESS: dict[str, set[str]] = {
    "member": set(),
    "branch_officer": set(),
    "clp_secretary": {"northtown"},
    "clp_chair": {"northtown"},
    "regional_officer": {"northtown", "easton"},
    "affiliate_officer": set(),
    "national_admin": set(CLPS),
    "scrutineer": set(),
    "no_roles": set(),
}
RECORD_CLP = {
    "me": "northtown",
    "branchmate": "northtown",
    "neighbour": "northtown",
    "eastoner": "easton",
    "southerner": "southport",
}


def _cases(table: dict[str, set[str]], targets: list[str]) -> list[tuple[str, str, bool]]:
    return [(role, target, target in table[role]) for role in ROLES for target in targets]


# --- Permission functions ---------------------------------------------------------------
@pytest.mark.parametrize(("role", "record", "allowed"), _cases(MEMBER_VISIBILITY, RECORDS))
def test_can_view_member(party: Party, role: str, record: str, allowed: bool) -> None:
    user = getattr(party, role)
    member = getattr(party, record)
    assert permissions.can_view_member(user, member) is allowed
    assert permissions.visible_members(user).filter(pk=member.pk).exists() is allowed


@pytest.mark.parametrize(("role", "record", "allowed"), _cases(MEMBER_VISIBILITY, RECORDS))
def test_access_member(party: Party, role: str, record: str, allowed: bool) -> None:
    from rankandfile.core.errors import NotFound

    user = getattr(party, role)
    member = getattr(party, record)
    if allowed:
        assert permissions.access_member(user, member.pk) == member
    else:
        with pytest.raises(NotFound):
            permissions.access_member(user, member.pk)


@pytest.mark.parametrize("role", ROLES)
def test_can_manage_member(party: Party, role: str) -> None:
    user = getattr(party, role)
    for record in RECORDS:
        expected = RECORD_CLP[record] in CLP_ACCESS[role]
        assert permissions.can_manage_member(user, getattr(party, record)) is expected, record


@pytest.mark.parametrize(("role", "clp", "allowed"), _cases(CLP_ACCESS, CLPS))
def test_can_manage_clp(party: Party, role: str, clp: str, allowed: bool) -> None:
    user = getattr(party, role)
    assert permissions.can_manage_clp(user, getattr(party, clp)) is allowed
    assert permissions.managed_clps(user).filter(slug=clp).exists() is allowed


def test_a_member_cannot_manage_even_their_own_record(party: Party) -> None:
    assert permissions.can_view_member(party.member, party.me)
    assert not permissions.can_manage_member(party.member, party.me)


def test_ended_roles_grant_nothing(party: Party) -> None:
    import datetime as dt

    Role.objects.filter(user=party.clp_secretary).update(end=dt.date(2020, 1, 1))
    user = type(party.clp_secretary).objects.get(pk=party.clp_secretary.pk)  # fresh: no cache
    assert not permissions.can_manage_clp(user, party.northtown)
    assert not permissions.visible_members(user).exists()


def test_future_roles_grant_nothing_yet(party: Party) -> None:
    import datetime as dt

    user = f.UserFactory()
    f.RoleFactory(
        user=user,
        kind=Role.Kind.CLP_SECRETARY,
        clp=party.easton,
        start=dt.date.today() + dt.timedelta(days=1),
    )
    assert not permissions.can_manage_clp(user, party.easton)


def test_anonymous_sees_nothing(party: Party) -> None:
    from django.contrib.auth.models import AnonymousUser

    anon = AnonymousUser()
    assert not permissions.visible_members(anon).exists()
    assert not permissions.managed_clps(anon).exists()
    assert not permissions.can_use_admin(anon)


@pytest.mark.parametrize("role", ROLES)
def test_import_permission(party: Party, role: str) -> None:
    user = getattr(party, role)
    assert permissions.can_import_members(user) is bool(CLP_ACCESS[role])
    for clp in CLPS:
        expected = clp in CLP_ACCESS[role]
        assert permissions.can_import_members(user, getattr(party, clp)) is expected


# --- Pages ------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "record", "allowed"), _cases(MEMBER_VISIBILITY, RECORDS))
def test_member_page(party: Party, client: Client, role: str, record: str, allowed: bool) -> None:
    client.force_login(getattr(party, role))
    member = getattr(party, record)
    response = client.get(f"/members/{member.pk}/")
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert member.membership_number in response.content.decode()


@pytest.mark.parametrize(("role", "clp", "allowed"), _cases(CLP_ACCESS, CLPS))
def test_clp_members_page(party: Party, client: Client, role: str, clp: str, allowed: bool) -> None:
    client.force_login(getattr(party, role))
    response = client.get(f"/clps/{clp}/members/")
    assert response.status_code == (200 if allowed else 404)
    # The htmx fragment answers the same way.
    fragment = client.get(f"/clps/{clp}/members/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_clp_index_lists_exactly_the_managed_clps(party: Party, client: Client, role: str) -> None:
    client.force_login(getattr(party, role))
    html = client.get("/clps/").content.decode()
    for clp in CLPS:
        assert (f'href="/clps/{clp}/members/"' in html) is (clp in CLP_ACCESS[role]), clp


@pytest.mark.parametrize("role", ROLES)
def test_navigation_offers_only_what_the_role_may_use(
    party: Party, client: Client, role: str
) -> None:
    client.force_login(getattr(party, role))
    html = client.get("/").content.decode()
    assert ('href="/clps/"' in html) is bool(CLP_ACCESS[role])
    assert ('href="/admin/"' in html) is (role == "national_admin")


def test_unknown_clp_is_404_even_for_national_admin(party: Party, client: Client) -> None:
    client.force_login(party.national_admin)
    assert client.get("/clps/nowhere/members/").status_code == 404


@pytest.mark.parametrize("path", ["/clps/", "/clps/northtown/members/", "/members/1/", "/account/"])
def test_anonymous_is_sent_to_login(db: None, client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Django admin -----------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_django_admin_is_for_national_admins_only(party: Party, client: Client, role: str) -> None:
    client.force_login(getattr(party, role))
    response = client.get("/admin/")
    if role == "national_admin":
        assert response.status_code == 200
        assert "national administration" in response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert client.get("/admin/core/user/").status_code == 302


def test_staff_flag_alone_does_not_open_the_admin(party: Party, client: Client) -> None:
    party.clp_secretary.is_staff = True
    party.clp_secretary.save(update_fields=["is_staff"])
    client.force_login(party.clp_secretary)
    assert client.get("/admin/").status_code == 302


def test_national_admin_role_without_staff_flag_does_not_open_the_admin(
    party: Party, client: Client
) -> None:
    party.national_admin.is_staff = False
    party.national_admin.save(update_fields=["is_staff"])
    client.force_login(party.national_admin)
    assert client.get("/admin/").status_code == 302
