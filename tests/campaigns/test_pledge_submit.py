"""A candidate or sitting MP makes their own pledge: it stays out of the public register
(pages, campaign page, API) until an officer of the constituency party or a national
admin verifies it; officers of other parties cannot."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from rankandfile.campaigns import queries
from rankandfile.campaigns.models import Pledge
from rankandfile.campaigns.services import pledges
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from tests.conftest import Party

STATEMENT = "If I ever leave the party I will resign and stand again in a by-election."


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submit(client: Client, party: Party, **overrides: Any) -> Any:
    data = {
        "constituency": party.northtown.constituency.pk,
        "role": "candidate",
        "name": "",
        "statement": STATEMENT,
        **overrides,
    }
    return client.post("/campaigns/pledges/submit/", data)


def public_register(party: Party) -> bytes:
    return (
        Client().get(f"/campaigns/pledges/?constituency={party.northtown.constituency.pk}").content
    )


def test_a_member_s_pledge_waits_for_verification(party: Party) -> None:
    client = login(party.member)
    assert client.get("/campaigns/pledges/submit/").status_code == 200
    response = submit(client, party)
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert not pledge.verified and pledge.submitted_by == party.member
    assert pledge.name == f"{party.me.first_name} {party.me.last_name}"
    assert STATEMENT.encode() not in public_register(party)
    assert not queries.pledge_register().exists()
    api = Client().get("/api/v1/pledges")
    assert api.status_code == 200 and api.json() == []
    # The signer sees that it is waiting.
    assert b"Waiting to be verified" in client.get("/campaigns/pledges/").content
    assert AuditEntry.objects.filter(action="campaigns.pledge.submit").exists()


def test_an_officer_of_the_clp_verifies_and_it_appears(party: Party) -> None:
    submit(login(party.member), party, name="Pat Candidate")
    pledge = Pledge.objects.get()
    officer = login(party.clp_secretary)
    page = officer.get("/campaigns/pledges/").content
    assert b"Pledges to verify" in page and b"Pat Candidate" in page
    response = officer.post(f"/campaigns/pledges/{pledge.pk}/verify/", {"decision": "accept"})
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.verified and pledge.verified_by == party.clp_secretary
    assert pledge.verified_at is not None
    assert STATEMENT.encode() in public_register(party) and b"Pat Candidate" in public_register(
        party
    )
    assert [p["name"] for p in Client().get("/api/v1/pledges").json()] == ["Pat Candidate"]


def test_a_national_admin_may_verify(party: Party) -> None:
    submit(login(party.member), party)
    pledge = Pledge.objects.get()
    pledges.pledge_verify(actor=party.national_admin, pledge=pledge, accept=True)
    assert queries.pledge_register().count() == 1
    with pytest.raises(DomainError, match="already in the register"):
        pledges.pledge_verify(actor=party.national_admin, pledge=pledge, accept=True)


def test_officers_of_another_party_and_members_cannot_verify(party: Party) -> None:
    submit(login(party.member), party)
    pledge = Pledge.objects.get()
    for user in (party.regional_officer, party.member, party.no_roles):
        response = login(user).post(
            f"/campaigns/pledges/{pledge.pk}/verify/", {"decision": "accept"}
        )
        assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        pledges.pledge_verify(actor=party.member, pledge=pledge, accept=True)
    pledge.refresh_from_db()
    assert not pledge.verified


def test_a_rejected_pledge_is_deleted(party: Party) -> None:
    submit(login(party.member), party)
    pledge = Pledge.objects.get()
    login(party.clp_secretary).post(
        f"/campaigns/pledges/{pledge.pk}/verify/", {"decision": "reject"}
    )
    assert not Pledge.objects.exists()
    assert AuditEntry.objects.filter(action="campaigns.pledge.reject").exists()


def test_a_verdict_other_than_verify_or_reject_changes_nothing(party: Party) -> None:
    """The verdict is a form: a missing or unknown decision is an error, not a rejection."""
    submit(login(party.member), party)
    pledge = Pledge.objects.get()
    officer = login(party.clp_secretary)
    for data in ({}, {"decision": "maybe"}):
        response = officer.post(f"/campaigns/pledges/{pledge.pk}/verify/", data, follow=True)
        assert b"Choose Verify or Reject." in response.content
    pledge.refresh_from_db()
    assert not pledge.verified
    assert (
        not AuditEntry.objects.filter(action__startswith="campaigns.pledge.")
        .exclude(action="campaigns.pledge.submit")
        .exists()
    )


@pytest.mark.parametrize("value", ["abc", "999999", "-1", ""])
def test_an_unknown_constituency_filter_shows_every_pledge(party: Party, value: str) -> None:
    submit(login(party.member), party, name="Pat Candidate")
    pledge = Pledge.objects.get()
    pledges.pledge_verify(actor=party.clp_secretary, pledge=pledge, accept=True)
    page = Client().get("/campaigns/pledges/", {"constituency": value})
    assert page.status_code == 200 and b"Pat Candidate" in page.content


def test_one_pending_pledge_per_constituency_and_only_members(party: Party) -> None:
    client = login(party.member)
    submit(client, party)
    again = submit(client, party)
    assert again.status_code == 200 and b"already waiting to be verified" in again.content
    assert Pledge.objects.count() == 1
    refused = submit(login(party.no_roles), party)
    assert refused.status_code == 200 and b"Only party members" in refused.content
    assert Pledge.objects.count() == 1
    assert Client().get("/campaigns/pledges/submit/").status_code == 302  # to the login


def test_an_mp_s_pledge_is_linked_to_the_constituency_s_mp(party: Party) -> None:
    submit(login(party.member), party, role="mp")
    pledge = Pledge.objects.get()
    assert pledge.role == Pledge.Role.MP and pledge.mp == party.mp


def test_an_empty_statement_is_refused(party: Party) -> None:
    response = submit(login(party.member), party, statement="   ")
    assert response.status_code == 200
    assert not Pledge.objects.exists()


def test_officers_entries_are_public_at_once(party: Party) -> None:
    import datetime as dt

    pledges.pledge_record(
        actor=party.clp_secretary,
        constituency=party.northtown.constituency,
        name="Sam Sitting",
        role="mp",
        statement=STATEMENT,
        pledged_on=dt.date(2019, 1, 1),
    )
    assert queries.pledge_register().count() == 1
