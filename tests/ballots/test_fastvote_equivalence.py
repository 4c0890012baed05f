"""The lean vote path and Django answer the same random requests the same way
(decision 0021): hypothesis draws a request — a good, wrong, revoked, read-only or
stranger's token; an open, closed, not-yet-open or draft-like ballot; a good or bad host;
a good, wrong, malformed or hostile body; a member who has voted already — and sends it
once through the production WSGI stack (``FastVoteMiddleware`` around Django) and once
straight to Django's handler, each inside a savepoint rolled back afterwards. The status,
the answer's key content, the security headers and the database afterwards (vote records,
the opened papers, ballot links, the token's last use) must be the same.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import RequestFactory
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rankandfile.ballots import casting, fastvote, services
from rankandfile.ballots.models import Ballot, Elector, VoteRecord
from rankandfile.core import tokens
from rankandfile.core.models import ApiToken
from tests.ballots.factories import sealed_papers
from tests.ballots.test_api import NOW, make_ballot
from tests.conftest import Party, issue_token

HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def stacks() -> Iterator[tuple[Any, Any]]:
    """(the lean path around Django, Django alone); connections stay open as with the
    test client (the test's transaction holds them)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        django = WSGIHandler()
        yield fastvote.FastVoteMiddleware(django), django
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@dataclass
class World:
    ballots: dict[str, Ballot]
    tokens: dict[str, str]
    party: Party


@pytest.fixture
def world(party: Party) -> World:
    ballots = {
        "open": make_ballot(party),
        "yesno": make_ballot(party, method="yesno"),
        "closed": make_ballot(party),
        "ended": make_ballot(party),
        "not_yet": make_ballot(party),
    }
    Ballot.objects.filter(pk=ballots["closed"].pk).update(state=Ballot.State.CLOSED)
    Ballot.objects.filter(pk=ballots["ended"].pk).update(closes_at=NOW - dt.timedelta(minutes=1))
    Ballot.objects.filter(pk=ballots["not_yet"].pk).update(opens_at=NOW + dt.timedelta(hours=1))
    # Everyone on every electorate holds a one-time ballot link (the vote ends it).
    for elector in Elector.objects.all():
        Elector.objects.filter(pk=elector.pk).update(token_digest=tokens.digest(f"l{elector.pk}"))
    good = issue_token(party.member)
    revoked = issue_token(party.member, name="old")
    ApiToken.objects.filter(name="old").update(revoked_at=NOW - dt.timedelta(days=1))
    return World(
        ballots=ballots,
        tokens={
            "good": good,
            "read_only": issue_token(party.member, name="ro", scopes=["read"]),
            "revoked": revoked,
            "wrong_secret": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
            "garbage": "rf_nothing_here",
            "not_a_token": "hello",
            "stranger": issue_token(party.no_roles),
            "officer": issue_token(party.clp_secretary),
        },
        party=party,
    )


CHOICES = st.one_of(
    st.lists(st.integers(min_value=-2, max_value=4), max_size=4),
    st.sampled_from(["yes", "no", "abstain", "maybe", ""]),
    st.lists(st.booleans(), min_size=1, max_size=2),
    st.just([0.0]),
)
GOOD_CHOICES = st.one_of(
    st.permutations([0, 1, 2]).flatmap(lambda p: st.integers(1, 3).map(lambda n: p[:n])),
    st.sampled_from(["yes", "no", "abstain"]),
)
BODIES = st.one_of(
    GOOD_CHOICES.map(lambda c: json.dumps({"choice": c}).encode()),
    GOOD_CHOICES.map(lambda c: json.dumps({"choice": c}).encode()),
    CHOICES.map(lambda c: json.dumps({"choice": c}).encode()),
    st.just(b'{"choice": [0], "extra": 1}'),
    st.just(b'{"choise": [0]}'),
    st.just(b"not json"),
    st.just(b"[" * 40 + b"]" * 40),
    st.just(b""),
    st.binary(max_size=20),
)


@dataclass(frozen=True)
class Request:
    ballot: str
    token: str
    host: str
    body: bytes
    voted_before: bool


REQUESTS = st.builds(
    Request,
    ballot=st.sampled_from(["open", "yesno", "closed", "ended", "not_yet", "missing"]),
    token=st.sampled_from(
        [
            "good",
            "good",
            "read_only",
            "revoked",
            "wrong_secret",
            "garbage",
            "not_a_token",
            "stranger",
            "officer",
        ]
    ),
    host=st.sampled_from(["testserver", "testserver", "evil.example"]),
    body=BODIES,
    voted_before=st.booleans(),
)


def _environ(world: World, request: Request) -> dict[str, Any]:
    ballot = world.ballots.get(request.ballot)
    ballot_id = ballot.pk if ballot is not None else 987654
    return (
        RequestFactory()
        .post(
            f"/api/v1/ballots/{ballot_id}/vote",
            data=request.body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {world.tokens[request.token]}",
            HTTP_HOST=request.host,
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


def _state(world: World) -> dict[str, Any]:
    return {
        "records": sorted(VoteRecord.objects.values_list("ballot_id", "member_id")),
        "papers": {
            name: sorted(json.dumps(p.choice) for p in sealed_papers(b))
            for name, b in world.ballots.items()
        },
        "links": sorted(
            Elector.objects.filter(token_digest__isnull=False).values_list("pk", flat=True)
        ),
        "token_use": sorted(ApiToken.objects.values_list("pk", "last_used_at")),
    }


def _run(app: Any, world: World, request: Request) -> tuple[int, dict[str, str], Any, Any]:
    """Serve ``request`` in a savepoint rolled back afterwards: the answer and the state."""
    with transaction.atomic():
        if request.voted_before and request.ballot in world.ballots:
            ballot = Ballot.objects.get(pk=world.ballots[request.ballot].pk)
            elector = ballot.electors.filter(member=world.party.me).first()
            if elector is not None and casting.is_open_for_voting(ballot, NOW):
                choice: Any = "yes" if ballot.method == "yesno" else [2]
                services.ballot_cast(ballot=ballot, elector=elector, choice=choice)
        status, headers, body = _serve(app, _environ(world, request))
        state = _state(world)
        transaction.set_rollback(True)
    try:
        content: Any = json.loads(body)
    except ValueError:
        content = body
    return status, headers, content, state


V = json.dumps({"choice": [1, 0]}).encode()


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=REQUESTS)
# The cases the lean path must not answer differently, always tried besides the draw.
@example(request=Request("open", "good", "testserver", V, voted_before=False))
@example(request=Request("open", "good", "testserver", V, voted_before=True))
@example(request=Request("closed", "good", "testserver", V, voted_before=False))
@example(request=Request("ended", "good", "testserver", V, voted_before=False))
@example(request=Request("not_yet", "good", "testserver", V, voted_before=False))
@example(request=Request("open", "good", "testserver", b'{"choice": [0, 0]}', False))
@example(request=Request("yesno", "good", "testserver", b'{"choice": "maybe"}', False))
@example(request=Request("open", "read_only", "testserver", V, voted_before=False))
@example(request=Request("open", "revoked", "testserver", V, voted_before=False))
@example(request=Request("open", "wrong_secret", "testserver", V, voted_before=False))
@example(request=Request("open", "stranger", "testserver", V, voted_before=False))
@example(request=Request("open", "officer", "testserver", V, voted_before=False))
@example(request=Request("open", "good", "evil.example", V, voted_before=False))
@example(request=Request("open", "good", "testserver", b"[" * 40 + b"]" * 40, False))
@example(request=Request("missing", "good", "testserver", V, voted_before=False))
def test_the_lean_path_answers_as_django(
    stacks: tuple[Any, Any], world: World, request: Request
) -> None:
    lean_app, django_app = stacks
    lean_status, lean_headers, lean_body, lean_state = _run(lean_app, world, request)
    dj_status, dj_headers, dj_body, dj_state = _run(django_app, world, request)
    assert lean_status == dj_status, (request, lean_body, dj_body)
    if lean_status == 201:
        # A tracking code is random: the same shape, the same words, the same ballot.
        assert set(lean_body) == set(dj_body) == {"ballot", "tracking_code", "message"}
        assert lean_body["message"] == dj_body["message"] == casting.RECEIPT_MESSAGE
        assert lean_body["ballot"] == dj_body["ballot"]
        assert len(lean_body["tracking_code"]) == len(dj_body["tracking_code"]) == 10
    else:
        assert lean_body == dj_body, request
    for header in HEADERS:
        assert lean_headers.get(header) == dj_headers.get(header), header
    assert lean_state == dj_state, request


def test_the_draw_reaches_the_lean_path(stacks: tuple[Any, Any], world: World) -> None:
    """The comparison is not vacuous: a good request is answered by the lean path (no
    Django) with 201, the same request on a closed ballot with 400, a repeat with 409."""
    lean_app, django_app = stacks
    calls: list[int] = []
    lean_app.app = lambda environ, start: calls.append(1) or django_app(environ, start)
    body = json.dumps({"choice": [0, 1]}).encode()
    for name, voted, status in (("open", False, 201), ("closed", False, 400), ("open", True, 409)):
        request = Request(name, "good", "testserver", body, voted)
        assert _run(lean_app, world, request)[0] == status
    assert calls == []
