"""The members' voting journey in Welsh beyond the paper itself (issue 17.7,
docs/decisions/0027-welsh.md): My ballots, already voted, not open, a used link, the
result page, the invitation and reminder emails, and the elections page members read.
English stays the default: each Welsh check is paired with the English one."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from rankandfile.ballots import casting, invitations, services
from rankandfile.ballots.models import Ballot, Elector
from tests.ballots.test_views import cast, counted, make_ballot, prefs, vote_url
from tests.conftest import Party

pytestmark = pytest.mark.django_db


def welsh(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    return client


def text(client: Client, url: str) -> str:
    return html.unescape(client.get(url).content.decode())


def test_my_ballots_and_already_voted_in_welsh(party: Party, client: Client) -> None:
    ballot = make_ballot(party)
    client.force_login(party.member)
    assert "Open for me to vote" in text(client, "/ballots/")
    welsh(client)
    page = text(client, "/ballots/")
    assert "Ar agor i mi bleidleisio" in page and "heb bleidleisio eto" in page
    assert "Open for me to vote" not in page
    client.post(vote_url(ballot), {"action": "cast", **prefs(Ada=1)})
    assert "rydych wedi pleidleisio" in text(client, "/ballots/")
    again = text(client, vote_url(ballot))
    assert "Rydych chi eisoes wedi pleidleisio" in again
    assert "Mae pob aelod yn pleidleisio unwaith" in again


def test_a_second_submission_is_refused_in_the_readers_language(
    party: Party, client: Client
) -> None:
    """The refusal comes from the casting use case (English for the API and the lean
    path); the page words it in Welsh."""
    ballot = make_ballot(party)
    client.force_login(party.member)
    welsh(client)
    client.get(vote_url(ballot))
    cast(ballot, party.me, [0])  # voted elsewhere meanwhile
    elector = Elector.objects.get(ballot=ballot, member=party.me)
    with pytest.raises(services.AlreadyVoted) as refused:
        services.ballot_cast(ballot=ballot, elector=elector, choice=[1])
    assert str(refused.value) == casting.ALREADY_VOTED_MESSAGE  # English, as the API says
    with translation.override("cy"):
        assert translation.gettext(str(refused.value)).startswith("mae eich pleidlais")


def test_a_wrong_paper_is_refused_in_welsh() -> None:
    refusal = casting.InvalidChoice("mark at most %(seats)s candidates", seats=2)
    assert str(refusal) == "mark at most 2 candidates"
    with translation.override("cy"):
        assert translation.gettext(refusal.template) % refusal.params == (
            "marciwch 2 ymgeisydd ar y mwyaf"
        )


def test_not_open_and_used_link_in_welsh(party: Party, client: Client) -> None:
    ballot = make_ballot(party)
    Ballot.objects.filter(pk=ballot.pk).update(opens_at=timezone.now() + dt.timedelta(hours=1))
    client.force_login(party.member)
    assert "Voting has not started yet" in text(client, vote_url(ballot))
    welsh(client)
    assert "Nid yw'r pleidleisio wedi dechrau eto" in text(client, vote_url(ballot))
    client.logout()  # which forgets the cookies too
    welsh(client)
    used = text(client, "/ballots/vote/not-a-real-link/")
    assert "Mae'r ddolen bleidleisio hon eisoes wedi'i defnyddio" in used


def test_the_result_page_in_welsh(party: Party, client: Client) -> None:
    ballot, code = counted(party, declared=True)
    client.force_login(party.member)
    url = f"/ballots/{ballot.pk}/result/"
    english = text(client, url)
    assert "Elected: Ada Adams." in english and "Stage 1: First preferences" in english
    welsh(client)
    page = text(client, url)
    assert "Etholwyd: Ada Adams." in page
    assert "Cam 1: Dewisiadau cyntaf" in page
    assert "pleidleisiodd 3 o 3 aelod" in page
    assert "Datganiad y canlyniad" in page and "Y papurau a gyhoeddwyd" in page
    checked = text(client, f"{url}?code={code}")
    assert "ymhlith y papurau a gyhoeddwyd" in checked
    assert "Elected:" not in page


def test_the_invitation_and_reminder_in_welsh(party: Party) -> None:
    ballot = make_ballot(party)
    elector = Elector.objects.select_related("member").get(ballot=ballot, member=party.me)
    with translation.override("en-gb"):
        subject, body = invitations.render_email("invitation", ballot, elector, "https://x/v/1")
    assert subject == "Your ballot paper: CLP chair" and "personal and single-use" in body
    with translation.override("cy"):
        subject, body = invitations.render_email("invitation", ballot, elector, "https://x/v/1")
        assert subject == "Eich papur pleidleisio: CLP chair"
        assert body.startswith(f"Annwyl {party.me.first_name},")
        assert "Rydych chi ar restr etholwyr y bleidlais hon" in body
        assert "Personal" not in body and "https://x/v/1" in body
        subject, body = invitations.render_email("reminder", ballot, elector, "https://x/v/2")
        assert subject == "Nodyn atgoffa: pleidleisiwch yn CLP chair"
        assert "Nid ydych wedi pleidleisio yn y bleidlais hon eto" in body


def test_the_elections_index_in_welsh(party: Party, client: Client) -> None:
    client.force_login(party.member)
    assert "Internal elections" in text(client, "/elections/")
    welsh(client)
    page = text(client, "/elections/")
    assert "Etholiadau mewnol" in page and "Internal elections" not in page
