"""Amendments: moved by officers before the deadline, ruled by the CAC, voted before their
target; a carried amendment changes the text voted on and the programme entry."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from rankandfile.conference import procedure
from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    ProgrammeEntry,
    Submission,
)
from rankandfile.conference.services import amendments, floor, rulebook, submissions
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry, User
from rankandfile.core.tokens import api_token_create
from rankandfile.membership.models import Role
from tests.conference.conftest import Conf
from tests.conference.helpers import card_item
from tests.conference.test_cardvote import _cards
from tests.conference.test_services import in_order_motion
from tests.membership import factories as f

BASE = (
    "Conference calls for the public ownership of rail and water by 2030. "
    "Conference instructs the NEC to publish a plan within a year."
)
AMENDED = (
    "Conference calls for the public ownership of rail, mail and water by 2030. "
    "Conference instructs the NEC to publish a plan within a year."
)


def _published(conf: Conf) -> Submission:
    sub = in_order_motion(conf, text=BASE)
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    return sub


def _easton_officer(conf: Conf) -> User:
    u = f.UserFactory(email="easton.secretary@example.org")
    f.RoleFactory(user=u, kind=Role.Kind.CLP_SECRETARY, clp=conf.party.easton)
    return User.objects.get(pk=u.pk)


def _amend(conf: Conf, target: Any, text: str = AMENDED, **kw: Any) -> Amendment:
    args: dict[str, Any] = {
        "actor": conf.party.affiliate_officer,
        "conference": conf.conference,
        "target": target,
        "text": text,
        "affiliate": conf.party.affiliate,
    }
    args.update(kw)
    return amendments.amendment_create(**args)


# --- Submission and ruling ------------------------------------------------------------------
@pytest.mark.django_db
def test_officer_moves_an_amendment_shown_as_a_word_diff(conf: Conf) -> None:
    sub = _published(conf)
    a = _amend(conf, sub, note="Royal Mail too.")
    assert a.reference == "2026/A001" and a.status == Amendment.Status.SUBMITTED
    assert a.base_text == BASE and a.words_changed == 3  # "and" deleted, "mail and" inserted
    segs = procedure.word_diff(a.base_text, a.text)
    assert [s.text.strip() for s in segs if s.op == "ins"] == ["rail, mail"]
    entry = AuditEntry.objects.filter(action="conference.amendment_create").get()
    assert entry.actor_id == conf.party.affiliate_officer.pk


@pytest.mark.django_db
def test_bad_amendments_are_refused_with_clear_messages(conf: Conf, clock: Any) -> None:
    sub = _published(conf)
    with pytest.raises(DomainError, match="changes nothing"):
        _amend(conf, sub, text=BASE)
    with pytest.raises(DomainError, match="changes nothing"):
        _amend(conf, sub, text="   ")
    long_text = BASE + " " + " ".join(["more"] * 250)
    with pytest.raises(
        DomainError, match=r"changes 251 words \(deleted plus inserted\); the limit is 250"
    ):
        _amend(conf, sub, text=long_text + " extra")
    with pytest.raises(DomainError, match="cannot amend its own motion"):
        _amend(
            conf,
            sub,
            actor=conf.party.clp_secretary,
            affiliate=None,
            clp=conf.party.northtown,
        )
    _amend(conf, sub)
    with pytest.raises(DomainError, match="already submitted an amendment to 2026/M001"):
        _amend(conf, sub, text=AMENDED.replace("2030", "2028"))
    clock.move_to(dt.datetime(2026, 9, 1, 12, 1, tzinfo=dt.UTC))
    with pytest.raises(
        DomainError, match=r"deadline for amendments to the 2026 conference passed at"
    ):
        _amend(conf, sub, actor=_easton_officer(conf), affiliate=None, clp=conf.party.easton)


@pytest.mark.django_db
def test_exactly_the_word_limit_is_accepted(conf: Conf) -> None:
    sub = _published(conf)
    a = _amend(conf, sub, text=BASE + " " + " ".join(["more"] * 250))
    assert a.words_changed == 250


@pytest.mark.django_db
def test_only_items_on_the_published_agenda_can_be_amended(conf: Conf) -> None:
    sub = in_order_motion(conf, text=BASE)
    with pytest.raises(DomainError, match="not published yet"):
        _amend(conf, sub)
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    out = submissions.submission_create(
        actor=_easton_officer(conf),
        conference=conf.conference,
        kind=Submission.Kind.MOTION,
        clp=conf.party.easton,
        title="Something else",
        text="Conference notes something else entirely.",
        meeting_date=dt.date(2026, 5, 12),
        meeting_for=9,
        meeting_against=1,
    )
    out = submissions.submission_rule(
        actor=conf.cac, submission=out, in_order=False, reason="Not policy."
    )
    with pytest.raises(DomainError, match="ruled out of order; only an item in order"):
        _amend(conf, out, text="Conference notes something.")


@pytest.mark.django_db
def test_only_the_organisations_officers_move_and_only_the_cac_rules(conf: Conf) -> None:
    sub = _published(conf)
    for actor in (conf.party.member, conf.party.clp_secretary, conf.cac):
        with pytest.raises(PermissionDenied):
            _amend(conf, sub, actor=actor)
    a = _amend(conf, sub)
    for actor in (conf.party.affiliate_officer, conf.party.clp_secretary, conf.party.member):
        with pytest.raises(PermissionDenied):
            amendments.amendment_rule(actor=actor, amendment=a, in_order=True)
    with pytest.raises(DomainError, match="give the reason"):
        amendments.amendment_rule(actor=conf.cac, amendment=a, in_order=False)
    a = amendments.amendment_rule(
        actor=conf.cac, amendment=a, in_order=False, reason="It contradicts the motion."
    )
    assert a.status == Amendment.Status.OUT_OF_ORDER and a.ruled_by == conf.cac
    # The national admin may rule too.
    a = amendments.amendment_rule(actor=conf.party.national_admin, amendment=a, in_order=True)
    assert a.status == Amendment.Status.IN_ORDER


# --- The floor -----------------------------------------------------------------------------
def _floor(conf: Conf, sub: Submission) -> AgendaItem:
    session = card_item(conf.conference, conf.cac, title="Opening").session
    return floor.item_create(actor=conf.cac, session=session, submission=sub)


@pytest.mark.django_db
def test_carried_amendment_changes_the_text_and_the_programme_entry(conf: Conf) -> None:
    sub = _published(conf)
    a1 = _amend(conf, sub)
    a2 = _amend(
        conf,
        sub,
        text=BASE.replace("within a year", "within six months"),
        actor=_easton_officer(conf),
        affiliate=None,
        clp=conf.party.easton,
    )
    a1, a2 = (
        amendments.amendment_rule(actor=conf.cac, amendment=a, in_order=True) for a in (a1, a2)
    )
    target = _floor(conf, sub)
    with pytest.raises(DomainError, match="vote on the amendments 2026/A001, 2026/A002 first"):
        floor.card_vote_open(actor=conf.cac, item=target)
    i1 = floor.item_create(actor=conf.cac, session=target.session, amendment=a1)
    i2 = floor.item_create(
        actor=conf.cac, session=target.session, amendment=a2, method=AgendaItem.Method.HANDS
    )
    target.refresh_from_db()
    i1.refresh_from_db()
    i2.refresh_from_db()
    assert i1.position < target.position and i2.position < target.position  # voted first
    with pytest.raises(DomainError, match="already on the floor"):
        floor.item_create(actor=conf.cac, session=target.session, amendment=a1)
    # Amendment 1: a card vote, carried.
    AgendaItem.objects.filter(pk=i1.pk).update(state="open")
    _cards(i1, conf.cac, [("clp", 60, "for"), ("clp", 40, "against"), ("affiliate", 7, "for")])
    floor.item_close(actor=conf.cac, item=i1)
    # Amendment 2: a show of hands, lost.
    floor.item_close(actor=conf.cac, item=i2, outcome=AgendaItem.Outcome.LOST)
    target.refresh_from_db()
    assert target.amended_text == AMENDED
    a1.refresh_from_db()
    assert a1.text_after == AMENDED
    # The target, as amended, is carried into the programme.
    AgendaItem.objects.filter(pk=target.pk).update(state="open")
    _cards(target, conf.cac, [("clp", 9, "for"), ("affiliate", 9, "for")])
    floor.item_close(actor=conf.cac, item=target)
    e = ProgrammeEntry.objects.get()
    assert e.text == AMENDED
    assert [am["reference"] for am in e.figures["amendments"]] == ["2026/A001"]
    assert e.figures["amendments"][0]["for_percent"] == "80.00%"
    # Pages: the entry links the amendment and its figures; the item shows the diff.
    c = Client()
    r = c.get(reverse("conference:programme_entry", args=[e.pk]))
    assert "amendment 2026/A001" in r.text and "80.00% for" in r.text and "(as amended)" in r.text
    r = c.get(reverse("conference:item", args=[2026, target.pk]))
    assert "<ins>rail, mail and </ins>" in r.text or "<ins>" in r.text


@pytest.mark.django_db
def test_an_amendment_overlapping_a_carried_one_falls(conf: Conf) -> None:
    sub = _published(conf)
    a1 = _amend(conf, sub)
    a2 = _amend(
        conf,
        sub,
        text=BASE.replace("rail and water", "rail, energy and water"),
        actor=_easton_officer(conf),
        affiliate=None,
        clp=conf.party.easton,
    )
    a1, a2 = (
        amendments.amendment_rule(actor=conf.cac, amendment=a, in_order=True) for a in (a1, a2)
    )
    target = _floor(conf, sub)
    for a in (a1, a2):
        it = floor.item_create(
            actor=conf.cac, session=target.session, amendment=a, method=AgendaItem.Method.HANDS
        )
        floor.item_close(actor=conf.cac, item=it, outcome=AgendaItem.Outcome.CARRIED)
    a2.refresh_from_db()
    target.refresh_from_db()
    assert a2.fell and target.amended_text == AMENDED


@pytest.mark.django_db
def test_carried_amendment_to_a_rule_change_goes_into_the_rule_book(conf: Conf) -> None:
    from rankandfile.conference.models import RuleBookVersion

    aff = conf.party.affiliate
    rc = submissions.submission_create(
        actor=conf.party.affiliate_officer,
        conference=conf.conference,
        kind=Submission.Kind.RULE_CHANGE,
        affiliate=aff,
        clause_number="3.II.2",
        title="Longer motions",
        text="A motion shall not exceed 300 words, and its title shall not exceed 10 words.",
        meeting_date=dt.date(2026, 5, 12),
        meeting_for=9,
        meeting_against=1,
    )
    rc = submissions.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"motion_max_words": "300"}
    )
    rc = submissions.submission_rule(actor=conf.cac, submission=rc, in_order=True)
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    a = amendments.amendment_create(
        actor=_easton_officer(conf),
        conference=conf.conference,
        target=rc,
        clp=conf.party.easton,
        text=rc.text.replace("300 words,", "300 words (a composite 400),"),
    )
    a = amendments.amendment_rule(actor=conf.cac, amendment=a, in_order=True)
    target = _floor(conf, rc)
    ai = floor.item_create(
        actor=conf.cac, session=target.session, amendment=a, method=AgendaItem.Method.HANDS
    )
    floor.item_close(actor=conf.cac, item=ai, outcome=AgendaItem.Outcome.CARRIED)
    AgendaItem.objects.filter(pk=target.pk).update(state="open")
    _cards(target, conf.cac, [("clp", 9, "for"), ("affiliate", 9, "for")])
    floor.item_close(actor=conf.cac, item=target)
    v = rulebook.rule_book_publish(
        actor=conf.cac, conference=conf.conference, effective_from=dt.date(2026, 10, 1)
    )
    clause = RuleBookVersion.objects.get(pk=v.pk).clauses.get(number="3.II.2")
    assert "a composite 400" in clause.text


# --- Pages and API -------------------------------------------------------------------------
@pytest.mark.django_db
def test_pages_submit_view_and_rule(conf: Conf) -> None:
    sub = _published(conf)
    c = Client()
    c.force_login(conf.party.affiliate_officer)
    url = reverse("conference:amendment_new", args=[2026])
    r = c.get(url, {"target": f"s:{sub.pk}"})
    assert r.status_code == 200 and BASE in r.text
    data = {
        "organisation": f"affiliate:{conf.party.affiliate.pk}",
        "target": f"s:{sub.pk}",
        "text": AMENDED,
        "note": "",
    }
    r = c.post(url, {**data, "preview": "1"})
    assert "<ins>" in r.text and not Amendment.objects.exists()
    r = c.post(url, {**data, "text": BASE})
    assert "changes nothing" in r.text
    r = c.post(url, data)
    a = Amendment.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse(
        "conference:amendment", args=[2026, a.pk]
    )
    # Public once the agenda is published.
    anon = Client()
    r = anon.get(reverse("conference:amendment", args=[2026, a.pk]))
    assert r.status_code == 200 and "<del>" in r.text and "Ruling (CAC)" not in r.text
    assert "2026/A001" in anon.get(reverse("conference:amendments", args=[2026])).text
    assert "2026/A001" in anon.get(reverse("conference:submission", args=[2026, sub.pk])).text
    # Only the CAC rules; others get a 404; the reason is shown to everyone.
    rule_url = reverse("conference:amendment_rule", args=[2026, a.pk])
    assert c.post(rule_url, {"decision": "in_order"}).status_code == 404
    cac = Client()
    cac.force_login(conf.cac)
    r = cac.post(rule_url, {"decision": "out_of_order", "reason": "Wrecking amendment."})
    a.refresh_from_db()
    assert a.status == Amendment.Status.OUT_OF_ORDER
    assert "Wrecking amendment." in c.get(reverse("conference:amendment", args=[2026, a.pk])).text
    # Someone who is no officer cannot reach the form.
    m = Client()
    m.force_login(conf.party.member)
    assert m.get(url).status_code == 404


@pytest.mark.django_db
def test_api_moves_lists_and_rules_amendments(conf: Conf) -> None:
    sub = _published(conf)
    c = Client()
    officer = api_token_create(actor=conf.party.affiliate_officer, name="x").secret
    member = api_token_create(actor=conf.party.member, name="y").secret
    cac = api_token_create(actor=conf.cac, name="z").secret
    body = {
        "target_kind": "submission",
        "target": sub.pk,
        "text": AMENDED,
        "affiliate_id": conf.party.affiliate.pk,
    }

    def post(url: str, data: dict[str, Any], token: str) -> Any:
        return c.post(
            url,
            json.dumps(data),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    url = "/api/v1/conference/2026/amendments"
    assert post(url, body, member).status_code == 403
    r = post(url, {**body, "text": BASE}, officer)
    assert r.status_code == 400 and "changes nothing" in r.json()["detail"]
    assert post(url, {**body, "target": sub.pk + 99}, officer).status_code == 404
    r = post(url, body, officer)
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    assert any(s["op"] == "ins" for s in r.json()["diff"])
    assert post(url, body, officer).status_code == 400  # duplicate
    listed = c.get(url).json()
    assert [x["reference"] for x in listed] == ["2026/A001"]
    ruling = f"{url}/{aid}/ruling"
    assert post(ruling, {"in_order": True}, officer).status_code == 403
    assert post(ruling, {"in_order": False}, cac).status_code == 400
    r = post(ruling, {"in_order": False, "reason": "Out of scope."}, cac)
    assert r.status_code == 200 and r.json()["ruling_reason"] == "Out of scope."
    assert c.get(f"{url}/{aid + 5}").status_code == 404


@pytest.mark.django_db
def test_amendments_are_hidden_before_the_agenda_is_published_except_to_the_mover(
    conf: Conf,
) -> None:
    sub = _published(conf)
    a = _amend(conf, sub)
    # Simulate an unpublished agenda: only the mover and the CAC see it.
    conf.conference.dates.agenda_published_at = None
    conf.conference.dates.save()
    anon = Client()
    assert anon.get(reverse("conference:amendment", args=[2026, a.pk])).status_code == 404
    mover = Client()
    mover.force_login(conf.party.affiliate_officer)
    assert mover.get(reverse("conference:amendment", args=[2026, a.pk])).status_code == 200


_ = time_machine


@pytest.mark.django_db
def test_the_cac_puts_an_amendment_on_the_floor_before_its_target(conf: Conf) -> None:
    sub = _published(conf)
    a = amendments.amendment_rule(actor=conf.cac, amendment=_amend(conf, sub), in_order=True)
    target = _floor(conf, sub)
    c = Client()
    c.force_login(conf.cac)
    url = reverse("conference:floor", args=[2026])
    assert f"Amendment {a.reference}" in c.get(url).text
    r = c.post(
        url,
        {
            "action": "item",
            "item-session": target.session_id,
            "item-business": f"a:{a.pk}",
            "item-method": "hands",
        },
    )
    assert r.status_code == 302
    vote = AgendaItem.objects.get(amendment=a)
    target.refresh_from_db()
    assert vote.position == target.position - 1
    r = c.get(reverse("conference:item", args=[2026, target.pk]))
    assert "to vote on first" in r.text
