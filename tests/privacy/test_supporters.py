"""Personal data of an election's supporters (issue 18; decision 0025): exported and
erased as members' are — the registration, the electorates and that they voted (never
how); erasure keeps the row and the vote record, clears the name and address, disables
a login that serves nothing else; refused while the ballot is undeclared."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from rankandfile.ballots import services as ballot_services
from rankandfile.ballots.models import Elector, VoteRecord
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry, User
from rankandfile.elections import services as election_services
from rankandfile.elections.models import Contest, Supporter
from rankandfile.privacy import services
from tests.conftest import Party, issue_token
from tests.elections.factories import close_all
from tests.elections.test_supporters import _contest as nominated_contest

pytestmark = pytest.mark.django_db


def _voted_supporter(party: Party) -> tuple[Contest, Supporter]:
    """An affiliated supporter on a leadership ballot, who has voted; ballot open."""
    contest = nominated_contest(party)
    supporter = election_services.supporter_register(
        actor=party.national_admin, contest=contest, kind="affiliated", name="Sam Supporter",
        email="sam@example.net", affiliate=party.affiliate,
    )  # fmt: skip
    contest = election_services.contest_ballot_open(
        actor=party.national_admin,
        contest=close_all(contest),
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    elector = Elector.objects.get(supporter_id=supporter.pk)
    ballot_services.ballot_cast(ballot=contest.ballot, elector=elector, choice=[1, 0])
    return contest, supporter


def test_export_holds_the_registration_and_that_they_voted_never_how(party: Party) -> None:
    _contest, supporter = _voted_supporter(party)
    data = services.supporter_data_export(actor=party.national_admin, supporter=supporter)
    assert data["supporter"]["name"] == "Sam Supporter"
    assert data["supporter"]["affiliate"] == str(party.affiliate)
    assert data["electorates"][0]["section"] == "affiliated"
    assert data["electorates"][0]["voted"] is True
    assert data["login"]["email"] == "sam@example.net"
    text = json.dumps(data)
    assert "choice" not in text and "tracking" not in text
    entry = AuditEntry.objects.get(action="privacy.supporter.export")
    assert entry.data == {"format": "json", "request": "subject_access"}
    # The supporter themself; nobody else but national admins.
    assert supporter.user is not None
    own = services.supporter_data_export(actor=supporter.user, supporter=supporter)
    assert own["supporter"]["email"] == "sam@example.net"
    with pytest.raises(PermissionDenied):
        services.supporter_data_export(actor=party.clp_secretary, supporter=supporter)
    client = Client()
    client.force_login(party.member)
    assert client.get(f"/api/v1/supporters/{supporter.pk}/personal-data").status_code == 404
    client.force_login(party.national_admin)
    got = client.get(f"/api/v1/supporters/{supporter.pk}/personal-data")
    assert got.status_code == 200 and got.json()["supporter"]["kind"] == "affiliated"


def test_erasure_waits_for_the_declaration_then_anonymises(party: Party) -> None:
    contest, supporter = _voted_supporter(party)
    assert supporter.user is not None
    token = issue_token(supporter.user)
    with pytest.raises(DomainError, match="not declared yet"):
        services.supporter_erase(actor=party.national_admin, supporter=supporter, reason="SAR-1")
    with pytest.raises(PermissionDenied):
        services.supporter_erase(actor=party.clp_secretary, supporter=supporter, reason="SAR-1")
    ballot = contest.ballot
    assert ballot is not None
    type(ballot).objects.filter(pk=ballot.pk).update(state="declared")
    client = Client()
    client.force_login(party.national_admin)
    response = client.post(
        f"/api/v1/supporters/{supporter.pk}/erase",
        {"reason": "SAR-1"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["counts"] == {"login": 1}
    supporter.refresh_from_db()
    assert supporter.erased_at is not None and supporter.user is None
    assert supporter.name == "Erased supporter" and "sam@" not in supporter.email
    login = User.objects.get(email__startswith="erased-login-")
    assert not login.is_active and not login.has_usable_password()
    assert not login.api_tokens.exists() and token
    # The electorate and the vote record stay (that they voted — never how).
    assert Elector.objects.filter(supporter_id=supporter.pk).exists()
    assert VoteRecord.objects.filter(supporter_id=supporter.pk).exists()
    assert AuditEntry.objects.get(action="privacy.supporter.erase").data["reason"] == "SAR-1"
    with pytest.raises(DomainError, match="already erased"):
        services.supporter_erase(actor=party.national_admin, supporter=supporter, reason="again")
