"""The audit log head is published on each ballot's declaration and scrutiny pages."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import Client

from rankandfile.ballots import tally
from rankandfile.ballots.models import Ballot
from rankandfile.core.models import AuditEntry, AuditHead
from tests.ballots.test_views import ballot, close_now, counted, login, make_ballot, member
from tests.conftest import Party

__all__ = ["ballot", "member"]  # fixtures used by name


def test_declaration_prints_the_declaration_entry_of_the_audit_log(
    party: Party, client: Client
) -> None:
    ballot, _ = counted(party, declared=False)
    counted_entry = AuditEntry.objects.get(action="ballots.ballot.count", object_id=str(ballot.pk))
    member = login(client, party.clp_secretary)  # the provisional result: the returning officer
    html = member.get(f"/ballots/{ballot.pk}/result/").content.decode()
    assert f"{counted_entry.seq}:{counted_entry.digest}" in html
    assert "(the count)" in html

    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    declared = AuditEntry.objects.get(action="ballots.ballot.declare", object_id=str(ballot.pk))
    html = member.get(f"/ballots/{ballot.pk}/result/").content.decode()
    assert f"{declared.seq}:{declared.digest}" in html
    assert "(this declaration)" in html
    assert f"{counted_entry.seq}:{counted_entry.digest}" not in html


def test_declaration_pdf_carries_the_same_entry(party: Party) -> None:
    from rankandfile.ballots.views import _result_context

    ballot, _ = counted(party, declared=True)
    declared = AuditEntry.objects.get(action="ballots.ballot.declare", object_id=str(ballot.pk))
    html = render_to_string("ballots/declaration_pdf.html", _result_context(ballot))
    assert f"{declared.seq}:{declared.digest}" in html


def test_scrutiny_page_shows_the_current_head(ballot: Ballot, party: Party, client: Client) -> None:
    login(client, party.scrutineer)
    html = client.get(f"/ballots/{ballot.pk}/scrutiny/").content.decode()
    head = AuditHead.objects.get()
    assert f'id="audit-head">{head.seq}:{head.digest}<' in html
    ballot = close_now(ballot)
    html = client.get(f"/ballots/{ballot.pk}/scrutiny/").content.decode()
    counted_entry = AuditEntry.objects.get(action="ballots.ballot.count", object_id=str(ballot.pk))
    assert f"{counted_entry.seq}:{counted_entry.digest}" in html


def test_members_do_not_see_the_scrutiny_head(party: Party, member: Client) -> None:
    ballot = make_ballot(party)
    assert member.get(f"/ballots/{ballot.pk}/scrutiny/").status_code == 404
