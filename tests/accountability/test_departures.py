"""MPs who leave the party (issue 15.3): both scores stored and shown, the record since
leaving on a by-election campaign's page, and "start a by-election campaign" for the
officers who may (both ways)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rankandfile.accountability import importer, queries, services
from rankandfile.accountability.models import Division, Policy, Score
from rankandfile.conference.models import Conference, ProgrammeEntry, ProgrammeVersion
from rankandfile.membership.models import Role
from tests.accountability.conftest import division_json, member_entry, write_json
from tests.conftest import PASSWORD
from tests.membership import factories as f

pytestmark = pytest.mark.django_db

LEFT_ON = dt.date(2026, 10, 1)


def login(client: Client, user: Any) -> Client:
    assert client.login(email=user.email, password=PASSWORD)
    return client


def programme_entry() -> ProgrammeEntry:
    conference = Conference.objects.create(
        year=2026,
        title="Conference 2026",
        starts_on=dt.date(2026, 9, 20),
        ends_on=dt.date(2026, 9, 23),
    )
    version = ProgrammeVersion.objects.create(
        number=1, conference=conference, published_on=dt.date(2026, 9, 24)
    )
    return ProgrammeEntry.objects.create(
        reference="2026/01",
        title="Public ownership of water",
        topic="Utilities",
        text="Water returns to public ownership.",
        conference=conference,
        added_in=version,
    )


@pytest.fixture
def left(party: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any) -> Policy:
    """Ada Lovelace (Northtown) votes with the policy twice as Labour, then leaves on
    1 October and votes against it twice as an Independent. Aye supports the policy."""
    mp = party.mp
    other = f.MPFactory(name="Edna Easton", constituency=party.easton.constituency)
    divisions = [
        division_json(9201, date="2026-09-01", ayes=[member_entry(mp), member_entry(other)]),
        division_json(9202, date="2026-09-08", ayes=[member_entry(mp), member_entry(other)]),
        division_json(
            9203,
            date="2026-10-06",
            ayes=[member_entry(other)],
            noes=[member_entry(mp, party="Independent")],
        ),
        division_json(
            9204,
            date="2026-10-13",
            ayes=[member_entry(other)],
            noes=[member_entry(mp, party="Independent")],
        ),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_paths(actor=None, paths=[write_json(tmp_path, "d.json", divisions)])
        policy = services.policy_create(actor=None, programme_entry=programme_entry())
        for division_id in (9201, 9202, 9203, 9204):
            services.link_save(
                actor=None,
                policy=policy,
                division=Division.objects.get(division_id=division_id),
                aye_supports=True,
                strength="strong",
                justification="The motion would bring water back into public ownership.",
            )
    return policy


def test_both_scores_are_stored(party: Any, left: Policy) -> None:
    # The importer read the departure from the printed party (I7) ...
    change = queries.departure_from_party(party.mp)
    assert change is not None and change.date == dt.date(2026, 10, 6)
    s = Score.objects.get(mp=party.mp, policy=left)
    # ... so while a member (A7): Aye, Aye with the policy → consistently for.
    assert (s.points, s.possible, s.strong_votes, s.wording) == (0, 20, 2, "consistently voted for")
    # Over all four votes in the parliament (A8): 20 of 40 → distance 0.5, "voted a mixture".
    assert (s.all_distance, s.all_strong_votes, s.all_absences) == (0.5, 4, 0)
    assert s.all_wording == "voted a mixture of for and against" and s.all_differs


def test_mp_page_labels_both_scores(client: Client, party: Any, left: Policy) -> None:
    url = reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    text = " ".join(client.get(url).content.decode().split())
    assert "6 October 2026: Left the party — Labour → Independent" in text
    assert "Agreement while a Labour member" in text
    assert "All votes in this parliament" in text
    assert "voted a mixture of for and against (50%)" in text
    # The plain-English summary, with the all-votes score beside the member score.
    assert (
        f"{party.mp.name} consistently voted for Public ownership of water" in text
        and "over all their votes in this parliament, "
        f"{party.mp.name} voted a mixture of for and against it"
        in text
    )


def test_mp_page_of_an_mp_who_never_left_has_one_score(
    client: Client, party: Any, left: Policy
) -> None:
    other = Score.objects.get(mp__name="Edna Easton", policy=left)
    url = reverse("accountability:mp", kwargs={"mnis_id": other.mp.mnis_id})
    text = client.get(url).content.decode()
    assert "All votes in this parliament" not in text
    assert "Start a by-election campaign" not in text


def test_record_since_leaving(party: Any, left: Policy) -> None:
    record = queries.record_since(party.mp, LEFT_ON)
    assert [(i.date, i.vote, i.against) for i in record.items] == [
        (dt.date(2026, 10, 6), "No", True),
        (dt.date(2026, 10, 13), "No", True),
    ]
    assert record.voted == 2 and len(record.against) == 2
    # Before the departure date nothing is "since".
    assert queries.record_since(party.mp, dt.date(2026, 10, 14)).items == []


def test_by_election_link_only_for_officers_who_may(
    client: Client, party: Any, left: Policy
) -> None:
    url = reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    # Northtown's secretary may run campaigns in Northtown: the link, prefilled.
    text = login(client, party.clp_secretary).get(url).content.decode()
    assert "Start a by-election campaign" in text
    link = f"{reverse('campaigns:create')}?clp={party.northtown.pk}&amp;mp={party.mp.pk}"
    assert link in text
    # The create page comes up with the CLP and the MP chosen.
    page = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'<option value="{party.mp.pk}" selected>' in page
    assert f'<option value="{party.northtown.pk}" selected>' in page
    # Officers elsewhere, a policy officer, members and visitors: no link.
    policy_officer = f.UserFactory(email="policy@example.org")
    f.RoleFactory(user=policy_officer, kind=Role.Kind.POLICY_OFFICER)
    elsewhere = f.UserFactory(email="elsewhere@example.org")
    f.RoleFactory(user=elsewhere, kind=Role.Kind.CLP_SECRETARY, clp=party.southport)
    for user in (elsewhere, policy_officer, party.member):
        client.logout()
        assert "Start a by-election campaign" not in login(client, user).get(url).content.decode()
    client.logout()
    assert "Start a by-election campaign" not in client.get(url).content.decode()


def test_by_election_link_needs_a_departure(client: Client, party: Any) -> None:
    url = reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    assert (
        "Start a by-election campaign"
        not in login(client, party.clp_secretary).get(url).content.decode()
    )


def test_campaign_page_shows_the_record_since_leaving(
    client: Client, party: Any, left: Policy
) -> None:
    from rankandfile.campaigns.services import lifecycle as campaigns

    campaign = campaigns.campaign_create(
        actor=party.clp_secretary,
        clp=party.northtown,
        title="Northtown deserves a by-election",
        demand="Ada Lovelace should resign and stand again.",
        mp=party.mp,
        event_kind="left_party",
        event_date=LEFT_ON,
    )
    text = " ".join(
        login(client, party.clp_secretary)
        .get(reverse("campaigns:detail", kwargs={"slug": campaign.slug}))
        .content.decode()
        .split()
    )
    assert f"{party.mp.name}'s record since 1 October 2026" in text
    assert "against the programme in 2</strong>" in text
    assert "Votes against the programme since 1 October 2026" in text
    assert text.count("Public ownership of water</a>") == 2
    assert f"“Test division 9203” — {party.mp.name} voted No; voting Aye supports" in text
