"""Officers' messages: groups within scope, preferences, one-click unsubscribe, rate
limit, audit without addresses, bounces; delivered through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rankandfile.ballots.models import VoteRecord
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.meetings import mail as meetings_mail
from rankandfile.meetings import services
from rankandfile.meetings.models import CommunicationPreference, Delivery, OfficerMessage
from tests.conftest import Party
from tests.meetings.factories import PreferenceFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def send(p: Party, audience: str = "everyone", **kwargs: Any) -> OfficerMessage:
    args: dict[str, Any] = {"clp": p.northtown, "actor": p.clp_secretary}
    args.update(kwargs)
    return services.message_send(
        audience=audience,
        subject="Canvassing on Saturday",
        body="Dear {first_name}, join us.",
        **args,
    )


def recipients() -> list[str]:
    return sorted(a for m in mail.outbox for a in m.to)


def test_everyone_honours_preferences_and_addresses(p: Party) -> None:
    PreferenceFactory(member=p.neighbour, officer_messages=False)
    # A preference about meeting notices does not stop officers' messages.
    PreferenceFactory(member=p.branchmate, meeting_notices=False)
    msg = send(p)
    assert recipients() == ["bert@example.org", "mary@example.org"]  # Eve is in Easton
    assert (msg.recipients, msg.skipped_unwilling, msg.skipped_no_email) == (2, 1, 0)
    body = next(m for m in mail.outbox if m.to == ["mary@example.org"]).body
    assert body.startswith("Dear Mary, join us.") and "/meetings/unsubscribe/" in body
    assert set(Delivery.objects.filter(message=msg).values_list("state", flat=True)) == {"sent"}
    entry = AuditEntry.objects.get(action="meetings.message_send")
    assert entry.actor == p.clp_secretary and entry.data["recipients"] == 2
    assert entry.data["audience"] == "everyone" and entry.data["unwilling"] == 1
    assert "@" not in str(entry.data) and "@" not in entry.object_label


def test_groups_stay_within_scope(p: Party) -> None:
    send(p, "branch", audience_branch=p.hillside)
    assert recipients() == ["nell@example.org"]
    mail.outbox.clear()
    # A branch officer writes to their own branch only, whatever they choose.
    send(p, "everyone", clp=None, branch=p.riverside, actor=p.branch_officer)
    assert recipients() == ["bert@example.org", "mary@example.org"]
    with pytest.raises(DomainError, match="their own branch only"):
        send(
            p,
            "branch",
            clp=None,
            branch=p.riverside,
            actor=p.branch_officer,
            audience_branch=p.hillside,
        )
    with pytest.raises(PermissionDenied):
        send(p, clp=None, branch=p.hillside, actor=p.branch_officer)
    with pytest.raises(PermissionDenied):
        send(p, clp=p.easton)
    with pytest.raises(PermissionDenied):
        send(p, actor=p.regional_officer)
    with pytest.raises(DomainError, match="one of your constituency party's branches"):
        send(p, "branch", audience_branch=None)


def test_not_voted_reads_vote_records_only(p: Party) -> None:
    from rankandfile.ballots import services as ballots
    from tests.ballots.factories import BallotFactory

    ballot = ballots.ballot_open(
        actor=None,
        ballot=BallotFactory(
            clp=p.northtown,
            freeze_date=dt.date(2026, 5, 1),
            opens_at=dt.datetime(2026, 6, 1, 9, tzinfo=UTC),
            closes_at=dt.datetime(2026, 6, 8, 17, tzinfo=UTC),
        ),
    )
    VoteRecord.objects.create(ballot=ballot, member=p.me)
    send(p, "not_voted", ballot_id=ballot.pk)
    assert recipients() == ["bert@example.org", "nell@example.org"]
    with pytest.raises(DomainError, match="choose an open ballot"):
        send(p, "not_voted", ballot_id=None)
    # A ballot the officer does not run is refused as if it did not exist.
    with pytest.raises(DomainError, match="choose an open ballot"):
        send(
            p,
            "not_voted",
            clp=None,
            branch=p.riverside,
            actor=p.branch_officer,
            ballot_id=ballot.pk,
        )


def test_volunteers_and_delegates(p: Party) -> None:
    from rankandfile.campaigns.models import Volunteer
    from rankandfile.conference.models import Delegate
    from tests.campaigns.factories import CampaignFactory
    from tests.meetings.test_motions import make_conference

    campaign = CampaignFactory(clp=p.northtown, slug="northtown")
    Volunteer.objects.create(campaign=campaign, member=p.neighbour, created_at=dt.datetime.now(UTC))
    send(p, "volunteers")
    assert recipients() == ["nell@example.org"]
    mail.outbox.clear()
    conf, _ = make_conference(p)
    Delegate.objects.create(
        conference=conf,
        clp=p.northtown,
        member=p.branchmate,
        registered_at=dt.datetime.now(UTC),
        credential="X1",
    )
    send(p, "delegates")
    assert recipients() == ["bert@example.org"]
    with pytest.raises(DomainError, match="nobody in that group"):
        send(p, "delegates", clp=p.easton, actor=p.national_admin)


def test_rate_limit_per_officer(p: Party, settings: Any) -> None:
    settings.MEETINGS_MESSAGES_PER_DAY = 2
    send(p)
    send(p)
    with pytest.raises(DomainError, match="you have sent 2 messages in the last 24 hours"):
        send(p)
    assert OfficerMessage.objects.count() == 2


def test_one_click_unsubscribe(p: Party) -> None:
    send(p)
    message = next(m for m in mail.outbox if m.to == ["mary@example.org"])
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    c = Client(enforce_csrf_checks=True)
    # A link scanner's GET changes nothing.
    assert c.get(f"/{path}").status_code == 200
    assert not CommunicationPreference.objects.filter(member=p.me).exists()
    r = c.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "no longer receive officers' messages" in html.unescape(r.text)
    pref = CommunicationPreference.objects.get(member=p.me)
    assert pref.officer_messages is False and pref.meeting_notices is True
    mail.outbox.clear()
    send(p)
    assert "mary@example.org" not in recipients()
    assert c.post("/meetings/unsubscribe/forged-token/").status_code == 404


def test_preferences_page(p: Party) -> None:
    c = Client()
    c.force_login(p.member)
    r = c.get(reverse("meetings:preferences"))
    assert r.status_code == 200 and 'name="officer_messages"' in r.text
    c.post(reverse("meetings:preferences"), {"officer_messages": "on"})
    pref = CommunicationPreference.objects.get(member=p.me)
    assert pref.meeting_notices is False and pref.officer_messages is True
    c.force_login(p.no_roles)
    assert c.get(reverse("meetings:preferences")).status_code == 404


def test_bounce_is_recorded_on_the_delivery(p: Party) -> None:
    from anymail.signals import AnymailTrackingEvent, tracking

    msg = send(p)
    row = Delivery.objects.get(message=msg, member=p.me)
    event = AnymailTrackingEvent(
        event_type="bounced",
        message_id=row.email_id,
        recipient="mary@example.org",
        event_id="ev-1",
        reject_reason="bounced",
        description="mailbox full",
    )
    tracking.send(sender=object, event=event, esp_name="test")
    row.refresh_from_db()
    assert row.state == "bounced" and "mailbox full" in row.error
    # The ballots app's mechanism records the EmailEvent, matched to the member by address.
    from rankandfile.ballots.models import EmailEvent

    assert EmailEvent.objects.get(event_id="ev-1").member_id == p.me.pk
    assert meetings_mail.mark_bounced(message_id="", why="x") == 0


def test_message_pages_preview_and_send(p: Party) -> None:
    c = Client()
    c.force_login(p.clp_secretary)
    data = {
        "unit": f"c:{p.northtown.pk}",
        "audience": "everyone",
        "subject": "Canvassing",
        "body": "Dear {first_name}, come along.",
        "preview": "1",
    }
    r = c.post(reverse("meetings:message_new"), data)
    assert r.status_code == 200 and "To <strong>3 members</strong>" in r.text
    assert "Dear Mary, come along." in r.text and not mail.outbox
    assert OfficerMessage.objects.count() == 0
    data.pop("preview")
    r = c.post(reverse("meetings:message_new"), {**data, "send": "1", "save_as": "Canvass"})
    msg = OfficerMessage.objects.get()
    assert r.status_code == 302 and len(mail.outbox) == 3
    assert "3 sent" in c.get(reverse("meetings:message", args=[msg.pk])).text
    from rankandfile.meetings.models import MessageTemplate

    template = MessageTemplate.objects.get(name="Canvass")
    r = c.get(reverse("meetings:message_new"), {"template": template.pk})
    assert r.status_code == 200 and "Dear {first_name}, come along." in r.text
    # Out of scope: another CLP's unit is not a choice; other officers cannot read it.
    r = c.post(reverse("meetings:message_new"), {**data, "unit": f"c:{p.easton.pk}", "send": "1"})
    assert r.status_code == 400 and OfficerMessage.objects.count() == 1
    c.force_login(p.branch_officer)
    assert c.get(reverse("meetings:message", args=[msg.pk])).status_code == 404
    c.force_login(p.member)
    assert c.get(reverse("meetings:message_new")).status_code == 404


# --- A real SMTP server --------------------------------------------------------------------------
@dataclass
class Sink:
    received: list[tuple[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((rcpt, msg))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Sink]:
    """aiosmtpd on a free loopback port; the app sends through Django's SMTP backend.
    Fails (never skips) when aiosmtpd is missing."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError as exc:  # pragma: no cover - the dev dependencies include it
        pytest.fail(f"aiosmtpd is not installed ({exc}): make install-dev", pytrace=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


def test_delivered_over_smtp_only_to_those_entitled_and_willing(p: Party, smtp: Sink) -> None:
    from tests.meetings.conftest import schedule

    PreferenceFactory(member=p.branchmate, officer_messages=False)
    send(p, "branch", audience_branch=p.riverside)
    assert [r for r, _ in smtp.received] == ["mary@example.org"]
    _, msg = smtp.received[0]
    assert msg["Subject"] == "Canvassing on Saturday"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(msg["List-Unsubscribe"]).strip()  # folded: a long header
    assert unsubscribe.startswith("<http") and "/meetings/unsubscribe/" in unsubscribe
    row = Delivery.objects.get(member=p.me)
    assert row.state == "sent" and row.email_id == msg["Message-ID"]
    # A meeting notice reaches Bert (he refused officers' messages, not notices) with its .ics.
    smtp.received.clear()
    schedule(p.branch_officer, branch=p.riverside)
    assert sorted(r for r, _ in smtp.received) == ["bert@example.org", "mary@example.org"]
    parts = [part.get_content_type() for part in smtp.received[0][1].walk()]
    assert "text/calendar" in parts


def test_subject_access_includes_meetings_data(p: Party) -> None:
    from rankandfile.privacy.queries import subject_data

    PreferenceFactory(member=p.me, meeting_notices=False)
    send(p)
    data = subject_data(p.me)["meetings"]
    assert data["meeting_notices"] is False and data["officer_messages"] is True
    assert data["emails"] == [
        {"what": "Canvassing on Saturday", "state": "sent", "sent_at": data["emails"][0]["sent_at"]}
    ]
