"""Pages and permissions (both directions), and alert digests, on a small party."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from rankandfile.accountability import importer, services
from rankandfile.accountability.models import (
    AlertPreference,
    Division,
    Policy,
    PolicyDivision,
    Score,
)
from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import Role
from tests.accountability.conftest import division_json, member_entry, write_json
from tests.conftest import PASSWORD
from tests.membership import factories as f

pytestmark = pytest.mark.django_db


def login(client: Client, user: Any) -> Client:
    assert client.login(email=user.email, password=PASSWORD)
    return client


@pytest.fixture
def officer(party: Any) -> Any:
    user = f.UserFactory(email="policy@example.org")
    f.RoleFactory(user=user, kind=Role.Kind.POLICY_OFFICER)
    return user


@pytest.fixture
def voted(party: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any) -> Policy:
    """Northtown's MP voted No twice; Easton's MP (Labour) Aye twice. Linked: Aye supports."""
    other = f.MPFactory(name="Edna Easton", constituency=party.easton.constituency)
    teller = f.MPFactory(name="Tom Teller", constituency=party.southport.constituency)
    one = division_json(
        9101,
        date="2026-11-02",
        ayes=[member_entry(other)],
        noes=[member_entry(party.mp)],
        deferred=False,
        aye_tellers=[member_entry(teller)],
        no_tellers=[],
    )
    one["NoTellers"] = None
    one["IsDeferred"] = True
    one["AyeTellers"] = None
    two = division_json(
        9102, date="2026-11-09", ayes=[member_entry(other)], noes=[member_entry(party.mp)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_paths(actor=None, paths=[write_json(tmp_path, "d.json", [one, two])])
        policy = services.policy_create(actor=None, title="Public ownership of water")
        for division_id in (9101, 9102):
            services.link_save(
                actor=None,
                policy=policy,
                division=Division.objects.get(division_id=division_id),
                aye_supports=True,
                strength="strong",
                justification="The motion would bring water back into public ownership.",
            )
    return policy


def test_public_pages(client: Client, party: Any, voted: Policy) -> None:
    mp_url = reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    page = client.get(mp_url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "consistently voted against" in text
    assert "voted against the policy" in text and "10 of 10" in text
    policy = client.get(reverse("accountability:policy", kwargs={"slug": voted.slug}))
    assert policy.status_code == 200
    assert "The motion would bring water back into public ownership." in policy.content.decode()
    assert "Edna Easton" in policy.content.decode()
    for name in ("index", "divisions", "against"):
        assert client.get(reverse(f"accountability:{name}")).status_code == 200
    assert "Northtown" in client.get(reverse("accountability:mps"), {"q": "North"}).content.decode()
    chart = client.get(reverse("accountability:mp_chart", kwargs={"mnis_id": party.mp.mnis_id}))
    assert chart["Content-Type"] == "image/svg+xml" and b"<svg" in chart.content
    chart = client.get(reverse("accountability:policy_chart", kwargs={"slug": voted.slug}))
    assert b"<svg" in chart.content
    assert client.get(reverse("accountability:mp", kwargs={"mnis_id": 1})).status_code == 404


def test_against_the_programme_lists_only_programme_policies(
    client: Client, party: Any, voted: Policy
) -> None:
    # A free-standing policy: not on the programme list.
    assert party.mp.name not in client.get(reverse("accountability:against")).content.decode()


def test_my_mp(client: Client, party: Any) -> None:
    assert client.get(reverse("accountability:my_mp")).status_code == 302  # to login
    response = login(client, party.member).get(reverse("accountability:my_mp"))
    assert response.url == reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    response = login(Client(), party.no_roles).get(reverse("accountability:my_mp"))
    assert response.url == reverse("accountability:index")


def test_policy_and_link_maintenance_by_role(
    client: Client, party: Any, officer: Any, voted: Policy
) -> None:
    new = reverse("accountability:policy_new")
    assert login(Client(), party.member).get(new).status_code == 403
    assert login(Client(), party.clp_secretary).post(new, {"title": "X"}).status_code == 403
    assert not Policy.objects.filter(title="X").exists()
    c = login(client, officer)
    response = c.post(new, {"title": "Scrap tuition fees", "description": ""})
    policy = Policy.objects.get(title="Scrap tuition fees")
    assert response.url == reverse("accountability:policy", kwargs={"slug": policy.slug})
    save = reverse("accountability:link_save", kwargs={"slug": policy.slug})
    division = Division.objects.get(division_id=9101)
    form = {
        "division": division.pk,
        "aye_supports": "1",
        "strength": "strong",
        "justification": "too short",
    }
    response = c.post(save, form)
    assert response.status_code == 400 and "at least 20 characters" in response.content.decode()
    assert not PolicyDivision.objects.filter(policy=policy).exists()
    refused = login(Client(), party.member).post(
        save, form | {"justification": "A long enough justification for this."}
    )
    assert refused.status_code == 403
    response = c.post(save, form | {"justification": "A long enough justification for this."})
    assert response.status_code == 302
    link = PolicyDivision.objects.get(policy=policy)
    assert AuditEntry.objects.filter(
        action="accountability.link_create", object_id=str(link.pk)
    ).exists()
    remove = reverse("accountability:link_remove", kwargs={"pk": link.pk})
    assert login(Client(), party.member).post(remove, {"reason": "no"}).status_code == 403
    c.post(remove, {"reason": "Wrong division"})
    assert not PolicyDivision.objects.filter(pk=link.pk).exists()


def test_clp_view_and_reconciliation_permissions(
    client: Client, party: Any, officer: Any, voted: Policy
) -> None:
    url = reverse("accountability:clp", kwargs={"slug": "northtown"})
    assert login(Client(), party.clp_secretary).get(url).status_code == 200
    assert login(Client(), party.regional_officer).get(url).status_code == 200
    assert login(Client(), party.member).get(url).status_code == 404
    other = reverse("accountability:clp", kwargs={"slug": "southport"})
    assert login(Client(), party.clp_secretary).get(other).status_code == 404
    rec = reverse("accountability:reconciliation")
    assert login(Client(), officer).get(rec).status_code == 200
    assert login(Client(), party.national_admin).get(rec).status_code == 200
    assert login(Client(), party.member).get(rec).status_code == 404


def test_alert_preferences(client: Client, party: Any) -> None:
    url = reverse("accountability:alerts")
    c = login(client, party.member)
    assert c.get(url).status_code == 200
    c.post(url, {"enabled": "on"})
    assert AlertPreference.objects.get(member=party.me).enabled is True
    c.post(url, {})
    assert AlertPreference.objects.get(member=party.me).enabled is False
    assert login(Client(), party.no_roles).get(url).status_code == 404


def _link(policy: Policy, division_id: int, aye: bool = True) -> None:
    services.link_save(
        actor=None,
        policy=policy,
        division=Division.objects.get(division_id=division_id),
        aye_supports=aye,
        strength="weak",
        justification="This division tests the policy directly.",
    )


def test_alert_digest(party: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any) -> None:
    AlertPreference.objects.create(member=party.me, enabled=True)
    AlertPreference.objects.create(member=party.eastoner, enabled=True)  # other CLP
    d = division_json(9201, noes=[member_entry(party.mp)])
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_paths(actor=None, paths=[write_json(tmp_path, "a.json", d)])
        policy = services.policy_create(actor=None, title="Rail in public hands")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _link(policy, 9201)  # Aye supports; Northtown's MP voted No
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [party.me.email]
    assert party.mp.name in message.subject
    assert "Rail in public hands" in message.body and "voted No" in message.body
    # Changing the link does not repeat the alert.
    with django_capture_on_commit_callbacks(execute=True):
        _link(policy, 9201)
    assert len(mail.outbox) == 1


def test_no_alert_for_an_old_division_or_a_vote_with_the_policy(
    party: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    AlertPreference.objects.create(member=party.me, enabled=True)
    with (
        time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        importer.import_paths(
            actor=None,
            paths=[
                write_json(
                    tmp_path,
                    "old.json",
                    [
                        division_json(9301, noes=[member_entry(party.mp)]),
                        division_json(9302, ayes=[member_entry(party.mp)]),
                    ],
                )
            ],
        )
    with (
        time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        policy = services.policy_create(actor=None, title="Rent controls")
        _link(policy, 9301)  # imported two months ago: history, not news
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_paths(
            actor=None,
            paths=[
                write_json(tmp_path, "new.json", division_json(9303, ayes=[member_entry(party.mp)]))
            ],
        )
        _link(policy, 9303)  # voted with the policy
    assert mail.outbox == []
    assert Score.objects.filter(policy=policy, mp=party.mp).exists()


def test_mp_policy_evidence_page_and_query_count(
    client: Client, party: Any, voted: Policy, django_assert_max_num_queries: Any
) -> None:
    url = reverse(
        "accountability:mp_policy", kwargs={"mnis_id": party.mp.mnis_id, "slug": voted.slug}
    )
    text = client.get(url).content.decode()
    assert "voted against the policy" in text and "Test division 9101" in text
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "Test division 9102" in fragment
    from rankandfile.accountability import queries

    with django_assert_max_num_queries(6):
        page = queries.mp_page(party.mp)
    assert page["inline_evidence"] is True
    assert [pe.policy for pe in page["policies"]] == [voted]  # type: ignore[attr-defined]


def test_mp_page_links_to_evidence_beyond_the_inline_limit(
    client: Client, party: Any, voted: Policy, monkeypatch: Any
) -> None:
    from rankandfile.accountability import queries

    monkeypatch.setattr(queries, "INLINE_EVIDENCE_LIMIT", 1)
    text = client.get(
        reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    ).content.decode()
    assert (
        reverse(
            "accountability:mp_policy", kwargs={"mnis_id": party.mp.mnis_id, "slug": voted.slug}
        )
        in text
    )
    assert "Test division 9101" not in text


def test_api_scorecard_and_policies(client: Client, party: Any, voted: Policy) -> None:
    # Public, as the pages are (issue 15.5): no token or session needed.
    assert client.get(f"/api/v1/accountability/mps/{party.mp.mnis_id}").status_code == 200
    c = login(client, party.member)
    data = c.get(f"/api/v1/accountability/mps/{party.mp.mnis_id}").json()
    assert data["name"] == party.mp.name
    (line,) = data["scores"]
    assert (line["wording"], line["agreement"], line["divisions_counted"]) == (
        "consistently voted against",
        0.0,
        2,
    )
    assert c.get("/api/v1/accountability/mps/1").status_code == 404
    (policy,) = c.get("/api/v1/accountability/policies").json()
    assert [lk["division_id"] for lk in policy["links"]] == [9101, 9102]
    assert policy["links"][0]["supports"] == "Aye"


def test_officer_records_a_party_change(
    client: Client, party: Any, officer: Any, voted: Policy, django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    form = {
        "date": "2026-11-05",
        "kind": "lost_whip",
        "from_party": "Labour",
        "to_party": "Independent",
        "note": "whip suspended",
    }
    assert login(Client(), party.member).post(url, form).status_code == 403
    assert not party.mp.party_changes.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, officer).post(url, form)
    assert response.status_code == 302
    from rankandfile.accountability import queries

    (change,) = queries.party_changes(party.mp)
    assert (change.kind, change.note) == ("lost_whip", "whip suspended")
    # Said in words on the MP's page (issue 17.6: never "Lostwhip").
    page = client.get(url).content.decode()
    assert "Lost the whip" in page and "Lostwhip" not in page
    # The second division (9 November) was after losing the whip: it no longer counts.
    score = Score.objects.get(mp=party.mp, policy=voted)
    assert (score.strong_votes, score.points) == (1, 10)


def test_officers_find_their_clp_view(client: Client, party: Any, voted: Policy) -> None:
    index = reverse("accountability:index")
    clp_url = reverse("accountability:clp", kwargs={"slug": "northtown"})
    assert clp_url in login(Client(), party.clp_secretary).get(index).content.decode()
    assert clp_url not in login(Client(), party.member).get(index).content.decode()
    mp_url = reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    assert clp_url in login(Client(), party.clp_chair).get(mp_url).content.decode()
    assert clp_url not in client.get(mp_url).content.decode()
    page = login(Client(), party.clp_secretary).get(clp_url).content.decode()
    assert "consistently voted against" in page and "Public ownership of water" in page


def test_import_page(client: Client, party: Any, officer: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("accountability:import")
    good = json_upload = division_json(9501, ayes=[member_entry(party.mp)])
    import json

    def upload(data: Any, name: str = "d.json") -> Any:
        return SimpleUploadedFile(name, json.dumps(data).encode(), "application/json")

    assert login(Client(), party.member).get(url).status_code == 403
    assert login(Client(), party.member).post(url, {"uploads": [upload(good)]}).status_code == 403
    assert not Division.objects.exists()
    c = login(client, officer)
    bad = division_json(9502, ayes=[member_entry(party.mp)], AyeCount=3)
    response = c.post(url, {"uploads": [upload(good), upload(bad, "bad.json")]})
    assert response.status_code == 400
    assert "bad.json: 1 Aye rows but the published Aye count is 3" in response.content.decode()
    assert not Division.objects.exists()  # the good file was not imported either
    response = c.post(url, {"uploads": [upload(json_upload)]})
    assert response.status_code == 200 and "1 new division(s)" in response.content.decode()
    assert Division.objects.filter(division_id=9501).exists()


def test_import_page_lists_offices_printed_as_parties(
    client: Client, party: Any, officer: Any
) -> None:
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    data = division_json(9601, ayes=[member_entry(party.mp, party="Deputy Speaker")])
    upload = SimpleUploadedFile("d.json", json.dumps(data).encode(), "application/json")
    response = login(client, officer).post(reverse("accountability:import"), {"uploads": [upload]})
    text = response.content.decode()
    assert response.status_code == 200
    assert "1 office-holder printed with an office for a party" in text
    assert f"{party.mp.name}: printed &#x27;Deputy Speaker&#x27; in 1 vote(s)" in text
