"""The elections pages members read, in Welsh when chosen (issue 17.7): who is nominated
and by whom, and a candidate's statement. English stays the default."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.test import Client

from rankandfile.elections import services
from tests.conftest import Party
from tests.elections.factories import mp_logins, open_contest

pytestmark = pytest.mark.django_db


def test_an_election_and_a_candidate_in_welsh(party: Party) -> None:
    mp_logins(3)
    contest = open_contest(party.national_admin)
    alice = services.candidate_add(actor=party.national_admin, contest=contest, name="Alice A")
    client = Client()
    client.force_login(party.member)
    url = f"/elections/{contest.pk}/"
    english = html.unescape(client.get(url).content.decode())
    assert "Candidates and nominations" in english and "No nominations yet." not in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    page = html.unescape(client.get(url).content.decode())
    assert "Ymgeiswyr ac enwebiadau" in page and "Etholiadau" in page
    assert "Candidates and nominations" not in page
    candidate = html.unescape(
        client.get(f"/elections/{contest.pk}/candidates/{alice.pk}/").content.decode()
    )
    assert "Enwebwyd gan" in candidate and "Dim datganiad eto." in candidate
    assert "Dim enwebiadau eto." in candidate
