"""The petition end to end through the public pages: signing, double opt-in,
duplicates and replays, honeypot and rate limits, bad input, withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from rankandfile.campaigns.models import Campaign, Signature
from rankandfile.core.models import AuditEntry
from tests.campaigns.conftest import GOOD, committed, links, sign


def count(campaign: Campaign) -> int:
    campaign.refresh_from_db()
    return campaign.confirmed_count


def test_sign_confirm_counts_once(client: Client, campaign: Campaign) -> None:
    response = sign(client, campaign)
    assert response.status_code == 302 and response["Location"].endswith("/signed/")
    sig = Signature.objects.get()
    assert sig.email == "ruth@example.org" and sig.postcode == "SW16 1AA"
    assert sig.confirmed_at is None and count(campaign) == 0
    assert "sessionid" not in response.cookies  # anonymous signing writes no session
    assert len(mail.outbox) == 1 and "Confirm your signature" in mail.outbox[0].subject
    secrets = links("ruth@example.org")
    # Only digests are stored.
    assert secrets["confirm"] not in (sig.confirm_digest, sig.withdraw_digest)

    page = client.get(f"/campaigns/confirm/{secrets['confirm']}/")
    assert page.status_code == 200 and b"Confirm my signature" in page.content
    assert count(campaign) == 0  # a GET (a mail scanner) changes nothing
    # The secret in the address is not sent to other sites, nor cached.
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]

    done = client.post(f"/campaigns/confirm/{secrets['confirm']}/")
    assert done.status_code == 200 and b"Thank you, Ruth" in done.content
    assert count(campaign) == 1

    replay = client.post(f"/campaigns/confirm/{secrets['confirm']}/")
    assert replay.status_code == 200 and b"Already confirmed" in replay.content
    assert count(campaign) == 1


def test_unconfirmed_signatures_are_not_counted_or_shown(
    client: Client, campaign: Campaign
) -> None:
    sign(client, campaign)
    page = client.get(f"/campaigns/{campaign.slug}/")
    assert b"Ruth, Streatham" not in page.content
    client.post(f"/campaigns/confirm/{links('ruth@example.org')['confirm']}/")
    page = client.get(f"/campaigns/{campaign.slug}/")
    assert b"Ruth, Streatham" in page.content


def test_supporters_shown_only_if_they_agreed(client: Client, campaign: Campaign) -> None:
    data = {k: v for k, v in GOOD.items() if k != "show_publicly"}
    committed(
        client.post,
        f"/campaigns/{campaign.slug}/sign/",
        {**data, "email": "quiet@example.org", "first_name": "Quentin"},
    )
    client.post(f"/campaigns/confirm/{links('quiet@example.org')['confirm']}/")
    assert count(campaign) == 1
    assert b"Quentin" not in client.get(f"/campaigns/{campaign.slug}/").content


def test_one_signature_per_email_case_insensitive(client: Client, campaign: Campaign) -> None:
    sign(client, campaign)
    again = sign(client, campaign, email="  RUTH@Example.org ")
    assert again.status_code == 302 and Signature.objects.count() == 1
    # Unconfirmed: the confirmation is sent again with a new link; the old one stops working.
    assert len(mail.outbox) == 2
    first = dict(
        __import__("re").findall(r"/campaigns/(confirm)/([A-Za-z0-9_-]+)/", mail.outbox[0].body)
    )
    old = client.post(f"/campaigns/confirm/{first['confirm']}/")
    assert old.status_code == 410 and b"newer link" in old.content
    client.post(f"/campaigns/confirm/{links('ruth@example.org')['confirm']}/")
    # Confirmed: signing again tells them by email, and this page says nothing different.
    third = sign(client, campaign)
    assert third.status_code == 302 and Signature.objects.count() == 1
    assert "already signed" in mail.outbox[-1].subject
    assert count(campaign) == 1


def test_emails_per_address_are_limited(client: Client, campaign: Campaign, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CAMPAIGN_EMAILS_PER_ADDRESS = 2
    sign(client, campaign)
    sign(client, campaign)
    third = sign(client, campaign)
    assert third["Location"].endswith("?again=1")
    assert len(mail.outbox) == 2
    assert b"already sent a link" in client.get(third["Location"]).content


def test_honeypot_stores_nothing(client: Client, campaign: Campaign) -> None:
    response = sign(client, campaign, website="http://spam.example")
    assert response.status_code == 302
    assert Signature.objects.count() == 0 and mail.outbox == []


def test_rate_limit_per_address(client: Client, campaign: Campaign, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CAMPAIGN_SIGNS_PER_IP = 2
    assert sign(client, campaign, email="a@example.org").status_code == 302
    assert sign(client, campaign, email="b@example.org").status_code == 302
    blocked = sign(client, campaign, email="c@example.org")
    assert blocked.status_code == 429 and b"Too many signatures" in blocked.content
    assert Signature.objects.count() == 2
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert sign(other, campaign, email="d@example.org").status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ruth@", b"Enter an email address like name@example.org."),
        ("email", "", b"Enter your email address."),
        ("postcode", "12345", b"Enter a UK postcode, like SW16 1AA."),
        ("postcode", "SW16 1AAAAAAAA", b"Enter a UK postcode, like SW16 1AA."),
        ("first_name", "x" * 101, b"Your first name is too long: at most 100 characters."),
        ("last_name", "", b"Enter your last name."),
        ("town", "y" * 81, b"Your town is too long: at most 80 characters."),
        ("consent", "", b"Tick the box to agree to the use of your data"),
        ("lives_in_constituency", "", b"tick the box if you do"),
        ("email", "x@example.org\r\nBcc: victim@example.org", b"Enter an email address"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    client: Client, campaign: Campaign, field: str, value: str, message: bytes
) -> None:
    response = sign(client, campaign, **{field: value})
    assert response.status_code == 400
    assert message in response.content
    assert Signature.objects.count() == 0 and mail.outbox == []


def test_script_injection_is_stored_as_text_and_escaped(client: Client, campaign: Campaign) -> None:
    evil = "<script>alert(1)</script>"
    sign(client, campaign, first_name=evil, town='"><img src=x onerror=alert(1)>')
    client.post(f"/campaigns/confirm/{links('ruth@example.org')['confirm']}/")
    page = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    # And in the form re-displayed after an error.
    bad = sign(client, campaign, email="nope", last_name=evil).content.decode()
    assert evil not in bad and "&lt;script&gt;" in bad


def test_withdraw_deletes_and_uncounts(client: Client, campaign: Campaign) -> None:
    sign(client, campaign)
    secrets = links("ruth@example.org")
    client.post(f"/campaigns/confirm/{secrets['confirm']}/")
    assert count(campaign) == 1
    page = client.get(f"/campaigns/withdraw/{secrets['withdraw']}/")
    assert page.status_code == 200 and b"Withdraw and delete my details" in page.content
    done = client.post(f"/campaigns/withdraw/{secrets['withdraw']}/")
    assert done.status_code == 200 and b"has been withdrawn" in done.content
    assert Signature.objects.count() == 0 and count(campaign) == 0
    again = client.post(f"/campaigns/withdraw/{secrets['withdraw']}/")
    assert again.status_code == 410 and b"already been withdrawn" in again.content
    # The confirm link died with the signature.
    assert client.post(f"/campaigns/confirm/{secrets['confirm']}/").status_code == 410
    # Nothing personal reached the audit log.
    assert not AuditEntry.objects.filter(data__icontains="ruth").exists()


def test_withdraw_unconfirmed_does_not_touch_the_count(client: Client, campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(confirmed_count=5)
    sign(client, campaign)
    client.post(f"/campaigns/withdraw/{links('ruth@example.org')['withdraw']}/")
    assert count(campaign) == 5


def test_made_up_links_are_refused(client: Client, campaign: Campaign) -> None:
    assert client.post("/campaigns/confirm/not-a-real-secret/").status_code == 410
    assert client.get("/campaigns/withdraw/not-a-real-secret/").status_code == 410


def test_signing_closed_petition_is_refused(client: Client, campaign: Campaign) -> None:
    sign(client, campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.HANDED_IN)
    confirm = client.post(f"/campaigns/confirm/{links('ruth@example.org')['confirm']}/")
    assert confirm.status_code == 410 and b"no longer taking signatures" in confirm.content
    assert count(campaign) == 0
    response = sign(client, campaign, email="late@example.org")
    assert response.status_code == 409 and b"not open for signatures" in response.content
    assert Signature.objects.count() == 1


def test_campaign_page_shows_progress_to_ten_percent(client: Client, campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(confirmed_count=3_500)
    page = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    # 10% of 70,001 electors, rounded up: 7,001.
    assert "of a target of 7,001" in page and 'value="49"' in page
    assert "https://wa.me/?text=" in page and "mailto:?subject=" in page
    Campaign.objects.filter(pk=campaign.pk).update(target=3_500)
    page = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "Target reached." in page


def test_progress_fragment_for_htmx(client: Client, campaign: Campaign) -> None:
    fragment = client.get(f"/campaigns/{campaign.slug}/?part=progress", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content and b"campaign-progress" in fragment.content


def test_campaign_page_query_count(
    client: Client, campaign: Campaign, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        sign(client, campaign, email=f"s{i}@example.org")
        client.post(f"/campaigns/confirm/{links(f's{i}@example.org')['confirm']}/")
    with django_assert_max_num_queries(6):
        client.get(f"/campaigns/{campaign.slug}/")


def test_rate_windows_count_per_key_and_expire(db: None) -> None:
    import time_machine
    from django.utils import timezone

    from rankandfile.campaigns.models import RateWindow
    from rankandfile.campaigns.services import ratelimit

    with time_machine.travel(timezone.now().replace(minute=0, second=1), tick=False):
        assert [ratelimit.allow("ip:a", 2, 600) for _ in range(3)] == [True, True, False]
        assert ratelimit.allow("ip:b", 2, 600)
        assert ratelimit.allow("ip:a", 0, 600)  # 0 disables the limit
        # No address is stored, only digests.
        assert not RateWindow.objects.filter(key__contains="ip:").exists()
    with time_machine.travel(
        timezone.now().replace(minute=0, second=1) + dt.timedelta(minutes=11), tick=False
    ):
        assert ratelimit.allow("ip:a", 2, 600)  # a new window
        assert ratelimit.purge_rate_windows() == 2
    assert RateWindow.objects.count() == 1
