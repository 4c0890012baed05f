"""Events: creation by officers, RSVPs within capacity (also under concurrency),
cancel links, reminders, .ics; volunteers."""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from rankandfile.campaigns.models import Campaign, CampaignEvent, Rsvp, Volunteer
from rankandfile.campaigns.services import events
from rankandfile.core.errors import DomainError
from tests.campaigns.conftest import committed
from tests.campaigns.factories import CampaignFactory, EventFactory
from tests.conftest import Party


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rsvp(client: Client, event: CampaignEvent, **data: str) -> Any:
    form = {"name": "Ann Attendee", "email": "ann@example.org", "website": "", **data}
    return committed(client.post, f"/campaigns/{event.campaign.slug}/events/{event.pk}/", form)


def test_officer_adds_an_event(party: Party, campaign: Campaign) -> None:
    client = login(party.clp_secretary)
    start = timezone.localtime() + dt.timedelta(days=5)
    response = client.post(
        f"/campaigns/{campaign.slug}/events/new/",
        {
            "kind": "canvass",
            "title": "Saturday canvass",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "location": "Meet at the library",
            "capacity": "12",
        },
    )
    assert response.status_code == 302
    event = CampaignEvent.objects.get()
    assert event.capacity == 12 and event.kind == "canvass"
    assert b"Saturday canvass" in Client().get(f"/campaigns/{campaign.slug}/").content


def test_event_form_refuses_end_before_start_and_past(party: Party, campaign: Campaign) -> None:
    client = login(party.clp_secretary)
    start = timezone.localtime() + dt.timedelta(days=5)
    response = client.post(
        f"/campaigns/{campaign.slug}/events/new/",
        {
            "kind": "stall",
            "title": "Stall",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "location": "Market",
        },
    )
    assert response.status_code == 200 and b"must end after it starts" in response.content
    assert CampaignEvent.objects.count() == 0


def test_rsvp_books_a_place_and_emails_the_ics(client: Client, campaign: Campaign) -> None:
    event = EventFactory(campaign=campaign, capacity=2)
    response = rsvp(client, event)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.rsvp_count == 1 and Rsvp.objects.get().email == "ann@example.org"
    message = mail.outbox[-1]
    assert message.attachments[0][0] == "event.ics"
    assert "BEGIN:VEVENT" in message.attachments[0][1]
    # Replying twice keeps one place.
    rsvp(client, event, email="ANN@example.org")
    event.refresh_from_db()
    assert event.rsvp_count == 1 and Rsvp.objects.count() == 1
    # Cancel by the emailed link frees the place.
    secret = re.search(r"/campaigns/rsvp/cancel/([A-Za-z0-9_-]+)/", message.body).group(1)  # type: ignore[union-attr]
    assert client.get(f"/campaigns/rsvp/cancel/{secret}/").status_code == 200
    assert client.post(f"/campaigns/rsvp/cancel/{secret}/").status_code == 200
    event.refresh_from_db()
    assert event.rsvp_count == 0 and Rsvp.objects.count() == 0
    assert client.post(f"/campaigns/rsvp/cancel/{secret}/").status_code == 410


def _said(response: Any, client: Client) -> str:
    """What the visitor is told after a reply: the page a redirect leads to, or the form."""
    if response.status_code == 302:
        response = client.get(response["Location"])
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return re.sub(r"\s+", " ", html.split("<main", 1)[1].split("</main>", 1)[0])


def test_reply_does_not_reveal_whether_an_address_already_replied(
    campaign: Campaign,
) -> None:
    """Typing someone's email address into the reply form must not tell you whether
    they are going (issue 12: lookups by email)."""
    event = EventFactory(campaign=campaign)
    rsvp(Client(), event, email="ann@example.org")
    first_visitor, second_visitor = Client(), Client()
    fresh = rsvp(first_visitor, event, email="new@example.org", name="Nia New")
    again = rsvp(second_visitor, event, email="ann@example.org", name="Nia New")
    assert fresh.status_code == again.status_code == 302
    assert _said(fresh, first_visitor) == _said(again, second_visitor)
    assert "already replied" not in _said(again, second_visitor)


def test_full_event_answers_everyone_alike(campaign: Campaign) -> None:
    event = EventFactory(campaign=campaign, capacity=1)
    rsvp(Client(), event, email="ann@example.org")
    existing = rsvp(Client(), event, email="ann@example.org")
    newcomer = rsvp(Client(), event, email="bob@example.org")
    assert existing.status_code == newcomer.status_code == 409
    assert _said(existing, Client()) == _said(newcomer, Client())
    assert Rsvp.objects.count() == 1


def test_capacity_is_respected(client: Client, campaign: Campaign) -> None:
    event = EventFactory(campaign=campaign, capacity=1)
    rsvp(client, event)
    full = rsvp(client, event, email="bob@example.org")
    assert b"this event is full" in full.content
    event.refresh_from_db()
    assert event.rsvp_count == 1 and Rsvp.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email"}, b"Enter an email address like"),
        ({"name": ""}, b"Enter your name."),
        ({"name": "n" * 101}, b"Your name is too long"),
    ],
)
def test_rsvp_bad_input(
    client: Client, campaign: Campaign, data: dict[str, str], message: bytes
) -> None:
    event = EventFactory(campaign=campaign)
    response = rsvp(client, event, **data)
    assert response.status_code == 400 and message in response.content
    assert Rsvp.objects.count() == 0


def test_rsvp_honeypot_and_cancelled_event(client: Client, campaign: Campaign) -> None:
    event = EventFactory(campaign=campaign)
    rsvp(client, event, website="spam")
    assert Rsvp.objects.count() == 0
    event.cancelled_at = timezone.now()
    event.save()
    with pytest.raises(DomainError, match="cancelled"):
        events.rsvp_create(event=event, name="A", email="a@example.org")


def test_ics_download(client: Client, campaign: Campaign) -> None:
    event = EventFactory(campaign=campaign, title="Meeting, with; commas")
    response = client.get(f"/campaigns/{campaign.slug}/events/{event.pk}/event.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert b"SUMMARY:Meeting\\, with\\; commas\r\n" in response.content


def test_reminders_once_for_events_within_a_day(campaign: Campaign) -> None:
    soon = EventFactory(campaign=campaign, starts_at=timezone.now() + dt.timedelta(hours=20))
    later = EventFactory(campaign=campaign, starts_at=timezone.now() + dt.timedelta(days=3))
    committed(events.rsvp_create, event=soon, name="A", email="a@example.org")
    committed(events.rsvp_create, event=later, name="B", email="b@example.org")
    mail.outbox.clear()
    out = __import__("io").StringIO()
    committed(call_command, "campaigns_send_reminders", stdout=out)
    assert "1 reminder(s) queued" in out.getvalue()
    assert [m.to for m in mail.outbox] == [["a@example.org"]] and "Reminder" in mail.outbox[
        0
    ].subject
    committed(call_command, "campaigns_send_reminders", stdout=out)
    assert len(mail.outbox) == 1
    with time_machine.travel(timezone.now() + dt.timedelta(days=2, hours=12)):
        committed(call_command, "campaigns_send_reminders", stdout=out)
    assert [m.to for m in mail.outbox][-1] == ["b@example.org"]


def test_only_officers_see_replies(party: Party, campaign: Campaign) -> None:
    event = EventFactory(campaign=campaign)
    events.rsvp_create(event=event, name="Ann", email="ann@example.org")
    url = f"/campaigns/{campaign.slug}/events/{event.pk}/"
    assert b"ann@example.org" in login(party.clp_chair).get(url).content
    assert b"ann@example.org" not in Client().get(url).content
    assert b"ann@example.org" not in login(party.regional_officer).get(url).content


def test_officer_cancels_event(party: Party, campaign: Campaign) -> None:
    event = EventFactory(campaign=campaign)
    url = f"/campaigns/{campaign.slug}/events/{event.pk}/cancel/"
    assert login(party.member).post(url).status_code == 404
    assert login(party.clp_chair).post(url).status_code == 302
    event.refresh_from_db()
    assert event.cancelled_at is not None


@pytest.mark.django_db(transaction=True)
def test_capacity_holds_under_concurrent_replies(party: Party) -> None:
    if connection.vendor == "sqlite":
        # SQLite serialises writers, so there is no race to test; the PostgreSQL run has it.
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    campaign = CampaignFactory(clp=party.northtown, slug="race")
    event = EventFactory(campaign=campaign, capacity=5)
    errors: list[str] = []

    def reply(i: int) -> None:
        try:
            events.rsvp_create(event=event, name=f"P{i}", email=f"p{i}@example.org")
        except DomainError as exc:
            errors.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=reply, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    event.refresh_from_db()
    assert event.rsvp_count == 5 == Rsvp.objects.filter(event=event).count()
    assert len(errors) == 15 and all("full" in e for e in errors)


# --- volunteers -----------------------------------------------------------------------------
def test_member_volunteers_and_officers_see_it(party: Party, campaign: Campaign) -> None:
    client = login(party.member)
    response = client.post(
        f"/campaigns/{campaign.slug}/volunteer/",
        {"activities": ["canvassing", "phones"], "availability": "Weekends"},
    )
    assert response.status_code == 302
    volunteer = Volunteer.objects.get()
    assert volunteer.member == party.me and volunteer.activities == ["canvassing", "phones"]
    manage = login(party.clp_secretary).get(f"/campaigns/{campaign.slug}/manage/").content
    assert b"Mary Member" in manage and b"Weekends" in manage
    client.post(f"/campaigns/{campaign.slug}/volunteer/", {"withdraw": "1"})
    assert Volunteer.objects.count() == 0


def test_volunteering_needs_a_member_login(party: Party, campaign: Campaign) -> None:
    anon = Client().get(f"/campaigns/{campaign.slug}/volunteer/")
    assert anon.status_code == 302
    response = login(party.no_roles).post(
        f"/campaigns/{campaign.slug}/volunteer/", {"activities": ["canvassing"]}
    )
    assert b"Only party members can volunteer" in response.content
    assert Volunteer.objects.count() == 0
    bad = login(party.member).post(
        f"/campaigns/{campaign.slug}/volunteer/", {"activities": ["bribery"]}
    )
    assert bad.status_code == 200 and Volunteer.objects.count() == 0
