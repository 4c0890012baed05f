"""Officers' side: creating and running campaigns, exports and personal data, purging —
each permission both ways."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rankandfile.campaigns import queries
from rankandfile.campaigns.models import Campaign, CampaignEvent, PartyEvent, Rsvp, Signature
from rankandfile.campaigns.services import events as events_services
from rankandfile.campaigns.services import lifecycle, retention
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from tests.campaigns.conftest import links, sign
from tests.campaigns.factories import CampaignFactory, EventFactory
from tests.conftest import Party


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def signed_and_confirmed(campaign: Campaign, n: int = 3, **extra: str) -> None:
    client = Client()
    for i in range(n):
        sign(client, campaign, email=f"p{i}@example.org", last_name=f"Person{i}", **extra)
        client.post(f"/campaigns/confirm/{links(f'p{i}@example.org')['confirm']}/")


# --- who may do what ----------------------------------------------------------------------
ALLOWED = ("clp_secretary", "clp_chair", "national_admin")
REFUSED = (
    "member",
    "branch_officer",
    "regional_officer",
    "affiliate_officer",
    "scrutineer",
    "no_roles",
)


@pytest.mark.parametrize("role", ALLOWED)
def test_officers_see_personal_data(party: Party, campaign: Campaign, role: str) -> None:
    signed_and_confirmed(campaign, 2)
    client = login(getattr(party, role))
    assert client.get(f"/campaigns/{campaign.slug}/manage/").status_code == 200
    response = client.get(f"/campaigns/{campaign.slug}/signatures.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["first_name", "last_name", "email"] and len(rows) == 3
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    # Exports of personal data are audited: who, which campaign, what and how many.
    assert client.get(f"/campaigns/{campaign.slug}/petition.pdf").status_code == 200
    exports = AuditEntry.objects.filter(action="campaigns.signatures.export").order_by("seq")
    assert [(e.actor_id, e.object_id, e.data) for e in exports] == [
        (getattr(party, role).pk, str(campaign.pk), {"format": "csv", "rows": 2}),
        (getattr(party, role).pk, str(campaign.pk), {"format": "pdf", "rows": 2}),
    ]


@pytest.mark.parametrize("role", REFUSED)
def test_others_do_not(party: Party, campaign: Campaign, role: str) -> None:
    signed_and_confirmed(campaign, 1)
    client = login(getattr(party, role))
    for path in ("manage/", "signatures.csv", "petition.pdf", "edit/", "events/new/"):
        assert client.get(f"/campaigns/{campaign.slug}/{path}").status_code == 404, path
    assert client.post(f"/campaigns/{campaign.slug}/do/close/").status_code == 404
    assert not AuditEntry.objects.filter(action="campaigns.signatures.export").exists()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.LIVE


def test_other_clps_officers_are_refused(party: Party) -> None:
    other = CampaignFactory(clp=party.easton, slug="easton")
    client = login(party.clp_secretary)
    assert client.get(f"/campaigns/{other.slug}/manage/").status_code == 404
    with pytest.raises(PermissionDenied):
        lifecycle.campaign_close(actor=party.clp_secretary, campaign=other)


def test_anonymous_is_sent_to_login(client: Client, campaign: Campaign) -> None:
    response = client.get(f"/campaigns/{campaign.slug}/signatures.csv")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_drafts_are_hidden_from_the_public(party: Party, client: Client) -> None:
    draft = CampaignFactory(clp=party.northtown, slug="draft", state=Campaign.State.DRAFT)
    assert client.get(f"/campaigns/{draft.slug}/").status_code == 404
    assert login(party.member).get(f"/campaigns/{draft.slug}/").status_code == 404
    assert login(party.clp_chair).get(f"/campaigns/{draft.slug}/").status_code == 200
    assert b"draft" not in client.get("/campaigns/").content


# --- creating and running ----------------------------------------------------------------
def test_officer_opens_launches_hands_in_and_closes(party: Party) -> None:
    constituency = party.northtown.constituency
    constituency.electorate = 72_345
    constituency.save()
    party.mp.left_party_on = dt.date(2019, 2, 18)
    party.mp.left_party_note = "Joined The Independent Group"
    party.mp.save()
    client = login(party.clp_secretary)
    assert client.get("/campaigns/new/").status_code == 200
    response = client.post(
        "/campaigns/new/",
        {
            "clp": party.northtown.pk,
            "title": "Northtown deserves a by-election",
            "demand": "Ada Lovelace should resign and stand again.",
            "story": "Elected as Labour in 2017.",
            "mp": party.mp.pk,
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    # The event came from the MP record (Accountability not consulted here).
    assert campaign.event_kind == PartyEvent.LEFT_PARTY
    assert campaign.event_date == dt.date(2019, 2, 18)
    assert campaign.state == Campaign.State.DRAFT
    assert campaign.effective_target == 7_235
    assert campaign.retention_until > timezone.localdate()
    client.post(f"/campaigns/{campaign.slug}/do/launch/")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.LIVE
    page = Client().get(f"/campaigns/{campaign.slug}/")
    assert page.status_code == 200 and b"Sign the petition" in page.content
    client.post(f"/campaigns/{campaign.slug}/do/hand-in/", {"handed_in_to": "Ada Lovelace MP"})
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.HANDED_IN and campaign.handed_in_to == "Ada Lovelace MP"
    assert b"Sign the petition" not in Client().get(f"/campaigns/{campaign.slug}/").content
    actions = list(
        AuditEntry.objects.filter(object_id=str(campaign.pk)).values_list("action", flat=True)
    )
    assert actions == [
        "campaigns.campaign.create",
        "campaigns.campaign.launch",
        "campaigns.campaign.hand_in",
    ]


def test_events_from_the_accountability_records(party: Party) -> None:
    from rankandfile.accountability.models import PartyChange

    for date, kind, was, now in (
        (dt.date(2019, 2, 18), "left_party", "Labour", "Independent"),
        (dt.date(2019, 6, 1), "changed_party", "Independent", "Change UK"),
    ):
        PartyChange.objects.create(
            mp=party.mp, date=date, kind=kind, from_party=was, to_party=now, origin="record"
        )
    events = queries.mp_events(party.mp)
    assert [(e.kind, e.source) for e in events] == [
        ("left_party", "accountability"),
        ("changed_party", "accountability"),
    ]
    assert events[1].note == "Independent → Change UK"
    # A campaign answers the departure, not the later change of colours.
    chosen = queries.campaign_event(events)
    assert chosen is not None and chosen.kind == "left_party"
    assert queries.campaign_event(events[1:]) == events[1]
    assert queries.campaign_event([]) is None


def test_launch_without_an_electorate_needs_a_target(party: Party) -> None:
    constituency = party.northtown.constituency
    constituency.electorate = None
    constituency.save()
    campaign = lifecycle.campaign_create(
        actor=party.clp_chair, clp=party.northtown, title="T", demand="D"
    )
    with pytest.raises(DomainError, match="Set a target"):
        lifecycle.campaign_launch(actor=party.clp_chair, campaign=campaign)
    lifecycle.campaign_update(actor=party.clp_chair, campaign=campaign, target=5000)
    assert lifecycle.campaign_launch(actor=party.clp_chair, campaign=campaign).state == "live"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "x" * 121}, "at most 120"),
        ({"demand": ""}, "Enter your demand"),
        ({"target": 0}, "at least one"),
        ({"event_kind": "left_party", "event_date": None}, "date of the event"),
        ({"event_kind": "kidnapped"}, "from the list"),
        ({"retention_until": dt.date(2000, 1, 1)}, "cannot be in the past"),
        ({"slug": "hijack"}, "cannot change slug"),
    ],
)
def test_bad_campaign_edits_are_refused(
    party: Party, campaign: Campaign, changes: dict[str, Any], message: str
) -> None:
    before = Campaign.objects.filter(pk=campaign.pk).values().get()
    with pytest.raises(DomainError, match=message):
        lifecycle.campaign_update(actor=party.clp_chair, campaign=campaign, **changes)
    assert Campaign.objects.filter(pk=campaign.pk).values().get() == before


def test_edit_page_saves_and_shows_errors(party: Party, campaign: Campaign) -> None:
    client = login(party.clp_chair)
    form = {
        "title": "New title",
        "demand": "Resign",
        "retention_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "target": "",
    }
    assert client.post(f"/campaigns/{campaign.slug}/edit/", form).status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "New title" and campaign.target is None
    bad = client.post(f"/campaigns/{campaign.slug}/edit/", {**form, "title": "<b>" * 50})
    assert bad.status_code == 200 and b"Your title is too long" in bad.content


# --- exports --------------------------------------------------------------------------------
def test_csv_neutralises_formulas_and_lists_confirmed_only(
    party: Party, campaign: Campaign
) -> None:
    client = Client()
    sign(client, campaign, first_name='=HYPERLINK("http://evil")', email="f@example.org")
    client.post(f"/campaigns/confirm/{links('f@example.org')['confirm']}/")
    sign(client, campaign, email="pending@example.org")
    response = login(party.clp_chair).get(f"/campaigns/{campaign.slug}/signatures.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2
    assert rows[1][0] == '\'=HYPERLINK("http://evil")' and rows[1][3] == "SW16 1AA"


def test_pdf_for_handing_in(party: Party, campaign: Campaign) -> None:
    signed_and_confirmed(campaign, 3)
    response = login(party.clp_secretary).get(f"/campaigns/{campaign.slug}/petition.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"


# --- data protection ------------------------------------------------------------------------
def test_purge_after_retention_keeps_counts(party: Party, campaign: Campaign) -> None:
    signed_and_confirmed(campaign, 3)
    event = EventFactory(campaign=campaign)
    events_services.rsvp_create(event=event, name="Ann", email="ann@example.org")
    Campaign.objects.filter(pk=campaign.pk).update(
        retention_until=timezone.localdate() + dt.timedelta(days=1)
    )
    out = io.StringIO()
    call_command("campaigns_purge_expired", stdout=out)
    assert Signature.objects.count() == 3 and "0 campaign(s) purged" in out.getvalue()
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        call_command("campaigns_purge_expired", stdout=out)
    assert "1 campaign(s) purged: 3 signatures, 1 replies" in out.getvalue()
    campaign.refresh_from_db()
    assert Signature.objects.count() == 0 and Rsvp.objects.count() == 0
    assert campaign.confirmed_count == 3 and campaign.state == Campaign.State.CLOSED
    assert campaign.purged_at is not None
    assert CampaignEvent.objects.get().rsvp_count == 1
    page = Client().get(f"/campaigns/{campaign.slug}/")
    assert b"personal data was deleted" in page.content and b">3<" in page.content
    entry = AuditEntry.objects.get(action="campaigns.campaign.purge")
    assert entry.data["signatures"] == 3 and entry.data["confirmed_count_kept"] == 3


def test_unconfirmed_signatures_expire(party: Party, campaign: Campaign, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CAMPAIGN_UNCONFIRMED_DAYS = 30
    sign(Client(), campaign)
    assert retention.purge_expired().unconfirmed == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert retention.purge_expired().unconfirmed == 1
    assert Signature.objects.count() == 0


def test_officer_purges_after_hand_in_not_before(party: Party, campaign: Campaign) -> None:
    signed_and_confirmed(campaign, 2)
    with pytest.raises(DomainError, match="Hand in or close"):
        retention.campaign_purge(actor=party.clp_chair, campaign=campaign)
    lifecycle.campaign_hand_in(actor=party.clp_chair, campaign=campaign, handed_in_to="The MP")
    with pytest.raises(PermissionDenied):
        retention.campaign_purge(actor=party.regional_officer, campaign=campaign)
    client = login(party.clp_chair)
    client.post(f"/campaigns/{campaign.slug}/do/purge/")
    campaign.refresh_from_db()
    assert Signature.objects.count() == 0 and campaign.confirmed_count == 2
    manage = client.get(f"/campaigns/{campaign.slug}/manage/")
    assert b"signatures.csv" not in manage.content
