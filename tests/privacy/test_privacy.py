"""Personal data rights: download (member and officer), erasure, retention, auditing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rankandfile.ballots.models import Ballot, Paper
from rankandfile.campaigns.models import Rsvp, Signature, Volunteer
from rankandfile.conference.models import Conference, Delegate
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import ApiToken, AuditEntry, User
from rankandfile.membership import services as membership_services
from rankandfile.membership.models import Member, Period, Role
from rankandfile.privacy import queries, services, tasks
from rankandfile.selections.models import Application, Selection, SelectionRound
from tests.ballots.test_views import cast, close_now, make_ballot
from tests.campaigns.factories import CampaignFactory, EventFactory
from tests.conftest import Party, issue_token

TODAY = dt.date(2026, 12, 6)


def _lapse(member: Member, on: dt.date) -> None:
    membership_services.member_lapse(actor=None, member=member, on=on, reason="resigned")


def _rich_record(party: Party) -> dict[str, Any]:
    """Mary on a declared ballot (voted), a delegate, an applicant, a signer, a replier and
    a volunteer, with an API token."""
    me = party.me
    me.address, me.postcode, me.date_of_birth = (
        "1 High St\nNorthtown",
        "NT1 1AA",
        dt.date(1980, 5, 17),
    )
    me.email = "mary@home.example"
    me.save()
    ballot = make_ballot(party)
    cast(ballot, me, [0, 2])
    ballot = close_now(ballot)
    from rankandfile.ballots import tally

    ballot = tally.ballot_declare(actor=party.clp_secretary, ballot=ballot)
    conference = Conference.objects.create(
        year=2026, title="Annual Conference 2026", starts_on=TODAY, ends_on=TODAY
    )
    Delegate.objects.create(
        conference=conference,
        clp=party.northtown,
        member=me,
        registered_at=timezone.now(),
        credential="C-0001",
    )
    rnd = SelectionRound.objects.create(
        name="2026 round",
        mode="open",
        freeze_date=TODAY,
        applications_close=TODAY,
        ballot_closes_by=TODAY + dt.timedelta(days=30),
    )
    selection = Selection.objects.create(
        round=rnd,
        clp=party.northtown,
        mode="open",
        stage="applications",
        applications_open=TODAY,
        applications_close=TODAY,
        longlist_by=TODAY,
        shortlist_by=TODAY,
        nominations_close=TODAY,
        hustings_by=TODAY,
        ballot_opens=TODAY,
        ballot_closes=TODAY,
    )
    application = Application.objects.create(
        selection=selection,
        member=me,
        name="Mary Member",
        statement="I will fight for Northtown.",
        contact_email="mary@home.example",
        contact_phone="07700 900123",
        trade_union="Unite",
        union_membership_number="U-123",
    )
    campaign = CampaignFactory(clp=party.northtown)
    signature = Signature.objects.create(
        campaign=campaign,
        first_name="Mary",
        last_name="Member",
        email="mary@home.example",
        postcode="NT1 1AA",
        consent=True,
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    other = Signature.objects.create(
        campaign=campaign,
        first_name="Someone",
        last_name="Else",
        email="else@example.org",
        postcode="NT1 2BB",
        consent=True,
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    rsvp = Rsvp.objects.create(
        event=EventFactory(campaign=campaign),
        name="Mary M",
        email="member@example.org",
        created_at=timezone.now(),
    )
    Volunteer.objects.create(campaign=campaign, member=me, created_at=timezone.now())
    ApiToken.objects.create(
        user=party.member,
        name="sheet",
        prefix="abc123",
        digest="0" * 64,
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    return {
        "ballot": ballot,
        "application": application,
        "signature": signature,
        "other_signature": other,
        "rsvp": rsvp,
        "campaign": campaign,
    }


# --- export ------------------------------------------------------------------------------
def test_subject_data_gathers_everything_and_never_how_anyone_voted(party: Party) -> None:
    things = _rich_record(party)
    data = queries.subject_data(party.me)
    assert data["member"]["address"] == "1 High St\nNorthtown"
    assert data["member"]["date_of_birth"] == "1980-05-17"
    assert [p["kind"] for p in data["membership_history"]] == ["membership"]
    assert data["login"]["email"] == "member@example.org"
    assert data["login"]["api_tokens"][0]["prefix"] == "rf_abc123_…"
    assert [b["ballot"] for b in data["ballots"]] == ["CLP chair"]
    assert data["ballots"][0]["voted"] is True
    assert data["conference"]["delegate_of"][0]["credential"] == "C-0001"
    assert data["selections"][0]["contact_phone"] == "07700 900123"
    assert [s["email"] for s in data["campaigns"]["signatures"]] == ["mary@home.example"]
    assert [r["email"] for r in data["campaigns"]["event_replies"]] == ["member@example.org"]
    assert len(data["campaigns"]["volunteering"]) == 1
    # Secrecy: nothing in the export can identify the paper.
    text = json.dumps(data)
    for paper in Paper.objects.filter(ballot=things["ballot"]):
        assert paper.tracking_code not in text
    assert "choice" not in json.dumps(data["ballots"])
    assert "digest" not in json.dumps(data["login"])


def test_member_downloads_json_and_pdf_and_each_is_audited(party: Party, client: Client) -> None:
    _rich_record(party)
    client.force_login(party.member)
    page = client.get("/account/my-data/")
    assert page.status_code == 200 and "Download as a PDF" in page.content.decode()
    response = client.get("/account/my-data.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["member"]["membership_number"] == "RF000001"
    pdf = client.get("/account/my-data.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    entries = list(AuditEntry.objects.filter(action="privacy.member.export").order_by("seq"))
    assert [(e.data["format"], e.data["request"], e.actor_id) for e in entries] == [
        ("json", "own", party.member.pk),
        ("pdf", "own", party.member.pk),
    ]
    assert entries[0].object_label == "member RF000001"  # by reference, never by name
    assert client.get("/account/my-data.xml").status_code == 404
    assert audit.verify().ok


def test_login_without_member_record_has_nothing_to_download(party: Party, client: Client) -> None:
    client.force_login(party.no_roles)
    assert "No membership record" in client.get("/account/my-data/").content.decode()
    assert client.get("/account/my-data.json").status_code == 404


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("clp_secretary", True),
        ("regional_officer", True),
        ("national_admin", True),
        ("branch_officer", False),  # sees the record but does not manage it
        ("affiliate_officer", False),
        ("scrutineer", False),
        ("no_roles", False),
    ],
)
def test_officer_subject_access_request_in_scope_only(
    party: Party, client: Client, who: str, allowed: bool
) -> None:
    client.force_login(getattr(party, who))
    url = f"/members/{party.neighbour.pk}/personal-data.json"
    response = client.get(url)
    assert response.status_code == (200 if allowed else 404)
    exports = AuditEntry.objects.filter(action="privacy.member.export")
    if allowed:
        assert json.loads(response.content)["member"]["first_name"] == "Nell"
        (entry,) = exports
        assert entry.data == {"format": "json", "request": "subject_access"}
        assert entry.actor_id == getattr(party, who).pk
    else:
        assert not exports.exists()


def test_officer_of_another_clp_cannot_export(party: Party, client: Client) -> None:
    client.force_login(party.clp_secretary)  # Northtown
    assert client.get(f"/members/{party.southerner.pk}/personal-data.json").status_code == 404
    assert client.get(f"/members/{party.southerner.pk}/personal-data.pdf").status_code == 404


def test_member_cannot_export_another_member(party: Party, client: Client) -> None:
    client.force_login(party.member)
    assert client.get(f"/members/{party.neighbour.pk}/personal-data.json").status_code == 404
    assert client.get(f"/members/{party.me.pk}/personal-data.json").status_code == 200


def test_export_service_refuses_without_permission_and_bad_format(party: Party) -> None:
    with pytest.raises(PermissionDenied):
        services.subject_data_export(actor=party.branch_officer, member=party.me, fmt="json")
    with pytest.raises(DomainError, match="json or pdf"):
        services.subject_data_export(actor=party.member, member=party.me, fmt="csv")
    assert not AuditEntry.objects.filter(action="privacy.member.export").exists()


# --- erasure ------------------------------------------------------------------------------
def test_erasure_anonymises_and_keeps_ballots_counts_conference_and_the_chain(
    party: Party,
) -> None:
    things = _rich_record(party)
    _lapse(party.me, timezone.localdate() - dt.timedelta(days=1))
    ballot: Ballot = things["ballot"]
    result_before = (ballot.papers_digest, ballot.electorate_digest, ballot.result)
    entries_before = list(AuditEntry.objects.values_list("seq", "digest", "seal"))

    erasure = services.member_erase(
        actor=party.national_admin, member=party.me, reason="SAR-2026-17"
    )

    me = Member.objects.get(pk=party.me.pk)
    assert (me.first_name, me.last_name, me.email, me.address, me.postcode) == (
        "Erased",
        "member",
        "",
        "",
        "",
    )
    assert me.date_of_birth is None and me.gender == "" and me.erased_at is not None
    assert me.membership_number == "RF000001" and me.periods.count() == 1
    user = User.objects.get(pk=party.member.pk)
    assert user.email == f"erased-login-{user.pk}@erased.invalid"
    assert not user.is_active and not user.has_usable_password()
    assert not ApiToken.objects.filter(user=user).exists()
    assert not Role.objects.filter(user=user, end__isnull=True).exists()
    # Ballot, count, electorate and vote record intact.
    ballot.refresh_from_db()
    assert (ballot.papers_digest, ballot.electorate_digest, ballot.result) == result_before
    assert ballot.electors.filter(member=me).exists()
    # Conference record kept; application keeps the ballot-paper name only.
    assert Delegate.objects.filter(member=me, credential="C-0001").exists()
    application = Application.objects.get(pk=things["application"].pk)
    assert application.name == "Mary Member"
    assert application.contact_phone == "" and application.union_membership_number == ""
    assert application.contact_email.endswith("@erased.invalid")
    # Campaign counts kept, personal data gone; other people's data untouched.
    sig = Signature.objects.get(pk=things["signature"].pk)
    assert sig.email.endswith("@erased.invalid") and sig.postcode == "" and sig.confirmed_at
    assert Signature.objects.get(pk=things["other_signature"].pk).email == "else@example.org"
    assert things["campaign"].signatures.filter(confirmed_at__isnull=False).count() == 2
    rsvp = Rsvp.objects.get(pk=things["rsvp"].pk)
    assert rsvp.name == "Erased" and rsvp.email.endswith("@erased.invalid")
    assert not Volunteer.objects.filter(member=me).exists()
    # The audit log: old entries untouched, the erasure recorded, the chain verifies.
    assert (
        list(AuditEntry.objects.values_list("seq", "digest", "seal"))[: len(entries_before)]
        == entries_before
    )
    entry = AuditEntry.objects.filter(action="privacy.member.erase").get()
    assert entry.data["reason"] == "SAR-2026-17" and entry.data["signatures"] == 1
    assert entry.object_label == "member RF000001"
    assert erasure.counts["login"] == 1
    assert audit.verify().ok
    # Nothing personal left in a fresh export.
    text = json.dumps(queries.subject_data(me))
    for gone in ("Mary", "High St", "NT1 1AA", "1980-05-17", "07700", "mary@home.example"):
        if gone == "Mary":
            assert "Mary Member" in text  # the ballot-paper name of the application only
            continue
        assert gone not in text


def test_erasure_is_refused_while_still_a_member_or_on_an_undeclared_ballot(
    party: Party,
) -> None:
    with pytest.raises(DomainError, match="still a member: record their resignation"):
        services.member_erase(actor=party.national_admin, member=party.me, reason="r")
    ballot = make_ballot(party)  # open; Mary is on its electorate
    _lapse(party.me, timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(DomainError, match="which is not declared yet"):
        services.member_erase(actor=party.national_admin, member=party.me, reason="r")
    assert ballot.electors.filter(member=party.me).exists()
    with pytest.raises(DomainError, match="give the reason"):
        services.member_erase(actor=party.national_admin, member=party.me, reason="  ")
    assert not AuditEntry.objects.filter(action="privacy.member.erase").exists()
    assert Member.objects.get(pk=party.me.pk).first_name == "Mary"


def test_erasure_is_for_national_admins_only(party: Party) -> None:
    _lapse(party.neighbour, timezone.localdate() - dt.timedelta(days=1))
    for officer in (party.clp_secretary, party.regional_officer, party.member):
        with pytest.raises(PermissionDenied):
            services.member_erase(actor=officer, member=party.neighbour, reason="r")
    services.member_erase(actor=party.national_admin, member=party.neighbour, reason="r")
    with pytest.raises(DomainError, match="already erased"):
        services.member_erase(actor=party.national_admin, member=party.neighbour, reason="r")


def test_erase_page_confirms_by_number_and_reports_refusals(party: Party, client: Client) -> None:
    url = f"/members/{party.neighbour.pk}/erase/"
    client.force_login(party.clp_secretary)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "r", "confirm": "RF000002"}).status_code == 404
    client.force_login(party.national_admin)
    detail = client.get(f"/members/{party.neighbour.pk}/").content.decode()
    assert url in detail
    response = client.post(url, {"reason": "SAR-1", "confirm": "RF000002"})
    assert response.status_code == 400
    assert "still a member" in response.content.decode()
    _lapse(party.neighbour, timezone.localdate() - dt.timedelta(days=1))
    response = client.post(url, {"reason": "SAR-1", "confirm": "wrong"})
    assert response.status_code == 400 and "type the membership number" in response.content.decode()
    assert 'value="SAR-1"' in response.content.decode()  # nothing typed is lost
    response = client.post(url, {"reason": "SAR-1", "confirm": "RF000002"})
    assert response.status_code == 302
    assert Member.objects.get(pk=party.neighbour.pk).erased_at is not None


# --- retention ----------------------------------------------------------------------------
def test_retention_erases_members_lapsed_longer_than_the_period(party: Party, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PRIVACY_LAPSED_RETENTION_DAYS = 365
    today = timezone.localdate()
    _lapse(party.neighbour, today - dt.timedelta(days=400))  # due
    _lapse(party.branchmate, today - dt.timedelta(days=300))  # not yet
    report = services.retention_apply(today=today)
    assert report.erased == ["RF000002"] and report.skipped == []
    assert Member.objects.get(pk=party.neighbour.pk).erased_at is not None
    assert Member.objects.get(pk=party.branchmate.pk).erased_at is None
    assert Member.objects.get(pk=party.me.pk).erased_at is None  # still a member
    entry = AuditEntry.objects.get(action="privacy.member.erase")
    assert entry.actor is None and entry.data["reason"].startswith("retention: lapsed before")
    # A second run finds nobody new.
    assert services.retention_apply(today=today).erased == []


def test_retention_keeps_a_rejoined_member_and_skips_one_on_an_undeclared_ballot(
    party: Party, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.PRIVACY_LAPSED_RETENTION_DAYS = 30
    today = timezone.localdate()
    # Nell lapsed long ago and rejoined: her current membership keeps her data.
    Period.objects.filter(member=party.neighbour).update(end=today - dt.timedelta(days=900))
    Period.objects.create(
        member=party.neighbour, kind=Period.Kind.MEMBERSHIP, start=today - dt.timedelta(days=10)
    )
    # Bert lapsed long ago but is on an open ballot's frozen electorate (opened before).
    make_ballot(party)
    Period.objects.filter(member=party.branchmate).update(
        end=today - dt.timedelta(days=60), end_reason="lapsed"
    )
    report = services.retention_apply(today=today)
    assert report.erased == []
    assert [n for n, _ in report.skipped] == ["RF000003"]
    assert "not declared yet" in report.skipped[0][1]


def test_retention_command_and_task(party: Party, settings, capsys) -> None:  # type: ignore[no-untyped-def]
    settings.PRIVACY_LAPSED_RETENTION_DAYS = 10
    _lapse(party.neighbour, timezone.localdate() - dt.timedelta(days=20))
    call_command("privacy_apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "RF000002" in out and "1 member(s)" in out and "dry run" in out
    assert Member.objects.get(pk=party.neighbour.pk).erased_at is None
    call_command("privacy_apply_retention")
    assert "1 member(s) lapsed before" in capsys.readouterr().out
    assert AuditEntry.objects.get(action="privacy.member.erase").channel == "cli"
    _lapse(party.branchmate, timezone.localdate() - dt.timedelta(days=20))
    result = tasks.apply_retention.enqueue()
    assert result.return_value["erased"] == ["RF000003"]


# --- API ----------------------------------------------------------------------------------
def test_api_my_data_subject_access_and_erasure(party: Party, client: Client) -> None:

    def bearer(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(user, 't')}"}

    response = client.get("/api/v1/account/personal-data", headers=bearer(party.member))
    assert response.status_code == 200
    assert response.json()["member"]["membership_number"] == "RF000001"
    url = f"/api/v1/members/{party.neighbour.pk}/personal-data"
    assert client.get(url, headers=bearer(party.clp_secretary)).status_code == 200
    assert client.get(url, headers=bearer(party.branch_officer)).status_code == 404
    assert client.get(url, headers=bearer(party.member)).status_code == 404
    erase = f"/api/v1/members/{party.neighbour.pk}/erase"
    body = {"reason": "SAR-9"}
    assert (
        client.post(
            erase, body, content_type="application/json", headers=bearer(party.clp_secretary)
        ).status_code
        == 404
    )
    admin = bearer(party.national_admin)
    response = client.post(erase, body, content_type="application/json", headers=admin)
    assert response.status_code == 400 and "still a member" in response.json()["detail"]
    _lapse(party.neighbour, timezone.localdate() - dt.timedelta(days=1))
    response = client.post(erase, body, content_type="application/json", headers=admin)
    assert response.status_code == 200 and response.json()["membership_number"] == "RF000002"
