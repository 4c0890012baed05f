"""The lean petition path and Django answer the same random signing requests the same
way (decision 0021): hypothesis draws a request — a live, closed, draft or unknown
campaign; a good form, a bad field, no consent, the honeypot filled in; the CSRF cookie
and token right, missing, wrong or masked, a foreign or the site's own ``Origin``; a good
or bad host; a session cookie; an address that has signed already or used up its rate
limit — and sends it once through ``FastSignMiddleware`` around Django and once straight
to Django's handler, each inside a savepoint rolled back afterwards. The status, the
redirect, the page (CSRF tokens aside: they are random), the security headers, and the
database afterwards (signatures, rate-limit windows, emails queued) must be the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import RequestFactory, TestCase
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rankandfile.campaigns import fastsign
from rankandfile.campaigns.models import Campaign, RateWindow, Signature
from rankandfile.campaigns.services import petition, ratelimit
from tests.campaigns.conftest import GOOD
from tests.campaigns.factories import CampaignFactory
from tests.campaigns.test_fastsign import CSRF, OTHER, mask
from tests.conftest import Party

HEADERS = (
    "Location",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)
LIMIT = 3  # signatures per address per window in this test (CAMPAIGN_SIGNS_PER_IP)


@pytest.fixture
def stacks(settings: Any) -> Iterator[tuple[Any, Any]]:
    settings.CAMPAIGN_SIGNS_PER_IP = LIMIT
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    petition._IDS.clear()
    try:
        django = WSGIHandler()
        yield fastsign.FastSignMiddleware(django), django
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def campaigns(party: Party, campaign: Campaign) -> dict[str, Campaign]:
    return {
        "live": campaign,
        "closed": CampaignFactory(
            clp=party.northtown, slug="closed-one", mp=party.mp, state=Campaign.State.CLOSED
        ),
        "draft": CampaignFactory(
            clp=party.northtown, slug="draft-one", mp=party.mp, state=Campaign.State.DRAFT
        ),
    }


FORMS = st.sampled_from(
    [
        GOOD,
        GOOD,
        {**GOOD, "email": "another@example.org"},
        {**GOOD, "email": "not an email"},
        {**GOOD, "postcode": "nowhere"},
        {**GOOD, "consent": ""},
        {**GOOD, "lives_in_constituency": ""},
        {**GOOD, "first_name": ""},
        {**GOOD, "website": "http://spam.example"},
        {k: v for k, v in GOOD.items() if k != "last_name"},
    ]
)


@dataclass(frozen=True)
class Request:
    campaign: str
    form: dict[str, str]
    cookie: str | None
    token: str | None
    origin: str | None
    host: str
    session: bool
    signed_before: bool
    limit_used: bool


REQUESTS = st.builds(
    Request,
    campaign=st.sampled_from(["live", "live", "live", "closed", "draft", "unknown"]),
    form=FORMS,
    cookie=st.sampled_from([CSRF, CSRF, CSRF, None, OTHER, "short"]),
    token=st.sampled_from(["plain", "plain", "masked", None, "other", "garbage"]),
    origin=st.sampled_from([None, None, "http://testserver", "https://evil.example"]),
    host=st.sampled_from(["testserver", "testserver", "evil.example"]),
    session=st.sampled_from([False, False, False, True]),
    signed_before=st.booleans(),
    limit_used=st.booleans(),
)


def _environ(campaigns: dict[str, Campaign], request: Request) -> dict[str, Any]:
    found = campaigns.get(request.campaign)
    slug = found.slug if found is not None else "no-such-campaign"
    data = dict(request.form)
    token = {
        "plain": CSRF,
        "masked": mask(CSRF),
        "other": mask(OTHER),
        "garbage": "x" * 10,
        None: None,
    }[request.token]
    if token is not None:
        data["csrfmiddlewaretoken"] = token
    cookies = []
    if request.cookie is not None:
        cookies.append(f"csrftoken={request.cookie}")
    if request.session:
        cookies.append("sessionid=nothing-valid")
    extra: dict[str, Any] = {"HTTP_HOST": request.host, "HTTP_COOKIE": "; ".join(cookies)}
    if request.origin is not None:
        extra["HTTP_ORIGIN"] = request.origin
    return (
        RequestFactory()
        .post(
            f"/campaigns/{slug}/sign/",
            data=urlencode(data).encode(),
            content_type="application/x-www-form-urlencoded",
            **extra,
        )
        .environ
    )


def _serve(app: Any, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    result = app(environ, start_response)
    body = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return int(captured["status"].split()[0]), dict(captured["headers"]), body


def _state() -> dict[str, Any]:
    return {
        "signatures": sorted(
            Signature.objects.values_list("campaign__slug", "email", "emails_sent", "postcode")
        ),
        "rate": sorted(RateWindow.objects.values_list("key", "count")),
    }


_TOKENS = re.compile(rb"[A-Za-z0-9]{64}")


def _run(app: Any, campaigns: dict[str, Campaign], request: Request) -> tuple[Any, ...]:
    with transaction.atomic():
        if request.signed_before:
            petition.signature_sign(
                campaign=campaigns["live"],
                data=petition.check_signature_input(
                    petition.SignatureInput(
                        first_name="Ruth",
                        last_name="Signer",
                        email=GOOD["email"],
                        postcode="SW16 1AA",
                        town="",
                        lives_in_constituency=True,
                        consent=True,
                        show_publicly=False,
                    )
                )[0],
                notify=False,
            )
        if request.limit_used:
            for _ in range(LIMIT):
                ratelimit.allow("campaigns:ip:127.0.0.1", LIMIT, ratelimit.ip_limit()[1])
        with TestCase.captureOnCommitCallbacks(execute=False) as queued:
            status, headers, body = _serve(app, _environ(campaigns, request))
        state = {**_state(), "queued": len(queued)}
        transaction.set_rollback(True)
    return status, headers, _TOKENS.sub(b"", body), state


def _plain(campaign: str, form: dict[str, str], **changes: Any) -> Request:
    """A request from a browser that loaded the page (cookie, token), with ``changes``."""
    base: dict[str, Any] = {
        "cookie": CSRF,
        "token": "plain",
        "origin": None,
        "host": "testserver",
        "session": False,
        "signed_before": False,
        "limit_used": False,
    }
    return Request(campaign, form, **{**base, **changes})


@hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=REQUESTS)
# The cases the lean path must not answer differently, always tried besides the draw.
@example(request=_plain("live", GOOD))
@example(request=_plain("live", GOOD, signed_before=True))
@example(request=_plain("live", GOOD, limit_used=True))
@example(request=_plain("live", {**GOOD, "website": "x"}))
@example(request=_plain("live", {**GOOD, "email": "not an email"}))
@example(request=_plain("closed", GOOD))
@example(request=_plain("draft", GOOD))
@example(request=_plain("unknown", GOOD))
@example(request=_plain("live", GOOD, cookie=None))
@example(request=_plain("live", GOOD, token=None))
@example(request=_plain("live", GOOD, token="other"))
@example(request=_plain("live", GOOD, token="masked"))
@example(request=_plain("live", GOOD, origin="https://evil.example"))
@example(request=_plain("live", GOOD, origin="http://testserver"))
@example(request=_plain("live", GOOD, host="evil.example"))
@example(request=_plain("live", GOOD, session=True))
def test_the_lean_path_answers_as_django(
    stacks: tuple[Any, Any], campaigns: dict[str, Campaign], request: Request
) -> None:
    lean_app, django_app = stacks
    lean_status, lean_headers, lean_body, lean_state = _run(lean_app, campaigns, request)
    dj_status, dj_headers, dj_body, dj_state = _run(django_app, campaigns, request)
    assert lean_status == dj_status, request
    for header in HEADERS:
        assert lean_headers.get(header) == dj_headers.get(header), (header, request)
    assert lean_body == dj_body, request
    assert lean_state == dj_state, request


def test_the_draw_reaches_the_lean_path(
    stacks: tuple[Any, Any], campaigns: dict[str, Campaign]
) -> None:
    """Not vacuous: a good signature, a repeat and the honeypot are answered by the lean
    path itself (302), and a closed petition's 409 by the view given the lean outcome."""
    lean_app, django_app = stacks
    calls: list[int] = []
    lean_app.app = lambda environ, start: calls.append(1) or django_app(environ, start)

    def request(campaign: str, form: dict[str, str], signed_before: bool) -> Request:
        return Request(
            campaign, form, CSRF, "plain", None, "testserver", False, signed_before, False
        )

    assert _run(lean_app, campaigns, request("live", GOOD, False))[0] == 302
    assert _run(lean_app, campaigns, request("live", GOOD, True))[0] == 302
    bot = {**GOOD, "website": "x"}
    assert _run(lean_app, campaigns, request("live", bot, False))[0] == 302
    assert calls == []
    assert _run(lean_app, campaigns, request("closed", GOOD, False))[0] == 409
    assert calls == [1]
