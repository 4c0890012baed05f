"""The lean petition path (``campaigns.fastsign``, wrapped around Django in
``rankandfile.wsgi``): the same outcomes and messages as the signing view for anonymous
signatures; everything it does not answer reaches Django unchanged; the anonymous
campaign page is reused for a few seconds with a CSRF token of each visitor's own.

The WSGI application is called directly with a request environ (the test client would go
round it). Django's own handler serves what the fast path hands on, with CSRF enforced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from csp.utils import build_policy
from django.core import mail, signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.middleware.csrf import _does_token_match, get_token
from django.test import RequestFactory, TestCase

from rankandfile.campaigns import fastsign
from rankandfile.campaigns.forms import SignForm
from rankandfile.campaigns.models import Campaign, RateWindow, Signature
from rankandfile.campaigns.services import petition
from rankandfile.campaigns.views import sign_redirect
from tests.campaigns.conftest import GOOD, links

CSRF = "k2Jd8sQ0mZxY7vB4nR1tW6pL9cF3hA5e"  # a fixed 32-character secret
OTHER = "Zq9Xw8Vu7Ts6Rr5Qp4On3Ml2Kj1Ih0Gf"


def mask(secret: str) -> str:
    """A masked token for ``secret``, as Django puts in a page (``get_token``)."""
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret
    return get_token(request)


def csrf_ok(secret: str, token: str) -> bool:
    """Django's own rule: the token (masked or not) carries the cookie's secret."""
    return bool(_does_token_match(token, secret))


class Served:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes, django: bool):
        self.status_code = int(status.split()[0])
        self.header_list = headers
        self.headers = dict(headers)
        self.content = body
        self.by_django = django


class Recorder:
    """Django's WSGI handler, noting whether it was called."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.handler(environ, start_response)


@pytest.fixture
def app() -> Iterator[fastsign.FastSignMiddleware]:
    """The wrapper around Django. As Django's test client does, connections are not
    closed at request boundaries (the test's transaction holds them)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    petition._IDS.clear()
    try:
        yield fastsign.FastSignMiddleware(Recorder())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def serve(app: Any, environ: dict[str, Any]) -> Served:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    recorder = app.app if isinstance(app, fastsign.FastSignMiddleware) else app
    before = recorder.calls
    # Run what the request queued after its commit (the email task): tests run inside a
    # transaction that never commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = app(environ, start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    return Served(captured["status"], captured["headers"], body, recorder.calls > before)


def post(
    app: Any,
    campaign: Campaign,
    *,
    cookie: str | None = CSRF,
    token: str | None = CSRF,
    ip: str = "127.0.0.1",
    xff: str | None = None,
    **fields: Any,
) -> Served:
    data = {**GOOD, **fields}
    if token is not None:
        data["csrfmiddlewaretoken"] = token
    extra: dict[str, Any] = {"REMOTE_ADDR": ip}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    extra["HTTP_COOKIE"] = f"csrftoken={cookie}" if cookie is not None else ""
    request = RequestFactory().post(
        f"/campaigns/{campaign.slug}/sign/",
        data=urlencode(data).encode(),
        content_type="application/x-www-form-urlencoded",
        **extra,
    )
    return serve(app, request.environ)


def get(app: Any, path: str, **extra: Any) -> Served:
    return serve(app, RequestFactory().get(path, **extra).environ)


# --- signatures ------------------------------------------------------------------------------
def test_a_signature_is_taken_by_the_fast_path(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    served = post(app, campaign)
    assert not served.by_django
    assert served.status_code == 302
    assert served.headers["Location"] == f"/campaigns/{campaign.slug}/signed/"
    # The same Content-Security-Policy as every Django response.
    assert served.headers["Content-Security-Policy"] == build_policy()
    sig = Signature.objects.get()
    assert (sig.first_name, sig.email, sig.postcode, sig.town) == (
        "Ruth",
        "ruth@example.org",
        "SW16 1AA",
        "Streatham",
    )
    assert sig.lives_in_constituency and sig.consent and sig.show_publicly
    assert sig.confirmed_at is None and sig.emails_sent == 1
    # The confirmation email went out by the same task, with links whose digests only
    # are stored.
    assert len(mail.outbox) == 1 and "Confirm your signature" in mail.outbox[0].subject
    found = links("ruth@example.org")
    assert set(found) == {"confirm", "withdraw"}
    assert sig.confirm_digest and found["confirm"] not in sig.confirm_digest
    assert Campaign.objects.get(pk=campaign.pk).confirmed_count == 0


def test_the_answer_matches_the_django_view(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    fast = post(app, campaign, email="fast@example.org")
    slow = post(Recorder(), campaign, email="slow@example.org")
    assert not fast.by_django and slow.by_django
    assert (fast.status_code, fast.headers["Location"]) == (302, slow.headers["Location"])
    for name in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert fast.headers[name] == slow.headers[name]
    fields = ("first_name", "last_name", "postcode", "town", "show_publicly", "emails_sent")
    a, b = (
        Signature.objects.values(*fields).get(email=e)
        for e in ("fast@example.org", "slow@example.org")
    )
    assert a == b


def test_one_signature_per_email_resends_the_link(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    post(app, campaign)
    again = post(app, campaign, email="  RUTH@example.org ")
    assert not again.by_django and again.status_code == 302
    assert again.headers["Location"] == f"/campaigns/{campaign.slug}/signed/"
    assert Signature.objects.count() == 1
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Confirm your signature"] * 2


def test_a_confirmed_signer_is_told_by_email_and_capped(
    app: fastsign.FastSignMiddleware, campaign: Campaign, settings: Any
) -> None:
    settings.CAMPAIGN_EMAILS_PER_ADDRESS = 2
    post(app, campaign)
    Signature.objects.update(confirmed_at="2026-01-01T00:00:00Z")
    second = post(app, campaign)
    assert second.headers["Location"].endswith("/signed/")
    assert mail.outbox[-1].subject.startswith("You have already signed")
    third = post(app, campaign)
    assert third.status_code == 302 and third.headers["Location"].endswith("/signed/?again=1")
    assert len(mail.outbox) == 2 and Signature.objects.count() == 1


def test_the_honeypot_stores_nothing(app: fastsign.FastSignMiddleware, campaign: Campaign) -> None:
    served = post(app, campaign, website="http://spam.example")
    assert not served.by_django
    assert served.status_code == 302 and served.headers["Location"].endswith("/signed/")
    assert Signature.objects.count() == 0 and mail.outbox == []


def test_the_rate_limit_is_django_s_answer_counted_once(
    app: fastsign.FastSignMiddleware, campaign: Campaign, settings: Any
) -> None:
    settings.CAMPAIGN_SIGNS_PER_IP = 2
    assert post(app, campaign, email="a@example.org").status_code == 302
    assert post(app, campaign, email="b@example.org").status_code == 302
    blocked = post(app, campaign, email="c@example.org")
    assert blocked.by_django
    assert blocked.status_code == 429 and b"Too many signatures" in blocked.content
    assert Signature.objects.count() == 2
    assert RateWindow.objects.get().count == 3  # the refused request counted once
    assert post(app, campaign, email="d@example.org", ip="192.0.2.7").status_code == 302


def test_the_rate_limit_follows_the_client_behind_the_trusted_proxy(
    app: fastsign.FastSignMiddleware, campaign: Campaign, settings: Any
) -> None:
    # One TLS proxy (TRUSTED_PROXIES): every request arrives from it; the limit is per client.
    settings.CAMPAIGN_SIGNS_PER_IP = 1
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    proxy = "10.0.0.2"
    assert (
        post(app, campaign, email="a@example.org", ip=proxy, xff="198.51.100.1").status_code == 302
    )
    refused = post(app, campaign, email="b@example.org", ip=proxy, xff="6.6.6.6, 198.51.100.1")
    assert refused.status_code == 429  # a forged entry left of the proxy's changes nothing
    other = post(app, campaign, email="c@example.org", ip=proxy, xff="198.51.100.2")
    assert other.status_code == 302 and not other.by_django
    assert RateWindow.objects.count() == 2  # one window per client, none for the proxy


def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_limit(
    app: fastsign.FastSignMiddleware, campaign: Campaign, settings: Any
) -> None:
    settings.CAMPAIGN_SIGNS_PER_IP = 1
    settings.TRUSTED_PROXIES = []
    assert post(app, campaign, email="a@example.org", xff="198.51.100.1").status_code == 302
    assert post(app, campaign, email="b@example.org", xff="198.51.100.9").status_code == 429


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ruth@", b"Enter an email address like name@example.org."),
        ("postcode", "12345", b"Enter a UK postcode, like SW16 1AA."),
        ("first_name", "x" * 101, b"Your first name is too long: at most 100 characters."),
        ("consent", "", b"Tick the box to agree to the use of your data"),
        ("lives_in_constituency", "", b"tick the box if you do"),
    ],
)
def test_invalid_input_is_re_rendered_by_django(
    app: fastsign.FastSignMiddleware, campaign: Campaign, field: str, value: str, message: bytes
) -> None:
    served = post(app, campaign, **{field: value})
    assert served.by_django
    assert served.status_code == 400 and message in served.content
    assert Signature.objects.count() == 0 and mail.outbox == []
    assert RateWindow.objects.get().count == 1  # counted by Django only


def test_a_closed_petition_is_refused_as_by_django(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    post(app, campaign)  # the campaign's id is now known to the process
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.HANDED_IN)
    served = post(app, campaign, email="late@example.org")
    assert served.by_django
    assert served.status_code == 409 and b"not open for signatures" in served.content
    assert Signature.objects.count() == 1
    assert RateWindow.objects.get().count == 2  # once per request


def test_drafts_and_unknown_campaigns_are_404(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DRAFT)
    served = post(app, campaign)
    assert served.by_django and served.status_code == 404
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    ("cookie", "token"),
    [
        (None, CSRF),  # no cookie
        (CSRF, None),  # no token
        (CSRF, OTHER),  # another token
        (CSRF, "not a token"),
    ],
    ids=["no-cookie", "no-token", "other-token", "malformed"],
)
def test_csrf_failures_are_django_s_403(
    app: fastsign.FastSignMiddleware, campaign: Campaign, cookie: str | None, token: str | None
) -> None:
    served = post(app, campaign, cookie=cookie, token=token)
    assert served.by_django and served.status_code == 403
    assert Signature.objects.count() == 0 and mail.outbox == []


def test_a_masked_token_is_accepted(app: fastsign.FastSignMiddleware, campaign: Campaign) -> None:
    served = post(app, campaign, token=mask(CSRF))
    assert not served.by_django and served.status_code == 302
    other = post(app, campaign, token=mask(OTHER), email="other@example.org")
    assert other.by_django and other.status_code == 403


def test_a_foreign_origin_goes_to_django(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    request = RequestFactory().post(
        f"/campaigns/{campaign.slug}/sign/",
        data=urlencode({**GOOD, "csrfmiddlewaretoken": CSRF}).encode(),
        content_type="application/x-www-form-urlencoded",
        HTTP_COOKIE=f"csrftoken={CSRF}",
        HTTP_ORIGIN="https://evil.example",
    )
    served = serve(app, request.environ)
    assert served.by_django and served.status_code == 403
    same = RequestFactory().post(
        f"/campaigns/{campaign.slug}/sign/",
        data=urlencode({**GOOD, "csrfmiddlewaretoken": CSRF}).encode(),
        content_type="application/x-www-form-urlencoded",
        HTTP_COOKIE=f"csrftoken={CSRF}",
        HTTP_ORIGIN="http://testserver",
    )
    served = serve(app, same.environ)
    assert not served.by_django and served.status_code == 302


def test_logged_in_visitors_and_other_bodies_go_to_django(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    body = urlencode({**GOOD, "csrfmiddlewaretoken": CSRF}).encode()
    path = f"/campaigns/{campaign.slug}/sign/"
    with_session = RequestFactory().post(
        path,
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_COOKIE=f"csrftoken={CSRF}; sessionid=abc",
    )
    served = serve(app, with_session.environ)
    assert served.by_django and served.status_code == 302  # Django signed it
    multipart = RequestFactory().post(
        path, data={**GOOD, "email": "m@example.org", "csrfmiddlewaretoken": CSRF}
    )
    multipart.environ["HTTP_COOKIE"] = f"csrftoken={CSRF}"
    served = serve(app, multipart.environ)
    assert served.by_django and served.status_code == 302
    assert Signature.objects.count() == 2


# --- the campaign page -----------------------------------------------------------------------
def _token(body: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"', body)
    assert found is not None
    return found[1].decode()


def test_the_anonymous_page_is_reused_with_each_visitor_s_token(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    path = f"/campaigns/{campaign.slug}/"
    first = get(app, path)
    assert first.by_django and first.status_code == 200
    Campaign.objects.filter(pk=campaign.pk).update(confirmed_count=1234)
    second = get(app, path, HTTP_COOKIE=f"csrftoken={CSRF}")
    assert not second.by_django and second.status_code == 200
    assert b"1234" not in second.content  # a few seconds old at most
    # As from Django: the visitor's own secret, its cookie renewed.
    assert second.headers["Set-Cookie"].startswith(f"csrftoken={CSRF};")
    assert csrf_ok(CSRF, _token(second.content))
    # The sign form, htmx's header and the language switcher.
    assert second.content.count(_token(second.content).encode()) == 3
    assert b"\x00" not in second.content
    assert int(second.headers["Content-Length"]) == len(second.content)
    # A visitor without the cookie gets a new secret, as from Django.
    third = get(app, path)
    assert not third.by_django
    cookie = third.headers["Set-Cookie"]
    secret = re.match(r"csrftoken=([A-Za-z0-9]{32});", cookie)
    assert secret is not None and csrf_ok(secret[1], _token(third.content))
    # That visitor's token signs.
    served = post(app, campaign, cookie=secret[1], token=_token(third.content))
    assert not served.by_django and served.status_code == 302


def test_the_progress_fragment_is_reused(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    path = f"/campaigns/{campaign.slug}/?part=progress"
    first = get(app, path, HTTP_HX_REQUEST="true")
    second = get(app, path, HTTP_HX_REQUEST="true")
    assert first.by_django and not second.by_django
    assert second.content == first.content and b"<html" not in second.content
    full = get(app, path)  # not htmx: the whole page, cached apart
    assert full.by_django and b"<html" in full.content


def test_the_cache_can_be_turned_off_and_skips_sessions_and_drafts(
    app: fastsign.FastSignMiddleware, campaign: Campaign, settings: Any
) -> None:
    path = f"/campaigns/{campaign.slug}/"
    get(app, path)
    assert get(app, path, HTTP_COOKIE="sessionid=abc").by_django
    assert get(app, path + "?x=1").by_django
    settings.CAMPAIGN_PAGE_CACHE_SECONDS = 0
    assert get(app, path).by_django
    settings.CAMPAIGN_PAGE_CACHE_SECONDS = 5
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DRAFT)
    app._pages.clear()
    assert get(app, path).status_code == 404
    assert get(app, path).by_django  # not cached
    assert get(app, "/campaigns/pledges/").by_django


def test_the_wsgi_module_wraps_both_fast_paths() -> None:
    from rankandfile import wsgi
    from rankandfile.ballots.fastvote import FastVoteMiddleware
    from rankandfile.conference.hall_fast import HallStateMiddleware
    from rankandfile.core.links import ServingOrigin
    from rankandfile.core.proxy import TrustedProxies

    # Outside them: the client's address behind the proxy, then the links' origin.
    assert isinstance(wsgi.application, TrustedProxies)
    assert isinstance(wsgi.application.app, ServingOrigin)
    # The conference hall's snapshot cache, then the petition and the vote paths.
    assert isinstance(wsgi.application.app.app, HallStateMiddleware)
    assert isinstance(wsgi.application.app.app.app, fastsign.FastSignMiddleware)
    assert type(wsgi.application.app.app.app.app) is FastVoteMiddleware


# --- one signature per email, under simultaneous submissions ---------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_signatures_by_one_address_store_one_row(campaign: Campaign) -> None:
    """Four submissions by one address at once, each on its own connection: the unique
    constraint decides (``ON CONFLICT DO NOTHING`` waits for the first); the others are
    re-sends, capped per address. On SQLite the writers go one at a time."""
    import threading

    from django.db import connection
    from django.http import QueryDict

    from tests.ballots.test_concurrency import _require_postgres_if_asked, _writer_gate

    _require_postgres_if_asked()
    petition._IDS.clear()
    data = QueryDict(urlencode(GOOD))
    barrier = threading.Barrier(4)
    gate = _writer_gate()
    answers: list[Any] = [None] * 4

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with gate:
                form = SignForm(data)
                outcome = petition.petition_sign(
                    slug=campaign.slug,
                    is_bot=False,
                    data=form.signature(),
                    client_ip="192.0.2.1",
                )
                answers[i] = sign_redirect(campaign.slug, outcome)
        except Exception as exc:  # the outcome under test, whatever it is
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    signed = f"/campaigns/{campaign.slug}/signed/"
    assert sorted(answers) == [signed] * 3 + [signed + "?again=1"], answers
    sig = Signature.objects.get()
    assert sig.emails_sent == 3


def test_the_cached_page_is_kept_per_language(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    """A Welsh reader (by Accept-Language) never gets the English page from the cache, or
    the other way round."""
    path = f"/campaigns/{campaign.slug}/"
    english = get(app, path, HTTP_ACCEPT_LANGUAGE="en-GB")
    welsh = get(app, path, HTTP_ACCEPT_LANGUAGE="cy")
    assert english.by_django and welsh.by_django  # one cache entry each
    assert b'<html lang="en-GB">' in english.content
    assert b'<html lang="cy">' in welsh.content
    again = get(app, path, HTTP_ACCEPT_LANGUAGE="cy", HTTP_COOKIE=f"csrftoken={CSRF}")
    assert not again.by_django and b'<html lang="cy">' in again.content
