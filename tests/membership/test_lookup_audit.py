"""Officers' lookups of member records on the pages are scoped and audited (issue 12,
point 2): both ways for each — in scope the data and an audit entry; out of scope a 404
(or the same answer as an unknown number) with no personal data."""

from __future__ import annotations

import pytest
from django.test import Client

from rankandfile.core.models import AuditEntry
from tests.conftest import Party


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


# --- One member's record ------------------------------------------------------------------
@pytest.mark.parametrize("who", ["branch_officer", "clp_secretary", "regional_officer"])
def test_officer_viewing_a_record_is_audited(party: Party, client: Client, who: str) -> None:
    client.force_login(getattr(party, who))
    response = client.get(f"/members/{party.branchmate.pk}/")
    assert response.status_code == 200
    assert "Branchmate" in response.content.decode()
    [entry] = entries("membership.member.view")
    assert entry.actor == getattr(party, who)
    assert entry.object_id == str(party.branchmate.pk)
    assert entry.object_label == "RF000003"


@pytest.mark.parametrize("who", ["branch_officer", "clp_secretary", "regional_officer"])
def test_record_outside_the_scope_is_404_and_not_audited(
    party: Party, client: Client, who: str
) -> None:
    client.force_login(getattr(party, who))
    response = client.get(f"/members/{party.southerner.pk}/")
    assert response.status_code == 404
    assert "Southerner" not in response.content.decode()
    unknown = client.get("/members/999999/")
    assert unknown.status_code == 404
    assert not entries("membership.member.view")


def test_own_record_is_not_an_officers_lookup(party: Party, client: Client) -> None:
    client.force_login(party.member)
    assert client.get(f"/members/{party.me.pk}/").status_code == 200
    assert client.get(f"/members/{party.neighbour.pk}/").status_code == 404
    assert not entries("membership.member.view")


# --- A CLP's members: page, htmx fragment --------------------------------------------------
@pytest.mark.parametrize("htmx", [False, True])
def test_searching_a_clp_roll_is_scoped_and_audited(
    party: Party, client: Client, htmx: bool
) -> None:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    client.force_login(party.clp_secretary)
    mine = client.get("/clps/northtown/members/", {"q": "nell"}, **headers)
    assert mine.status_code == 200
    assert "Neighbour" in mine.content.decode()
    [entry] = entries("membership.clp_members.view")
    assert entry.actor == party.clp_secretary
    assert entry.data == {"q": "nell", "branch": None, "status": "", "page": 1}
    # Another CLP's roll, searched by name or by number: 404, nothing shown, no entry.
    for q in ("sam", "RF000009"):
        theirs = client.get("/clps/southport/members/", {"q": q}, **headers)
        assert theirs.status_code == 404
        assert "Southerner" not in theirs.content.decode()
    # The search never reaches outside the CLP: Sam's number finds nobody in Northtown.
    other = client.get("/clps/northtown/members/", {"q": "RF000009"}, **headers)
    assert "Southerner" not in other.content.decode()
    assert len(entries("membership.clp_members.view")) == 2


def test_members_and_branch_officers_have_no_roll(party: Party, client: Client) -> None:
    for who in ("member", "branch_officer", "scrutineer", "affiliate_officer"):
        client.force_login(getattr(party, who))
        assert client.get("/clps/northtown/members/", {"q": "nell"}).status_code == 404
    assert not entries("membership.clp_members.view")
