"""Affiliated and registered supporters as electors, and results by electorate section
(issue 18; decision 0025, "Supporters and results by section").

Registration is refused in plain words outside the window, with the wrong fee, for a kind
the rules of the day do not admit, for a party member, twice; supporters join the roll
when the ballot opens and vote through their link, signed in, and by API token (the lean
path); the section is sealed on the paper, survives the mixing and the opening, is
counted by section (merged or not broken down under ``ELECTION_SECTION_MIN_PAPERS``) and
never published with the papers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from rankandfile.ballots import fastvote, invitations, secrecy, tally
from rankandfile.ballots import services as ballot_services
from rankandfile.ballots.models import Ballot, Elector, Paper, SealedPaper, VoteRecord
from rankandfile.conference.services import rulebook as conference_services
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.elections import queries, services
from rankandfile.elections.models import Contest, Stage, Supporter
from tests.conftest import PASSWORD, Party, issue_token
from tests.elections.factories import close_all, close_mp_stage, mp_logins, open_contest

pytestmark = pytest.mark.django_db

#: A day under the 2014 rule book: registered supporters at £3, a 28-day window,
#: results published by section.
IN_2016 = dt.datetime(2016, 7, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def rules(db: None) -> None:
    conference_services.rule_book_load(actor=None)


@pytest.fixture
def in_2016(rules: None) -> Iterator[None]:
    with time_machine.travel(IN_2016):
        yield


def _contest(party: Party) -> Contest:
    """A leadership vacancy with candidates A and B qualified by MPs (C is not)."""
    logins = mp_logins(9)
    contest = open_contest(party.national_admin)
    a = services.candidate_add(actor=party.national_admin, contest=contest, name="A")
    b = services.candidate_add(actor=party.national_admin, contest=contest, name="B")
    for (_mp, user), cand in zip(logins, [a, a, b, b], strict=False):
        services.nomination_by_mp(actor=user, contest=contest, candidate=cand)
    contest = close_mp_stage(contest)
    for clp, cand in ((party.northtown, a), (party.easton, b)):
        services.nomination_by_clp_meeting(
            actor=party.national_admin, contest=contest, clp=clp, candidate=cand,
            meeting_on=timezone.localdate(), votes_for=5, votes_cast=9,
        )  # fmt: skip
    return contest


def _register(party: Party, contest: Contest, n: int, **kw: Any) -> Supporter:
    kind = kw.pop("kind", "registered")
    if kind == "registered":
        kw.setdefault("fee_pence_paid", 300)
        kw.setdefault("paid_on", timezone.localdate())
    else:
        kw.setdefault("affiliate", party.affiliate)
    return services.supporter_register(
        actor=party.national_admin,
        contest=contest,
        kind=kind,
        name=f"Supporter {n}",
        email=f"supporter{n}@example.net",
        **kw,
    )


def _open_ballot(party: Party, contest: Contest) -> Ballot:
    contest = close_all(contest)
    contest = services.contest_ballot_open(
        actor=party.national_admin, contest=contest, closes_at=timezone.now() + dt.timedelta(days=1)
    )
    assert contest.ballot is not None
    return contest.ballot


# --- registration ----------------------------------------------------------------------------
def test_registration_is_checked_against_the_rules_of_the_day(party: Party, in_2016: None) -> None:
    contest = _contest(party)
    freeze = timezone.localdate(contest.nominations_close)
    s = _register(party, contest, 1)
    assert (s.kind, s.fee_pence_paid, s.verified_at is not None) == ("registered", 300, True)
    assert s.user is not None and s.user.email == "supporter1@example.net"
    assert not s.user.has_usable_password()
    entry = AuditEntry.objects.get(action="elections.supporter.register")
    assert entry.data["kind"] == "registered" and entry.data["fee_pence_paid"] == 300
    assert "supporter1@example.net" not in json.dumps(entry.data)  # no address in the log
    with pytest.raises(DomainError, match=r"registration fee .* is £3\.00; £5\.00 was paid"):
        _register(party, contest, 2, fee_pence_paid=500)
    with pytest.raises(DomainError, match="registration for this election is open from"):
        _register(party, contest, 3, paid_on=freeze - dt.timedelta(days=28))
    # The last day of the window is the freeze date; the first is 27 days before it.
    _register(party, contest, 4, paid_on=freeze)
    _register(party, contest, 5, paid_on=freeze - dt.timedelta(days=27))
    with pytest.raises(DomainError, match="is a party member"):
        services.supporter_register(
            actor=party.national_admin, contest=contest, kind="registered", name="Me",
            email=party.member.email.upper(), fee_pence_paid=300, paid_on=freeze,
        )  # fmt: skip
    with pytest.raises(DomainError, match="already registered as a supporter"):
        _register(party, contest, 1)
    with pytest.raises(DomainError, match="name the affiliate"):
        _register(party, contest, 6, kind="affiliated", affiliate=None)
    with pytest.raises(PermissionDenied):
        services.supporter_register(
            actor=party.clp_secretary, contest=contest, kind="affiliated", name="X",
            email="x@example.net", affiliate=party.affiliate,
        )  # fmt: skip
    assert set(contest.supporters.values_list("email", flat=True)) == {
        "supporter1@example.net", "supporter4@example.net", "supporter5@example.net",
    }  # fmt: skip


def test_rules_that_admit_no_registered_supporters_refuse_them(party: Party, rules: None) -> None:
    """Today's rules (2021 on) end registered supporters; affiliated ones still vote."""
    contest = _contest(party)
    with pytest.raises(DomainError, match=r"rules in force on .* admit no registered supporters"):
        _register(party, contest, 1, fee_pence_paid=0)
    s = _register(party, contest, 2, kind="affiliated")
    assert s.affiliate == party.affiliate
    with pytest.raises(DomainError, match="pays no registration fee"):
        _register(party, contest, 3, kind="affiliated", fee_pence_paid=300)


def test_no_registration_once_the_roll_is_frozen(party: Party, rules: None) -> None:
    contest = _contest(party)
    _open_ballot(party, contest)
    contest.refresh_from_db()
    assert contest.stage == Stage.BALLOT
    with pytest.raises(DomainError, match="roll is frozen"):
        _register(party, contest, 1, kind="affiliated")


# --- the electorate and the vote ---------------------------------------------------------
def test_supporters_join_the_roll_with_their_section(party: Party, in_2016: None) -> None:
    contest = _contest(party)
    reg = _register(party, contest, 1)
    aff = _register(party, contest, 2, kind="affiliated")
    ballot = _open_ballot(party, contest)
    members = Elector.objects.filter(ballot=ballot, member__isnull=False).count()
    assert ballot.publish_by_section
    assert ballot.electorate_size == members + 2
    assert {(e.supporter_id, e.section) for e in ballot.electors.filter(member__isnull=True)} == {
        (reg.pk, "registered"),
        (aff.pk, "affiliated"),
    }
    assert set(ballot.electors.filter(member__isnull=False).values_list("section", flat=True)) == {
        "member"
    }
    assert AuditEntry.objects.get(action="ballots.ballot.open").data["supporters"] == 2


def test_a_supporter_is_invited_and_votes_through_the_link(
    party: Party, in_2016: None, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    contest = _contest(party)
    supporter = _register(party, contest, 1)
    ballot = _open_ballot(party, contest)
    elector = Elector.objects.get(ballot=ballot, supporter_id=supporter.pk)
    invitations.ballot_invite(actor=party.national_admin, ballot=ballot)
    invitations.deliver(ballot.pk, limit=1000)
    to_supporter = [m for m in mail.outbox if m.to == ["supporter1@example.net"]]
    assert len(to_supporter) == 1 and to_supporter[0].body.startswith("Dear Supporter,")
    link = next(w for w in to_supporter[0].body.split() if "/ballots/vote/" in w)
    secret = link.rstrip("/").rsplit("/", 1)[-1]
    client = Client()
    assert client.get(f"/ballots/vote/{secret}/").status_code == 302
    page = client.get(f"/ballots/{ballot.pk}/vote/")
    assert page.status_code == 200 and "Number the candidates" in page.content.decode()
    receipt = client.post(
        f"/ballots/{ballot.pk}/vote/", {"pref_1": "1", "pref_0": "2", "action": "cast"}
    )
    assert "Your vote is cast" in receipt.content.decode()
    assert VoteRecord.objects.filter(ballot=ballot, supporter_id=supporter.pk).count() == 1
    assert Elector.objects.get(pk=elector.pk).token_digest is None
    # Voted: a reminder skips them (the "not voted" list works on supporters too).
    assert invitations.invitation_progress(ballot)["voted"] == 1
    before = len(mail.outbox)
    invitations.ballot_remind(actor=party.national_admin, ballot=ballot)
    invitations.deliver(ballot.pk, limit=1000)
    assert not [m for m in mail.outbox[before:] if m.to == ["supporter1@example.net"]]
    # The sealed paper holds the section; nothing in its row says so.
    sealed = SealedPaper.objects.get(ballot=ballot)
    assert secrecy.unseal_paper(ballot.pk, sealed.sealed)[1:] == ([1, 0], "registered")
    assert {f.name for f in SealedPaper._meta.concrete_fields} == {
        "id", "ballot", "code_digest", "sealed", "mixed",
    }  # fmt: skip


def test_a_supporter_votes_signed_in_and_by_api_token(party: Party, in_2016: None) -> None:
    contest = _contest(party)
    signed_in = _register(party, contest, 1)
    by_token = _register(party, contest, 2, kind="affiliated")
    ballot = _open_ballot(party, contest)
    assert signed_in.user is not None and by_token.user is not None
    signed_in.user.set_password(PASSWORD)
    signed_in.user.save()
    client = Client()
    client.force_login(signed_in.user)
    # Their ballot is visible to them (an elector who has not voted is sent to the paper).
    assert client.get(f"/ballots/{ballot.pk}/")["Location"] == f"/ballots/{ballot.pk}/vote/"
    receipt = client.post(f"/ballots/{ballot.pk}/vote/", {"pref_0": "1", "action": "cast"})
    assert "Your vote is cast" in receipt.content.decode()
    again = client.post(f"/ballots/{ballot.pk}/vote/", {"pref_0": "1", "action": "cast"})
    assert "already" in again.content.decode()
    # The lean path (the API token) finds the supporter's elector and seals the section.
    token = issue_token(by_token.user)
    answer = fastvote.cast_by_token(ballot.pk, token, {"choice": [1]})
    assert answer is not None and answer[0] == 201, answer
    assert fastvote.cast_by_token(ballot.pk, token, {"choice": [1]}) == (
        409,
        {"detail": "your vote is already recorded for this ballot"},
    )
    records = VoteRecord.objects.filter(ballot=ballot, member__isnull=True)
    assert sorted(records.values_list("supporter_id", flat=True)) == sorted(
        [signed_in.pk, by_token.pk]
    )
    sections = sorted(
        secrecy.unseal_paper(ballot.pk, s)[2]
        for s in SealedPaper.objects.filter(ballot=ballot).values_list("sealed", flat=True)
    )
    assert sections == ["affiliated", "registered"]
    # A member's login is not a supporter's: no elector found by supporter for them.
    assert fastvote.cast_by_token(ballot.pk, issue_token(party.no_roles), {"choice": [0]}) is None


# --- results by section ---------------------------------------------------------------------
def _vote_everyone(ballot: Ballot, choices: dict[str, list[list[int]]]) -> None:
    for section, papers in choices.items():
        electors = list(Elector.objects.filter(ballot=ballot, section=section).order_by("pk"))
        assert len(electors) >= len(papers), section
        for elector, choice in zip(electors, papers, strict=False):
            ballot_services.ballot_cast(ballot=ballot, elector=elector, choice=choice)


def _declared(party: Party, contest: Contest, ballot: Ballot) -> Ballot:
    with time_machine.travel(ballot.closes_at + dt.timedelta(seconds=1)):
        services.contest_declare(actor=party.national_admin, contest=contest)
    ballot.refresh_from_db()
    return ballot


def _three_sections(party: Party) -> tuple[Contest, Ballot]:
    contest = _contest(party)
    for n in range(3):
        _register(party, contest, n)
    for n in range(3, 5):
        _register(party, contest, n, kind="affiliated")
    ballot = _open_ballot(party, contest)
    contest.refresh_from_db()
    members = Elector.objects.filter(ballot=ballot, section="member").count()
    assert members >= 3
    # Members: A, A, B. Registered: B, B>A, B. Affiliated: A, B>A.
    _vote_everyone(
        ballot,
        {
            "member": [[0], [0, 1], [1]],
            "registered": [[1], [1, 0], [1]],
            "affiliated": [[0], [1, 0]],
        },
    )
    return contest, ballot


def test_results_by_section_survive_mixing_opening_and_recount(
    party: Party, in_2016: None, settings: Any
) -> None:
    settings.ELECTION_SECTION_MIN_PAPERS = 2
    contest, ballot = _three_sections(party)
    assert secrecy.mix(ballot.pk, minimum=1) == 8  # the sealed box, re-sealed and shuffled
    ballot = _declared(party, contest, ballot)
    # The sections survived the mixing and the opening.
    assert sorted(Paper.objects.filter(ballot=ballot).values_list("section", flat=True)) == sorted(
        ["member"] * 3 + ["registered"] * 3 + ["affiliated"] * 2
    )
    by = ballot.result["by_section"]
    rows = {s["section"]: s for s in by["sections"]}
    assert list(rows) == ["member", "affiliated", "registered"]
    assert rows["member"]["first_preferences"] == {"A": 2, "B": 1}
    assert rows["registered"]["first_preferences"] == {"A": 0, "B": 3}
    assert rows["affiliated"]["first_preferences"] == {"A": 1, "B": 1}
    assert {s: r["papers"] for s, r in rows.items()} == {
        "member": 3, "affiliated": 2, "registered": 3,
    }  # fmt: skip
    # B wins 5-3 in the first round, which is also the final round.
    final = ballot.result["stages"][-1]["votes"]
    assert ballot.result["elected"] == ["B"]
    for name in ("A", "B"):
        assert sum(r["final_round"][name] for r in rows.values()) == int(final[name])
    # Published papers carry no section: not a column of the CSV, not in the BLT.
    header = ballot.papers_csv.splitlines()[0]
    assert header == "tracking_code,A,B"
    for word in ("member", "registered", "affiliated"):
        assert word not in ballot.papers_csv and word not in ballot.papers_blt
    # A recount recomputes the figures by section from the stored papers.
    recount = tally.ballot_recount(actor=party.national_admin, ballot=ballot)
    assert recount.matches and recount.digest_matches
    assert recount.result["by_section"] == by
    Paper.objects.filter(ballot=ballot, section="affiliated").update(section="registered")
    changed = tally.ballot_recount(actor=party.national_admin, ballot=ballot)
    assert not changed.matches and changed.digest_matches  # same papers, other sections
    # The election's page and API show the table.
    page = queries.contest_page(contest, party.member)
    assert page.sections is not None
    assert [r["label"] for r in page.sections.rows] == [
        "Members", "Affiliated supporters", "Registered supporters",
    ]  # fmt: skip
    client = Client()
    client.force_login(party.member)
    html = client.get(f"/elections/{contest.pk}/").content.decode()
    assert "The result by electorate section" in html and "Registered supporters" in html
    api = client.get(f"/api/v1/elections/{contest.pk}/").json()
    assert [s["section"] for s in api["by_section"]["sections"]] == [
        "member", "affiliated", "registered",
    ]  # fmt: skip
    # The published papers, as downloaded and looked up by tracking code: no section.
    csv_text = client.get(f"/api/v1/ballots/{ballot.pk}/papers.csv").content.decode()
    assert csv_text.splitlines()[0] == "tracking_code,A,B" and "registered" not in csv_text
    code = Paper.objects.filter(ballot=ballot, section="registered").first()
    assert code is not None
    one = client.get(f"/api/v1/ballots/{ballot.pk}/papers/{code.tracking_code}").json()
    assert "section" not in one and "registered" not in json.dumps(one)
    ballot_page = client.get(f"/ballots/{ballot.pk}/result/").content.decode()
    assert (
        "The result by electorate section" in ballot_page and "Affiliated supporters" in ballot_page
    )
    result = client.get(f"/api/v1/ballots/{ballot.pk}/result").json()
    assert result["by_section"] == by


def test_a_small_section_is_merged_then_not_broken_down(
    party: Party, in_2016: None, settings: Any
) -> None:
    settings.ELECTION_SECTION_MIN_PAPERS = 3  # affiliated has 2: merged into supporters
    contest, ballot = _three_sections(party)
    ballot = _declared(party, contest, ballot)
    by = ballot.result["by_section"]
    assert [(s["section"], s["papers"]) for s in by["sections"]] == [
        ("member", 3),
        ("supporters", 5),
    ]
    assert "shown together" in by["note"]
    # The papers themselves were written merged at the close: the two affiliated
    # supporters' papers are not told apart from the registered ones in the database.
    assert sorted(Paper.objects.filter(ballot=ballot).values_list("section", flat=True)) == (
        ["member"] * 3 + ["supporters"] * 5
    )
    settings.ELECTION_SECTION_MIN_PAPERS = 4  # members have 3: not broken down
    recount = tally.ballot_recount(actor=party.national_admin, ballot=ballot)
    assert recount.result["by_section"]["sections"] == []
    assert "not broken down" in recount.result["by_section"]["note"]
    assert queries.section_table(contest) is not None


def test_default_minimum_keeps_a_small_election_whole(party: Party, in_2016: None) -> None:
    contest, ballot = _three_sections(party)
    ballot = _declared(party, contest, ballot)
    assert secrecy.section_min_papers() == 100
    assert ballot.result["by_section"]["sections"] == []
    # Not published by section, so not written by section either: a copy of the database
    # cannot pick out the two affiliated supporters' papers.
    assert set(Paper.objects.filter(ballot=ballot).values_list("section", flat=True)) == {""}
    html = _page(party, contest)
    assert "Not broken down by section: a section has fewer than 100 papers" in html
    assert "Registered supporters</th>" not in html


def _page(party: Party, contest: Contest) -> str:
    client = Client()
    client.force_login(party.member)
    return client.get(f"/elections/{contest.pk}/").content.decode()


def test_rules_without_sections_count_supporters_without_a_breakdown(
    party: Party, rules: None
) -> None:
    """2021 rules: affiliated supporters vote, results are not published by section."""
    contest = _contest(party)
    aff = _register(party, contest, 1, kind="affiliated")
    ballot = _open_ballot(party, contest)
    assert not ballot.publish_by_section
    elector = Elector.objects.get(ballot=ballot, supporter_id=aff.pk)
    ballot_services.ballot_cast(ballot=ballot, elector=elector, choice=[0])
    ballot = _declared(party, contest, ballot)
    assert "by_section" not in ballot.result
    # Not published by section, so the one supporter's paper keeps no section.
    assert Paper.objects.get(ballot=ballot).section == ""


def test_supporters_who_joined_the_party_vote_once_as_members(party: Party, rules: None) -> None:
    from tests.membership import factories as f

    contest = _contest(party)
    s = _register(party, contest, 1, kind="affiliated")
    f.MemberFactory(clp=party.northtown, email=s.email, joined=dt.date(2015, 1, 1))
    ballot = _open_ballot(party, contest)
    assert not Elector.objects.filter(ballot=ballot, supporter_id=s.pk).exists()
    assert services.supporters_on_roll(contest, services.rules_for(contest)) == []


# --- the officer's page and the API ------------------------------------------------------------
def test_the_officer_registers_on_the_page_and_through_the_api(party: Party, rules: None) -> None:
    contest = _contest(party)
    client = Client()
    client.force_login(party.national_admin)
    page = client.get(f"/elections/{contest.pk}/").content.decode()
    assert "Register a supporter" in page
    response = client.post(
        f"/elections/{contest.pk}/act/supporter/",
        {"kind": "registered", "name": "Rita Reg", "email": "rita@example.net",
         "fee_paid": "3.00", "paid_on": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert response.status_code == 400
    assert "admit no registered supporters" in response.content.decode()
    response = client.post(
        f"/elections/{contest.pk}/act/supporter/",
        {"kind": "affiliated", "name": "Alf Aff", "email": "alf@example.net",
         "affiliate": party.affiliate.pk},
    )  # fmt: skip
    assert response.status_code == 302
    assert "Alf Aff" in client.get(f"/elections/{contest.pk}/").content.decode()
    api = client.post(
        f"/api/v1/elections/{contest.pk}/supporters/",
        {"kind": "affiliated", "name": "Ann Api", "email": "ann@example.net",
         "affiliate_id": party.affiliate.pk},
        content_type="application/json",
    )  # fmt: skip
    assert api.status_code == 201, api.content
    assert api.json()["kind"] == "affiliated"
    refused = client.post(
        f"/api/v1/elections/{contest.pk}/supporters/",
        {"kind": "affiliated", "name": "Ann Api", "email": "ann@example.net",
         "affiliate_id": party.affiliate.pk},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 400 and "already registered" in refused.json()["detail"]
    listed = client.get(f"/api/v1/elections/{contest.pk}/supporters/").json()
    assert {s["email"] for s in listed} == {"alf@example.net", "ann@example.net"}
    # Not for anyone else: members see neither the list nor the form.
    other = Client()
    other.force_login(party.member)
    assert "Register a supporter" not in other.get(f"/elections/{contest.pk}/").content.decode()
    assert other.get(f"/api/v1/elections/{contest.pk}/supporters/").status_code == 404
    assert (
        other.post(f"/elections/{contest.pk}/act/supporter/", {"kind": "affiliated"}).status_code
        == 404
    )
