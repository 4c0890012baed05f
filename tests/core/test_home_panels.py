"""The cards other apps add to the member's home page (rankandfile.home.PANELS)."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from rankandfile.accountability.models import Policy, Score
from rankandfile.conference.models import Conference
from tests.campaigns.factories import CampaignFactory
from tests.conftest import Party
from tests.membership import factories as f
from tests.selections.conftest import northtown_selection


def _home(client: Client, party: Party) -> str:
    client.force_login(party.member)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_no_cards_without_data(party: Party, client: Client) -> None:
    html = _home(client, party)
    for heading in ("Our parliamentary selection", "Campaign in", "Annual Conference"):
        assert heading not in html
    # The MP card is there as soon as the member has an MP, with a link to the record.
    assert "How Ada Lovelace votes" in html
    assert "No votes scored against the programme yet." in html


def test_conference_card_links_agenda_and_programme(party: Party, client: Client) -> None:
    today = timezone.localdate()
    Conference.objects.create(
        year=today.year,
        title=f"Annual Conference {today.year}",
        starts_on=today,
        ends_on=today + dt.timedelta(days=3),
    )
    html = _home(client, party)
    assert f"Annual Conference {today.year}" in html
    assert f'href="/conference/{today.year}/"' in html
    assert 'href="/conference/programme/"' in html
    assert "Vote now" not in html  # no delegate card


def _score(party: Party, title: str, slug: str, agreement: float, wording: str) -> None:
    policy = Policy.objects.create(title=title, slug=slug)
    Score.objects.create(
        mp=party.mp,
        policy=policy,
        points=0.0,
        possible=10.0,
        distance=1 - agreement,
        wording=wording,
        strong_votes=2,
        absences=0,
        pw_distance=None,
        pw_wording="",
        computed_at=timezone.now(),
    )


def test_my_mp_card_lists_stored_scores_weakest_first(party: Party, client: Client) -> None:
    _score(party, "A public vote on any deal", "public-vote", 0.1, "consistently voted against")
    _score(party, "A customs union", "customs-union", 0.9, "almost always voted for")
    html = _home(client, party)
    assert "How Ada Lovelace votes" in html
    assert html.index("A public vote on any deal") < html.index("A customs union")
    assert "consistently voted against" in html
    assert f'href="/accountability/mps/{party.mp.mnis_id}/"' in html


def test_my_mp_card_for_a_member_of_another_clp_shows_their_own_mp(
    party: Party, client: Client
) -> None:
    _score(party, "A customs union", "customs-union", 0.9, "almost always voted for")
    party.me.clp = party.southport
    party.me.save()
    assert "How Ada Lovelace votes" not in _home(client, party)


def test_selection_card_shows_own_clp_selection_only(party: Party, client: Client) -> None:
    selection = northtown_selection(party)
    html = _home(client, party)
    assert "Our parliamentary selection" in html
    assert f'href="/selections/{selection.pk}/"' in html
    party.me.clp = party.southport
    party.me.save()
    assert "Our parliamentary selection" not in _home(client, party)


def test_campaign_card_shows_public_campaign_in_my_constituency(
    party: Party, client: Client
) -> None:
    live = CampaignFactory(clp=party.northtown, slug="northtown-by-election", target=500)
    CampaignFactory(clp=f.CLPFactory(), slug="elsewhere")
    html = _home(client, party)
    assert f"Campaign in {party.northtown.constituency.name}" in html
    assert 'href="/campaigns/northtown-by-election/"' in html
    assert "of a target of 500" in html
    assert 'href="/campaigns/elsewhere/"' not in html
    live.state = live.State.DRAFT
    live.save()
    assert "Campaign in" not in _home(client, party)
