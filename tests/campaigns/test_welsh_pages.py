"""Welsh for the members' pages and emails of campaigns, accountability and meetings
(issue 17.7, docs/decisions/0027-welsh.md): the event and RSVP, the pledge register, the
recall petitions, the MPs' pages, and the campaign, alert and meeting emails read in Welsh
when Welsh is chosen, English otherwise."""

from __future__ import annotations

import datetime as dt
import html
from types import SimpleNamespace
from typing import Any

from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from rankandfile.campaigns import tasks
from rankandfile.campaigns.models import Campaign, Signature
from tests.campaigns.conftest import committed, sign
from tests.campaigns.factories import EventFactory
from tests.conftest import Party
from tests.core.test_welsh import welsh


def text(client: Client, url: str, **query: str) -> str:
    """The page's HTML with entities read (an apostrophe may be written either way)."""
    return html.unescape(client.get(url, query).content.decode())


def test_an_event_and_its_reply_in_welsh(client: Client, campaign: Campaign) -> None:
    event = EventFactory(campaign=campaign, capacity=1200)
    url = f"/campaigns/{campaign.slug}/events/{event.pk}/"
    assert "I'm coming" in text(client, url)
    welsh(client)
    page = text(client, url)
    assert "Rydw i'n dod" in page and "Ychwanegu at fy nghalendr (.ics)" in page
    assert "1,200 o 1,200 ar ôl" in page  # thousands separators in Welsh too
    assert "I'm coming" not in page and "Where" not in page
    refused = committed(client.post, url, {"name": "", "email": "x", "website": ""})
    assert "Rhowch eich enw." in html.unescape(refused.content.decode())


def test_the_campaign_lists_in_welsh(client: Client, campaign: Campaign) -> None:
    welsh(client)
    index = text(client, "/campaigns/")
    assert "Cofrestr addewidion" in index and "Deisebau adalw" in index
    assert "Dim addewidion wedi'u cofnodi." in text(client, "/campaigns/pledges/")
    assert "Dim deisebau adalw wedi'u cofnodi." in text(client, "/campaigns/recall/")


def test_the_mps_pages_in_welsh(client: Client, party: Party) -> None:
    assert "MPs' votes against" in text(client, "/accountability/")
    welsh(client)
    index = text(client, "/accountability/")
    assert "Pleidleisiau ASau yn erbyn rhaglen y blaid" in index
    assert "votes against the party" not in index
    found = text(client, "/accountability/mps/", q="zzzz")
    assert "Nid oes AS yn cyfateb i “zzzz”" in found


def test_the_campaign_emails_in_welsh(campaign: Campaign) -> None:
    signature = SimpleNamespace(first_name="Nia")
    context: dict[str, Any] = {
        "signature": signature,
        "campaign": campaign,
        "confirm_url": "https://example.org/c",
        "withdraw_url": "https://example.org/w",
        "campaign_url": "https://example.org/p",
    }
    with translation.override("en-gb"):
        english = render_to_string("campaigns/email/confirm.txt", context)
    assert english.startswith("Dear Nia,\n\nThank you for signing")
    with translation.override("cy"):
        confirm = render_to_string("campaigns/email/confirm.txt", context)
        already = render_to_string("campaigns/email/already.txt", context)
    assert confirm.startswith("Annwyl Nia,\n\nDiolch am lofnodi")
    assert "Cadarnhewch eich llofnod drwy agor y ddolen hon" in confirm
    assert "https://example.org/w" in confirm and "Thank you" not in confirm
    assert "Rydych eisoes wedi llofnodi" in already


def test_the_meeting_notice_in_welsh() -> None:
    starts = timezone.localtime() + dt.timedelta(days=10)
    meeting = SimpleNamespace(
        get_kind_display=lambda: "General meeting",
        unit_name="Northtown CLP",
        title="Autumn meeting",
        location="Town Hall",
    )
    context = {
        "member": SimpleNamespace(first_name="Nia"),
        "meeting": meeting,
        "items": [SimpleNamespace(title="Apologies")],
        "url": "https://example.org/m",
        "starts": starts,
        "change": "cancelled",
        "unsubscribe_url": "https://example.org/u",
        "preferences_url": "https://example.org/p",
    }
    with translation.override("en-gb"):
        assert "is CANCELLED" in render_to_string("meetings/email/notice.txt", context)
    with translation.override("cy"):
        notice = render_to_string("meetings/email/notice.txt", context)
    assert notice.startswith("Annwyl Nia,")
    assert "WEDI'I GANSLO" in notice and "Agenda:\n1. Apologies" in notice
    assert "Atal hysbysiadau cyfarfod: https://example.org/u" in notice


def test_the_signers_email_is_written_in_the_language_they_signed_in(
    client: Client, campaign: Campaign
) -> None:
    """The worker that sends the email has no request: the language of the signing
    request travels with the task."""
    welsh(client)
    sign(client, campaign)
    assert mail.outbox[-1].subject.startswith("Cadarnhewch eich llofnod: ")
    signature = Signature.objects.get()
    mail.outbox.clear()
    with translation.override("en-gb"):  # as in a worker: no Welsh request around
        tasks.send_signature_email.call(signature.pk, "already", "cy")
        tasks.send_signature_email.call(signature.pk, "already", "xx")  # not offered
        tasks.send_signature_email.call(signature.pk, "already")  # queued before this
    welsh_mail, unknown, old = mail.outbox
    assert welsh_mail.subject.startswith("Rydych eisoes wedi llofnodi: ")
    assert "Ceisiodd rhywun (chi, mae'n debyg)" in welsh_mail.body
    assert unknown.subject.startswith("You have already signed: ")
    assert old.subject.startswith("You have already signed: ")
