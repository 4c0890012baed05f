"""Hostile bodies on the lean vote path (``ballots.fastvote``) and the API behind it: deep
nesting, random bytes, odd encodings, large lists. Every one gets a 4xx with a
``detail`` that says what is wrong (or is a valid vote), never a 5xx or an exception
escaping the WSGI application (docs/limits.md).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rankandfile.ballots import fastvote
from rankandfile.ballots.models import Ballot, SealedPaper
from rankandfile.core import limits
from tests.ballots import test_fastvote as base
from tests.ballots.test_fastvote import call, token_for, url
from tests.conftest import Party

# The fixtures of the fast-path tests: the clock, the WSGI stack, an open ballot.
_clock, app, ballot = base._clock, base.app, base.ballot

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def nested(depth: int, inner: Any = 1, kind: str = "list") -> Any:
    value = inner
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


def assert_clear_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:200])
    if response.headers.get("Content-Type", "").startswith("application/json"):
        detail = json.loads(response.content).get("detail")
        assert detail, response.content[:200]


def test_a_deeply_nested_body_is_400_naming_the_limit(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    """The body of issue 12: 30,000 nested lists overflowed the decoder (RecursionError)
    and gunicorn answered a bare 500."""
    raw = b'{"choice": ' + b"[" * 30000 + b"]" * 30000 + b"}"
    response = call(app, url(ballot), None, token_for(party), raw=raw)
    assert response.status_code == 400
    assert response.json() == {"detail": limits.depth_message()}
    assert not SealedPaper.objects.exists()


def test_nesting_up_to_the_limit_is_decoded_and_judged_as_a_paper(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    body = {"choice": nested(limits.MAX_JSON_DEPTH - 1)}  # the object adds one level
    response = call(app, url(ballot), body, token_for(party))
    assert response.status_code == 422  # not a list of numbers: ninja's validation
    assert not SealedPaper.objects.exists()


def test_an_unauthenticated_deep_body_is_refused_too(
    app: fastvote.FastVoteMiddleware, ballot: Ballot
) -> None:
    raw = b"[" * 5000
    response = call(app, url(ballot), None, "rf_nope_nope", raw=raw)
    assert response.status_code == 400
    assert "levels deep" in response.json()["detail"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(
    depth=st.integers(min_value=0, max_value=3000),
    kind=st.sampled_from(["list", "dict"]),
    wrap=st.booleans(),
)
def test_any_nesting_is_a_clear_4xx(
    app: fastvote.FastVoteMiddleware,
    party: Party,
    ballot: Ballot,
    depth: int,
    kind: str,
    wrap: bool,
) -> None:
    # {"choice": [1]} is a valid paper, and a recorded vote would outlive the example.
    assume(not (wrap and depth == 1 and kind == "list"))
    inner = nested(depth, 1, kind)
    body = {"choice": inner} if wrap else inner
    raw = json.dumps(body).encode() if depth < 500 else None
    if raw is None:  # json.dumps recurses too: build the text directly
        open_, close = ("[", "]") if kind == "list" else ('{"k":', "}")
        text = open_ * depth + "1" + close * depth
        raw = (f'{{"choice": {text}}}' if wrap else text).encode()
    response = call(app, url(ballot), None, token_for(party), raw=raw)
    if depth == 0 and wrap:
        assert response.status_code == 422
    else:
        assert_clear_4xx(response)
    assert not SealedPaper.objects.exists()


@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURES)
@given(
    raw=st.one_of(
        st.binary(min_size=1, max_size=2000),
        st.text(min_size=1, max_size=500).map(lambda t: t.encode("utf-8")),
        st.text(min_size=1, max_size=200).map(lambda t: t.encode("utf-16")),
        json_values.map(lambda v: json.dumps(v).encode()),
        json_values.map(lambda v: json.dumps({"choice": v}).encode()),
        st.lists(st.integers(), max_size=5000).map(lambda v: json.dumps({"choice": v}).encode()),
        st.text(max_size=3000).map(
            lambda v: json.dumps({"choice": v}).encode("latin-1", "replace")
        ),
    )
)
def test_any_body_is_a_vote_or_a_clear_4xx(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, raw: bytes
) -> None:
    response = call(app, url(ballot), None, token_for(party), raw=raw)
    if response.status_code == 201:  # a valid paper: a vote was cast (once)
        assert SealedPaper.objects.count() == 1
        SealedPaper.objects.all().delete()
        from rankandfile.ballots.models import VoteRecord

        VoteRecord.objects.all().delete()
        return
    assert_clear_4xx(response)


@pytest.mark.parametrize("size", [fastvote.MAX_BODY, fastvote.MAX_BODY + 1])
def test_bodies_at_and_beyond_the_lean_limit_are_answered(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, size: int
) -> None:
    raw = b'{"choice": "' + b"x" * (size - 14) + b'"}'
    assert len(raw) == size
    response = call(app, url(ballot), None, token_for(party), raw=raw)
    assert_clear_4xx(response)


def test_a_body_beyond_the_upload_limit_is_400_naming_it(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100 * 1024
    raw = json.dumps({"choice": [1] * 60000}).encode()
    assert len(raw) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = call(app, url(ballot), None, token_for(party), raw=raw)
    assert response.status_code == 400
    assert "larger than" in response.json()["detail"]
