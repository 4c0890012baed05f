"""Ballot pages, for every role both ways: my ballots, set-up and management, voting
(logged in and by one-time link, without JavaScript), results with downloads and the
declaration, scrutiny, and the admin's secrecy."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rankandfile.ballots import services, tally
from rankandfile.ballots.models import (
    Ballot,
    Elector,
    Method,
    Paper,
    SealedPaper,
    Visibility,
    VoteRecord,
)
from rankandfile.core import tokens
from rankandfile.core.models import AuditEntry, User
from rankandfile.membership.models import Role
from tests.ballots.factories import BallotFactory, sealed_paper
from tests.conftest import Party
from tests.membership import factories as f

CANDIDATES = ("Ada Adams", "Bo Brown", "Cy Clarke")


# --- fixtures ---------------------------------------------------------------------------
def make_ballot(party: Party, *, open_: bool = True, **kwargs: Any) -> Ballot:
    """A Northtown ballot open now (voting window around the present moment). Its
    electorate is Mary (the member who logs in), Nell and Bert."""
    now = timezone.now()
    kwargs.setdefault("options", CANDIDATES)
    ballot: Ballot = BallotFactory(
        clp=party.northtown,
        title=kwargs.pop("title", "CLP chair"),
        freeze_date=timezone.localdate() - dt.timedelta(days=1),
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=1),
        **kwargs,
    )
    if open_:
        ballot = services.ballot_open(actor=None, ballot=ballot)
    return ballot


def close_now(ballot: Ballot) -> Ballot:
    """Move the closing time into the past and let the scheduled close run."""
    now = timezone.now()
    Ballot.objects.filter(pk=ballot.pk).update(
        opens_at=now - dt.timedelta(days=2), closes_at=now - dt.timedelta(seconds=1)
    )
    tally.close_due()
    ballot.refresh_from_db()
    return ballot


def cast(ballot: Ballot, member: Any, choice: Any) -> str:
    elector = Elector.objects.get(ballot=ballot, member=member)
    return services.ballot_cast(ballot=ballot, elector=elector, choice=choice).tracking_code


@pytest.fixture
def ballot(party: Party) -> Ballot:
    return make_ballot(party)


@pytest.fixture
def member(party: Party, client: Client) -> Client:
    client.force_login(party.member)
    return client


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def eastoner_user(party: Party) -> User:
    return f.member_user(party.eastoner)


def easton_secretary() -> User:
    from rankandfile.membership.models import CLP

    user: User = f.UserFactory(email="easton-sec@example.org")
    f.RoleFactory(user=user, kind=Role.Kind.CLP_SECRETARY, clp=CLP.objects.get(slug="easton"))
    return user


def vote_url(ballot: Ballot) -> str:
    return f"/ballots/{ballot.pk}/vote/"


def prefs(**by_name: int) -> dict[str, str]:
    """POST data for a ranked paper: ``prefs(Ada=1, Cy=2)``."""
    index = {name.split()[0]: i for i, name in enumerate(CANDIDATES)}
    return {f"pref_{index[name]}": str(n) for name, n in by_name.items()}


def counted(party: Party, declared: bool = False, **kwargs: Any) -> tuple[Ballot, str]:
    """A counted ballot with three votes; returns it and Mary's tracking code."""
    ballot = make_ballot(party, **kwargs)
    code = cast(ballot, party.me, [0, 2])
    cast(ballot, party.neighbour, [1, 0])
    cast(ballot, party.branchmate, [0])
    ballot = close_now(ballot)
    if declared:
        ballot = tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    return ballot, code


# --- voting: ranked, without JavaScript -------------------------------------------------
def test_vote_page_has_numbered_boxes_with_labels(ballot: Ballot, member: Client) -> None:
    response = member.get(vote_url(ballot))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<fieldset" in html and "<legend>Number the candidates" in html
    for position, name in enumerate(CANDIDATES):
        assert f'name="pref_{position}" id="id_pref_{position}" min="1" max="3"' in html
        assert f'<label for="id_pref_{position}">{name}</label>' in html
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )


def test_vote_page_links_candidate_statements(ballot: Ballot, member: Client) -> None:
    option = ballot.options.get(name=CANDIDATES[1])
    option.description = "Statement: https://example.org/selections/1/candidates/7/ <b>x</b>"
    option.save()
    html = member.get(vote_url(ballot)).content.decode()
    assert "About the candidates" in html
    assert f"<dt>{CANDIDATES[1]}</dt>" in html
    assert '<a href="https://example.org/selections/1/candidates/7/"' in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_vote_page_without_statements_has_no_candidate_notes(
    ballot: Ballot, member: Client
) -> None:
    assert "About the candidates" not in member.get(vote_url(ballot)).content.decode()


def test_confirm_then_cast_then_receipt(ballot: Ballot, member: Client, party: Party) -> None:
    response = member.post(vote_url(ballot), prefs(Cy=1, Ada=2))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Check your vote" in html
    assert re.search(r"<ol class=\"choices\"><li>Cy Clarke</li><li>Ada Adams</li></ol>", html)
    assert 'type="hidden" name="pref_0" value="2"' in html
    assert 'type="hidden" name="pref_2" value="1"' in html
    assert not VoteRecord.objects.exists()  # nothing cast yet

    response = member.post(vote_url(ballot), {**prefs(Cy=1, Ada=2), "action": "cast"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your vote is cast" in html
    code = re.search(r'id="tracking-code">([A-Z0-9]{10})<', html)
    assert code is not None
    paper = sealed_paper(ballot)
    assert paper.tracking_code == code.group(1)
    assert paper.choice == [2, 0]
    assert "no-store" in response["Cache-Control"]
    # The code lives in this response only: not in the session, not on the next page.
    session = member.session
    assert code.group(1) not in str(dict(session.items()))
    again = member.get(vote_url(ballot)).content.decode()
    assert "You have already voted" in again
    assert code.group(1) not in again


def test_change_goes_back_to_the_filled_in_paper(ballot: Ballot, member: Client) -> None:
    response = member.post(vote_url(ballot), {**prefs(Bo=1, Ada=2), "action": "change"})
    html = response.content.decode()
    assert "Number the candidates" in html
    assert (
        'id="id_pref_1" min="1" max="3" inputmode="numeric" class="pref"\n            value="1"'
        in html
    )
    assert 'value="2"' in html
    assert not VoteRecord.objects.exists()


def test_cast_revalidates_the_hidden_fields(ballot: Ballot, member: Client) -> None:
    # Tampered hidden fields are checked again: nothing is cast.
    response = member.post(vote_url(ballot), {**prefs(Ada=1, Bo=1), "action": "cast"})
    assert response.status_code == 400
    assert "You gave preference 1 to two candidates" in response.content.decode()
    assert not SealedPaper.objects.exists()


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (
            prefs(Ada=2, Bo=2, Cy=1),
            [
                "You gave preference 2 to two candidates (Ada Adams and Bo Brown): give each "
                "number to one candidate only.",
                "Preference 2 is also given to Bo Brown.",
                "Preference 2 is also given to Ada Adams.",
            ],
        ),
        (
            prefs(Ada=1, Bo=2, Cy=2),
            ["You gave preference 2 to two candidates (Bo Brown and Cy Clarke)"],
        ),
        (prefs(Ada=1, Cy=3), ["There is a gap: no preference 2 but there is a 3."]),
        (prefs(Bo=2), ["There is a gap: no first preference (1) but there is a 2."]),
        ({}, ["Give at least a first preference: write 1 next to the candidate you most want."]),
        (prefs(Ada=4), ["There are only 3 candidates: give Ada Adams a number from 1 to 3"]),
        (prefs(Ada=0), ["Preferences start at 1: correct the number for Ada Adams."]),
        ({"pref_0": "first"}, ["Write a whole number from 1 to 3 for Ada Adams"]),
    ],
)
def test_ranked_paper_explains_each_problem(
    ballot: Ballot, member: Client, data: dict[str, str], messages: list[str]
) -> None:
    response = member.post(vote_url(ballot), data)
    html = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 400
    assert 'id="error-summary" role="alert"' in html
    for message in messages:
        assert message in html
    assert not VoteRecord.objects.exists()


def test_error_summary_links_to_the_field(ballot: Ballot, member: Client) -> None:
    html = member.post(vote_url(ballot), prefs(Ada=1, Cy=3)).content.decode()
    assert '<li><a href="#id_pref_2">There is a gap' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="ranked-hint id_pref_2_errors"' in html


def test_simultaneous_second_submission_gets_already_voted(
    ballot: Ballot, member: Client, party: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other tab's submission got in between this page's check and its cast.
    cast(ballot, party.me, [1])
    monkeypatch.setattr(services, "has_voted", lambda *a: False)
    response = member.post(vote_url(ballot), {**prefs(Ada=1), "action": "cast"})
    assert response.status_code == 409
    assert "Your vote is already recorded for this ballot." in response.content.decode()
    assert SealedPaper.objects.filter(ballot=ballot).count() == 1


def test_vote_page_before_opening_and_after_closing(party: Party, member: Client) -> None:
    draft = make_ballot(party, open_=False)
    assert member.get(vote_url(draft)).status_code == 404  # not on any electorate yet
    ballot = make_ballot(party, title="Later")
    Ballot.objects.filter(pk=ballot.pk).update(
        opens_at=timezone.now() + dt.timedelta(hours=1),
        closes_at=timezone.now() + dt.timedelta(days=1),
    )
    html = member.get(vote_url(ballot)).content.decode()
    assert "Voting has not started yet" in html
    Ballot.objects.filter(pk=ballot.pk).update(opens_at=timezone.now() - dt.timedelta(hours=1))
    cast(ballot, party.neighbour, [0])
    ballot = close_now(ballot)
    html = member.get(vote_url(ballot)).content.decode()
    assert "Voting closed at" in html


# --- other methods ----------------------------------------------------------------------
def test_yes_no_paper(party: Party, member: Client) -> None:
    ballot = make_ballot(party, method=Method.YESNO, title="Adopt the motion?", options=())
    html = member.get(vote_url(ballot)).content.decode()
    assert 'type="radio" name="answer" value="abstain"' in html
    assert "<legend>Adopt the motion?</legend>" in html
    response = member.post(vote_url(ballot), {})
    assert "Choose yes, no or abstain." in response.content.decode()
    response = member.post(vote_url(ballot), {"answer": "no"})
    assert "<li>No</li>" in response.content.decode()
    member.post(vote_url(ballot), {"answer": "no", "action": "cast"})
    assert sealed_paper(ballot).choice == "no"


def test_block_paper_allows_at_most_one_per_seat(party: Party, member: Client) -> None:
    ballot = make_ballot(party, method=Method.BLOCK, seats=2, options=(*CANDIDATES, "Di Dee"))
    html = member.get(vote_url(ballot)).content.decode()
    assert 'type="checkbox" name="marked"' in html
    response = member.post(vote_url(ballot), {"marked": ["0", "1", "3"]})
    assert "You marked 3 candidates but there are 2 seats: mark at most 2." in (
        response.content.decode()
    )
    response = member.post(vote_url(ballot), {"marked": ["3", "1"], "action": "cast"})
    assert "Your vote is cast" in response.content.decode()
    assert sealed_paper(ballot).choice == [1, 3]


def test_approval_and_plurality_papers(party: Party, member: Client) -> None:
    approval = make_ballot(party, method=Method.APPROVAL, title="Approval")
    member.post(vote_url(approval), {"marked": ["0", "2"], "action": "cast"})
    assert sealed_paper(approval).choice == [0, 2]
    fptp = make_ballot(party, method=Method.PLURALITY, title="FPTP")
    assert 'type="radio" name="candidate"' in member.get(vote_url(fptp)).content.decode()
    member.post(vote_url(fptp), {"candidate": "1", "action": "cast"})
    assert sealed_paper(fptp).choice == [1]


# --- who may vote ----------------------------------------------------------------------
def test_anonymous_visitor_is_sent_to_sign_in(ballot: Ballot, client: Client) -> None:
    response = client.get(vote_url(ballot))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "who", ["clp_secretary", "scrutineer", "regional_officer", "no_roles", "eastoner"]
)
def test_non_electors_get_404_on_the_paper(
    ballot: Ballot, party: Party, client: Client, who: str
) -> None:
    user = eastoner_user(party) if who == "eastoner" else getattr(party, who)
    login(client, user)
    assert client.get(vote_url(ballot)).status_code == 404
    assert client.post(vote_url(ballot), {**prefs(Ada=1), "action": "cast"}).status_code == 404
    assert not VoteRecord.objects.exists()


def test_member_who_joined_too_late_is_not_on_the_electorate(party: Party, client: Client) -> None:
    late = f.MemberFactory(clp=party.northtown, joined=timezone.localdate())
    ballot = make_ballot(party)
    login(client, f.member_user(late))
    assert client.get(vote_url(ballot)).status_code == 404


# --- the one-time link ------------------------------------------------------------------
def issue_link(ballot: Ballot, member: Any) -> str:
    secret = "s3cret-" + hashlib.sha256(str(member.pk).encode()).hexdigest()[:20]
    Elector.objects.filter(ballot=ballot, member=member).update(token_digest=tokens.digest(secret))
    return secret


def test_link_is_exchanged_for_a_session_and_leaves_the_address_bar(
    ballot: Ballot, party: Party, client: Client
) -> None:
    secret = issue_link(ballot, party.neighbour)
    response = client.get(f"/ballots/vote/{secret}/")
    assert response.status_code == 302
    assert response["Location"] == vote_url(ballot)
    assert secret not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    page = client.get(vote_url(ballot))
    assert page.status_code == 200
    assert "Number the candidates" in page.content.decode()
    assert secret not in page.content.decode()
    receipt = client.post(vote_url(ballot), {**prefs(Bo=1), "action": "cast"})
    assert "Your vote is cast" in receipt.content.decode()
    assert VoteRecord.objects.filter(ballot=ballot, member=party.neighbour).exists()
    # Single use: the link is spent, and says so.
    again = client.get(f"/ballots/vote/{secret}/")
    assert again.status_code == 404
    assert "This ballot link has already been used" in again.content.decode()
    # And the session no longer carries a right to vote.
    assert client.get(vote_url(ballot)).status_code == 302


def test_link_works_without_signing_in_even_when_signed_in_as_someone_else(
    ballot: Ballot, party: Party, client: Client
) -> None:
    login(client, party.clp_secretary)
    secret = issue_link(ballot, party.branchmate)
    client.get(f"/ballots/vote/{secret}/")
    client.post(vote_url(ballot), {**prefs(Cy=1), "action": "cast"})
    assert VoteRecord.objects.filter(ballot=ballot, member=party.branchmate).exists()


def test_unknown_link_and_expired_session(ballot: Ballot, party: Party, client: Client) -> None:
    response = client.get("/ballots/vote/not-a-real-secret/")
    assert response.status_code == 404
    secret = issue_link(ballot, party.neighbour)
    client.get(f"/ballots/vote/{secret}/")
    session = client.session
    links = session["ballot_links"]
    links[str(ballot.pk)]["expires"] = (timezone.now() - dt.timedelta(seconds=1)).isoformat()
    session["ballot_links"] = links
    session.save()
    assert client.get(vote_url(ballot)).status_code == 302  # to sign in


def test_link_for_one_ballot_gives_no_right_in_another(
    ballot: Ballot, party: Party, client: Client
) -> None:
    other = make_ballot(party, title="Other")
    secret = issue_link(ballot, party.neighbour)
    client.get(f"/ballots/vote/{secret}/")
    assert client.get(vote_url(other)).status_code == 302


# --- results ----------------------------------------------------------------------------
def test_results_hidden_from_members_until_declared(party: Party, client: Client) -> None:
    ballot, _ = counted(party)
    url = f"/ballots/{ballot.pk}/result/"
    login(client, party.member)
    assert client.get(url).status_code == 404
    assert client.get(url + "chart.png").status_code == 404
    assert client.get(f"/ballots/{ballot.pk}/papers.blt").status_code == 404
    login(client, party.clp_secretary)
    html = client.get(url).content.decode()
    assert "Provisional" in html
    login(client, party.scrutineer)
    assert client.get(url).status_code == 200
    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    login(client, party.member)
    html = client.get(url).content.decode()
    assert "Provisional" not in html
    login(client, eastoner_user(party))
    assert client.get(url).status_code == 404  # electorate-only result


def test_public_result_is_visible_to_anyone_signed_in(party: Party, client: Client) -> None:
    ballot, _ = counted(party, declared=True, results_visibility=Visibility.PUBLIC)
    login(client, eastoner_user(party))
    assert client.get(f"/ballots/{ballot.pk}/result/").status_code == 200


def test_result_page_shows_turnout_outcome_and_stages(party: Party, member: Client) -> None:
    ballot, _ = counted(party, declared=True)
    html = member.get(f"/ballots/{ballot.pk}/result/").content.decode()
    # Ada 2 first preferences, Bo 1: Ada has a majority at the first stage.
    assert "Elected: Ada Adams." in html
    assert "<strong>100.00%</strong> — 3 of 3 members voted." in html
    assert "Stage 1: First preferences" in html
    assert '<th scope="row">Ada Adams <span class="badge ok">elected</span></th>' in html
    assert f'src="/ballots/{ballot.pk}/result/chart.png"' in html
    assert ballot.electorate_digest in html and ballot.papers_digest in html
    assert 'href="/static/ballots/result.css"' in html  # its print layout (@media print)
    assert f"--seed {ballot.seed}" in html


def test_stage_table_shows_transfers(party: Party, member: Client) -> None:
    extra = f.MemberFactory(clp=party.northtown, joined=dt.date(2015, 3, 1))
    ballot = make_ballot(party)
    cast(ballot, party.me, [0])
    cast(ballot, party.neighbour, [1])
    cast(ballot, party.branchmate, [2, 1])
    cast(ballot, extra, [0])
    ballot = close_now(ballot)
    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    html = member.get(f"/ballots/{ballot.pk}/result/").content.decode()
    assert "Stage 2: Excluded" in html
    assert '<span class="transfer">+1</span>' in html
    assert '<span class="transfer">-1</span>' in html


def test_yes_no_result_gives_the_exact_percentage(party: Party, member: Client) -> None:
    ballot = make_ballot(party, method=Method.YESNO, title="Adopt?", options=())
    cast(ballot, party.me, "yes")
    cast(ballot, party.neighbour, "yes")
    cast(ballot, party.branchmate, "no")
    ballot = close_now(ballot)
    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    html = member.get(f"/ballots/{ballot.pk}/result/").content.decode()
    assert "Carried: 66.67% in favour" in html
    # One wording of the threshold per result (issue 17.6).
    outcome = html[html.index('id="outcome-title"') : html.index('id="turnout-title"')]
    assert outcome.count("a simple majority of those voting") == 1, outcome
    assert "2/3" not in outcome  # the exact share is in the published result, not here
    chart = member.get(f"/ballots/{ballot.pk}/result/chart.png")
    assert chart.content.startswith(b"\x89PNG")
    assert f'href="/ballots/{ballot.pk}/papers.csv"' in html
    assert "papers.blt" not in html


def test_approval_result_shows_each_candidates_votes(party: Party, member: Client) -> None:
    ballot = make_ballot(party, method=Method.APPROVAL, title="Approval")
    cast(ballot, party.me, [0, 1])
    cast(ballot, party.neighbour, [1])
    ballot = close_now(ballot)
    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    html = member.get(f"/ballots/{ballot.pk}/result/").content.decode()
    assert "Elected: Bo Brown." in html
    assert re.search(
        r"Bo Brown <span class=\"badge ok\">elected</span></th><td class=\"num\">2</td>", html
    )
    chart = member.get(f"/ballots/{ballot.pk}/result/chart.png")
    assert chart.content.startswith(b"\x89PNG")


def test_paper_downloads_match_the_digests_on_the_page(party: Party, member: Client) -> None:
    ballot, _ = counted(party, declared=True)
    html = member.get(f"/ballots/{ballot.pk}/result/").content.decode()
    for fmt in ("blt", "csv"):
        shown = re.search(rf'id="{fmt}-digest">([0-9a-f]{{64}})<', html)
        assert shown is not None
        response = member.get(f"/ballots/{ballot.pk}/papers.{fmt}")
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == shown.group(1)
        assert response["X-Content-SHA256"] == shown.group(1)
        assert "attachment" in response["Content-Disposition"]
    assert re.search(r'id="blt-digest">([0-9a-f]{64})<', html).group(1) == ballot.papers_digest  # type: ignore[union-attr]
    assert member.get(f"/ballots/{ballot.pk}/papers.txt").status_code == 404


def test_declaration_pdf_is_a_pdf(party: Party, member: Client) -> None:
    ballot, _ = counted(party, declared=True)
    response = member.get(f"/ballots/{ballot.pk}/result/declaration.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_chart_is_a_cacheable_png(party: Party, member: Client) -> None:
    ballot, _ = counted(party, declared=True)
    url = f"/ballots/{ballot.pk}/result/chart.png"
    response = member.get(url)
    assert response.content.startswith(b"\x89PNG")
    assert "private" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    again = member.get(url, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_tracking_code_lookup(party: Party, member: Client) -> None:
    ballot, code = counted(party, declared=True)
    url = f"/ballots/{ballot.pk}/result/"
    html = member.get(url, {"code": code.lower()}).content.decode()
    assert f"Your paper <strong>{code}</strong> is among the published papers" in html
    assert "<ol><li>Ada Adams</li><li>Cy Clarke</li></ol>" in html
    html = member.get(url, {"code": "ZZZZZZZZZZ"}).content.decode()
    assert "No published paper has that tracking code" in html


# --- set-up and management --------------------------------------------------------------
def create_data(party: Party, **overrides: str) -> dict[str, str]:
    now = timezone.localtime()
    data = {
        "title": "Chair",
        "description": "",
        "method": "av",
        "seats": "1",
        "candidates": "Ada Adams | woman\nBo Brown | man | Treasurer since 2020\n\nCy Clarke",
        "quotas": "",
        "threshold": "simple",
        "scope": f"clp:{party.northtown.pk}",
        "freeze_date": (now.date() - dt.timedelta(days=1)).isoformat(),
        "months_required": "6",
        "exclude_suspended": "on",
        "exclude_arrears": "on",
        "min_age": "",
        "max_age": "",
        "opens_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "results_visibility": "electorate",
    }
    data.update(overrides)
    return data


def test_officer_sets_up_opens_invites_closes_and_declares(
    party: Party, client: Client, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    login(client, party.clp_secretary)
    form = client.get("/ballots/new/").content.decode()
    assert f'value="clp:{party.northtown.pk}"' in form
    assert f'value="clp:{party.easton.pk}"' not in form  # not an officer there
    response = client.post("/ballots/new/", create_data(party))
    assert response.status_code == 302
    ballot = Ballot.objects.get(title="Chair")
    assert response["Location"] == f"/ballots/{ballot.pk}/manage/"
    assert [(o.name, o.gender, o.description) for o in ballot.options.all()] == [
        ("Ada Adams", "woman", ""),
        ("Bo Brown", "man", "Treasurer since 2020"),
        ("Cy Clarke", "", ""),
    ]
    html = client.get(response["Location"]).content.decode()
    assert "The set-up passes every check." in html
    assert "Open ballot" in html

    response = client.post(f"/ballots/{ballot.pk}/open/", follow=True)
    html = response.content.decode()
    assert "The ballot is open and its electorate is frozen." in html
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.OPEN and ballot.electorate_size == 3
    assert "Send invitations" in html and "Close and count" not in html

    with django_capture_on_commit_callbacks(execute=True):  # the sending tasks run on commit
        response = client.post(f"/ballots/{ballot.pk}/invite/", follow=True)
    assert "3 invitations queued." in response.content.decode()
    assert len(mailoutbox) == 3
    progress = client.get(f"/ballots/{ballot.pk}/progress/").content.decode()
    assert "<dt>Invited</dt><dd>3 (100.00%)" in progress
    assert "hx-trigger" not in progress  # nothing left to send: no polling
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/ballots/{ballot.pk}/remind/", follow=True)
    assert "3 reminders queued." in response.content.decode()

    # Too early to close.
    response = client.post(f"/ballots/{ballot.pk}/close/", follow=True)
    assert "The ballot closes at" in response.content.decode()
    cast(ballot, party.me, [1])
    Ballot.objects.filter(pk=ballot.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    # The management page closes and counts a ballot whose time has come.
    html = client.get(f"/ballots/{ballot.pk}/manage/").content.decode()
    assert "Declare" in html
    response = client.post(f"/ballots/{ballot.pk}/declare/", follow=True)
    assert response.redirect_chain[-1][0] == f"/ballots/{ballot.pk}/result/"
    assert "Elected: Bo Brown." in response.content.decode()
    actions = list(
        AuditEntry.objects.filter(object_id=str(ballot.pk)).values_list("action", flat=True)
    )
    assert actions[:3] == ["ballots.ballot.create", "ballots.ballot.open", "ballots.ballot.invite"]
    assert "ballots.ballot.declare" in actions


def test_open_shows_set_up_problems(party: Party, client: Client) -> None:
    login(client, party.clp_secretary)
    # (A quota that cannot be met is refused by the set-up form itself: see
    # test_set_up_errors_are_counted_and_nothing_is_created.)
    client.post("/ballots/new/", create_data(party, candidates="Ada Adams"))
    ballot = Ballot.objects.get(title="Chair")
    html = client.get(f"/ballots/{ballot.pk}/manage/").content.decode()
    assert "Add at least two candidates or options" in html
    response = client.post(f"/ballots/{ballot.pk}/open/", follow=True)
    assert "Cannot open the ballot: add at least two candidates" in response.content.decode()
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.DRAFT


def test_create_form_errors(party: Party, client: Client) -> None:
    login(client, party.clp_secretary)
    data = create_data(
        party,
        candidates="Ada Adams\nada adams",
        closes_at=(timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        scope=f"clp:{party.easton.pk}",
    )
    response = client.post("/ballots/new/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "ada adams is listed twice (lines 1 and 2)." in html
    assert "The ballot must close after it opens." in html
    assert "Select a valid choice." in html  # Easton is not hers to run
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("who", ["member", "branch_officer", "scrutineer", "no_roles"])
def test_only_officers_may_set_up_ballots(party: Party, client: Client, who: str) -> None:
    login(client, getattr(party, who))
    assert client.get("/ballots/new/").status_code == 404
    assert client.post("/ballots/new/", create_data(party)).status_code == 404


def test_officer_of_another_clp_cannot_manage(party: Party, client: Client) -> None:
    ballot = make_ballot(party, open_=False)
    login(client, easton_secretary())
    for url in ("manage/", "progress/", "scrutiny/"):
        assert client.get(f"/ballots/{ballot.pk}/{url}").status_code == 404
    for action in ("open", "invite", "remind", "close", "declare", "recount"):
        assert client.post(f"/ballots/{ballot.pk}/{action}/").status_code == 404
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.DRAFT


def test_regional_officer_manages_ballots_of_the_region(party: Party, client: Client) -> None:
    ballot = make_ballot(party, open_=False)
    login(client, party.regional_officer)
    assert client.get(f"/ballots/{ballot.pk}/manage/").status_code == 200


def test_members_may_not_manage_and_actions_need_post(
    ballot: Ballot, party: Party, member: Client
) -> None:
    assert member.get(f"/ballots/{ballot.pk}/manage/").status_code == 404
    assert member.post(f"/ballots/{ballot.pk}/invite/").status_code == 404
    login(member, party.clp_secretary)
    assert member.get(f"/ballots/{ballot.pk}/open/").status_code == 405


def test_draft_problems_fragment_for_htmx(party: Party, client: Client) -> None:
    ballot = make_ballot(party, open_=False, options=("Solo",))
    login(client, party.clp_secretary)
    response = client.get(f"/ballots/{ballot.pk}/manage/?part=problems", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.strip().startswith('<div id="setup-problems"')
    assert "Add at least two candidates" in html


# --- scrutiny ---------------------------------------------------------------------------
def test_scrutineer_sees_scrutiny_but_cannot_vote_or_manage(
    ballot: Ballot, party: Party, client: Client
) -> None:
    cast(ballot, party.me, [0])
    login(client, party.scrutineer)
    html = client.get(f"/ballots/{ballot.pk}/scrutiny/").content.decode()
    assert '<strong class="turnout-figure">1</strong> of 3 electors have voted (33.33%).' in html
    assert ballot.electorate_digest in html
    assert "ballots.ballot.open" in html
    assert client.get(f"/ballots/{ballot.pk}/manage/").status_code == 404
    assert client.get(vote_url(ballot)).status_code == 404
    assert client.post(f"/ballots/{ballot.pk}/invite/").status_code == 404
    fragment = client.get(f"/ballots/{ballot.pk}/scrutiny/turnout/").content.decode()
    assert 'hx-trigger="every 10s"' in fragment and ">1</strong>" in fragment


def test_members_cannot_scrutinise(ballot: Ballot, party: Party, member: Client) -> None:
    assert member.get(f"/ballots/{ballot.pk}/scrutiny/").status_code == 404
    assert member.get(f"/ballots/{ballot.pk}/scrutiny/turnout/").status_code == 404


def test_scrutineer_of_another_clp_cannot_scrutinise(ballot: Ballot, client: Client) -> None:
    from rankandfile.membership.models import CLP

    user = f.UserFactory(email="scrut-e@example.org")
    f.RoleFactory(user=user, kind=Role.Kind.SCRUTINEER, clp=CLP.objects.get(slug="easton"))
    login(client, user)
    assert client.get(f"/ballots/{ballot.pk}/scrutiny/").status_code == 404


def test_why_was_a_member_eligible(ballot: Ballot, party: Party, client: Client) -> None:
    login(client, party.scrutineer)
    url = f"/ballots/{ballot.pk}/scrutiny/"
    html = client.get(url, {"number": "rf000001"}).content.decode()
    assert "<strong>Mary Member</strong> (RF000001) is <strong>eligible</strong>" in html
    assert "is on the frozen electorate" in html
    late = f.MemberFactory(
        first_name="Lou",
        membership_number="RF000050",
        clp=party.northtown,
        joined=timezone.localdate(),
    )
    html = client.get(url, {"number": late.membership_number}).content.decode()
    assert "<strong>not eligible</strong>" in html
    assert "is not on the frozen electorate" in html
    # Outside the ballot's unit (tests/ballots/test_officer_scope.py): no personal data.
    html = client.get(url, {"number": "RF000009"}).content.decode()
    assert "<strong>RF000009</strong> is not on this electorate." in html
    assert "Southerner" not in html
    html = client.get(url, {"number": "NOPE"}).content.decode()
    assert "<strong>NOPE</strong> is not on this electorate." in html


def test_recount_matches(party: Party, client: Client) -> None:
    ballot, _ = counted(party)
    login(client, party.scrutineer)
    response = client.post(f"/ballots/{ballot.pk}/recount/", follow=True)
    assert "Recount matches" in response.content.decode()
    assert AuditEntry.objects.filter(action="ballots.ballot.recount").count() == 1


def test_recount_reports_altered_papers(party: Party, client: Client) -> None:
    ballot, _ = counted(party)
    Ballot.objects.filter(pk=ballot.pk).update(
        papers_blt=ballot.papers_blt.replace(" 1 3 0", " 3 1 0")
    )
    login(client, party.clp_secretary)
    response = client.post(f"/ballots/{ballot.pk}/recount/", follow=True)
    assert "Recount does NOT match" in response.content.decode()


def test_recount_before_the_count(ballot: Ballot, party: Party, client: Client) -> None:
    login(client, party.scrutineer)
    response = client.post(f"/ballots/{ballot.pk}/recount/", follow=True)
    assert "The ballot has not been counted yet." in response.content.decode()


# --- my ballots -------------------------------------------------------------------------
def test_my_ballots_for_a_member(party: Party, member: Client) -> None:
    voted = make_ballot(party, title="Voted already")
    cast(voted, party.me, [0])
    make_ballot(party, title="Still to vote")
    declared, _ = counted(party, declared=True, title="Declared one")
    counted(party, title="Counted not declared")
    html = member.get("/ballots/").content.decode()
    assert re.search(r"Voted already</a> —\s*<span class=\"badge ok\">you have voted", html)
    assert re.search(r"Still to vote</a> —\s*<span class=\"badge warn\">not voted yet", html)
    assert f'href="/ballots/{declared.pk}/result/">Declared one' in html
    assert "Counted not declared" not in html
    assert "Ballots I run" not in html
    assert "Set up a ballot" not in html


def test_my_ballots_for_officers(party: Party, client: Client) -> None:
    ballot = make_ballot(party, open_=False, title="Draft chair")
    login(client, party.clp_secretary)
    html = client.get("/ballots/").content.decode()
    assert "Set up a ballot" in html
    assert f'href="/ballots/{ballot.pk}/manage/"' in html
    login(client, easton_secretary())
    assert "Draft chair" not in client.get("/ballots/").content.decode()
    login(client, party.scrutineer)
    html = client.get("/ballots/").content.decode()
    assert f'href="/ballots/{ballot.pk}/scrutiny/"' in html
    assert f'href="/ballots/{ballot.pk}/manage/"' not in html


def test_ballot_link_leads_each_role_to_its_page(
    ballot: Ballot, party: Party, client: Client
) -> None:
    login(client, party.member)
    assert client.get(f"/ballots/{ballot.pk}/")["Location"] == vote_url(ballot)
    login(client, party.clp_secretary)
    assert client.get(f"/ballots/{ballot.pk}/")["Location"] == f"/ballots/{ballot.pk}/manage/"
    login(client, party.scrutineer)
    assert client.get(f"/ballots/{ballot.pk}/")["Location"] == f"/ballots/{ballot.pk}/scrutiny/"
    login(client, eastoner_user(party))
    assert client.get(f"/ballots/{ballot.pk}/").status_code == 404


# --- query counts -----------------------------------------------------------------------
VOTE_PAGE_QUERIES = 8  # session, user, roles, member, ballot, elector, voted?, options
RESULT_PAGE_QUERIES = 8  # session, user, roles, member, ballot, elector, options, audit anchor


@pytest.mark.parametrize("candidates", [3, 12])
def test_vote_page_query_count_is_fixed(
    party: Party, member: Client, django_assert_num_queries: Any, candidates: int
) -> None:
    ballot = make_ballot(party, options=[f"Candidate {n}" for n in range(candidates)])
    with django_assert_num_queries(VOTE_PAGE_QUERIES):
        assert member.get(vote_url(ballot)).status_code == 200


@pytest.mark.parametrize("voters", [0, 6])
def test_result_page_query_count_is_fixed(
    party: Party, member: Client, django_assert_num_queries: Any, voters: int
) -> None:
    for _ in range(voters):
        f.MemberFactory(clp=party.northtown, joined=dt.date(2015, 3, 1))
    ballot = make_ballot(party)
    for elector in Elector.objects.filter(ballot=ballot):
        services.ballot_cast(ballot=ballot, elector=elector, choice=[elector.pk % 3])
    ballot = close_now(ballot)
    tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    with django_assert_num_queries(RESULT_PAGE_QUERIES):
        assert member.get(f"/ballots/{ballot.pk}/result/").status_code == 200


# --- admin ------------------------------------------------------------------------------
def test_admin_shows_ballots_and_electors_but_never_tokens_or_papers(
    ballot: Ballot, party: Party, client: Client
) -> None:
    from django.contrib import admin

    from rankandfile.ballots.models import Option

    registered = admin.site._registry
    assert Ballot in registered and Option in registered and Elector in registered
    assert Paper not in registered and VoteRecord not in registered
    issue_link(ballot, party.me)
    digest = Elector.objects.get(ballot=ballot, member=party.me).token_digest
    login(client, party.national_admin)
    assert client.get("/admin/ballots/ballot/").status_code == 200
    html = client.get(f"/admin/ballots/ballot/{ballot.pk}/change/").content.decode()
    assert "papers_blt" not in html
    elector = Elector.objects.get(ballot=ballot, member=party.me)
    html = client.get(f"/admin/ballots/elector/{elector.pk}/change/").content.decode()
    assert digest is not None and digest not in html and "token_digest" not in html
    assert client.get("/admin/ballots/elector/").status_code == 200


# --- home -------------------------------------------------------------------------------
def test_home_links_my_open_ballots_and_recent_results(party: Party, member: Client) -> None:
    ballot = make_ballot(party, title="Open one")
    declared, _ = counted(party, declared=True, title="Declared one")
    html = member.get("/").content.decode()
    assert f'<a href="/ballots/{ballot.pk}/vote/">Open one</a> — open until' in html
    assert f'<a href="/ballots/{declared.pk}/result/">Declared one</a> — result declared' in html
    cast(ballot, party.me, [0])
    assert "Open one</a> — you have voted" in member.get("/").content.decode()


def test_each_problem_is_said_once_beside_the_preference_it_concerns(
    ballot: Ballot, member: Client
) -> None:
    """Issue 17.3: one line per problem in the summary, none repeated; beside each box,
    the note about that box."""
    html = member.post(vote_url(ballot), prefs(Ada=1, Bo=1, Cy=3)).content.decode()
    summary = html[
        html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))
    ]
    assert summary.count("<li>") == 2  # the repeated 1, the gap
    assert "There are 2 problems" in summary
    assert html.count("You gave preference 1 to two candidates") == 1
    assert html.count("There is a gap: no preference 2") == 2  # summary + beside Cy's box
    ada = html[html.index('id="id_pref_0"') : html.index('id="id_pref_1"')]
    assert "Preference 1 is also given to Bo Brown." in ada
    # An empty paper: the message once (the summary), not again inside the form.
    empty = member.post(vote_url(ballot), {}).content.decode()
    assert empty.count("Give at least a first preference") == 1


def test_set_up_errors_are_counted_and_nothing_is_created(party: Party, client: Client) -> None:
    """Issue 17.4/17.6: an impossible quota is refused before the ballot exists, and the
    summary above it counts the problems (never "0 problems")."""
    login(client, party.clp_secretary)
    data = create_data(party, method="scottish-stv", seats="2", quotas="woman: 2")
    response = client.post("/ballots/new/", data)
    html = response.content.decode()
    assert response.status_code in (200, 400)
    assert "There is a problem with your ballot" in html
    assert "0 problems" not in html
    assert "At least 2 seats must go to woman candidates, but only 1 is standing" in html
    assert not Ballot.objects.filter(title="Chair").exists()
