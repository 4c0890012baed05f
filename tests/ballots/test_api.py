"""The ballots API (/api/v1/ballots...): every role both ways, token and session auth
(with CSRF on POST), the voting rules of the pages, results and papers only when the
ballot allows, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rankandfile.ballots import services, tally
from rankandfile.ballots.models import Ballot, SealedPaper, VoteRecord
from tests.ballots.factories import sealed_paper
from tests.conftest import Party, issue_token
from tests.membership.test_permissions import ROLES

API = "/api/v1"
NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
OPENS = NOW - dt.timedelta(hours=2)
CLOSES = NOW + dt.timedelta(hours=6)
AFTER_CLOSE = CLOSES + dt.timedelta(minutes=1)

# Who may open a Northtown CLP ballot (everything else is a 404), and who is on its
# electorate (Mary, the member, joined in 2015: eligible).
SEES_NORTHTOWN = {
    "member",
    "clp_secretary",
    "clp_chair",
    "regional_officer",
    "national_admin",
    "scrutineer",
}
MANAGES_NORTHTOWN = {"clp_secretary", "clp_chair", "regional_officer", "national_admin"}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def bearer(party: Party, role: str) -> Client:
    secret = issue_token(getattr(party, role))
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {secret}")


def session(party: Party, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(getattr(party, role))
    return client


AUTHS: dict[str, Callable[[Party, str], Client]] = {"token": bearer, "session": session}


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    """POST JSON as a browser would: session clients send the CSRF token from the cookie
    (set by a page visit); token clients need none."""
    headers: dict[str, str] = {}
    if "HTTP_AUTHORIZATION" not in client.defaults:
        client.get("/account/")
        headers["X-CSRFToken"] = client.cookies["csrftoken"].value
    return client.post(url, body, content_type="application/json", headers=headers)


def make_ballot(party: Party, *, method: str = "av", opened: bool = True, **kwargs: Any) -> Ballot:
    options = (
        []
        if method == "yesno"
        else [services.OptionSpec("Ada"), services.OptionSpec("Bea"), services.OptionSpec("Cy")]
    )
    ballot = services.ballot_create(
        actor=party.clp_secretary,
        title="Delegate to conference" if method != "yesno" else "Adopt the rule change?",
        method=method,
        opens_at=OPENS,
        closes_at=CLOSES,
        freeze_date=dt.date(2025, 2, 1),
        clp=party.northtown,
        options=options,
        **kwargs,
    )
    if opened:
        ballot = services.ballot_open(actor=party.clp_secretary, ballot=ballot)
    return ballot


@pytest.fixture
def ballot(party: Party) -> Ballot:
    return make_ballot(party)


def cast(party: Party, ballot: Ballot, choice: Any, who: str = "me") -> str:
    member = getattr(party, who)
    elector = ballot.electors.get(member=member)
    return services.ballot_cast(ballot=ballot, elector=elector, choice=choice).tracking_code


def count(ballot: Ballot) -> Ballot:
    with time_machine.travel(AFTER_CLOSE, tick=False):
        return tally.ballot_close(actor=None, ballot=ballot)


# --- Listing and fetching ---------------------------------------------------------------
@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_my_ballots(party: Party, ballot: Ballot, role: str, auth: str) -> None:
    body = AUTHS[auth](party, role).get(f"{API}/ballots").json()
    if role not in SEES_NORTHTOWN:
        assert body == []
        return
    (item,) = body
    assert item["id"] == ballot.pk
    assert item["state"] == "open"
    assert item["electorate_size"] == ballot.electorate_size == 3
    assert item["can_vote"] is (role == "member")
    assert item["has_voted"] is False
    assert item["can_manage"] is (role in MANAGES_NORTHTOWN)
    assert item["can_view_result"] is False


@pytest.mark.parametrize("auth", AUTHS)
def test_my_ballots_after_voting(party: Party, ballot: Ballot, auth: str) -> None:
    cast(party, ballot, [0, 1])
    (item,) = AUTHS[auth](party, "member").get(f"{API}/ballots").json()
    assert item["has_voted"] is True
    assert item["can_vote"] is False


def test_my_ballots_query_count_does_not_grow(party: Party) -> None:
    client = session(party, "member")
    make_ballot(party)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{API}/ballots").status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    make_ballot(party)
    make_ballot(party, method="yesno")
    assert queries() == one


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_ballot_detail(party: Party, ballot: Ballot, role: str, auth: str) -> None:
    response = AUTHS[auth](party, role).get(f"{API}/ballots/{ballot.pk}")
    if role not in SEES_NORTHTOWN:
        assert response.status_code == 404
        assert response.json() == {"detail": "no such ballot among those you may see"}
        return
    assert response.status_code == 200
    body = response.json()
    assert body["method"] == "av"
    assert body["seats"] == 1
    assert [o["name"] for o in body["options"]] == ["Ada", "Bea", "Cy"]
    assert [o["position"] for o in body["options"]] == [0, 1, 2]
    assert body["electorate_size"] == 3
    assert body["electorate_digest"] == ballot.electorate_digest
    assert body["scope"] == "Northtown"
    assert "preference" in body["how_to_vote"]


def test_ballot_detail_never_shows_papers_or_voters(party: Party, ballot: Ballot) -> None:
    code = cast(party, ballot, [2, 0])
    for role in ("member", "national_admin", "scrutineer", "clp_secretary"):
        text = session(party, role).get(f"{API}/ballots/{ballot.pk}").content.decode()
        assert code not in text
        assert "papers" not in text
        assert str(party.me.membership_number) not in text
        assert party.me.last_name not in text


def test_unknown_ballot_is_404(party: Party) -> None:
    assert session(party, "national_admin").get(f"{API}/ballots/999999").status_code == 404


def test_anonymous_is_401(party: Party, ballot: Ballot) -> None:
    client = Client()
    assert client.get(f"{API}/ballots").status_code == 401
    assert client.get(f"{API}/ballots/{ballot.pk}").status_code == 401
    response = client.post(
        f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not SealedPaper.objects.exists()


# --- Voting -----------------------------------------------------------------------------
@pytest.mark.parametrize("auth", AUTHS)
def test_cast_vote(party: Party, ballot: Ballot, auth: str) -> None:
    client = AUTHS[auth](party, "member")
    response = post(client, f"{API}/ballots/{ballot.pk}/vote", {"choice": [1, 0]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ballot"] == ballot.pk
    code = body["tracking_code"]
    assert len(code) == 10
    paper = sealed_paper(ballot)
    assert paper.tracking_code == code
    assert paper.choice == [1, 0]
    assert VoteRecord.objects.filter(ballot=ballot, member=party.me).count() == 1


@pytest.mark.parametrize("auth", AUTHS)
def test_second_vote_is_409_and_casts_nothing(party: Party, ballot: Ballot, auth: str) -> None:
    client = AUTHS[auth](party, "member")
    url = f"{API}/ballots/{ballot.pk}/vote"
    assert post(client, url, {"choice": [0]}).status_code == 201
    again = post(client, url, {"choice": [2, 1]})
    assert again.status_code == 409
    assert again.json() == {"detail": "your vote is already recorded for this ballot"}
    assert SealedPaper.objects.filter(ballot=ballot).count() == 1
    assert VoteRecord.objects.filter(ballot=ballot).count() == 1


@pytest.mark.parametrize("auth", AUTHS)
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
def test_invalid_choice_is_400_with_the_reason(
    party: Party, ballot: Ballot, auth: str, choice: Any, message: str
) -> None:
    client = AUTHS[auth](party, "member")
    response = post(client, f"{API}/ballots/{ballot.pk}/vote", {"choice": choice})
    assert response.status_code == 400
    assert response.json() == {"detail": message}
    assert not SealedPaper.objects.exists()
    assert not VoteRecord.objects.exists()
    # The member may still vote properly afterwards.
    assert post(client, f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]}).status_code == 201


@pytest.mark.parametrize(
    "body", [{}, {"choice": [True]}, {"choice": ["1"]}, {"choice": 1}, {"choice": None}]
)
def test_malformed_body_is_422(party: Party, ballot: Ballot, body: dict[str, Any]) -> None:
    response = post(bearer(party, "member"), f"{API}/ballots/{ballot.pk}/vote", body)
    assert response.status_code == 422
    assert not SealedPaper.objects.exists()


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", [r for r in ROLES if r != "member"])
def test_non_electors_cannot_vote(party: Party, ballot: Ballot, role: str, auth: str) -> None:
    response = post(AUTHS[auth](party, role), f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]})
    if role in SEES_NORTHTOWN:
        assert response.status_code == 403
        assert response.json() == {"detail": "you are not on the electorate of this ballot"}
    else:
        assert response.status_code == 404
    assert not SealedPaper.objects.exists()
    assert not VoteRecord.objects.exists()


def test_member_not_on_the_frozen_electorate_cannot_vote(party: Party) -> None:
    # Mary joined too recently for this ballot's freeze date: not on its electorate.
    ballot = make_ballot(party, months_required=12 * 20)
    assert not ballot.electors.filter(member=party.me).exists()
    response = post(bearer(party, "member"), f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]})
    assert response.status_code == 404  # and the ballot is not among hers at all
    assert not SealedPaper.objects.exists()


def test_session_vote_needs_csrf(party: Party, ballot: Ballot) -> None:
    client = session(party, "member")
    response = client.post(
        f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not SealedPaper.objects.exists()


@pytest.mark.parametrize("when", ["before", "after"])
def test_vote_outside_the_voting_window_is_400(party: Party, ballot: Ballot, when: str) -> None:
    client = bearer(party, "member")
    moment = OPENS - dt.timedelta(minutes=1) if when == "before" else AFTER_CLOSE
    with time_machine.travel(moment, tick=False):
        response = post(client, f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]})
    assert response.status_code == 400
    assert response.json() == {"detail": "this ballot is not open for voting"}
    assert not SealedPaper.objects.exists()


def test_vote_in_a_draft_ballot_is_403_as_it_has_no_electorate_yet(party: Party) -> None:
    ballot = make_ballot(party, opened=False)
    response = post(
        bearer(party, "national_admin"), f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]}
    )
    # Nobody is on a draft's electorate (it is frozen when the ballot opens): not allowed,
    # rather than "not open" (400), and nothing is written.
    assert response.status_code == 403
    assert not SealedPaper.objects.exists() and not VoteRecord.objects.exists()


@pytest.mark.parametrize("auth", AUTHS)
def test_yes_no_ballot(party: Party, auth: str) -> None:
    ballot = make_ballot(party, method="yesno")
    client = AUTHS[auth](party, "member")
    url = f"{API}/ballots/{ballot.pk}/vote"
    detail = client.get(f"{API}/ballots/{ballot.pk}").json()
    assert detail["options"] == []
    assert detail["threshold"] == "simple"
    refused = post(client, url, {"choice": "maybe"})
    assert refused.status_code == 400
    assert refused.json() == {"detail": "choose yes, no or abstain"}
    assert post(client, url, {"choice": [0]}).json() == {"detail": "choose yes, no or abstain"}
    assert post(client, url, {"choice": "abstain"}).status_code == 201
    assert sealed_paper(ballot).choice == "abstain"


def test_casting_takes_a_bounded_number_of_queries(party: Party, ballot: Ballot) -> None:
    # Casting is the hot path under load (bench/bench_voting.py): token, elector with its
    # ballot, the paper's checks and the one transaction, and nothing per-role or per-ballot.
    client = bearer(party, "member")
    with CaptureQueriesContext(connection) as ctx:
        response = post(client, f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]})
    assert response.status_code == 201
    assert len(ctx.captured_queries) <= 11, [q["sql"][:60] for q in ctx.captured_queries]


def test_token_vote_needs_no_csrf(party: Party, ballot: Ballot) -> None:
    client = bearer(party, "member")
    response = client.post(
        f"{API}/ballots/{ballot.pk}/vote", {"choice": [0]}, content_type="application/json"
    )
    assert response.status_code == 201


# --- Results and papers -----------------------------------------------------------------
RESULT_URLS = ["result", "papers.blt", "papers.csv"]


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_results_hidden_while_open(party: Party, ballot: Ballot, role: str, auth: str) -> None:
    client = AUTHS[auth](party, role)
    for what in RESULT_URLS:
        response = client.get(f"{API}/ballots/{ballot.pk}/{what}")
        assert response.status_code == (403 if role in SEES_NORTHTOWN else 404), what


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("role", ROLES)
def test_results_after_count_for_officers_and_scrutineers(
    party: Party, ballot: Ballot, role: str, auth: str
) -> None:
    cast(party, ballot, [1, 0])
    cast(party, ballot, [1], who="neighbour")
    count(ballot)
    client = AUTHS[auth](party, role)
    response = client.get(f"{API}/ballots/{ballot.pk}/result")
    if role in MANAGES_NORTHTOWN | {"scrutineer"}:
        assert response.status_code == 200
        body = response.json()
        assert body["state"] == "counted"
        assert body["turnout"] == 2
        assert body["electorate_size"] == 3
        assert body["turnout_percent"] == "66.7"
        assert body["elected"] == ["Bea"]
        assert body["outcome"] == "elected: Bea"
        assert body["stages"] and body["stages"] == body["result"]["stages"]
        assert body["papers_digest"] == ballot_from_db(ballot).papers_digest
    elif role in SEES_NORTHTOWN:  # the member: not until it is declared
        assert response.status_code == 403
        assert response.json() == {
            "detail": "the result of this ballot is not published to you yet"
        }
    else:
        assert response.status_code == 404


def ballot_from_db(ballot: Ballot) -> Ballot:
    return Ballot.objects.get(pk=ballot.pk)


@pytest.mark.parametrize("auth", AUTHS)
def test_results_and_papers_after_declaration(party: Party, ballot: Ballot, auth: str) -> None:
    code = cast(party, ballot, [2, 0])
    count(ballot)
    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    stored = ballot_from_db(ballot)
    client = AUTHS[auth](party, "member")
    result = client.get(f"{API}/ballots/{ballot.pk}/result")
    assert result.status_code == 200
    assert result.json()["state"] == "declared"
    assert result.json()["elected"] == ["Cy"]

    blt = client.get(f"{API}/ballots/{ballot.pk}/papers.blt")
    assert blt.status_code == 200
    assert blt["Content-Type"].startswith("text/plain")
    assert "attachment" in blt["Content-Disposition"]
    assert hashlib.sha256(blt.content).hexdigest() == stored.papers_digest
    assert f"({code}) 1 3 1 0" in blt.content.decode()

    csv = client.get(f"{API}/ballots/{ballot.pk}/papers.csv")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines() == ["tracking_code,Ada,Bea,Cy", f"{code},2,,1"]

    # Nobody else on the roll is visible to outsiders even after declaration.
    assert bearer(party, "no_roles").get(f"{API}/ballots/{ballot.pk}/result").status_code == 404


def test_public_results_are_open_to_every_login(party: Party) -> None:
    ballot = make_ballot(party, results_visibility="public")
    cast(party, ballot, [0])
    count(ballot)
    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    for role in ROLES:
        client = bearer(party, role)
        for what in RESULT_URLS:
            assert client.get(f"{API}/ballots/{ballot.pk}/{what}").status_code == 200, role


def test_yes_no_publishes_csv_only(party: Party) -> None:
    ballot = make_ballot(party, method="yesno")
    cast(party, ballot, "yes")
    count(ballot)
    client = bearer(party, "clp_secretary")
    result = client.get(f"{API}/ballots/{ballot.pk}/result").json()
    assert result["result"]["carried"] is True
    assert result["elected"] == []
    assert result["outcome"]
    assert client.get(f"{API}/ballots/{ballot.pk}/papers.blt").status_code == 404
    csv = client.get(f"{API}/ballots/{ballot.pk}/papers.csv")
    assert hashlib.sha256(csv.content).hexdigest() == ballot_from_db(ballot).papers_digest


@pytest.mark.parametrize("auth", AUTHS)
def test_paper_lookup_by_tracking_code(party: Party, ballot: Ballot, auth: str) -> None:
    code = cast(party, ballot, [2, 0])
    client = AUTHS[auth](party, "member")
    url = f"{API}/ballots/{ballot.pk}/papers/{code}"
    early = client.get(url)
    assert early.status_code == 400
    assert early.json() == {"detail": "papers are published when the ballot has been counted"}
    count(ballot)
    found = client.get(url)
    assert found.status_code == 200
    assert found.json() == {"tracking_code": code, "choice": [2, 0], "choice_names": ["Cy", "Ada"]}
    assert client.get(url.replace(code, code.lower())).status_code == 200
    missing = client.get(f"{API}/ballots/{ballot.pk}/papers/ZZZZZZZZZZ")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no paper with that tracking code in this ballot"}
    # Outsiders cannot use the ballot at all.
    assert bearer(party, "no_roles").get(url).status_code == 404


# --- Schema -------------------------------------------------------------------------------
def test_openapi_schema_lists_the_ballot_endpoints(db: None, client: Client) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/ballots", "get"),
        ("/api/v1/ballots/{ballot_id}", "get"),
        ("/api/v1/ballots/{ballot_id}/vote", "post"),
        ("/api/v1/ballots/{ballot_id}/result", "get"),
        ("/api/v1/ballots/{ballot_id}/papers.blt", "get"),
        ("/api/v1/ballots/{ballot_id}/papers.csv", "get"),
        ("/api/v1/ballots/{ballot_id}/papers/{code}", "get"),
    ]:
        assert method in paths[path], path
        assert paths[path][method]["tags"] == ["ballots"]
    vote = paths["/api/v1/ballots/{ballot_id}/vote"]["post"]
    assert {"201", "400", "403", "404", "409"} <= set(vote["responses"])
    assert "requestBody" in vote
