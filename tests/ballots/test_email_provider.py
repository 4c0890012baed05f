"""Sending through an email provider's API (django-anymail) and recording its reports.

anymail's test backend stands in for the provider's API; delivery reports arrive as
signed Mailgun webhook posts (the signature and the basic credentials are checked by
anymail, as in production).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.core import mail as outbox
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from rankandfile.ballots import invitations
from rankandfile.ballots.models import EmailEvent
from rankandfile.core.models import AuditEntry
from rankandfile.settings import email_backend
from tests.ballots.factories import electors, open_ballot
from tests.membership.factories import MemberFactory

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-test-signing"
BASIC = "anymail:webhook-secret"
URL = "/anymail/mailgun/tracking/"


@pytest.fixture
def provider(settings: Any) -> None:
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": BASIC}


def invited_ballot(django_capture_on_commit_callbacks: Any) -> Any:
    ballot = open_ballot(voters=3)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.ballot_invite(actor=None, ballot=ballot)
    return ballot


def mailgun_post(
    client: Client,
    *,
    event: str,
    recipient: str,
    message_id: str,
    severity: str = "permanent",
    token: str | None = None,
    key: str = SIGNING_KEY,
    auth: str = BASIC,
) -> Any:
    timestamp = str(int(time.time()))
    token = token or hashlib.sha256(f"{recipient}{message_id}{event}".encode()).hexdigest()
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    payload = {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": event,
            "severity": severity,
            "recipient": recipient,
            "timestamp": float(timestamp),
            "id": "evt-1",
            "reason": "bounce",
            "message": {"headers": {"message-id": message_id.strip("<>")}},
            "delivery-status": {"code": 550, "message": "5.1.1 No such user", "description": ""},
        },
    }
    import base64

    basic = base64.b64encode(auth.encode()).decode()
    return client.post(
        URL,
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def test_invitations_go_through_the_providers_api_and_keep_its_message_id(
    provider: None, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = invited_ballot(django_capture_on_commit_callbacks)
    assert len(outbox.outbox) == 3
    by_rcpt = {m.to[0]: m for m in outbox.outbox}
    for elector in electors(ballot):
        sent = by_rcpt[elector.member.email]
        assert elector.invited_at is not None and elector.send_sealed == ""
        esp_id = sent.anymail_status.message_id  # type: ignore[attr-defined]
        assert esp_id is not None and elector.sent_message_id == str(esp_id)
        assert sent.extra_headers["Message-ID"].startswith(f"<ballot{ballot.pk}.")


def test_a_signed_bounce_is_recorded_against_the_elector_and_audited(
    provider: None, django_capture_on_commit_callbacks: Any, client: Client
) -> None:
    ballot = invited_ballot(django_capture_on_commit_callbacks)
    elector = electors(ballot)[0]
    response = mailgun_post(
        client, event="failed", recipient=elector.member.email, message_id=elector.sent_message_id
    )
    assert response.status_code == 200, response.content
    (event,) = EmailEvent.objects.all()
    assert (event.kind, event.provider, event.elector, event.member) == (
        "bounced",
        "Mailgun",
        elector,
        elector.member,
    )
    assert event.recipient == elector.member.email and "No such user" in event.description
    elector.refresh_from_db()
    assert elector.last_send_error.startswith("bounced: ")
    assert [e.pk for e in invitations.invitation_failures(ballot)] == [elector.pk]
    entry = AuditEntry.objects.get(action="ballots.email.bounced")
    assert entry.channel == "webhook" and entry.actor is None
    assert entry.data["ballot"] == ballot.pk and entry.data["matched"] == "message"
    assert entry.object_id == str(elector.member.pk)

    # The provider retrying the same report (same token): recorded once.
    again = mailgun_post(
        client, event="failed", recipient=elector.member.email, message_id=elector.sent_message_id
    )
    assert again.status_code == 200
    assert EmailEvent.objects.count() == 1
    assert AuditEntry.objects.filter(action="ballots.email.bounced").count() == 1


def test_a_complaint_about_an_unknown_message_is_matched_by_address(
    provider: None, client: Client
) -> None:
    member = MemberFactory(email="someone@example.org")
    response = mailgun_post(
        client, event="complained", recipient="Someone@Example.org", message_id="<other@x>"
    )
    assert response.status_code == 200
    (event,) = EmailEvent.objects.all()
    assert (event.kind, event.elector, event.member) == ("complained", None, member)
    assert AuditEntry.objects.get(action="ballots.email.complained").data["matched"] == "address"


def test_delivered_and_temporary_reports_do_not_mark_a_failure(
    provider: None, django_capture_on_commit_callbacks: Any, client: Client
) -> None:
    ballot = invited_ballot(django_capture_on_commit_callbacks)
    elector = electors(ballot)[0]
    for event, severity in (("delivered", ""), ("failed", "temporary")):
        r = mailgun_post(
            client,
            event=event,
            severity=severity,
            recipient=elector.member.email,
            message_id=elector.sent_message_id,
        )
        assert r.status_code == 200
    assert [e.kind for e in EmailEvent.objects.all()] == ["deferred"]
    elector.refresh_from_db()
    assert elector.last_send_error == ""


def test_a_forged_or_unauthenticated_report_records_nothing(
    provider: None, django_capture_on_commit_callbacks: Any, client: Client
) -> None:
    ballot = invited_ballot(django_capture_on_commit_callbacks)
    elector = electors(ballot)[0]
    common = {"event": "failed", "recipient": elector.member.email}
    forged = mailgun_post(client, **common, message_id=elector.sent_message_id, key="wrong-key")
    no_auth = mailgun_post(client, **common, message_id=elector.sent_message_id, auth="x:y")
    assert forged.status_code == 400
    assert no_auth.status_code == 400
    assert EmailEvent.objects.count() == 0
    elector.refresh_from_db()
    assert elector.last_send_error == ""


def test_email_provider_setting_chooses_the_backend() -> None:
    assert (
        email_backend("smtp", None, "production") == "django.core.mail.backends.smtp.EmailBackend"
    )
    assert email_backend("", None, "test") == "django.core.mail.backends.locmem.EmailBackend"
    assert email_backend("mailgun", None, "production") == "anymail.backends.mailgun.EmailBackend"
    assert (
        email_backend("Amazon_SES", None, "production")
        == "anymail.backends.amazon_ses.EmailBackend"
    )
    assert email_backend("smtp", "x.Backend", "production") == "x.Backend"
    with pytest.raises(ImproperlyConfigured, match="not a provider django-anymail supports"):
        email_backend("pigeon", None, "production")
    with pytest.raises(ImproperlyConfigured, match="is not an email provider"):
        email_backend("../etc", None, "production")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        email_backend("mailgun", "x.Backend", "production")
