"""Selection pages and API, every role both ways: who sees a selection, who manages it,
who sees a candidate's private data, the rule comparison, voting through the ballots app."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rankandfile.accountability.models import PartyChange, Policy, Score
from rankandfile.ballots.models import Ballot, Elector, VoteRecord
from rankandfile.core.models import User
from rankandfile.core.tokens import api_token_create
from rankandfile.membership.models import AffiliateCLP
from rankandfile.selections import queries, services
from rankandfile.selections.models import Application, Selection, Stage
from tests.conftest import Party, enable_totp
from tests.membership import factories as f
from tests.selections.conftest import northtown_selection, to_nominations

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- who sees a selection ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),  # a Northtown member
        ("clp_secretary", 200),
        ("branch_officer", 200),  # Riverside is in Northtown
        ("national_admin", 200),
        ("regional_officer", 404),  # not a member of Northtown, not its officer
        ("scrutineer", 404),
        ("no_roles", 404),
    ],
)
def test_selection_page_visibility(
    party: Party, selection: Selection, who: str, status: int
) -> None:
    response = client_for(getattr(party, who)).get(f"/selections/{selection.pk}/")
    assert response.status_code == status


def test_members_of_another_clp_do_not_see_it(party: Party, selection: Selection) -> None:
    other = f.member_user(party.eastoner)
    assert client_for(other).get(f"/selections/{selection.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(selection: Selection) -> None:
    response = Client().get(f"/selections/{selection.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_selection_page_shows_timetable_and_mp_record(party: Party, selection: Selection) -> None:
    """The sitting MP's record comes from the accountability app's stored rows."""
    policy = Policy.objects.create(title="Public ownership of rail", slug="rail")
    Score.objects.create(
        mp=party.mp,
        policy=policy,
        points=9.7,
        possible=10.0,
        distance=0.03,
        wording="consistently voted for",
        strong_votes=12,
        absences=0,
        pw_distance=None,
        pw_wording="",
        computed_at=timezone.now(),
    )
    PartyChange.objects.create(
        mp=party.mp,
        date=dt.date(2019, 2, 18),
        kind="lost_whip",
        from_party="Labour",
        to_party="Independent",
        origin="officer",
    )
    html = client_for(party.member).get(f"/selections/{selection.pk}/").content.decode()
    assert "Timetable" in html and "Applications" in html
    assert "The sitting MP's record: Ada Lovelace" in html
    assert "Public ownership of rail" in html and "consistently voted for" in html
    assert 'href="/accountability/policies/rail/"' in html
    assert "97%" in html
    assert "18 February 2019: Lost the whip (Labour → Independent)" in html
    assert "Apply to be the candidate" in html


def test_mp_record_without_stored_scores(party: Party, selection: Selection) -> None:
    """An MP with no stored scores: said so, with the link to the MP's page."""
    html = client_for(party.member).get(f"/selections/{selection.pk}/").content.decode()
    assert "No votes on programme policies are recorded for Ada Lovelace." in html
    assert f"/{party.mp.mnis_id}/" in html  # the link to the MP's page
    assert "Changes of party" not in html


# --- management: only the CLP's officers and national admins ----------------------------
@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("clp_secretary", True),
        ("clp_chair", True),
        ("national_admin", True),
        ("member", False),
        ("regional_officer", False),
        ("branch_officer", False),
    ],
)
def test_manage_timetable_both_ways(
    party: Party, selection: Selection, who: str, allowed: bool
) -> None:
    new = selection.hustings_by - dt.timedelta(days=1)
    data = {k: getattr(selection, k) or "" for k in services.TIMETABLE_FIELDS}
    data["hustings_by"] = new
    response = client_for(getattr(party, who)).post(
        f"/selections/{selection.pk}/manage/timetable/", data
    )
    selection.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert selection.hustings_by == new
    else:
        assert response.status_code == 404
        assert selection.hustings_by != new


def test_manage_page_refused_to_members(party: Party, selection: Selection) -> None:
    assert client_for(party.member).get(f"/selections/{selection.pk}/manage/").status_code == 404
    assert (
        client_for(party.clp_secretary).get(f"/selections/{selection.pk}/manage/").status_code
        == 200
    )


def test_bad_timetable_is_explained_and_changes_nothing(party: Party, selection: Selection) -> None:
    data = {k: getattr(selection, k) or "" for k in services.TIMETABLE_FIELDS}
    data["shortlist_by"] = selection.longlist_by - dt.timedelta(days=3)
    client = client_for(party.clp_secretary)
    response = client.post(f"/selections/{selection.pk}/manage/timetable/", data, follow=True)
    assert "is before the longlist" in response.content.decode()
    before = selection.shortlist_by
    selection.refresh_from_db()
    assert selection.shortlist_by == before


# --- applying and candidate pages -------------------------------------------------------
def test_member_applies_through_the_form(party: Party, selection: Selection) -> None:
    client = client_for(party.member)
    response = client.post(
        f"/selections/{selection.pk}/apply/",
        {"statement": "For the many.", "contact_email": "mary@private.example.org",
         "trade_union": "GMB", "is_woman": "on"},
    )  # fmt: skip
    app = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/selections/{selection.pk}/candidates/{app.pk}/"
    assert app.name == "Mary Member" and app.is_woman and app.trade_union == "GMB"


def test_application_refused_with_reasons(party: Party, selection: Selection) -> None:
    response = client_for(party.member).post(
        f"/selections/{selection.pk}/apply/",
        {"statement": "For the many.", "contact_email": "mary@private.example.org"},
    )
    assert response.status_code == 400
    assert "candidates must be members of a trade union" in response.content.decode()
    assert not Application.objects.exists()


def test_candidates_cannot_see_each_others_private_data(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    ann, bob, _ = three_applications
    selection = to_nominations(party, selection, three_applications)  # Ann and Bob shortlisted
    bob_user = bob.member.user
    # Bob sees his own private data ...
    own = client_for(bob_user).get(f"/selections/{selection.pk}/candidates/{bob.pk}/")
    assert ann.contact_email not in own.content.decode()
    assert bob.contact_email in own.content.decode()
    # ... but not Ann's: her statement yes, her contact, union and equality data no.
    other = client_for(bob_user).get(f"/selections/{selection.pk}/candidates/{ann.pk}/")
    html = other.content.decode()
    assert other.status_code == 200
    assert "I am Ann Archer" in html
    for secret in (ann.contact_email, ann.contact_phone, ann.union_membership_number, "BAME</dt>"):
        assert secret not in html
    # A plain member neither; the officers do.
    assert (
        ann.contact_email
        not in client_for(party.member)
        .get(f"/selections/{selection.pk}/candidates/{ann.pk}/")
        .content.decode()
    )
    assert (
        ann.contact_email
        in client_for(party.clp_secretary)
        .get(f"/selections/{selection.pk}/candidates/{ann.pk}/")
        .content.decode()
    )


def test_api_never_returns_private_data(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    enable_totp(party.clp_secretary)
    issued = api_token_create(actor=party.clp_secretary, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    body = client.get(f"/api/v1/selections/{selection.pk}/").json()
    assert [c["name"] for c in body["candidates"]] == ["Ann Archer", "Bob Baker", "Cal Cooper"]
    text = str(body)
    assert "private.example.org" not in text and "07700" not in text and "U-12345" not in text
    listing = client.get("/api/v1/selections/").json()
    assert [s["clp"] for s in listing] == ["Northtown"]


def test_api_selection_hidden_from_other_clps(party: Party, selection: Selection) -> None:
    issued = api_token_create(actor=f.member_user(party.eastoner), name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get(f"/api/v1/selections/{selection.pk}/").status_code == 404
    assert client.get("/api/v1/selections/").json() == []


def test_not_shortlisted_candidates_hidden_from_members_after_shortlist(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    selection = to_nominations(party, selection, three_applications)
    cal = three_applications[2]
    member = client_for(party.member)
    assert member.get(f"/selections/{selection.pk}/candidates/{cal.pk}/").status_code == 404
    html = member.get(f"/selections/{selection.pk}/").content.decode()
    assert "Ann Archer" in html and "Cal Cooper" not in html
    # Cal still sees his own application.
    assert (
        client_for(cal.member.user)
        .get(f"/selections/{selection.pk}/candidates/{cal.pk}/")
        .status_code
        == 200
    )


# --- trigger decisions through the page and the side-by-side comparison -----------------
@pytest.fixture
def trigger_selection(party: Party) -> Selection:
    AffiliateCLP.objects.create(affiliate=party.affiliate, clp=party.northtown)
    return northtown_selection(party, mode="trigger_2018")


def test_branch_officer_records_own_branch_only(party: Party, trigger_selection: Selection) -> None:
    client = client_for(party.branch_officer)
    assert client.get(f"/selections/{trigger_selection.pk}/manage/").status_code == 200
    url = f"/selections/{trigger_selection.pk}/manage/branch/"
    client.post(
        url,
        {"branch": party.riverside.pk, "members_present": 9, "votes_for": 3, "votes_against": 6},
    )
    client.post(
        url, {"branch": party.hillside.pk, "members_present": 9, "votes_for": 9, "votes_against": 0}
    )
    decisions = {d.branch_id: d.wants_open for d in trigger_selection.trigger_decisions.all()}
    assert decisions == {party.riverside.pk: False}
    # A member can do nothing.
    response = client_for(party.member).post(
        url,
        {"branch": party.riverside.pk, "members_present": 9, "votes_for": 9, "votes_against": 0},
    )
    assert trigger_selection.trigger_decisions.get().wants_open is False
    assert response.status_code == 302  # redirected with an error message
    assert (
        client_for(party.member).get(f"/selections/{trigger_selection.pk}/manage/").status_code
        == 404
    )


def test_rule_comparison_for_national_admins_only(
    party: Party, trigger_selection: Selection
) -> None:
    for branch, yes in ((party.riverside, 7), (party.hillside, 1)):
        services.trigger_record_branch(actor=party.clp_secretary, selection=trigger_selection,
                                       branch=branch, members_present=10, votes_for=yes,
                                       votes_against=10 - yes)  # fmt: skip
    services.trigger_record_affiliate(actor=party.clp_secretary, selection=trigger_selection,
                                      affiliate=party.affiliate, vote="reselect")  # fmt: skip
    url = f"/selections/rounds/{trigger_selection.round_id}/compare/"
    for who in ("clp_secretary", "member", "regional_officer"):
        assert client_for(getattr(party, who)).get(url).status_code == 404
    html = client_for(party.national_admin).get(url).content.decode()
    assert html.count("<tr") >= 5
    assert (
        "1 of 2 branches that voted — 50% — want an open selection: threshold one third reached"
        in html
    )
    assert "2 of 3 branches and affiliates that voted" not in html  # 1 yes of 3 voted
    assert "1 of 3 branches and affiliates that voted — 33.3%" in html
    assert "The college gives 25% for an open selection" in html


# --- the member's vote through the ballots app ------------------------------------------
def _ballot_open(party: Party, selection: Selection, apps: list[Application]) -> Ballot:
    selection = to_nominations(party, selection, apps)
    selection = services.selection_advance(actor=party.clp_secretary, selection=selection)
    now = timezone.now()
    return services.selection_ballot_open(actor=party.clp_secretary, selection=selection,
                                          opens_at=now - dt.timedelta(minutes=1),
                                          closes_at=now + dt.timedelta(days=3))  # fmt: skip


def test_eligible_member_votes_and_ineligible_cannot(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    recent = f.MemberFactory(clp=party.northtown, branch=None,
                             joined=timezone.localdate() - dt.timedelta(days=20))  # fmt: skip
    recent_user = f.member_user(recent)
    ballot = _ballot_open(party, selection, three_applications)
    page = client_for(party.member).get(f"/selections/{selection.pk}/").content.decode()
    assert f"/ballots/{ballot.pk}/vote/" in page
    # The member votes through the ballots app's own page.
    client = client_for(party.member)
    vote_page = client.get(f"/ballots/{ballot.pk}/vote/")
    assert vote_page.status_code == 200
    assert Elector.objects.filter(ballot=ballot, member=party.me).exists()
    # The recent joiner is told they are not on the electorate, and cannot vote.
    html = client_for(recent_user).get(f"/selections/{selection.pk}/").content.decode()
    assert "You are not on the electorate of this ballot." in html
    assert client_for(recent_user).get(f"/ballots/{ballot.pk}/vote/").status_code in (403, 404)
    assert not VoteRecord.objects.filter(ballot=ballot, member=recent).exists()


def test_declared_result_page_and_api(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    import time_machine

    from rankandfile.ballots import services as ballot_services

    ballot = _ballot_open(party, selection, three_applications)
    for i, elector in enumerate(Elector.objects.filter(ballot=ballot).order_by("member_id")):
        ballot_services.ballot_cast(
            ballot=ballot, elector=elector, choice=[0, 1] if i % 2 else [1, 0]
        )
    with time_machine.travel(ballot.closes_at + dt.timedelta(minutes=1)):
        response = client_for(party.clp_secretary).post(
            f"/selections/{selection.pk}/manage/declare/"
        )
        assert response.status_code == 302
    selection.refresh_from_db()
    assert selection.stage == Stage.DECLARED
    html = client_for(party.member).get(f"/selections/{selection.pk}/").content.decode()
    assert "is the selected candidate" in html
    assert "Appeals may be lodged until" in html
    assert "Stage 1: First preferences" in html
    assert f"/ballots/{ballot.pk}/result/" in html
    issued = api_token_create(actor=party.member, name="t")
    body = (
        Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        .get(f"/api/v1/selections/{selection.pk}/result/")
        .json()
    )
    assert body["selected"] == selection.selected.name
    assert body["stages"][0]["action"] == "first"


def test_result_api_404_before_declaration(party: Party, selection: Selection) -> None:
    issued = api_token_create(actor=party.member, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get(f"/api/v1/selections/{selection.pk}/result/").status_code == 404


def test_round_create_page(party: Party) -> None:
    client = client_for(party.national_admin)
    today = timezone.localdate()
    response = client.post("/selections/rounds/new/", {
        "name": "Snap election", "constituencies": "Northtown\nSouthport",
        "freeze_date": today, "applications_open": today,
        "applications_close": today + dt.timedelta(days=7),
        "ballot_closes_by": today + dt.timedelta(days=40),
    })  # fmt: skip
    assert response.status_code == 302
    assert Selection.objects.count() == 2
    bad = client.post("/selections/rounds/new/", {
        "name": "x", "constituencies": "Atlantis", "freeze_date": today,
        "applications_open": today, "applications_close": today, "ballot_closes_by": today,
    })  # fmt: skip
    assert (
        bad.status_code == 400 and "no constituency party called: Atlantis" in bad.content.decode()
    )
    assert client_for(party.clp_secretary).get("/selections/rounds/new/").status_code == 404


def test_selection_page_query_count(
    party: Party, selection: Selection, three_applications: list[Application],
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    selection = Selection.objects.select_related("clp", "round", "sitting_mp", "ballot").get(
        pk=selection.pk
    )
    with django_assert_max_num_queries(8):
        queries.selection_page(selection, managers=True)


def test_admin_is_read_only_for_national_admins(party: Party, selection: Selection) -> None:
    admin = client_for(party.national_admin)
    assert admin.get("/admin/selections/selection/").status_code == 200
    assert admin.get("/admin/selections/selection/add/").status_code == 403
    assert client_for(party.clp_secretary).get("/admin/selections/selection/").status_code == 302


def test_trigger_decision_by_htmx_updates_the_panel(
    party: Party, trigger_selection: Selection
) -> None:
    client = client_for(party.clp_secretary)
    url = f"/selections/{trigger_selection.pk}/manage/branch/"
    ok = client.post(
        url,
        {"branch": party.riverside.pk, "members_present": 12, "votes_for": 7, "votes_against": 5},
        HTTP_HX_REQUEST="true",
    )
    html = ok.content.decode()
    assert ok.status_code == 200
    assert 'id="trigger-panel"' in html
    assert "Riverside&#x27;s decision recorded: wants an open selection." in html
    assert "1 of 1 branch that voted — 100% — wants an open selection" in html
    bad = client.post(
        url,
        {"branch": party.hillside.pk, "members_present": 3, "votes_for": 7, "votes_against": 5},
        HTTP_HX_REQUEST="true",
    )
    assert "more votes than the 3 members present" in bad.content.decode()
    assert trigger_selection.trigger_decisions.count() == 1


def test_applicants_are_not_published_while_applications_are_open(
    party: Party, selection: Selection
) -> None:
    from tests.selections.conftest import applicant, apply

    ann = apply(selection, applicant(party, "Ann", "Archer"), woman=True)
    member = client_for(party.member)
    html = member.get(f"/selections/{selection.pk}/").content.decode()
    assert "Ann Archer" not in html and "The panel publishes the longlist" in html
    assert member.get(f"/selections/{selection.pk}/candidates/{ann.pk}/").status_code == 404
    # Ann sees her own application; the officers see it.
    assert (
        client_for(ann.member.user)
        .get(f"/selections/{selection.pk}/candidates/{ann.pk}/")
        .status_code
        == 200
    )
    assert (
        "Ann Archer"
        in client_for(party.clp_secretary).get(f"/selections/{selection.pk}/").content.decode()
    )


def test_api_detail_query_count_does_not_grow_with_candidates(
    party: Party,
    selection: Selection,
    three_applications: list[Application],
    django_assert_max_num_queries: Any,
) -> None:
    enable_totp(party.clp_secretary)
    issued = api_token_create(actor=party.clp_secretary, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    # N+1 would add a query per candidate (one of these is the token's two-factor check).
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/selections/{selection.pk}/").status_code == 200


def test_officers_reading_private_application_data_is_audited(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    from rankandfile.core.models import AuditEntry

    ann, bob, _ = three_applications
    selection = to_nominations(party, selection, three_applications)
    url = f"/selections/{selection.pk}/candidates/{ann.pk}/"
    # Out of scope (another candidate, a member): no private data, no entry.
    client_for(bob.member.user).get(url)
    client_for(party.member).get(url)
    # Her own page: not an officer's lookup.
    client_for(ann.member.user).get(url)
    assert not AuditEntry.objects.filter(action="selections.application.view_private").exists()
    # In scope: the CLP secretary sees and the read is recorded.
    assert ann.contact_email in client_for(party.clp_secretary).get(url).content.decode()
    entry = AuditEntry.objects.get(action="selections.application.view_private")
    assert (entry.actor_id, entry.object_id) == (party.clp_secretary.pk, str(ann.pk))
