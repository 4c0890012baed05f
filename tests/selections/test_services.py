"""Selection services end to end: round, trigger ballot, applications, lists, nominations,
hustings, the members' ballot through the ballots app, declaration, reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rankandfile.ballots import invitations as ballot_invitations
from rankandfile.ballots import services as ballot_services
from rankandfile.ballots.models import Ballot, Elector
from rankandfile.conference.models import RuleBookVersion
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import AffiliateCLP, Period
from rankandfile.selections import services
from rankandfile.selections.models import (
    Application,
    Nomination,
    ReminderSent,
    Selection,
    SelectionRound,
    Stage,
)
from tests.conftest import Party
from tests.membership import factories as f
from tests.selections.conftest import (
    applicant,
    apply,
    northtown_selection,
    open_round,
    to_nominations,
)

pytestmark = pytest.mark.django_db


# --- round and timetable ----------------------------------------------------------------
def test_round_takes_mandatory_open_selection_from_the_default_rule_book(party: Party) -> None:
    rnd = open_round(party, clps=[party.northtown, party.easton])
    assert rnd.mode == "mandatory_open"
    northtown = rnd.selections.get(clp=party.northtown)
    assert northtown.sitting_mp == party.mp
    assert northtown.stage == Stage.APPLICATIONS  # no trigger: straight to applications
    assert not northtown.has_trigger
    assert rnd.selections.count() == 2
    assert AuditEntry.objects.filter(action="selections.round.open").exists()


def test_round_mode_follows_the_rule_book_in_force(party: Party) -> None:
    RuleBookVersion.objects.create(
        effective_from=dt.date(2018, 9, 1),
        parameters={"selection_mode": "trigger_2018"},
        **_rulebook_extra(),
    )
    with pytest.raises(DomainError, match="give the date the trigger ballot closes"):
        open_round(party)
    today = timezone.localdate()
    rnd = services.round_open(
        actor=party.national_admin,
        name="Round",
        clps=[party.northtown],
        freeze_date=today,
        applications_open=today + dt.timedelta(days=10),
        applications_close=today + dt.timedelta(days=20),
        ballot_closes_by=today + dt.timedelta(days=80),
        trigger_closes=today + dt.timedelta(days=9),
    )
    assert rnd.mode == "trigger_2018"
    assert rnd.selections.get().stage == Stage.TRIGGER


def _rulebook_extra() -> dict[str, object]:
    """Required fields of RuleBookVersion other than the date and parameters."""
    from django.db import models

    extra: dict[str, object] = {}
    for field in RuleBookVersion._meta.concrete_fields:
        if field.name in ("id", "effective_from", "parameters") or field.has_default():
            continue
        if field.null or getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            continue
        if isinstance(field, models.CharField | models.TextField):
            extra[field.name] = "Rule book"
        elif isinstance(field, models.IntegerField):
            extra[field.name] = 2018
        elif isinstance(field, models.DateField):
            extra[field.name] = dt.date(2018, 9, 1)
    return extra


def test_only_national_admins_open_rounds(party: Party) -> None:
    with pytest.raises(PermissionDenied):
        services.round_open(
            actor=party.clp_secretary,
            name="x",
            clps=[party.northtown],
            freeze_date=dt.date(2026, 1, 1),
            applications_open=dt.date(2026, 1, 1),
            applications_close=dt.date(2026, 2, 1),
            ballot_closes_by=dt.date(2026, 4, 1),
        )
    assert not SelectionRound.objects.exists()


def test_round_refuses_bad_dates_and_saves_nothing(party: Party) -> None:
    with pytest.raises(DomainError, match="the ballot must close after applications close"):
        services.round_open(
            actor=party.national_admin,
            name="x",
            clps=[party.northtown],
            freeze_date=dt.date(2026, 1, 1),
            applications_open=dt.date(2026, 1, 1),
            applications_close=dt.date(2026, 2, 1),
            ballot_closes_by=dt.date(2026, 1, 15),
        )
    assert not SelectionRound.objects.exists() and not Selection.objects.exists()


def test_timetable_update_checks_order_and_round_deadlines(
    party: Party, selection: Selection
) -> None:
    with pytest.raises(DomainError, match="is before") as exc:
        services.timetable_update(
            actor=party.clp_secretary,
            selection=selection,
            shortlist_by=selection.longlist_by - dt.timedelta(days=1),
        )
    assert "the shortlist" in str(exc.value)
    with pytest.raises(DomainError, match="round's deadline"):
        services.timetable_update(
            actor=party.clp_secretary,
            selection=selection,
            ballot_closes=selection.round.ballot_closes_by + dt.timedelta(days=1),
        )
    new = selection.hustings_by - dt.timedelta(days=1)
    services.timetable_update(actor=party.clp_secretary, selection=selection, hustings_by=new)
    selection.refresh_from_db()
    assert selection.hustings_by == new


@pytest.mark.parametrize("who", ["member", "branch_officer", "regional_officer", "no_roles"])
def test_only_clp_officers_and_admins_manage(party: Party, selection: Selection, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.timetable_update(
            actor=getattr(party, who), selection=selection, hustings_by=selection.hustings_by
        )
    with pytest.raises(PermissionDenied):
        services.selection_advance(actor=getattr(party, who), selection=selection)


# --- trigger ballot ---------------------------------------------------------------------
@pytest.fixture
def trigger_selection(party: Party) -> Selection:
    AffiliateCLP.objects.create(affiliate=party.affiliate, clp=party.northtown)
    return northtown_selection(party, mode="trigger_2018")


def test_trigger_2018_reached_by_one_branch_of_two(
    party: Party, trigger_selection: Selection
) -> None:
    sel = trigger_selection
    assert sel.stage == Stage.TRIGGER
    services.trigger_record_branch(
        actor=party.branch_officer, selection=sel, branch=party.riverside,
        members_present=20, votes_for=11, votes_against=9,
    )  # fmt: skip
    services.trigger_record_branch(
        actor=party.clp_secretary, selection=sel, branch=party.hillside,
        members_present=15, votes_for=2, votes_against=13,
    )  # fmt: skip
    services.trigger_record_affiliate(
        actor=party.affiliate_officer, selection=sel, affiliate=party.affiliate, vote="reselect"
    )
    outcome = services.trigger_conclude(actor=party.clp_chair, selection=sel)
    assert outcome.open_selection
    sel.refresh_from_db()
    assert sel.stage == Stage.APPLICATIONS
    assert "1 of 2 branches that voted — 50% — want an open selection: threshold one third " \
        "reached" in sel.trigger_explanation  # fmt: skip


def test_trigger_not_reached_reselects_the_mp(party: Party, trigger_selection: Selection) -> None:
    services.trigger_record_branch(
        actor=party.clp_secretary, selection=trigger_selection, branch=party.riverside,
        members_present=20, votes_for=5, votes_against=15,
    )  # fmt: skip
    services.trigger_record_branch(
        actor=party.clp_secretary, selection=trigger_selection, branch=party.hillside,
        members_present=20, votes_for=6, votes_against=14,
    )  # fmt: skip
    services.trigger_conclude(actor=party.clp_secretary, selection=trigger_selection)
    trigger_selection.refresh_from_db()
    assert trigger_selection.stage == Stage.RESELECTED
    assert trigger_selection.trigger_result is False


def test_trigger_record_refusals(party: Party, trigger_selection: Selection) -> None:
    # A branch officer of Riverside cannot record Hillside's decision.
    with pytest.raises(PermissionDenied):
        services.trigger_record_branch(
            actor=party.branch_officer, selection=trigger_selection, branch=party.hillside,
            members_present=10, votes_for=6, votes_against=4,
        )  # fmt: skip
    with pytest.raises(DomainError, match="more votes than the 10 members present"):
        services.trigger_record_branch(
            actor=party.branch_officer, selection=trigger_selection, branch=party.riverside,
            members_present=10, votes_for=6, votes_against=5,
        )  # fmt: skip
    other = f.AffiliateFactory()  # not affiliated to Northtown
    with pytest.raises(PermissionDenied):
        services.trigger_record_affiliate(
            actor=party.national_admin, selection=trigger_selection, affiliate=other, vote="open"
        )
    assert not trigger_selection.trigger_decisions.exists()


def test_trigger_decisions_refused_under_mandatory_open(party: Party, selection: Selection) -> None:
    with pytest.raises(DomainError, match="trigger ballot stage"):
        services.trigger_record_branch(
            actor=party.clp_secretary, selection=selection, branch=party.riverside,
            members_present=10, votes_for=6, votes_against=4,
        )  # fmt: skip


# --- applications -----------------------------------------------------------------------
def test_application_eligibility_months_and_union(party: Party, selection: Selection) -> None:
    newcomer = applicant(party, "New", "Comer", joined=timezone.localdate() - dt.timedelta(days=90))
    with pytest.raises(DomainError) as exc:
        services.application_submit(
            actor=newcomer.user, selection=selection, statement="Hello",
            contact_email="n@example.org", trade_union="",
        )  # fmt: skip
    message = str(exc.value)
    assert "candidates need 12 months' continuous membership" in message
    assert "candidates must be members of a trade union" in message
    assert not Application.objects.exists()


def test_application_window_and_duplicates(party: Party, selection: Selection) -> None:
    who = applicant(party, "Ann", "Archer")
    apply(selection, who)
    with pytest.raises(DomainError, match="already applied"):
        apply(selection, who)
    late = applicant(party, "Lou", "Late")
    with (
        time_machine.travel(selection.applications_close + dt.timedelta(days=1)),
        pytest.raises(DomainError, match="applications are open from"),
    ):
        apply(selection, late)


def test_applications_keep_private_data_out_of_the_audit_log(
    party: Party, three_applications: list[Application]
) -> None:
    entry = AuditEntry.objects.filter(action="selections.application.submit").first()
    assert entry is not None
    assert "07700" not in str(entry.data) and "private.example.org" not in str(entry.data)


# --- lists, shortlist rules, nominations, hustings --------------------------------------
def test_shortlist_breach_blocks_then_fix_allows(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    ann, bob, cal = three_applications
    actor = party.clp_secretary
    selection = services.selection_advance(actor=actor, selection=selection)
    assert selection.stage == Stage.LONGLIST
    services.list_set(actor=actor, selection=selection, which="longlist",
                      application_ids=[ann.pk, bob.pk, cal.pk])  # fmt: skip
    selection = services.selection_advance(actor=actor, selection=selection)
    # Shortlist Bob and Cal: no woman.
    services.list_set(actor=actor, selection=selection, which="shortlist",
                      application_ids=[bob.pk, cal.pk])  # fmt: skip
    with pytest.raises(DomainError, match="At least 50% of the shortlist must be women"):
        services.selection_advance(actor=actor, selection=selection)
    assert Selection.objects.get(pk=selection.pk).stage == Stage.SHORTLIST
    services.list_set(actor=actor, selection=selection, which="shortlist",
                      application_ids=[ann.pk, bob.pk])  # fmt: skip
    selection = services.selection_advance(actor=actor, selection=selection)
    assert selection.stage == Stage.NOMINATIONS
    cal.refresh_from_db()
    assert cal.status == Application.Status.NOT_SHORTLISTED


def test_sitting_mp_is_shortlisted_automatically(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    ann, bob, cal = three_applications
    actor = party.clp_secretary
    services.application_mark_sitting_mp(actor=actor, application=cal)
    selection = services.selection_advance(actor=actor, selection=selection)
    notes = services.list_set(actor=actor, selection=selection, which="longlist",
                              application_ids=[ann.pk, bob.pk])  # fmt: skip
    assert notes == ["Cal Cooper, the sitting MP, is included automatically."]
    selection = services.selection_advance(actor=actor, selection=selection)
    services.list_set(actor=actor, selection=selection, which="shortlist",
                      application_ids=[ann.pk, bob.pk])  # fmt: skip
    cal.refresh_from_db()
    assert cal.on_shortlist
    # Ann, Bob and Cal: one woman of three breaches the women rule.
    assert services.shortlist_check(selection).breaches[0].startswith("At least 50%")


def test_list_refuses_applications_not_in_the_pool(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    ann, bob, cal = three_applications
    actor = party.clp_secretary
    selection = services.selection_advance(actor=actor, selection=selection)
    services.list_set(actor=actor, selection=selection, which="longlist",
                      application_ids=[ann.pk, bob.pk])  # fmt: skip
    selection = services.selection_advance(actor=actor, selection=selection)
    with pytest.raises(DomainError, match="not on the longlist"):
        services.list_set(actor=actor, selection=selection, which="shortlist",
                          application_ids=[cal.pk])  # fmt: skip


def test_nominations_one_per_unit_shortlisted_only(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    ann, bob, cal = three_applications
    selection = to_nominations(party, selection, three_applications)
    services.nomination_record(
        actor=party.branch_officer, selection=selection, application=ann, branch=party.riverside
    )
    # Changing its mind replaces the branch's nomination.
    services.nomination_record(
        actor=party.branch_officer, selection=selection, application=bob, branch=party.riverside
    )
    assert list(Nomination.objects.values_list("application__name", flat=True)) == ["Bob Baker"]
    with pytest.raises(DomainError, match="not on this selection's shortlist"):
        services.nomination_record(
            actor=party.clp_secretary, selection=selection, application=cal, branch=party.hillside
        )
    with pytest.raises(PermissionDenied):
        services.nomination_record(
            actor=party.branch_officer, selection=selection, application=ann, branch=party.hillside
        )


def test_hustings_before_the_ballot(party: Party, selection: Selection,
                                    three_applications: list[Application]) -> None:  # fmt: skip
    selection = to_nominations(party, selection, three_applications)
    at = timezone.make_aware(dt.datetime.combine(selection.hustings_by, dt.time(19, 0)))
    services.hustings_add(actor=party.clp_secretary, selection=selection, starts_at=at,
                          venue="Northtown Labour Club")  # fmt: skip
    late = timezone.make_aware(dt.datetime.combine(selection.ballot_opens, dt.time(19, 0)))
    with pytest.raises(DomainError, match="before the ballot opens"):
        services.hustings_add(actor=party.clp_secretary, selection=selection, starts_at=late,
                              venue="Too late")  # fmt: skip
    assert selection.hustings.count() == 1


# --- the members' ballot and declaration ------------------------------------------------
def _to_ballot(party: Party, selection: Selection, apps: list[Application]) -> Ballot:
    selection = to_nominations(party, selection, apps)
    selection = services.selection_advance(actor=party.clp_secretary, selection=selection)
    assert selection.stage == Stage.HUSTINGS
    now = timezone.now()
    return services.selection_ballot_open(
        actor=party.clp_secretary,
        selection=selection,
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(days=7),
    )


def test_ballot_is_av_with_the_rule_book_electorate(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    # Recent joiner in Northtown: member at the freeze date but not for 6 months.
    recent = f.MemberFactory(clp=party.northtown, branch=None,
                             joined=timezone.localdate() - dt.timedelta(days=30))  # fmt: skip
    ballot = _to_ballot(party, selection, three_applications)
    assert ballot.method == "av" and ballot.state == Ballot.State.OPEN
    assert ballot.months_required == 6
    assert ballot.freeze_date == selection.round.freeze_date
    assert [o.name for o in ballot.options.order_by("position")] == ["Ann Archer", "Bob Baker"]
    # The ballot paper points to the candidates' pages (statements, nominations, record)
    # by site path: the address is added when the text is shown (core.links).
    assert ballot.description.endswith(f"voting record: /selections/{selection.pk}/")
    ann = ballot.options.get(position=0)
    assert ann.description == f"/selections/{selection.pk}/candidates/{three_applications[0].pk}/"
    electors = set(Elector.objects.filter(ballot=ballot).values_list("member_id", flat=True))
    assert party.me.pk in electors and party.neighbour.pk in electors
    assert recent.pk not in electors  # too recent
    assert party.eastoner.pk not in electors  # another CLP
    assert Selection.objects.get(pk=selection.pk).stage == Stage.BALLOT


def test_ballot_links_are_made_when_shown_not_when_stored(
    party: Party,
    selection: Selection,
    three_applications: list[Application],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The ballot was opened under one address; the paper, the API and the invitation
    email show links to wherever the site is served now."""
    settings.RANKANDFILE_BASE_URL = "http://127.0.0.1:8000"
    ballot = _to_ballot(party, selection, three_applications)
    assert "http" not in ballot.description
    settings.RANKANDFILE_BASE_URL = "https://members.example.org"
    here = f"https://members.example.org/selections/{selection.pk}/"
    ann = three_applications[0]

    client = Client()
    client.force_login(party.me.user)
    page = client.get(reverse("ballots:vote", args=[ballot.pk])).content.decode()
    assert f'href="{here}"' in page
    assert f'href="{here}candidates/{ann.pk}/"' in page
    assert "127.0.0.1:8000" not in page

    api = client.get(f"/api/v1/ballots/{ballot.pk}").json()
    assert api["description"].endswith(f"voting record: {here}")
    assert api["options"][0]["description"] == f"{here}candidates/{ann.pk}/"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ballot_invitations.ballot_invite(actor=party.clp_secretary, ballot=ballot)
    body = next(m.body for m in mail.outbox if party.me.email in m.to)
    assert f"voting record: {here}" in body
    assert "127.0.0.1:8000" not in body


def test_declaration_from_the_av_count(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    ballot = _to_ballot(party, selection, three_applications)
    _ann, bob, _ = three_applications
    electors = list(Elector.objects.filter(ballot=ballot).order_by("member_id"))
    # Bob 3 first preferences, Ann 2 (the applicants are Northtown members too).
    for i, elector in enumerate(electors[:5]):
        choice = [1, 0] if i < 3 else [0, 1]
        ballot_services.ballot_cast(ballot=ballot, elector=elector, choice=choice)
    with pytest.raises(DomainError, match="not closed and been counted"):
        services.selection_declare(actor=party.clp_secretary, selection=selection)
    with time_machine.travel(ballot.closes_at + dt.timedelta(minutes=1)):
        declared = services.selection_declare(actor=party.clp_secretary, selection=selection)
    assert declared.stage == Stage.DECLARED
    assert declared.selected == bob
    assert declared.appeals_until is not None
    assert (declared.appeals_until - timezone.localdate(declared.declared_at)).days == 7
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.DECLARED
    assert ballot.result["elected"] == ["Bob Baker"]


def test_declare_with_no_votes_is_refused(
    party: Party, selection: Selection, three_applications: list[Application]
) -> None:
    ballot = _to_ballot(party, selection, three_applications)
    with (
        time_machine.travel(ballot.closes_at + dt.timedelta(minutes=1)),
        pytest.raises(DomainError, match="nobody was elected"),
    ):
        services.selection_declare(actor=party.clp_secretary, selection=selection)
    assert Selection.objects.get(pk=selection.pk).stage == Stage.BALLOT


def test_applicant_can_withdraw_before_the_ballot(party: Party, selection: Selection) -> None:
    who = applicant(party, "Wendy", "Withdraw")
    app = apply(selection, who)
    with pytest.raises(PermissionDenied):
        services.application_withdraw(actor=party.clp_secretary, application=app)
    services.application_withdraw(actor=who.user, application=app)
    app.refresh_from_db()
    assert app.status == Application.Status.WITHDRAWN


# --- reminders --------------------------------------------------------------------------
def test_reminders_email_officers_once_per_stage_deadline(
    party: Party, selection: Selection
) -> None:
    mail.outbox.clear()
    far = selection.applications_close - dt.timedelta(days=10)
    assert services.reminders_send(today=far) == 0
    near = selection.applications_close - dt.timedelta(days=2)
    assert services.reminders_send(today=near) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["chair@example.org", "secretary@example.org"]
    assert "Northtown selection: applications due" in message.subject
    assert f"/selections/{selection.pk}/manage/" in message.body
    # Sent once.
    assert services.reminders_send(today=near) == 0
    assert ReminderSent.objects.count() == 1


def test_reminder_command(party: Party, selection: Selection) -> None:
    from django.core.management import call_command

    mail.outbox.clear()
    with time_machine.travel(selection.applications_close - dt.timedelta(days=1)):
        call_command("selections_send_reminders")
    assert len(mail.outbox) == 1


def test_membership_lapse_affects_candidate_eligibility(party: Party, selection: Selection) -> None:
    who = applicant(party, "Gap", "Year", joined=dt.date(2015, 1, 1))
    Period.objects.filter(member=who.member).update(
        end=timezone.localdate() - dt.timedelta(days=100)
    )
    Period.objects.create(member=who.member, kind=Period.Kind.MEMBERSHIP,
                          start=timezone.localdate() - dt.timedelta(days=50))  # fmt: skip
    with pytest.raises(DomainError, match="12 months' continuous membership"):
        apply(selection, who)


def test_reminders_for_recently_missed_deadlines_only(party: Party, selection: Selection) -> None:
    mail.outbox.clear()
    long_past = selection.applications_close + dt.timedelta(days=8)
    assert services.reminders_send(today=long_past) == 0
    missed = selection.applications_close + dt.timedelta(days=2)
    assert services.reminders_send(today=missed) == 1
    assert "was due" in mail.outbox[0].subject


def test_reminders_query_count_does_not_grow_with_selections(
    party: Party, django_assert_max_num_queries: object
) -> None:
    for _ in range(5):
        clp = f.CLPFactory(constituency=f.ConstituencyFactory(region=party.north))
        f.clp_officer(clp)
    open_round(party, clps=list(services.CLP.objects.all()))
    day = timezone.localdate() + dt.timedelta(days=8)
    with django_assert_max_num_queries(8 + 5 * 8):  # type: ignore[operator]
        sent = services.reminders_send(today=day)
    assert sent == 6  # Northtown and the five new CLPs (Easton and Southport have no officer)


def test_applications_stay_open_until_the_advertised_date(
    party: Party, selection: Selection
) -> None:
    apply(selection, applicant(party, "Ann", "Archer"), woman=True)
    apply(selection, applicant(party, "Bob", "Baker"))
    with pytest.raises(DomainError, match="applications are open until"):
        services.selection_advance(actor=party.clp_secretary, selection=selection)
    with time_machine.travel(selection.applications_close + dt.timedelta(days=1)):
        advanced = services.selection_advance(actor=party.clp_secretary, selection=selection)
    assert advanced.stage == Stage.LONGLIST
