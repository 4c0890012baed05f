"""The lean vote path (``ballots.fastvote``, wrapped around Django in ``rankandfile.wsgi``):
the same rules, messages and secrecy as the API view, for bearer-token votes; everything it
does not answer reaches Django unchanged.

The WSGI application is called directly with a request environ (the test client would go
round it). Django's own handler serves what the fast path hands on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from csp.utils import build_policy
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from rankandfile.ballots import fastvote, services
from rankandfile.ballots.models import Ballot, Elector, SealedPaper, VoteRecord
from rankandfile.campaigns import fastsign
from rankandfile.core import tokens
from rankandfile.core.models import ApiToken
from rankandfile.core.tokens import api_token_create
from tests.ballots.factories import sealed_paper, sealed_papers
from tests.ballots.test_api import AFTER_CLOSE, NOW, OPENS, make_ballot
from tests.conftest import Party, issue_token


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


class Served:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes, django: bool):
        self.status_code = int(status.split()[0])
        self.headers = dict(headers)
        self.content = body
        self.by_django = django

    def json(self) -> Any:
        return json.loads(self.content)


class Recorder:
    """Django's WSGI handler, noting whether it was called."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.handler(environ, start_response)


@pytest.fixture
def app() -> Iterator[fastvote.FastVoteMiddleware]:
    """The production WSGI stack. As Django's test client does, connections are not
    closed at request boundaries (the test's transaction holds them)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield fastvote.FastVoteMiddleware(Recorder())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def call(
    app: fastvote.FastVoteMiddleware,
    path: str,
    body: Any,
    token: str | None,
    *,
    raw: bytes | None = None,
    method: str = "post",
    **extra: Any,
) -> Served:
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    factory = RequestFactory()
    if method == "post":
        data = raw if raw is not None else json.dumps(body).encode()
        request = factory.post(path, data=data, content_type="application/json", **extra)
    else:
        request = factory.get(path, **extra)
    environ = request.environ
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    recorder = app.app
    assert isinstance(recorder, Recorder)
    before = recorder.calls
    result = app(environ, start_response)
    body_bytes = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return Served(captured["status"], captured["headers"], body_bytes, recorder.calls > before)


def token_for(party: Party, role: str = "member") -> str:
    return issue_token(getattr(party, role))


@pytest.fixture
def ballot(party: Party) -> Ballot:
    return make_ballot(party)


def url(ballot: Ballot) -> str:
    return f"/api/v1/ballots/{ballot.pk}/vote"


# --- what the fast path answers ------------------------------------------------------------
def test_a_token_vote_is_cast_by_the_fast_path(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    elector = ballot.electors.get(member=party.me)
    Elector.objects.filter(pk=elector.pk).update(token_digest=tokens.digest("link"))
    response = call(app, url(ballot), {"choice": [1, 0]}, token_for(party))
    assert response.status_code == 201, response.content
    assert not response.by_django
    # The same Content-Security-Policy as every Django response.
    assert response.headers["Content-Security-Policy"] == build_policy()
    body = response.json()
    assert body["ballot"] == ballot.pk
    assert body["message"].startswith("your vote is recorded")
    paper = sealed_paper(ballot)
    assert paper.tracking_code == body["tracking_code"]
    assert len(body["tracking_code"]) == 10
    assert paper.choice == [1, 0]
    assert VoteRecord.objects.filter(ballot=ballot, member=party.me).count() == 1
    # The one-time ballot link dies with the vote, as with services.ballot_cast.
    assert Elector.objects.get(pk=elector.pk).token_digest is None


def test_the_answer_matches_the_api_view(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    fast = call(app, url(ballot), {"choice": [0]}, token_for(party))
    # The same vote through Django and ninja, by another elector (a CLP officer who is
    # also a member there would do; here: Mary's second ballot).
    other = make_ballot(party)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(party)}")
    slow = client.post(url(other), {"choice": [0]}, content_type="application/json")
    assert (fast.status_code, slow.status_code) == (201, 201)
    fast_body, slow_body = fast.json(), slow.json()
    assert set(fast_body) == set(slow_body)
    assert fast_body["message"] == slow_body["message"]
    assert fast.headers["Content-Type"] == slow["Content-Type"]
    for header in (
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
    ):
        assert fast.headers.get(header) == slow.get(header), header
    assert int(fast.headers["Content-Length"]) == len(fast.content)


def test_a_second_vote_is_409_and_casts_nothing(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    token = token_for(party)
    assert call(app, url(ballot), {"choice": [0]}, token).status_code == 201
    again = call(app, url(ballot), {"choice": [2, 1]}, token)
    assert again.status_code == 409
    assert not again.by_django
    assert again.json() == {"detail": "your vote is already recorded for this ballot"}
    assert SealedPaper.objects.filter(ballot=ballot).count() == 1
    assert VoteRecord.objects.filter(ballot=ballot).count() == 1
    assert sealed_paper(ballot).choice == [0]


def test_a_vote_cast_on_the_pages_then_by_token_is_409(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    elector = ballot.electors.get(member=party.me)
    services.ballot_cast(ballot=ballot, elector=elector, choice=[2])
    again = call(app, url(ballot), {"choice": [0]}, token_for(party))
    assert again.status_code == 409
    assert SealedPaper.objects.filter(ballot=ballot).count() == 1


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ([0, 0], "a candidate is marked more than once"),
        ([3], "the paper names a candidate who is not standing"),
        ([-1], "the paper names a candidate who is not standing"),
        ([], "mark at least one candidate (or choose to abstain by not voting)"),
        ("yes", "the paper is not filled in"),
    ],
)
def test_an_invalid_paper_is_400_with_the_api_s_words(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, choice: Any, message: str
) -> None:
    token = token_for(party)
    response = call(app, url(ballot), {"choice": choice}, token)
    assert response.status_code == 400
    assert not response.by_django
    assert response.json() == {"detail": message}
    assert not SealedPaper.objects.exists()
    assert not VoteRecord.objects.exists()
    assert call(app, url(ballot), {"choice": [0]}, token).status_code == 201


def test_plurality_block_and_yes_no_papers_are_checked_by_the_same_rules(
    app: fastvote.FastVoteMiddleware, party: Party
) -> None:
    token = token_for(party)
    plurality = make_ballot(party, method="plurality")
    response = call(app, url(plurality), {"choice": [0, 1]}, token)
    assert response.json() == {"detail": "mark one candidate only"}
    block = make_ballot(party, method="block", seats=2)
    response = call(app, url(block), {"choice": [0, 1, 2]}, token)
    assert response.json() == {"detail": "mark at most 2 candidates"}
    assert call(app, url(block), {"choice": [2, 0]}, token).status_code == 201
    assert sealed_paper(block).choice == [0, 2]  # marks stored sorted
    yesno = make_ballot(party, method="yesno")
    assert call(app, url(yesno), {"choice": "maybe"}, token).json() == {
        "detail": "choose yes, no or abstain"
    }
    assert call(app, url(yesno), {"choice": "abstain"}, token).status_code == 201
    assert sealed_paper(yesno).choice == "abstain"


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_vote_outside_the_window_is_400(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, when: str
) -> None:
    token = token_for(party)
    moment = OPENS - dt.timedelta(minutes=1) if when == "before" else AFTER_CLOSE
    with time_machine.travel(moment, tick=False):
        response = call(app, url(ballot), {"choice": [0]}, token)
    assert response.status_code == 400
    assert not response.by_django
    assert response.json() == {"detail": "this ballot is not open for voting"}
    assert not SealedPaper.objects.exists()


def test_a_closed_ballot_refuses_votes(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    Ballot.objects.filter(pk=ballot.pk).update(state=Ballot.State.CLOSED)
    response = call(app, url(ballot), {"choice": [0]}, token_for(party))
    assert response.status_code == 400
    assert response.json() == {"detail": "this ballot is not open for voting"}
    assert not SealedPaper.objects.exists()
    assert not VoteRecord.objects.exists()


def test_the_token_s_use_is_recorded(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    token = token_for(party)
    prefix = token.split("_")[1]
    assert ApiToken.objects.get(prefix=prefix).last_used_at is None
    assert call(app, url(ballot), {"choice": [0]}, token).status_code == 201
    assert ApiToken.objects.get(prefix=prefix).last_used_at == NOW
    # ... also when the vote is refused, at most every few minutes.
    later = NOW + dt.timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        assert call(app, url(ballot), {"choice": [0]}, token).status_code == 409
    assert ApiToken.objects.get(prefix=prefix).last_used_at == later
    with time_machine.travel(later + dt.timedelta(minutes=1), tick=False):
        assert call(app, url(ballot), {"choice": [0]}, token).status_code == 409
    assert ApiToken.objects.get(prefix=prefix).last_used_at == later
    other = make_ballot(party)
    even_later = later + dt.timedelta(minutes=10)
    with time_machine.travel(even_later, tick=False):
        assert call(app, url(other), {"choice": [9]}, token).status_code == 400
    assert ApiToken.objects.get(prefix=prefix).last_used_at == even_later


def test_the_fast_path_takes_one_read_and_one_write(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    token = token_for(party)
    with CaptureQueriesContext(connection) as ctx:
        assert call(app, url(ballot), {"choice": [0]}, token).status_code == 201
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("SAVEPOINT")]
    statements = [s for s in statements if not s.startswith("RELEASE SAVEPOINT")]
    if connection.vendor == "postgresql":
        assert len(statements) == 2, statements
    else:  # one transaction: the token's use, the open check, the record, the pending
        # count, the sealed paper, the link
        assert len(statements) <= 8, statements


# --- secrecy ---------------------------------------------------------------------------------
def test_the_paper_and_the_record_share_nothing(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    response = call(app, url(ballot), {"choice": [2, 0, 1]}, token_for(party))
    assert response.status_code == 201
    paper = SealedPaper.objects.get(ballot=ballot)
    record = VoteRecord.objects.get(ballot=ballot)
    assert paper.id.version == 4 and record.id.version == 4  # random, not time-based
    assert paper.id != record.id
    code = response.json()["tracking_code"]
    # The code is only inside the sealed paper; the answer names no member.
    assert [p.tracking_code for p in sealed_papers(ballot)] == [code]
    assert code.encode() not in bytes(paper.sealed) and code not in paper.code_digest
    assert str(party.me.pk) not in response.content.decode().replace(f'"ballot": {ballot.pk}', "")
    assert code.encode() not in hashlib.sha256(code.encode()).hexdigest().encode()


# --- what it hands to Django -----------------------------------------------------------------
@pytest.mark.parametrize(
    "body", [{}, {"choice": [True]}, {"choice": ["1"]}, {"choice": 1}, {"choice": None}]
)
def test_a_malformed_body_goes_to_django(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, body: dict[str, Any]
) -> None:
    response = call(app, url(ballot), body, token_for(party))
    assert response.by_django
    assert response.status_code == 422
    assert not SealedPaper.objects.exists()


def test_a_body_that_is_not_json_goes_to_django(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    response = call(app, url(ballot), None, token_for(party), raw=b"choice=1")
    assert response.by_django
    assert response.status_code in (400, 422)
    assert not SealedPaper.objects.exists()


@pytest.mark.parametrize("token", ["rf_nope_nope", "not-a-token", "rf_", ""])
def test_a_bad_token_is_refused_by_django(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, token: str
) -> None:
    response = call(app, url(ballot), {"choice": [0]}, token)
    assert response.by_django
    # Whatever Django says to the same request (401; 403 from the CSRF check of the
    # session authentication ninja tries next).
    direct = Client(HTTP_AUTHORIZATION=f"Bearer {token}", enforce_csrf_checks=True).post(
        url(ballot), {"choice": [0]}, content_type="application/json"
    )
    assert response.status_code == direct.status_code
    assert response.status_code in (401, 403)
    assert not SealedPaper.objects.exists()


def test_a_wrong_secret_a_revoked_token_or_an_inactive_login_is_refused(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    token = token_for(party)
    prefix = token.split("_")[1]
    wrong = f"rf_{prefix}_{'x' * 43}"
    # Refused by Django: no login, so ninja's session authentication and its CSRF check.
    refused = (401, 403)
    assert call(app, url(ballot), {"choice": [0]}, wrong).status_code in refused
    ApiToken.objects.filter(prefix=prefix).update(revoked_at=NOW)
    assert call(app, url(ballot), {"choice": [0]}, token).status_code in refused
    ApiToken.objects.filter(prefix=prefix).update(revoked_at=None)
    party.member.is_active = False
    party.member.save(update_fields=["is_active"])
    assert call(app, url(ballot), {"choice": [0]}, token).status_code in refused
    assert not SealedPaper.objects.exists()
    assert not VoteRecord.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("clp_secretary", 403), ("no_roles", 404)])
def test_a_non_elector_is_refused_as_by_the_api(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, role: str, status: int
) -> None:
    response = call(app, url(ballot), {"choice": [0]}, token_for(party, role))
    assert response.by_django
    assert response.status_code == status
    if status == 403:
        assert response.json() == {"detail": "you are not on the electorate of this ballot"}
    assert not SealedPaper.objects.exists()
    assert not VoteRecord.objects.exists()


def test_a_member_not_on_the_frozen_electorate_is_refused(
    app: fastvote.FastVoteMiddleware, party: Party
) -> None:
    ballot = make_ballot(party, months_required=12 * 20)
    response = call(app, url(ballot), {"choice": [0]}, token_for(party))
    assert response.status_code == 404
    assert not SealedPaper.objects.exists()


def test_an_unknown_ballot_is_404(app: fastvote.FastVoteMiddleware, party: Party) -> None:
    response = call(app, "/api/v1/ballots/999999/vote", {"choice": [0]}, token_for(party))
    assert response.by_django
    assert response.status_code == 404


def test_other_requests_go_to_django(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    token = token_for(party)
    response = call(app, f"/api/v1/ballots/{ballot.pk}", None, token, method="get")
    assert response.by_django
    assert response.status_code == 200
    # A vote with neither a bearer token nor a session: Django's answer, 401.
    response = call(app, url(ballot), {"choice": [0]}, None)
    assert response.by_django
    assert response.status_code == 401
    assert not SealedPaper.objects.exists()


def test_a_refused_host_and_plain_http_go_to_django(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot, settings: Any
) -> None:
    token = token_for(party)
    response = call(app, url(ballot), {"choice": [0]}, token, HTTP_HOST="evil.example")
    assert response.by_django
    assert response.status_code == 400
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    app = fastvote.FastVoteMiddleware(Recorder())  # Django's middleware reads them at start
    response = call(app, url(ballot), {"choice": [0]}, token)
    assert response.by_django
    assert response.status_code == 301
    assert not SealedPaper.objects.exists()
    response = call(app, url(ballot), {"choice": [0]}, token, secure=True)
    assert not response.by_django
    assert response.status_code == 201
    assert "Strict-Transport-Security" in response.headers


def test_the_wsgi_module_wraps_django() -> None:
    from rankandfile import wsgi

    # Inside the proxy-address and link-origin wrappers (core.proxy, core.links) and the
    # conference hall's snapshot cache (conference.hall_fast).
    assert isinstance(wsgi.application.app.app.app, fastsign.FastSignMiddleware)
    assert isinstance(wsgi.application.app.app.app.app, fastvote.FastVoteMiddleware)


# --- one member, one vote, under simultaneous submissions ------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_fast_votes_by_one_member_count_once() -> None:
    """Four submissions by one member at once, each on its own connection: the unique
    constraint decides (``ON CONFLICT DO NOTHING`` waits for the first and refuses the
    rest), so one 201 and three 409s; on SQLite the writers go one at a time."""
    import threading

    from tests.ballots.factories import DURING, electors, open_ballot
    from tests.ballots.test_concurrency import _require_postgres_if_asked, _writer_gate
    from tests.membership.factories import member_user

    _require_postgres_if_asked()
    ballot = open_ballot(voters=2)
    elector = electors(ballot)[0]
    user = member_user(elector.member)
    token = api_token_create(actor=user, name="race").secret
    choices: list[Any] = [[0], [1], [2], [0, 1]]
    barrier = threading.Barrier(len(choices))
    gate = _writer_gate()
    answers: list[Any] = [None] * len(choices)

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with gate:
                answers[i] = fastvote.cast_by_token(ballot.pk, token, {"choice": choices[i]})
        except Exception as exc:  # the outcome under test, whatever it is
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(choices))]
    with time_machine.travel(DURING, tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(a[0] for a in answers) == [201, 409, 409, 409], answers
    (receipt,) = [a[1] for a in answers if a[0] == 201]
    assert VoteRecord.objects.filter(ballot=ballot, member_id=elector.member_id).count() == 1
    codes = [p.tracking_code for p in sealed_papers(ballot)]
    assert codes == [receipt["tracking_code"]]


# --- token scopes, expiry and two-factor on the fast path (issue 12) ------------------------
def test_a_read_only_or_expired_token_is_handed_to_django_and_refused(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    read_only = issue_token(party.member, scopes=["read"])
    response = call(app, url(ballot), {"choice": [0]}, read_only)
    assert response.by_django
    assert response.status_code == 403
    assert "lacks the write scope" in response.json()["detail"]
    token = token_for(party)
    ApiToken.objects.filter(prefix=token.split("_")[1]).update(expires_at=NOW)
    expired = call(app, url(ballot), {"choice": [0]}, token)
    assert expired.by_django
    assert expired.status_code in (401, 403)
    assert not VoteRecord.objects.exists()


def test_an_officer_without_2fa_is_refused_as_by_the_api(
    app: fastvote.FastVoteMiddleware, party: Party, ballot: Ballot
) -> None:
    """Mary becomes a branch officer after creating her token and has no second factor:
    the fast path hands her vote to Django, which refuses it with the reason."""
    from allauth.mfa.models import Authenticator

    from tests.membership import factories as f

    token = token_for(party)
    f.RoleFactory(user=party.member, kind="branch_officer", branch=party.riverside)
    refused = call(app, url(ballot), {"choice": [0]}, token)
    assert refused.by_django
    assert refused.status_code == 403
    assert "two-factor" in refused.json()["detail"]
    assert not VoteRecord.objects.exists()
    # With an authenticator app the fast path serves her again.
    from tests.conftest import enable_totp

    enable_totp(party.member)
    served = call(app, url(ballot), {"choice": [0]}, token)
    assert served.status_code == 201
    assert not served.by_django
    assert Authenticator.objects.filter(user=party.member).exists()


def test_an_id_past_a_64_bit_key_goes_to_django_and_is_404(
    app: fastvote.FastVoteMiddleware, party: Party
) -> None:
    # Found by schemathesis: the id overflowed the SQL parameter (500) in the API view.
    response = call(
        app,
        "/api/v1/ballots/189700508777591632990668406652928/vote",
        {"choice": "x"},
        token_for(party),
    )
    assert response.by_django
    assert response.status_code == 404
