"""Hostile forms on the lean petition path (``campaigns.fastsign``) and the signing view
behind it: thousands of fields, random bytes, odd encodings, huge values. Every one is a
signature (302), or a 4xx that says what is wrong, never a 5xx or an exception escaping
the WSGI application (docs/limits.md).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankandfile.campaigns import fastsign
from rankandfile.campaigns.models import Campaign, Signature
from rankandfile.core import limits
from tests.campaigns import test_fastsign as base
from tests.campaigns.conftest import GOOD
from tests.campaigns.test_fastsign import CSRF, serve

app = base.app  # the fixture: the wrapper around Django's handler

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def post_raw(app: Any, campaign: Campaign, raw: bytes, ip: str = "127.0.0.1") -> Any:
    request = RequestFactory().post(
        f"/campaigns/{campaign.slug}/sign/",
        data=raw,
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR=ip,
        HTTP_COOKIE=f"csrftoken={CSRF}",
    )
    return serve(app, request.environ)


def test_a_form_with_thousands_of_fields_is_400_naming_the_limit(
    app: fastsign.FastSignMiddleware, campaign: Campaign
) -> None:
    """The body of issue 12: QueryDict raised TooManyFieldsSent outside any handler and
    gunicorn answered a bare 500."""
    raw = urlencode({**GOOD, "csrfmiddlewaretoken": CSRF}).encode() + b"&a" * 5000
    assert len(raw) <= fastsign.MAX_BODY
    served = post_raw(app, campaign, raw)
    assert served.by_django
    assert served.status_code == 400
    assert limits.too_many_fields_message().encode() in served.content
    assert not Signature.objects.exists()


def test_the_limit_is_django_s_setting(
    app: fastsign.FastSignMiddleware, campaign: Campaign, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    fields = {**GOOD, "csrfmiddlewaretoken": CSRF}
    raw = urlencode(fields).encode() + b"".join(b"&x%d=1" % i for i in range(21 - len(fields) + 1))
    served = post_raw(app, campaign, raw)
    assert served.status_code == 400 and b"more than 20 fields" in served.content
    raw = urlencode(fields).encode()
    assert post_raw(app, campaign, raw).status_code == 302


field_names = st.sampled_from([*GOOD, "website", "csrfmiddlewaretoken", "x", ""]) | st.text(
    max_size=8
)


@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURES)
@given(
    raw=st.one_of(
        st.binary(max_size=3000),
        st.lists(st.tuples(field_names, st.text(max_size=40)), max_size=40).map(
            lambda pairs: urlencode([*pairs, ("csrfmiddlewaretoken", CSRF)]).encode()
        ),
        st.dictionaries(st.sampled_from(list(GOOD)), st.text(max_size=300)).map(
            lambda over: urlencode({**GOOD, **over, "csrfmiddlewaretoken": CSRF}).encode()
        ),
        st.integers(min_value=900, max_value=8000).map(
            lambda n: urlencode({**GOOD, "csrfmiddlewaretoken": CSRF}).encode() + b"&f" * n
        ),
        st.text(max_size=300).map(
            lambda t: urlencode({**GOOD, "first_name": t, "csrfmiddlewaretoken": CSRF}).encode(
                "latin-1", "replace"
            )
        ),
        st.binary(max_size=200).map(
            lambda b: b"first_name=" + b + b"&csrfmiddlewaretoken=" + CSRF.encode()
        ),
    ),
    ip=st.sampled_from(["127.0.0.1", "10.0.0.1", "10.0.0.2"]),
)
def test_any_form_is_a_signature_or_a_clear_4xx(
    app: fastsign.FastSignMiddleware, campaign: Campaign, raw: bytes, ip: str
) -> None:
    served = post_raw(app, campaign, raw, ip)
    assert served.status_code in (302, 400, 403, 409, 429), (served.status_code, raw[:100])
    if (
        served.status_code == 400
        and raw.count(b"&") >= django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    ):
        assert b"fields (the limit)" in served.content
