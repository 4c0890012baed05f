"""Officers record changes to a member's history on the member's page, through the
membership services and the one history rule (docs/rules/membership.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import Member, Period
from tests.conftest import Party

D = dt.date


def url(member: Member) -> str:
    return f"/members/{member.pk}/history/"


def history(member: Member) -> list[tuple[str, dt.date, dt.date | None, str]]:
    return [
        (p.kind, p.start, p.end, p.end_reason)
        for p in Period.objects.filter(member=member).order_by("start", "kind")
    ]


@pytest.fixture
def secretary(party: Party, client: Client) -> Client:
    client.force_login(party.clp_secretary)
    return client


def test_the_form_is_on_the_page_for_managers_only(party: Party, client: Client) -> None:
    client.force_login(party.clp_secretary)
    assert "Record a change to this history" in client.get(f"/members/{party.me.pk}/").text
    client.force_login(party.branch_officer)  # may see the member, not change the record
    assert "Record a change to this history" not in client.get(f"/members/{party.me.pk}/").text
    client.force_login(party.member)
    assert "Record a change to this history" not in client.get(f"/members/{party.me.pk}/").text


def test_an_officer_records_a_lapse_and_a_rejoin(party: Party, secretary: Client) -> None:
    response = secretary.post(
        url(party.me), {"change": "lapse", "on": "2024-05-01", "reason": "resigned"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/members/{party.me.pk}/#history"
    assert history(party.me) == [("membership", D(2015, 3, 1), D(2024, 5, 1), "resigned")]
    page = secretary.get(response["Location"]).text
    assert "Recorded: Membership ended" in page
    # A rejoin on the lapse day continues the membership (M4).
    secretary.post(url(party.me), {"change": "rejoin", "on": "2024-05-01"})
    assert history(party.me) == [("membership", D(2015, 3, 1), None, "")]
    writes = AuditEntry.objects.filter(action__startswith="member.").order_by("id")
    assert list(writes.values_list("action", flat=True)) == ["member.lapse", "member.rejoin"]


def test_a_suspension_needs_grounds_and_is_recorded(party: Party, secretary: Client) -> None:
    response = secretary.post(url(party.me), {"change": "suspend", "on": "2024-06-01"})
    assert response.status_code == 400
    assert "give the grounds" in response.text
    assert history(party.me) == [("membership", D(2015, 3, 1), None, "")]
    secretary.post(
        url(party.me),
        {"change": "suspend", "on": "2024-06-01", "until": "2024-09-01", "note": "NEC ref 12"},
    )
    assert ("suspension", D(2024, 6, 1), D(2024, 9, 1), "") in history(party.me)


def test_a_change_the_rule_refuses_is_shown_and_changes_nothing(
    party: Party, secretary: Client
) -> None:
    writes = AuditEntry.objects.filter(action__startswith="member.")
    response = secretary.post(url(party.me), {"change": "join", "on": "2020-01-01"})
    assert response.status_code == 400
    assert "already has a membership history" in response.text
    response = secretary.post(url(party.me), {"change": "arrears_start", "on": "2010-01-01"})
    assert response.status_code == 400
    assert "is not a member on 1 January 2010" in response.text
    assert history(party.me) == [("membership", D(2015, 3, 1), None, "")]
    assert not writes.exists()  # the page's read is audited; no change was written


def test_only_a_national_admin_may_expel(party: Party, client: Client) -> None:
    client.force_login(party.clp_secretary)
    response = client.post(url(party.me), {"change": "expel", "on": "2024-01-01", "note": "x"})
    assert response.status_code == 400
    assert "only a national admin may record an expulsion" in response.text
    client.force_login(party.national_admin)
    response = client.post(url(party.me), {"change": "expel", "on": "2024-01-01", "note": "x"})
    assert response.status_code == 302
    assert history(party.me) == [("membership", D(2015, 3, 1), D(2024, 1, 1), "expelled")]


def test_who_may_not_change_a_record(party: Party, client: Client) -> None:
    data = {"change": "lapse", "on": "2024-05-01", "reason": "lapsed"}
    client.force_login(party.member)  # sees their own record: may not change it
    assert client.post(url(party.me), data).status_code == 403
    client.force_login(party.branch_officer)
    assert client.post(url(party.me), data).status_code == 403
    client.force_login(party.clp_secretary)  # another CLP's member: not visible at all
    assert client.post(url(party.southerner), data).status_code == 404
    assert client.post("/members/999999/history/", data).status_code == 404
    assert history(party.me) == [("membership", D(2015, 3, 1), None, "")]
    assert client.get(url(party.me)).status_code == 405
