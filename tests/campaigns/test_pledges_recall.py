"""The pledge register and the recall petition tracker, through their pages and services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from rankandfile.campaigns import queries
from rankandfile.campaigns.models import Pledge, RecallCount, RecallPetition
from rankandfile.campaigns.services import pledges, recalls
from rankandfile.core.errors import DomainError, PermissionDenied
from tests.campaigns.factories import PledgeFactory
from tests.conftest import Party


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- pledges ---------------------------------------------------------------------------------
def test_officer_records_a_pledge_shown_in_the_public_register(party: Party) -> None:
    client = login(party.clp_secretary)
    assert client.get("/campaigns/pledges/new/").status_code == 200
    response = client.post(
        "/campaigns/pledges/new/",
        {
            "constituency": party.northtown.constituency.pk,
            "name": "Pat <em>Candidate</em>",
            "role": "candidate",
            "statement": "I will resign and stand again if I ever leave the party.",
            "pledged_on": "2019-01-10",
        },
    )
    assert response.status_code == 302
    page = Client().get(f"/campaigns/pledges/?constituency={party.northtown.constituency.pk}")
    assert b"Pat &lt;em&gt;Candidate&lt;/em&gt;" in page.content and b"In force" in page.content
    assert b"10 Jan 2019" in page.content


def test_officers_of_other_constituencies_cannot_record_there(party: Party) -> None:
    with pytest.raises(PermissionDenied):
        pledges.pledge_record(
            actor=party.clp_secretary,
            constituency=party.southport.constituency,
            name="X",
            role="candidate",
            statement="S",
            pledged_on=dt.date(2019, 1, 1),
        )
    assert login(party.member).get("/campaigns/pledges/new/").status_code == 404
    response = login(party.clp_secretary).post(
        "/campaigns/pledges/new/",
        {
            "constituency": party.southport.constituency.pk,
            "name": "X",
            "role": "candidate",
            "statement": "S",
            "pledged_on": "2019-01-10",
        },
    )
    assert response.status_code == 200 and Pledge.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statement": ""}, "Enter the pledge's statement"),
        ({"statement": "s" * 2001}, "at most 2000"),
        ({"pledged_on": dt.date(2999, 1, 1)}, "future"),
        ({"role": "king"}, "candidate or sitting MP"),
    ],
)
def test_bad_pledges_are_refused(party: Party, kwargs: dict[str, Any], message: str) -> None:
    base = {
        "constituency": party.northtown.constituency,
        "name": "Pat",
        "role": "candidate",
        "statement": "I pledge.",
        "pledged_on": dt.date(2019, 1, 1),
    }
    with pytest.raises(DomainError, match=message):
        pledges.pledge_record(actor=party.clp_chair, **{**base, **kwargs})
    assert Pledge.objects.count() == 0


def test_status_when_the_signer_leaves(party: Party) -> None:
    pledge = PledgeFactory(constituency=party.northtown.constituency, mp=party.mp, role="mp")
    client = login(party.clp_chair)
    response = client.post(
        f"/campaigns/pledges/{pledge.pk}/status/",
        {
            "status": "broken",
            "left_party_on": "2019-02-18",
            "event_kind": "left_party",
            "note": "Kept the seat",
        },
    )
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == "broken" and pledge.left_party_on == dt.date(2019, 2, 18)
    page = Client().get("/campaigns/pledges/").content
    assert b"Broken: left the party and kept the seat" in page and b"left 18 Feb 2019" in page
    with pytest.raises(DomainError, match="date the signer left"):
        pledges.pledge_set_status(actor=party.clp_chair, pledge=pledge, status="kept")
    with pytest.raises(DomainError, match="before they pledged"):
        pledges.pledge_set_status(
            actor=party.clp_chair, pledge=pledge, status="kept", left_party_on=dt.date(2018, 1, 1)
        )
    assert (
        login(party.regional_officer).get(f"/campaigns/pledges/{pledge.pk}/status/").status_code
        == 404
    )


# --- recall ------------------------------------------------------------------------------------
def peterborough(party: Party, **kwargs: Any) -> RecallPetition:
    kwargs.setdefault("signing_places", ["Town Hall", "Library"])
    return recalls.recall_record(
        actor=party.national_admin,
        constituency=party.northtown.constituency,
        mp_name="Fiona Onasanya",
        ground="custodial",
        opens_on=dt.date(2019, 3, 19),
        **kwargs,
    )


def test_recall_period_defaults_to_six_weeks_and_places_are_limited(party: Party) -> None:
    petition = peterborough(party)
    assert petition.closes_on == dt.date(2019, 4, 30)
    with pytest.raises(DomainError, match="at most 10"):
        peterborough(party, signing_places=[f"Place {i}" for i in range(11)])
    with pytest.raises(DomainError, match="close after it opens"):
        peterborough(party, closes_on=dt.date(2019, 3, 1))
    assert RecallPetition.objects.count() == 1


def test_counts_and_the_threshold_against_the_register_on_the_closing_day(party: Party) -> None:
    petition = peterborough(party, closes_on=dt.date(2019, 5, 1))
    client = login(party.national_admin)
    response = client.post(
        f"/campaigns/recall/{petition.pk}/",
        {"published_on": "2019-04-01", "signatures": "6000", "electorate": ""},
    )
    assert response.status_code == 302
    status = queries.recall_status(petition, today=dt.date(2019, 4, 2))
    # No register size yet: the constituency's electorate (set by the factory) stands in.
    assert status.state == "open"
    client.post(
        f"/campaigns/recall/{petition.pk}/",
        {
            "published_on": "2019-05-02",
            "signatures": "19261",
            "electorate": "69843",
            "is_final": "on",
        },
    )
    petition.refresh_from_db()
    assert petition.electorate_at_close == 69_843
    status = queries.recall_status(petition)
    assert status.state == "succeeded" and status.assessment is not None
    page = Client().get(f"/campaigns/recall/{petition.pk}/").content.decode()
    assert "19,261 signatures of 69,843 registered electors is 27.58%" in page
    assert "at least 6,985 signatures are needed" in page
    # After the final count nothing more is entered.
    again = client.post(
        f"/campaigns/recall/{petition.pk}/", {"published_on": "2019-05-03", "signatures": "1"}
    )
    assert again.status_code == 400 and b"final count is already recorded" in again.content
    assert RecallCount.objects.count() == 2


def test_one_short_fails(party: Party) -> None:
    petition = peterborough(party)
    recalls.recall_add_count(
        actor=None,
        petition=petition,
        published_on=dt.date(2019, 5, 1),
        signatures=6_999,
        electorate=70_000,
        is_final=True,
    )
    status = queries.recall_status(petition)
    assert status.state == "failed" and "1 short" in status.assessment.explain()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"published_on": dt.date(2019, 3, 1), "signatures": 5}, "before the petition opens"),
        (
            {"published_on": dt.date(2019, 4, 1), "signatures": 5, "is_final": True},
            "on or after the closing day",
        ),
        ({"published_on": dt.date(2019, 4, 1), "signatures": -5}, "negative"),
    ],
)
def test_bad_counts_are_refused(party: Party, kwargs: dict[str, Any], message: str) -> None:
    petition = peterborough(party)
    with pytest.raises(DomainError, match=message):
        recalls.recall_add_count(actor=None, petition=petition, **kwargs)
    assert RecallCount.objects.count() == 0


def test_only_local_officers_and_admins_enter_counts(party: Party) -> None:
    petition = peterborough(party)
    url = f"/campaigns/recall/{petition.pk}/"
    data = {"published_on": "2019-04-01", "signatures": "10"}
    assert login(party.member).post(url, data).status_code == 404
    assert login(party.clp_secretary).post(url, data).status_code == 302
    assert Client().get("/campaigns/recall/").status_code == 200
    assert b"Record a recall petition" not in login(party.member).get("/campaigns/recall/").content
    assert login(party.member).get("/campaigns/recall/new/").status_code == 404


def test_recall_form(party: Party) -> None:
    client = login(party.clp_chair)
    response = client.post(
        "/campaigns/recall/new/",
        {
            "constituency": party.northtown.constituency.pk,
            "mp_name": "Ian Paisley",
            "ground": "suspension",
            "opens_on": "2018-08-08",
            "signing_places": "Ballymoney\nBallymena\nBallycastle",
        },
    )
    assert response.status_code == 302
    petition = RecallPetition.objects.get()
    assert petition.closes_on == dt.date(2018, 9, 19)
    assert petition.signing_places == ["Ballymoney", "Ballymena", "Ballycastle"]


# --- the API ----------------------------------------------------------------------------------
def test_public_api_serves_figures_not_personal_data(party: Party, client: Client) -> None:
    from tests.campaigns.factories import CampaignFactory

    campaign = CampaignFactory(clp=party.northtown, slug="api", target=100, confirmed_count=42)
    CampaignFactory(clp=party.easton, slug="hidden", state="draft")
    peterborough(party)
    PledgeFactory(constituency=party.northtown.constituency)
    listed = client.get("/api/v1/campaigns").json()
    assert [c["slug"] for c in listed] == ["api"]
    assert listed[0]["confirmed"] == 42 and listed[0]["target"] == 100
    assert client.get(f"/api/v1/campaigns/{campaign.slug}").status_code == 200
    assert client.get("/api/v1/campaigns/hidden").status_code == 404
    assert client.get("/api/v1/pledges").json()[0]["status"] == "in_force"
    recall = client.get("/api/v1/recall-petitions").json()[0]
    assert recall["closes_on"] == "2019-04-30" and recall["signatures"] is None
