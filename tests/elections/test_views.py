"""Election pages and API, both ways: who sees elections, who may nominate for which
unit, who runs them; form errors keep the input and change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rankandfile.core.models import User
from rankandfile.elections import services
from rankandfile.elections.models import Contest, Nomination
from tests.conftest import Party, issue_token
from tests.elections.factories import close_mp_stage, mp_logins, open_contest
from tests.membership import factories as f

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _contest(party: Party) -> tuple[Contest, list]:
    logins = mp_logins(9)
    contest = open_contest(party.national_admin)
    services.candidate_add(actor=party.national_admin, contest=contest, name="Alice A")
    services.candidate_add(actor=party.national_admin, contest=contest, name="Bob B")
    return contest, logins


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),
        ("clp_secretary", 200),
        ("affiliate_officer", 200),
        ("national_admin", 200),
        ("eastoner", 200),
        ("no_roles", 404),  # a login with no member record, office or MP seat
    ],
)
def test_who_sees_an_election(party: Party, who: str, status: int) -> None:
    contest, _ = _contest(party)
    user = getattr(party, who)
    if who == "eastoner":
        user = f.member_user(party.eastoner)
    r = client_for(user).get(f"/elections/{contest.pk}/")
    assert r.status_code == status
    assert client_for(user).get("/elections/").status_code == status


def test_anonymous_is_sent_to_log_in(party: Party) -> None:
    contest, _ = _contest(party)
    r = Client().get(f"/elections/{contest.pk}/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_unknown_election_is_404(party: Party) -> None:
    assert client_for(party.member).get("/elections/999/").status_code == 404


def test_mp_nominates_through_their_page(party: Party) -> None:
    contest, logins = _contest(party)
    mp, user = logins[0]
    c = client_for(user)
    page = c.get(f"/elections/{contest.pk}/")
    assert b"Your nomination (MPs)" in page.content
    alice = contest.candidates.get(name="Alice A")
    r = c.post(f"/elections/{contest.pk}/act/nominate-mp/", {"candidate": alice.pk})
    assert r.status_code == 302
    # Published at once: any member sees who nominated whom.
    page = client_for(party.member).get(f"/elections/{contest.pk}/")
    assert mp.name.encode() in page.content
    assert b"1 of 10 MPs = 10%, threshold 20%: not met" in page.content
    # A second nomination is refused with the reason; nothing changes.
    bob = contest.candidates.get(name="Bob B")
    r = c.post(f"/elections/{contest.pk}/act/nominate-mp/", {"candidate": bob.pk})
    assert r.status_code == 400 and b"already nominated Alice A" in r.content
    assert Nomination.objects.filter(withdrawn_at__isnull=True).count() == 1
    # The MP's own page lists it; withdraw.
    assert b"Alice A" in c.get("/elections/my-nominations/").content
    n = Nomination.objects.get()
    r = c.post(f"/elections/{contest.pk}/act/withdraw/", {"nomination": n.pk})
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.withdrawn_at is not None


def test_non_mp_cannot_nominate_or_withdraw_an_mps_nomination(party: Party) -> None:
    contest, logins = _contest(party)
    alice = contest.candidates.get(name="Alice A")
    n = services.nomination_by_mp(actor=logins[0][1], contest=contest, candidate=alice)
    for user in (party.member, party.national_admin, logins[1][1]):
        c = client_for(user)
        r = c.post(f"/elections/{contest.pk}/act/withdraw/", {"nomination": n.pk})
        assert r.status_code == 404
    r = client_for(party.member).post(
        f"/elections/{contest.pk}/act/nominate-mp/", {"candidate": alice.pk}
    )
    assert r.status_code == 400
    assert Nomination.objects.filter(withdrawn_at__isnull=True).count() == 1
    assert client_for(party.member).get("/elections/my-nominations/").status_code == 404


def _clp_stage(party: Party) -> Contest:
    contest, logins = _contest(party)
    alice = contest.candidates.get(name="Alice A")
    for _, user in logins[:2]:
        services.nomination_by_mp(actor=user, contest=contest, candidate=alice)
    return close_mp_stage(contest)


def test_clp_officer_records_their_clps_nomination_only(party: Party) -> None:
    contest = _clp_stage(party)
    alice = contest.candidates.get(name="Alice A")
    c = client_for(party.clp_secretary)
    page = c.get(f"/elections/{contest.pk}/")
    assert b"Record your CLP's nomination" in page.content
    data = {
        "clp": party.easton.pk,  # not theirs
        "candidate": alice.pk,
        "meeting_on": timezone.localdate().isoformat(),
        "votes_for": 12,
        "votes_cast": 20,
    }
    r = c.post(f"/elections/{contest.pk}/act/nominate-clp/", data)
    assert r.status_code == 400 and b"Select a valid choice" in r.content
    r = c.post(
        f"/elections/{contest.pk}/act/nominate-clp/",
        {**data, "clp": party.northtown.pk, "votes_for": 30},
    )
    assert r.status_code == 400 and b"30 votes for is more than the 20 votes cast" in r.content
    assert b'value="30"' in r.content  # the input is kept
    assert not Nomination.objects.filter(by="clp").exists()
    r = c.post(f"/elections/{contest.pk}/act/nominate-clp/", {**data, "clp": party.northtown.pk})
    assert r.status_code == 302
    n = Nomination.objects.get(by="clp")
    assert (n.clp, n.votes_for, n.votes_cast) == (party.northtown, 12, 20)
    page = client_for(party.member).get(f"/elections/{contest.pk}/")
    assert b"Northtown" in page.content and b"12 of 20 votes" in page.content
    # Members and branch officers get no form and cannot post one.
    for user in (party.member, party.branch_officer):
        page = client_for(user).get(f"/elections/{contest.pk}/")
        assert b"Record your CLP" not in page.content
        r = client_for(user).post(f"/elections/{contest.pk}/act/nominate-clp/", data)
        assert r.status_code == 400
    assert Nomination.objects.filter(by="clp").count() == 1


def test_affiliate_officer_nominates(party: Party) -> None:
    contest = _clp_stage(party)
    alice = contest.candidates.get(name="Alice A")
    c = client_for(party.affiliate_officer)
    r = c.post(
        f"/elections/{contest.pk}/act/nominate-affiliate/",
        {"affiliate": party.affiliate.pk, "candidate": alice.pk},
    )
    assert r.status_code == 302
    assert Nomination.objects.get(by="affiliate").affiliate == party.affiliate
    other = f.AffiliateFactory()
    r = c.post(
        f"/elections/{contest.pk}/act/nominate-affiliate/",
        {"affiliate": other.pk, "candidate": alice.pk},
    )
    assert r.status_code == 400
    assert Nomination.objects.filter(by="affiliate").count() == 1


def test_running_the_election_is_for_national_admins(party: Party) -> None:
    contest, _ = _contest(party)
    for user in (party.clp_secretary, party.member, party.regional_officer):
        c = client_for(user)
        assert c.get("/elections/new/").status_code == 404
        r = c.post(f"/elections/{contest.pk}/act/candidate/", {"name": "Zed"})
        assert r.status_code == 404
        r = c.post(f"/elections/{contest.pk}/act/declare/")
        assert r.status_code == 404
    assert not contest.candidates.filter(name="Zed").exists()
    c = client_for(party.national_admin)
    r = c.post(f"/elections/{contest.pk}/act/candidate/", {"name": "Zed"})
    assert r.status_code == 302 and contest.candidates.filter(name="Zed").exists()


def test_create_page(party: Party) -> None:
    c = client_for(party.national_admin)
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    data = {
        "title": "Deputy leadership",
        "office": "deputy",
        "kind": "vacancy",
        "mp_nominations_close": (now + dt.timedelta(days=3)).strftime(fmt),
        "nominations_close": (now + dt.timedelta(days=1)).strftime(fmt),
        "field_meps": 0,
    }
    r = c.post("/elections/new/", data)
    assert r.status_code == 400 and b"cannot close before" in r.content
    assert not Contest.objects.exists()
    data["nominations_close"] = (now + dt.timedelta(days=9)).strftime(fmt)
    r = c.post("/elections/new/", data)
    assert r.status_code == 302
    assert Contest.objects.get().office == "deputy"


def test_statement_page(party: Party) -> None:
    contest, _ = _contest(party)
    cand = services.candidate_add(
        actor=party.national_admin, contest=contest, name="Mary Member", member=party.me
    )
    url = f"/elections/{contest.pk}/candidates/{cand.pk}/"
    r = client_for(party.member).post(url, {"statement": "Members first."})
    assert r.status_code == 302
    cand.refresh_from_db()
    assert cand.statement == "Members first."
    neighbour = f.member_user(party.neighbour)
    assert client_for(neighbour).post(url, {"statement": "x"}).status_code == 404
    cand.refresh_from_db()
    assert cand.statement == "Members first."
    assert b"Members first." in client_for(neighbour).get(url).content


def test_api(party: Party) -> None:
    contest, logins = _contest(party)
    alice = contest.candidates.get(name="Alice A")
    token = issue_token(logins[0][1])
    c = Client()
    headers = {"Authorization": f"Bearer {token}"}
    r = c.post(
        f"/api/v1/elections/{contest.pk}/nominations/mp/",
        {"candidate_id": alice.pk},
        content_type="application/json",
        headers=headers,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    row = next(x for x in body["candidates"] if x["name"] == "Alice A")
    assert row["nominations"][0]["nominator"] == logins[0][0].name
    assert row["explanation"][0] == "1 of 10 MPs = 10%, threshold 20%: not met"
    # A member's token cannot nominate as an MP.
    member_headers = {"Authorization": f"Bearer {issue_token(party.member)}"}
    r = c.post(
        f"/api/v1/elections/{contest.pk}/nominations/mp/",
        {"candidate_id": alice.pk},
        content_type="application/json",
        headers=member_headers,
    )
    assert r.status_code in (400, 403)
    assert c.get("/api/v1/elections/", headers=member_headers).json()[0]["id"] == contest.pk
    nobody = {"Authorization": f"Bearer {issue_token(party.no_roles)}"}
    assert c.get(f"/api/v1/elections/{contest.pk}/", headers=nobody).status_code == 404


def test_home_card(party: Party) -> None:
    c = client_for(party.member)
    assert "Party elections" not in c.get("/").content.decode()
    contest, _ = _contest(party)
    html = c.get("/").content.decode()
    assert "Party elections" in html and f"/elections/{contest.pk}/" in html


def test_standings_query_count_does_not_grow(
    party: Party, django_assert_max_num_queries: Any
) -> None:
    from rankandfile.elections import queries

    contest, logins = _contest(party)
    alice = contest.candidates.get(name="Alice A")
    bob = contest.candidates.get(name="Bob B")
    for i, (_, user) in enumerate(logins):
        services.nomination_by_mp(actor=user, contest=contest, candidate=alice if i % 2 else bob)
    with django_assert_max_num_queries(5):
        rows = queries.standings(contest)
    assert sum(len(r.mps) for r in rows) == 9


def test_past_round_page(party: Party) -> None:
    from io import StringIO

    from django.core.management import call_command

    from rankandfile.conference.services import rulebook as conference_services
    from rankandfile.elections.models import PastRound

    conference_services.rule_book_load(actor=None)
    call_command("elections_load_past", stdout=StringIO())
    past = PastRound.objects.get(title__contains="2020")
    html = client_for(party.member).get(f"/elections/past/{past.pk}/").content.decode()
    assert "Modelled figures." in html
    assert "Keir Starmer, Rebecca Long-Bailey, Lisa Nandy" in html
    assert "31 of 645 CLPs = 4.8%, threshold 5%: not met" in html
    assert client_for(party.no_roles).get(f"/elections/past/{past.pk}/").status_code == 404


def test_hustings_by_admins_only(party: Party) -> None:
    contest, _ = _contest(party)
    data = {"starts_at": "2030-01-10T19:00", "place": "Northtown Labour Club"}
    assert (
        client_for(party.clp_secretary)
        .post(f"/elections/{contest.pk}/act/hustings/", data)
        .status_code
        == 404
    )
    assert not contest.hustings.exists()
    r = client_for(party.national_admin).post(f"/elections/{contest.pk}/act/hustings/", data)
    assert r.status_code == 302
    assert (
        b"Northtown Labour Club"
        in client_for(party.member).get(f"/elections/{contest.pk}/").content
    )


def test_clp_all_member_ballot_through_the_page(party: Party) -> None:
    contest, logins = _contest(party)
    # Both candidates reach the MPs' threshold: the ballot has two candidates.
    for i, (_, user) in enumerate(logins[:4]):
        name = "Alice A" if i % 2 else "Bob B"
        services.nomination_by_mp(
            actor=user, contest=contest, candidate=contest.candidates.get(name=name)
        )
    contest = close_mp_stage(contest)
    closes = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    url = f"/elections/{contest.pk}/act/clp-ballot/"
    # Another CLP's officer, a member: refused, nothing created.
    easton_officer = f.clp_officer(party.easton)
    for user in (easton_officer, party.member):
        r = client_for(user).post(url, {"clp": party.northtown.pk, "closes_at": closes})
        assert r.status_code == 400
    from rankandfile.elections.models import UnitBallot

    assert not UnitBallot.objects.exists()
    r = client_for(party.clp_secretary).post(url, {"clp": party.northtown.pk, "closes_at": closes})
    assert r.status_code == 302
    unit = UnitBallot.objects.get()
    assert unit.ballot.state == "open" and unit.ballot.clp == party.northtown
    # Only Northtown's officers may record its result.
    r = client_for(easton_officer).post(
        f"/elections/{contest.pk}/act/clp-ballot-conclude/", {"unit_ballot": unit.pk}
    )
    assert r.status_code == 404
    r = client_for(party.clp_secretary).post(
        f"/elections/{contest.pk}/act/clp-ballot-conclude/", {"unit_ballot": unit.pk}
    )
    assert r.status_code == 400 and b"not closed and been counted" in r.content


def test_clp_officer_withdraws_their_clps_nomination_only(party: Party) -> None:
    contest = _clp_stage(party)
    alice = contest.candidates.get(name="Alice A")
    n = services.nomination_by_clp_meeting(
        actor=party.clp_secretary, contest=contest, clp=party.northtown, candidate=alice,
        meeting_on=timezone.localdate(), votes_for=3, votes_cast=5,
    )  # fmt: skip
    url = f"/elections/{contest.pk}/act/withdraw/"
    for user in (f.clp_officer(party.easton), party.member, party.affiliate_officer):
        assert client_for(user).post(url, {"nomination": n.pk}).status_code == 404
    n.refresh_from_db()
    assert n.withdrawn_at is None
    assert client_for(party.clp_chair).post(url, {"nomination": n.pk}).status_code == 302
    n.refresh_from_db()
    assert n.withdrawn_at is not None


def test_timetable_defaults_come_from_the_rule_book(party: Party) -> None:
    from rankandfile.conference.rulebook import parameters_in_force
    from rankandfile.conference.services import rulebook as conference_services

    conference_services.rule_book_load(actor=None)
    rules = parameters_in_force().elections
    html = client_for(party.national_admin).get("/elections/new/").content.decode()
    expected = (timezone.localtime() + dt.timedelta(days=rules.mp_nomination_days)).strftime(
        "%Y-%m-%dT"
    )
    assert f'value="{expected}' in html


def test_a_single_clps_officer_finds_it_chosen(party: Party) -> None:
    contest = _clp_stage(party)
    html = client_for(party.clp_secretary).get(f"/elections/{contest.pk}/").content.decode()
    assert f'<option value="{party.northtown.pk}" selected>Northtown</option>' in html


def test_candidate_withdraws(party: Party) -> None:
    contest, logins = _contest(party)
    alice = contest.candidates.get(name="Alice A")
    n = services.nomination_by_mp(actor=logins[0][1], contest=contest, candidate=alice)
    url = f"/elections/{contest.pk}/act/candidate-withdraw/"
    assert client_for(party.clp_secretary).post(url, {"candidate": alice.pk}).status_code == 404
    alice.refresh_from_db()
    assert alice.withdrawn_at is None
    assert client_for(party.national_admin).post(url, {"candidate": alice.pk}).status_code == 302
    alice.refresh_from_db()
    n.refresh_from_db()
    assert alice.withdrawn_at is not None and n.withdrawn_at is not None
    html = client_for(party.member).get(f"/elections/{contest.pk}/").content.decode()
    assert "Withdrawn: Alice A" in html
    # The MP may now nominate someone else.
    bob = contest.candidates.get(name="Bob B")
    services.nomination_by_mp(actor=logins[0][1], contest=contest, candidate=bob)


def test_create_page_refuses_an_nec_block_vote_with_the_reason(party: Party) -> None:
    """Under the 2014 rules (block vote, half women) the page says why the NEC contest
    cannot be run, and nothing is created; a leadership contest opens."""
    import time_machine

    from rankandfile.conference.services import rulebook

    rulebook.rule_book_load(actor=None)
    c = client_for(party.national_admin)
    with time_machine.travel(dt.datetime(2015, 6, 1, 12, tzinfo=dt.UTC)):
        now = timezone.localtime()
        fmt = "%Y-%m-%dT%H:%M"
        data = {
            "title": "NEC CLP section",
            "office": "nec_clp",
            "kind": "vacancy",  # the form's choice, ignored for the NEC
            "mp_nominations_close": (now + dt.timedelta(days=3)).strftime(fmt),
            "nominations_close": (now + dt.timedelta(days=9)).strftime(fmt),
            "field_meps": 0,
        }
        r = c.post("/elections/new/", data)
        assert r.status_code == 400
        assert "block vote with at least 3 of its 6 seats for women" in r.text
        assert "cannot hold seats back for women" in r.text
        assert not Contest.objects.exists()
        data.update(title="Leadership", office="leader", kind="vacancy")
        assert c.post("/elections/new/", data).status_code == 302
        assert Contest.objects.get().office == "leader"


def test_nec_page_states_the_women_minimum_of_its_rules(party: Party) -> None:
    from rankandfile.conference.services import rulebook

    rulebook.rule_book_load(actor=None)
    contest = open_contest(party.national_admin, office="nec_clp", kind="election")
    r = client_for(party.national_admin).get(f"/elections/{contest.pk}/")
    assert "9 seats, at least 5 for women (a quota in the count)." in r.text
