"""Documents and dates (issue 16.5): the CAC puts NEC statements and policy documents
before conference, CLPs and affiliates amend them like motions, conference votes on them;
the CAC changes a conference's dates after set-up with the set-up's checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Conference,
    ConferenceDocument,
    ProgrammeEntry,
)
from rankandfile.conference.services import amendments, floor, setup, submissions
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from tests.conference.conftest import Conf
from tests.conference.helpers import card_item
from tests.conference.test_cardvote import _cards

UTC = dt.UTC
STATEMENT = (
    "Conference endorses the NEC's plan for a publicly owned energy company. "
    "It will be set up within the first year of a Labour government."
)


def login(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def designate(conf: Conf) -> ConferenceDocument:
    return amendments.document_designate(
        actor=conf.cac,
        conference=conf.conference,
        kind=ConferenceDocument.Kind.NEC_STATEMENT,
        title="Public energy",
        text=STATEMENT,
    )


@pytest.mark.django_db
def test_the_cac_puts_a_document_before_conference_from_the_web(conf: Conf) -> None:
    url = reverse("conference:document_new", args=[2026])
    assert login(conf.party.clp_secretary).get(url).status_code == 404
    cac = login(conf.cac)
    r = cac.post(url, {"kind": "policy_document", "title": "Climate", "text": ""})
    assert r.status_code == 200 and "This field is required" in r.text
    assert not ConferenceDocument.objects.exists()
    r = cac.post(url, {"kind": "policy_document", "title": "Climate", "text": "A green plan."})
    doc = ConferenceDocument.objects.get()
    assert r["Location"] == reverse("conference:document", args=[2026, 1])
    assert doc.label == "Policy document D1: Climate" and doc.designated_by == conf.cac
    page = Client().get(r["Location"]).text
    assert "A green plan." in page
    assert (
        "Policy document D1: Climate"
        in Client().get(reverse("conference:detail", args=[2026])).text
    )
    assert Client().get(reverse("conference:document", args=[2026, 9])).status_code == 404
    with pytest.raises(PermissionDenied):
        amendments.document_designate(
            actor=conf.party.clp_secretary,
            conference=conf.conference,
            kind="nec_statement",
            title="X",
            text="Y",
        )


@pytest.mark.django_db
def test_no_document_after_the_amendments_deadline(conf: Conf) -> None:
    with pytest.raises(DomainError, match="could not be amended"):
        amendments.document_designate(
            actor=conf.cac,
            conference=conf.conference,
            kind="nec_statement",
            title="Late",
            text="Too late.",
            now=dt.datetime(2026, 9, 2, tzinfo=UTC),
        )


@pytest.mark.django_db
def test_a_document_is_amended_voted_and_enters_the_programme_as_amended(conf: Conf) -> None:
    doc = designate(conf)
    with pytest.raises(DomainError, match="not published yet"):
        amendments.amendment_create(
            actor=conf.party.affiliate_officer,
            conference=conf.conference,
            target=doc,
            affiliate=conf.party.affiliate,
            text=STATEMENT.replace("first year", "first hundred days"),
        )
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    # An affiliate officer moves the amendment through the web, starting from the text.
    officer = login(conf.party.affiliate_officer)
    url = reverse("conference:amendment_new", args=[2026])
    r = officer.get(url, {"target": f"d:{doc.pk}"})
    assert "Public energy" in r.text and "within the first year of a Labour" in r.text
    amended = STATEMENT.replace("first year", "first hundred days")
    r = officer.post(
        url,
        {
            "target": f"d:{doc.pk}",
            "organisation": f"affiliate:{conf.party.affiliate.pk}",
            "text": amended,
        },
    )
    a = Amendment.objects.get()
    assert r["Location"] == reverse("conference:amendment", args=[2026, a.pk])
    assert a.document == doc and a.target_label == doc.label and a.words_changed == 3
    # One amendment per organisation per document (service and database).
    with pytest.raises(DomainError, match="already submitted an amendment to NEC statement D1"):
        amendments.amendment_create(
            actor=conf.party.affiliate_officer,
            conference=conf.conference,
            target=doc,
            affiliate=conf.party.affiliate,
            text=STATEMENT.replace("publicly owned", "public"),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Amendment.objects.create(
            conference=conf.conference,
            reference="2026/A999",
            document=doc,
            affiliate=conf.party.affiliate,
            base_text=STATEMENT,
            text=amended,
            words_changed=3,
            submitted_at=dt.datetime(2026, 6, 1, tzinfo=UTC),
        )
    amendments.amendment_rule(actor=conf.cac, amendment=a, in_order=True)
    # On the floor: the document, then its amendment goes before it.
    session = card_item(conf.conference, conf.cac, title="Opening").session
    c = login(conf.cac)
    floor_url = reverse("conference:floor", args=[2026])
    assert f"d:{doc.pk}" in c.get(floor_url).text
    c.post(
        floor_url,
        {
            "action": "item",
            "item-session": session.pk,
            "item-business": f"d:{doc.pk}",
            "item-method": "card",
        },
    )
    item = AgendaItem.objects.get(document=doc)
    assert item.title == "NEC statement D1: Public energy"
    c.post(
        floor_url,
        {
            "action": "item",
            "item-session": session.pk,
            "item-business": f"a:{a.pk}",
            "item-method": "hands",
        },
    )
    ai = AgendaItem.objects.get(amendment=a)
    item.refresh_from_db()
    assert ai.position < item.position
    with pytest.raises(DomainError, match="vote on the amendment"):
        floor.card_vote_open(actor=conf.cac, item=item)
    floor.item_close(actor=conf.cac, item=ai, outcome=AgendaItem.Outcome.CARRIED)
    item.refresh_from_db()
    assert item.amended_text == amended
    AgendaItem.objects.filter(pk=item.pk).update(state="open")
    _cards(item, conf.cac, [("clp", 8, "for"), ("clp", 2, "against"), ("affiliate", 9, "for")])
    item = floor.item_close(actor=conf.cac, item=item)
    assert item.outcome == "carried"
    entry = ProgrammeEntry.objects.get()
    assert entry.text == amended and entry.topic == "NEC statement"
    assert entry.figures["amendments"][0]["reference"] == a.reference
    page = Client().get(reverse("conference:document", args=[2026, doc.number])).text
    assert a.reference in page and "Carried" in page


# --- Dates ------------------------------------------------------------------------------------
DATES = {
    "starts_on": "2026-10-04",
    "ends_on": "2026-10-07",
    "motions_deadline": "2026-09-17T12:00",
    "rule_changes_deadline": "2026-06-20T12:00",
    "amendments_deadline": "2026-09-08T12:00",
    "delegates_deadline": "2026-09-07T12:00",
    "census_date": "2026-05-31",
}


@pytest.mark.django_db
def test_the_cac_changes_the_dates_with_the_set_up_checks(conf: Conf) -> None:
    url = reverse("conference:dates", args=[2026])
    assert login(conf.party.clp_secretary).get(url).status_code == 404
    cac = login(conf.cac)
    r = cac.get(url)
    # The form starts from the current dates (local time: 12:00 UTC is 13:00 in summer).
    assert 'value="2026-09-27"' in r.text and 'value="2026-09-10T13:00"' in r.text
    # A deadline after the conference opens: refused, what was typed kept, nothing changed.
    bad = {**DATES, "motions_deadline": "2026-10-05T12:00"}
    r = cac.post(url, bad)
    assert r.status_code == 200
    assert "the deadline for motions must be before the conference opens" in r.text
    assert 'value="2026-10-05T12:00"' in r.text
    conference = Conference.objects.get(year=2026)
    assert conference.starts_on == dt.date(2026, 9, 27)
    for wrong, message in (
        ({"ends_on": "2026-10-01"}, "cannot end before it starts"),
        ({"census_date": "2026-10-05"}, "census date must be before"),
        ({"starts_on": "2027-01-04", "ends_on": "2027-01-06"}, "must start in 2026"),
    ):
        assert message in cac.post(url, {**DATES, **wrong}).text
    r = cac.post(url, DATES)
    assert r["Location"] == reverse("conference:arrangements", args=[2026])
    conference = Conference.objects.select_related("dates").get(year=2026)
    assert conference.starts_on == dt.date(2026, 10, 4)
    assert conference.dates.amendments_deadline == dt.datetime(2026, 9, 8, 11, tzinfo=UTC)
    entry = AuditEntry.objects.filter(action="conference.dates_change").get()
    assert entry.data["changed"]["starts_on"] == ["2026-09-27", "2026-10-04"]
    assert "census_date" not in entry.data["changed"]
    assert "nothing changed" in cac.post(url, DATES).text


@pytest.mark.django_db
def test_the_census_date_is_fixed_once_a_card_vote_has_opened(conf: Conf) -> None:
    item = card_item(conf.conference, conf.cac)
    AgendaItem.objects.filter(pk=item.pk).update(
        state="open", opened_at=dt.datetime(2026, 6, 1, tzinfo=UTC)
    )
    d = conf.conference.dates
    args: dict[str, Any] = {
        "actor": conf.cac,
        "conference": conf.conference,
        "starts_on": conf.conference.starts_on,
        "ends_on": conf.conference.ends_on,
        "motions_deadline": d.motions_deadline,
        "rule_changes_deadline": d.rule_changes_deadline,
        "amendments_deadline": d.amendments_deadline,
        "delegates_deadline": d.delegates_deadline,
    }
    with pytest.raises(DomainError, match="census date can no longer change"):
        setup.conference_dates_change(**args, census_date=dt.date(2026, 4, 30))
    setup.conference_dates_change(
        **{**args, "ends_on": dt.date(2026, 10, 1)}, census_date=d.census_date
    )
    assert Conference.objects.get(year=2026).ends_on == dt.date(2026, 10, 1)
