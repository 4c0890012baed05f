"""Every object a conference page loads goes through ``permissions.access_*``: not found and
not allowed are both 404, and an object of another conference is not found (issue 14.1).
Each test shows the page working for the user allowed and refusing everyone else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from rankandfile.ballots.models import Ballot
from rankandfile.conference import permissions
from rankandfile.conference.models import AffiliateDelegation, Conference, Delegate
from rankandfile.conference.services import delegates, setup
from rankandfile.core.errors import NotFound
from tests.ballots.factories import BallotFactory
from tests.conference.conftest import Conf
from tests.conference.helpers import delegate
from tests.conference.test_services import in_order_motion
from tests.membership import factories as f

UTC = dt.UTC


def login(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def other_conference(conf: Conf) -> Conference:
    return setup.conference_create(
        actor=conf.cac,
        year=2027,
        title="Annual Conference 2027",
        venue="Brighton",
        starts_on=dt.date(2027, 9, 26),
        ends_on=dt.date(2027, 9, 29),
        motions_deadline=dt.datetime(2027, 9, 9, tzinfo=UTC),
        rule_changes_deadline=dt.datetime(2027, 6, 20, tzinfo=UTC),
        amendments_deadline=dt.datetime(2027, 9, 1, tzinfo=UTC),
        delegates_deadline=dt.datetime(2027, 8, 31, tzinfo=UTC),
        census_date=dt.date(2027, 5, 31),
    )


@pytest.mark.django_db
def test_check_in_loads_the_delegate_through_access(conf: Conf) -> None:
    p = conf.party
    other_conference(conf)
    d = delegate(conf.conference, conf.cac, p.northtown, checked_in=False)
    easton_officer = f.clp_officer(p.easton)
    url = reverse("conference:check_in", args=[2026, d.pk])
    # An officer of another CLP, an affiliate officer, a member: 404, nothing changes.
    for user in (easton_officer, p.affiliate_officer, p.member):
        assert login(user).post(url).status_code == 404
    # The delegate under another conference's address: 404 even for the CAC.
    assert (
        login(conf.cac).post(reverse("conference:check_in", args=[2027, d.pk])).status_code == 404
    )
    assert (
        login(conf.cac).post(reverse("conference:check_in", args=[2026, 99999])).status_code == 404
    )
    assert Delegate.objects.get(pk=d.pk).checked_in_at is None
    # The delegate's own CLP officer checks them in.
    r = login(p.clp_secretary).post(url)
    assert r.status_code == 302 and Delegate.objects.get(pk=d.pk).checked_in_at is not None


@pytest.mark.django_db
def test_delegation_check_in_loads_the_delegation_through_access(conf: Conf) -> None:
    p = conf.party
    other_conference(conf)
    dl = delegates.delegation_register(
        actor=p.affiliate_officer,
        conference=conf.conference,
        affiliate=p.affiliate,
        leader=p.affiliate_officer,
    )
    wrong = reverse("conference:delegation_check_in", args=[2027, dl.pk])
    right = reverse("conference:delegation_check_in", args=[2026, dl.pk])
    assert login(conf.cac).post(wrong).status_code == 404
    assert login(p.affiliate_officer).post(right).status_code == 404  # the CAC checks in
    assert AffiliateDelegation.objects.get(pk=dl.pk).checked_in_at is None
    assert login(conf.cac).post(right).status_code == 302
    assert AffiliateDelegation.objects.get(pk=dl.pk).checked_in_at is not None
    # Seen by the CAC and by the affiliate's officers only.
    assert permissions.access_delegation(p.affiliate_officer, conf.conference, dl.pk) == dl
    with pytest.raises(NotFound):
        permissions.access_delegation(p.clp_secretary, conf.conference, dl.pk)


@pytest.mark.django_db
def test_compositing_pages_load_the_topic_of_their_conference(conf: Conf) -> None:
    sub = in_order_motion(conf, "Transport")
    assert sub.topic is not None
    other_conference(conf)
    c = login(conf.cac)
    assert c.get(reverse("conference:composite_new", args=[2026, sub.topic_id])).status_code == 200
    assert c.get(reverse("conference:composite_new", args=[2027, sub.topic_id])).status_code == 404
    assert c.get(reverse("conference:composite_new", args=[2026, 99999])).status_code == 404
    prov = reverse("conference:provenance", args=[2027, sub.topic_id])
    assert c.post(prov, {"text": sub.text}).status_code == 404
    prov = reverse("conference:provenance", args=[2026, sub.topic_id])
    r = c.post(prov, {"text": sub.text})
    assert r.status_code == 200 and sub.reference in r.text
    # Not the CAC: 404 on the right address too.
    assert (
        login(conf.party.clp_secretary)
        .get(reverse("conference:composite_new", args=[2026, sub.topic_id]))
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_floor_business_is_of_this_conference_and_for_the_cac(conf: Conf) -> None:
    sub = in_order_motion(conf)
    nxt = other_conference(conf)
    assert permissions.access_floor_business(conf.cac, conf.conference, f"s:{sub.pk}") == sub
    for user, conference, key in (
        (conf.cac, nxt, f"s:{sub.pk}"),  # debated in 2026, not 2027
        (conf.cac, conf.conference, "c:99999"),
        (conf.cac, conf.conference, "x:1"),
        (conf.party.clp_secretary, conf.conference, f"s:{sub.pk}"),
    ):
        with pytest.raises(NotFound):
            permissions.access_floor_business(user, conference, key)


@pytest.mark.django_db
def test_organisation_and_ballot_are_the_users_own(conf: Conf) -> None:
    p = conf.party
    assert permissions.access_organisation(p.clp_secretary, f"clp:{p.northtown.pk}") == {
        "clp": p.northtown
    }
    assert permissions.access_organisation(p.affiliate_officer, f"affiliate:{p.affiliate.pk}") == {
        "affiliate": p.affiliate
    }
    for user, choice in (
        (p.clp_secretary, f"clp:{p.easton.pk}"),
        (p.clp_secretary, f"affiliate:{p.affiliate.pk}"),
        (p.member, f"clp:{p.northtown.pk}"),
        (p.clp_secretary, "clp:abc"),
    ):
        with pytest.raises(NotFound):
            permissions.access_organisation(user, choice)
    mine = BallotFactory(clp=p.northtown, state=Ballot.State.DECLARED)
    draft = BallotFactory(clp=p.northtown)
    theirs = BallotFactory(clp=p.easton, state=Ballot.State.DECLARED)
    assert permissions.access_delegates_ballot(p.clp_secretary, mine.pk) == mine
    for ballot in (draft, theirs):
        with pytest.raises(NotFound):
            permissions.access_delegates_ballot(p.clp_secretary, ballot.pk)
    # Through the page: another CLP's ballot registers nobody and says why.
    r = login(p.clp_secretary).post(
        reverse("conference:delegates", args=[2026]),
        {"action": "ballot", "ballot": theirs.pk},
        follow=True,
    )
    assert "Choose a ballot of your CLP." in r.text
    assert not Delegate.objects.exists()


@pytest.mark.django_db
def test_public_versions_and_entries_404_when_unknown(client: Client, conf: Conf) -> None:
    assert client.get(reverse("conference:programme"), {"v": "999"}).status_code == 404
    assert client.get(reverse("conference:programme"), {"v": "abc"}).status_code == 404
    assert client.get(reverse("conference:programme"), {"a": "1", "b": "999"}).status_code == 404
    assert client.get(reverse("conference:programme_entry", args=[999])).status_code == 404
    assert client.get(reverse("conference:rule_book_version", args=[999])).status_code == 404
    assert client.get(reverse("conference:rule_book"), {"a": "1", "b": "999"}).status_code == 404
    assert client.get(reverse("conference:rule_book"), {"a": "1", "b": "2"}).status_code == 200
    # Historic conferences (no dates) show only their public record pages.
    assert client.get(reverse("conference:detail", args=[2019])).status_code == 200
    assert client.get(reverse("conference:submissions", args=[2019])).status_code == 404


@pytest.mark.django_db
def test_after_a_ruling_only_site_paths_are_followed(conf: Conf) -> None:
    from tests.conference.test_services import submit

    sub = submit(conf)
    c = login(conf.cac)
    url = reverse("conference:rule", args=[2026, sub.pk])
    r = c.post(url, {"decision": "out_of_order", "reason": "x", "next": "https://evil.example/"})
    assert r["Location"] == reverse("conference:arrangements", args=[2026])
    r = c.post(url, {"decision": "out_of_order", "reason": "x", "next": "//evil.example/"})
    assert r["Location"] == reverse("conference:arrangements", args=[2026])
    here = reverse("conference:submission", args=[2026, sub.pk])
    r = c.post(url, {"decision": "out_of_order", "reason": "x", "next": here})
    assert r["Location"] == here
