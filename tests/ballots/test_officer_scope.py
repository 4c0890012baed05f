"""Officers see only their scope on the ballots pages (issue 12, point 2), and a replaced
one-time ballot link stops working in a session already opened with it (point 5).

The scrutiny page's "why eligible" lookup explains only members on the ballot's
electorate or in its unit; anyone else — a member elsewhere in the party or an unknown
number — gets the same answer, "not on this electorate", with no personal data. Every
lookup is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rankandfile.ballots import invitations, services
from rankandfile.ballots.models import Ballot, Elector, VoteRecord
from rankandfile.core import tokens
from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import Role
from tests.ballots.factories import BallotFactory
from tests.ballots.test_views import issue_link, make_ballot, prefs, vote_url
from tests.conftest import Party
from tests.membership import factories as f

LOOKUP = "ballots.scrutiny.eligibility_lookup"
# What a member record would show on the page: none of it may appear out of scope.
SOUTHERNER_DATA = ("Sam", "Southerner", "Southport")


def scrutiny(client: Client, ballot: Ballot, number: str) -> str:
    response = client.get(f"/ballots/{ballot.pk}/scrutiny/", {"number": number})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return str(response.content.decode())


def answer(html: str) -> str:
    return html.split('id="eligibility">')[1].split("</div>")[0]


def wide_ballot(**scope: Any) -> Ballot:
    """An open ballot of the whole party or a region (``scope_kind=``, ``region=``)."""
    now = timezone.now()
    ballot: Ballot = BallotFactory(
        clp=None,
        freeze_date=timezone.localdate() - dt.timedelta(days=1),
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=1),
        **scope,
    )
    return services.ballot_open(actor=None, ballot=ballot)


@pytest.fixture
def ballot(party: Party) -> Ballot:
    return make_ballot(party)  # Northtown CLP ballot, open, electorate frozen


@pytest.mark.parametrize("who", ["clp_secretary", "clp_chair", "scrutineer", "national_admin"])
def test_lookup_in_scope_explains(ballot: Ballot, party: Party, client: Client, who: str) -> None:
    client.force_login(getattr(party, who))
    html = scrutiny(client, ballot, "rf000002")
    assert "<strong>Nell Neighbour</strong> (RF000002) is <strong>eligible</strong>" in html
    assert "is on the frozen electorate" in html


@pytest.mark.parametrize("who", ["clp_secretary", "clp_chair", "scrutineer", "national_admin"])
def test_lookup_outside_the_ballot_gives_no_personal_data(
    ballot: Ballot, party: Party, client: Client, who: str
) -> None:
    """Sam Southerner (RF000009) is a member in another region: to the officers of a
    Northtown ballot he is simply not on this electorate — even to a national admin or
    a national scrutineer, since the lookup explains this ballot only."""
    client.force_login(getattr(party, who))
    out = answer(scrutiny(client, ballot, "RF000009"))
    assert out.strip() == "<p><strong>RF000009</strong> is not on this electorate.</p>"
    for word in SOUTHERNER_DATA:
        assert word not in out
    # An unknown number answers exactly the same: numbers cannot be probed.
    unknown = answer(scrutiny(client, ballot, "RF999999"))
    assert unknown.replace("RF999999", "RF000009") == out


def test_sequential_numbers_do_not_reveal_the_national_roll(
    ballot: Ballot, party: Party, client: Client
) -> None:
    """The attack in the issue: a CLP secretary walks the membership numbers."""
    client.force_login(party.clp_secretary)
    explained = set()
    for n in range(1, 12):
        number = f"RF{n:06d}"
        html = answer(scrutiny(client, ballot, number))
        if "is not on this electorate" not in html:
            explained.add(number)
    # Only Northtown's own members (Mary, Nell, Bert); not Sam in Southport.
    assert explained == {"RF000001", "RF000002", "RF000003"}
    assert AuditEntry.objects.filter(action=LOOKUP, actor=party.clp_secretary).count() == 11


def test_member_of_the_unit_not_on_the_electorate_is_explained(
    ballot: Ballot, party: Party, client: Client
) -> None:
    late = f.MemberFactory(
        first_name="Lou",
        last_name="Latecomer",
        membership_number="RF000050",
        clp=party.northtown,
        joined=timezone.localdate(),
    )
    client.force_login(party.clp_secretary)
    html = scrutiny(client, ballot, late.membership_number)
    assert "<strong>Lou Latecomer</strong> (RF000050) is <strong>not eligible</strong>" in html
    assert "is not on the frozen electorate" in html


def test_elector_who_moved_away_after_the_freeze_is_still_explained(
    ballot: Ballot, party: Party, client: Client
) -> None:
    type(party.neighbour).objects.filter(pk=party.neighbour.pk).update(
        clp=party.southport, branch=None
    )
    client.force_login(party.clp_secretary)
    html = scrutiny(client, ballot, "RF000002")
    assert "<strong>Nell Neighbour</strong>" in html
    assert "is on the frozen electorate" in html


def test_party_wide_ballot_explains_anyone(party: Party, client: Client) -> None:
    ballot = wide_ballot(scope_kind="party")
    client.force_login(party.scrutineer)
    html = scrutiny(client, ballot, "RF000009")
    assert "<strong>Sam Southerner</strong> (RF000009)" in html


def test_regional_scrutineer_of_a_regional_ballot(party: Party, client: Client) -> None:
    ballot = wide_ballot(scope_kind="region", region=party.north)
    user = f.UserFactory(email="scrut-north@example.org")
    f.RoleFactory(user=user, kind=Role.Kind.SCRUTINEER, region=party.north)
    client.force_login(user)
    assert "<strong>Eve Eastoner</strong>" in scrutiny(
        client, ballot, party.eastoner.membership_number
    )
    out = answer(scrutiny(client, ballot, "RF000009"))
    assert "is not on this electorate" in out and "Southerner" not in out


def test_every_lookup_is_audited(ballot: Ballot, party: Party, client: Client) -> None:
    client.force_login(party.scrutineer)
    scrutiny(client, ballot, "rf000001")
    scrutiny(client, ballot, "RF000009")
    entries = list(AuditEntry.objects.filter(action=LOOKUP).order_by("seq"))
    assert [(e.actor_id, e.object_id, e.data) for e in entries] == [
        (
            party.scrutineer.pk,
            str(ballot.pk),
            {"membership_number": "RF000001", "answer": "explained"},
        ),
        (
            party.scrutineer.pk,
            str(ballot.pk),
            {"membership_number": "RF000009", "answer": "not on this electorate"},
        ),
    ]
    assert all(e.channel == "web" for e in entries)
    # The ballot's audit trail on the scrutiny page shows the lookups too.
    html = client.get(f"/ballots/{ballot.pk}/scrutiny/").content.decode()
    assert html.count(LOOKUP) == 2


def test_no_lookup_for_those_who_may_not_scrutinise(
    ballot: Ballot, party: Party, client: Client
) -> None:
    for who in ("member", "branch_officer", "affiliate_officer", "no_roles"):
        client.force_login(getattr(party, who))
        response = client.get(f"/ballots/{ballot.pk}/scrutiny/", {"number": "RF000002"})
        assert response.status_code == 404
        assert b"Neighbour" not in response.content
    assert not AuditEntry.objects.filter(action=LOOKUP).exists()


# --- A replaced one-time link -----------------------------------------------------------
def replace_link(ballot: Ballot, member: Any) -> None:
    """What a reminder or re-invitation does: a new link's digest replaces the old one."""
    elector = Elector.objects.get(ballot=ballot, member=member)
    # The reminder is owed to this elector alone (owed sends are elector rows), then sent.
    Elector.objects.filter(pk=elector.pk).update(
        send_queued_at=timezone.now(), send_kind="reminder"
    )
    invitations.deliver(ballot.pk)
    elector.refresh_from_db()
    assert elector.token_digest is not None


@pytest.fixture
def _mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.usefixtures("_mail")
def test_replaced_link_stops_working_in_an_open_session(
    ballot: Ballot, party: Party, client: Client
) -> None:
    secret = issue_link(ballot, party.neighbour)
    client.get(f"/ballots/vote/{secret}/")
    assert client.get(vote_url(ballot)).status_code == 200  # the session carries the right
    replace_link(ballot, party.neighbour)
    page = client.get(vote_url(ballot))
    assert page.status_code == 410
    assert "This ballot link has already been used" in page.content.decode()
    cast = client.post(vote_url(ballot), {**prefs(Bo=1), "action": "cast"})
    assert cast.status_code in {302, 410}
    assert not VoteRecord.objects.filter(ballot=ballot).exists()
    # The old link itself is dead too.
    assert client.get(f"/ballots/vote/{secret}/").status_code == 404


@pytest.mark.usefixtures("_mail")
def test_link_replaced_between_paper_and_cast_is_refused(
    ballot: Ballot, party: Party, client: Client
) -> None:
    secret = issue_link(ballot, party.neighbour)
    client.get(f"/ballots/vote/{secret}/")
    elector = Elector.objects.get(ballot=ballot, member=party.neighbour)
    old_digest = elector.token_digest
    replace_link(ballot, party.neighbour)
    # The check is in the vote's own transaction, not only in the view.
    with pytest.raises(services.LinkReplaced):
        services.ballot_cast(ballot=ballot, elector=elector, choice=[1], link_digest=old_digest)
    assert not VoteRecord.objects.filter(ballot=ballot).exists()


@pytest.mark.usefixtures("_mail")
def test_the_new_link_works_after_a_reminder(ballot: Ballot, party: Party, client: Client) -> None:
    old = issue_link(ballot, party.neighbour)
    client.get(f"/ballots/vote/{old}/")
    new = issue_link(ballot, party.branchmate)  # a link of someone else: unaffected
    replace_link(ballot, party.neighbour)
    other = Client()
    other.get(f"/ballots/vote/{new}/")
    receipt = other.post(vote_url(ballot), {**prefs(Cy=1), "action": "cast"})
    assert "Your vote is cast" in receipt.content.decode()


def test_signed_in_elector_may_still_vote_after_their_link_was_replaced(
    ballot: Ballot, party: Party, client: Client
) -> None:
    client.force_login(party.member)
    secret = issue_link(ballot, party.me)
    client.get(f"/ballots/vote/{secret}/")
    Elector.objects.filter(ballot=ballot, member=party.me).update(
        token_digest=tokens.digest("a-newer-link")
    )
    # The link's right is gone, but Mary is signed in and on the electorate herself.
    assert client.get(vote_url(ballot)).status_code == 200
    receipt = client.post(vote_url(ballot), {**prefs(Ada=1), "action": "cast"})
    assert "Your vote is cast" in receipt.content.decode()
    assert VoteRecord.objects.filter(ballot=ballot, member=party.me).exists()


def test_expiry_still_applies(ballot: Ballot, party: Party, client: Client) -> None:
    secret = issue_link(ballot, party.neighbour)
    client.get(f"/ballots/vote/{secret}/")
    session = client.session
    links = session["ballot_links"]
    links[str(ballot.pk)]["expires"] = (timezone.now() - dt.timedelta(seconds=1)).isoformat()
    session["ballot_links"] = links
    session.save()
    assert client.get(vote_url(ballot)).status_code == 302
