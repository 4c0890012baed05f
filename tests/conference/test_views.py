"""Pages: public pages render, permissions in both directions, forms end to end."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from rankandfile.conference import rulebook_data
from rankandfile.conference.models import AgendaItem, Card, Delegate, Submission
from rankandfile.conference.services import compositing, floor, programme, setup, submissions
from tests.conference.conftest import Conf, motion_text
from tests.conference.helpers import card_item, delegate
from tests.conference.test_services import in_order_motion, submit


def login(client: Client, user) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_public_pages(client: Client, conf: Conf) -> None:
    for name, kwargs in (
        ("conference:index", {}),
        ("conference:rule_book", {}),
        ("conference:rule_book_version", {"number": 1}),
        ("conference:programme", {}),
        ("conference:detail", {"year": 2026}),
    ):
        r = client.get(reverse(name, kwargs=kwargs))
        assert r.status_code == 200, name
    r = client.get(reverse("conference:rule_book"))
    assert "Rule book 2025" in r.text and "In force" in r.text and "every sitting Member" in r.text


@pytest.mark.django_db
def test_rule_book_compare_json_and_pdf(client: Client, conf: Conf) -> None:
    r = client.get(reverse("conference:rule_book"), {"a": 1, "b": 2})
    assert r.status_code == 200
    assert "<del>4 </del><ins>10 </ins>" in r.text  # priorities per section, 2017 -> 2018
    assert "priorities_topics_per_section" in r.text
    assert client.get(reverse("conference:rule_book"), {"a": 1, "b": 99}).status_code == 404
    r = client.get(reverse("conference:rule_book_download", args=[5, "json"]))
    data = json.loads(r.content)
    assert data["parameters"]["selection_mode"] == "mandatory_open" and len(data["clauses"]) == len(
        rulebook_data.CLAUSES
    )
    r = client.get(reverse("conference:rule_book_download", args=[5, "pdf"]))
    assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_programme_pages_and_downloads(client: Client, conf: Conf) -> None:
    from tests.conference.test_cardvote import _cards

    sub = in_order_motion(conf)
    item = floor.item_create(
        actor=conf.cac, session=card_item(conf.conference, conf.cac).session, submission=sub
    )
    AgendaItem.objects.filter(pk=item.pk).update(state="open")
    _cards(item, conf.cac, [("clp", 3, "for"), ("affiliate", 3, "for")])
    floor.item_close(actor=conf.cac, item=item)
    r = client.get(reverse("conference:programme"))
    assert sub.title in r.text
    from rankandfile.conference.models import ProgrammeEntry

    e = ProgrammeEntry.objects.get()
    r = client.get(reverse("conference:programme_entry", args=[e.pk]))
    assert "100.00% for" in r.text and sub.reference in r.text
    assert client.get(reverse("conference:programme_entry", args=[e.pk + 100])).status_code == 404
    data = json.loads(client.get(reverse("conference:programme_download", args=["json"])).content)
    assert data["entries"][0]["reference"] == e.reference
    assert client.get(reverse("conference:programme_download", args=["pdf"])).content.startswith(
        b"%PDF"
    )
    assert client.get(reverse("conference:programme"), {"v": "9"}).status_code == 404
    r = client.get(reverse("conference:programme"), {"a": "1", "b": "1"})
    assert r.status_code == 200 and "0 added, 0 removed, 1 unchanged" in r.text


@pytest.mark.django_db
def test_arrangements_and_floor_are_for_the_cac(client: Client, conf: Conf) -> None:
    p = conf.party
    for user in (p.member, p.clp_secretary, p.affiliate_officer):
        c = login(Client(), user)
        assert c.get(reverse("conference:arrangements", args=[2026])).status_code == 404
        assert c.get(reverse("conference:floor", args=[2026])).status_code == 404
        assert c.get(reverse("conference:new")).status_code == 404
    c = login(Client(), conf.cac)
    assert c.get(reverse("conference:arrangements", args=[2026])).status_code == 200
    assert c.get(reverse("conference:floor", args=[2026])).status_code == 200
    assert client.get(reverse("conference:arrangements", args=[2026])).status_code == 302  # login


@pytest.mark.django_db
def test_floor_and_delegates_pages_act_on_the_form_their_action_names(conf: Conf) -> None:
    """Each form on the floor and delegates pages names itself in a hidden ``action``;
    the view acts on that choice only, and a POST naming no action of the page (or
    another one) changes nothing and says so."""
    from rankandfile.conference.models import FloorSession

    c = login(Client(), conf.cac)
    floor_url = reverse("conference:floor", args=[2026])
    page = c.get(floor_url).text
    assert 'name="action" value="session"' in page and 'name="action" value="item"' in page
    session = {"session-title": "Sunday morning", "session-starts_at": "2026-09-27T10:00"}
    refused = "That form is not one of this page&#x27;s"
    for action in ({}, {"action": "open"}):
        r = c.post(floor_url, {**session, **action})
        assert r.status_code == 200 and refused in r.text
    # The session's fields under the item's action: the item form's errors, no session.
    r = c.post(floor_url, {**session, "action": "item"})
    assert r.status_code == 200 and "This field is required." in r.text
    assert not FloorSession.objects.exists()
    r = c.post(floor_url, {**session, "action": "session"})
    assert r.status_code == 302
    assert FloorSession.objects.get().title == "Sunday morning"

    p = conf.party
    c = login(Client(), p.clp_secretary)
    url = reverse("conference:delegates", args=[2026])
    assert 'name="action" value="register"' in c.get(url).text
    fields = {
        "membership_number": p.me.membership_number,
        "kind": "general",
        "meeting_date": "2026-05-01",
    }
    for action in ({}, {"action": "session"}):
        r = c.post(url, {**fields, **action})
        assert r.status_code == 200 and refused in r.text
    # The delegate's fields under the ballot action: the ballot is refused, nobody added.
    r = c.post(url, {**fields, "action": "ballot"}, follow=True)
    assert "Choose a ballot of your CLP." in r.text
    assert not Delegate.objects.exists()
    assert c.post(url, {**fields, "action": "register"}).status_code == 302
    assert Delegate.objects.get().member == p.me


@pytest.mark.django_db
def test_submit_page_word_count_and_errors(conf: Conf) -> None:
    c = login(Client(), conf.party.clp_secretary)
    url = reverse("conference:submit", args=[2026])
    assert c.get(url).status_code == 200
    r = c.post(reverse("conference:word_count"), {"text": motion_text(260), "title": "Short"})
    assert "260" in r.text and "over the limit" in r.text
    form = {
        "organisation": f"clp:{conf.party.northtown.pk}",
        "kind": "motion",
        "title": "Save our NHS",
        "text": motion_text(260),
        "meeting_date": "2026-05-12",
        "meeting_for": 30,
        "meeting_against": 2,
    }
    r = c.post(url, form)
    assert r.status_code == 200 and "the motion has 260 words; the limit is 250" in r.text
    assert not Submission.objects.exists()
    form["text"] = motion_text(200)
    r = c.post(url, form)
    sub = Submission.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse(
        "conference:submission", args=[2026, sub.pk]
    )
    # Someone else's CLP cannot be chosen.
    form["organisation"] = f"clp:{conf.party.easton.pk}"
    assert c.post(url, form).status_code == 200
    assert Submission.objects.count() == 1
    assert login(Client(), conf.party.member).get(url).status_code == 404


@pytest.mark.django_db
def test_submitter_sees_out_of_order_reason_others_do_not_before_agenda(conf: Conf) -> None:
    sub = submit(conf)
    c = login(Client(), conf.cac)
    topic = setup.topic_create(actor=conf.cac, conference=conf.conference, name="Health")
    r = c.post(
        reverse("conference:rule", args=[2026, sub.pk]), {"decision": "out_of_order", "reason": ""}
    )
    assert Submission.objects.get().status == "submitted"
    r = c.post(
        reverse("conference:rule", args=[2026, sub.pk]),
        {"decision": "out_of_order", "reason": "Covered by the NPF report.", "topic": topic.pk},
    )
    assert r.status_code == 302
    url = reverse("conference:submission", args=[2026, sub.pk])
    assert "Covered by the NPF report." in login(Client(), conf.party.clp_chair).get(url).text
    assert login(Client(), conf.party.member).get(url).status_code == 404
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    assert "Covered by the NPF report." in login(Client(), conf.party.member).get(url).text


@pytest.mark.django_db
def test_rule_change_page_shows_the_diff(conf: Conf) -> None:
    p = conf.party
    sub = submit(
        conf,
        actor=p.affiliate_officer,
        clp=None,
        affiliate=p.affiliate,
        kind="rule_change",
        clause_number="3.II.2",
        text="A motion shall not exceed 300 words, and its title shall not exceed 10 words.",
    )
    r = login(Client(), p.affiliate_officer).get(
        reverse("conference:submission", args=[2026, sub.pk])
    )
    assert "<del>250 </del><ins>300 </ins>" in r.text


@pytest.mark.django_db
def test_delegate_votes_from_the_phone_and_board_updates(
    conf: Conf, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    d = delegate(conf.conference, conf.cac, conf.party.northtown)
    item = card_item(conf.conference, conf.cac)
    cac = login(Client(), conf.cac)
    r = cac.post(reverse("conference:item_action", args=[2026, item.pk]), {"action": "open"})
    assert r.status_code == 302 and Card.objects.filter(item=item).count() == 1
    phone = login(Client(), d.member.user)
    page = phone.get(reverse("conference:item", args=[2026, item.pk]))
    assert "You have not voted yet" in page.text
    card = Card.objects.get(item=item)
    # Someone else posting that card changes nothing.
    login(Client(), conf.party.member).post(
        reverse("conference:item", args=[2026, item.pk]), {"card": card.pk, "choice": "against"}
    )
    assert Card.objects.get(pk=card.pk).choice == ""
    phone.post(reverse("conference:item", args=[2026, item.pk]), {"card": card.pk, "choice": "for"})
    assert Card.objects.get(pk=card.pk).choice == "for"
    board = Client()
    # The board shows turnout while the vote is open, not running totals; it no longer
    # polls its own fragment: hall.js polls the hall's cached snapshot (decision 0020).
    with django_assert_max_num_queries(13):
        r = board.get(reverse("conference:board", args=[2026, item.pk]), {"fragment": 1})
    assert "1 of 1 cards cast" in r.text and "100.00%" not in r.text
    assert "hx-trigger" not in r.text and "data-hall-state" in r.text
    with django_assert_max_num_queries(7):
        snap = board.get(reverse("conference:hall_state", args=[2026])).json()
    assert snap["open"]["item"] == item.pk and snap["open"]["cast"] == 1
    cac.post(reverse("conference:item_action", args=[2026, item.pk]), {"action": "close"})
    r = board.get(reverse("conference:board", args=[2026, item.pk]))
    assert "Final result: Carried" in r.text and "hx-trigger" not in r.text


@pytest.mark.django_db
def test_delegates_page_registers_and_checks_in(conf: Conf) -> None:
    p = conf.party
    p.me.gender = "woman"
    p.me.save(update_fields=["gender"])
    c = login(Client(), p.clp_secretary)
    url = reverse("conference:delegates", args=[2026])
    r = c.get(url)
    assert "Northtown: 1 delegate" in r.text
    r = c.post(
        url,
        {
            "action": "register",
            "membership_number": p.southerner.membership_number,
            "kind": "general",
            "meeting_date": "2026-05-01",
        },
    )
    assert "No member with that number among the members you manage" in r.text
    r = c.post(
        url,
        {
            "action": "register",
            "membership_number": p.me.membership_number,
            "kind": "general",
            "meeting_date": "2026-05-01",
        },
    )
    assert r.status_code == 302
    d = Delegate.objects.get()
    assert (
        login(Client(), p.member)
        .post(reverse("conference:check_in", args=[2026, d.pk]))
        .status_code
        == 404
    )
    c.post(reverse("conference:check_in", args=[2026, d.pk]))
    d.refresh_from_db()
    assert d.checked_in_by == p.clp_secretary
    assert login(Client(), p.member).get(url).status_code == 404


@pytest.mark.django_db
def test_composite_page_shows_provenance(conf: Conf) -> None:
    a = in_order_motion(conf, text="Conference calls for rail in public ownership.")
    comp = compositing.composite_create(
        actor=conf.cac,
        topic=a.topic,
        title="Rail",
        text="Conference calls for rail in public ownership now.",
    )
    r = Client().get(reverse("conference:composite", args=[2026, comp.number]))
    assert r.status_code == 200 and "1 new word" in r.text and '<mark class="new-word"' in r.text
    sec = login(Client(), conf.party.clp_secretary)
    sec.post(
        reverse("conference:composite", args=[2026, comp.number]),
        {"action": "sign", "submission": a.pk},
    )
    comp.refresh_from_db()
    assert comp.status == "agreed"


@pytest.mark.django_db
def test_conference_setup_form(conf: Conf) -> None:
    c = login(Client(), conf.cac)
    r = c.post(
        reverse("conference:new"),
        {
            "year": 2027,
            "title": "Annual Conference 2027",
            "venue": "Brighton",
            "starts_on": "2027-09-26",
            "ends_on": "2027-09-29",
            "motions_deadline": "2027-09-30T12:00",
            "rule_changes_deadline": "2027-06-20T12:00",
            "amendments_deadline": "2027-09-01T12:00",
            "delegates_deadline": "2027-08-31T12:00",
            "census_date": "2027-05-31",
        },
    )
    assert "the deadline for motions must be before the conference opens" in r.text
    _ = dt


@pytest.mark.django_db
def test_compositing_editor_live_check(conf: Conf) -> None:
    a = in_order_motion(conf, text="Conference calls for rail in public ownership.")
    url = reverse("conference:provenance", args=[2026, a.topic_id])
    assert login(Client(), conf.party.clp_secretary).post(url, {"text": "x"}).status_code == 404
    r = login(Client(), conf.cac).post(
        url, {"text": "Conference calls for buses in public ownership."}
    )
    assert r.status_code == 200 and "1 new word" in r.text and "buses" in r.text
    assert f"from {a.reference}" in r.text
    r = login(Client(), conf.cac).get(reverse("conference:composite_new", args=[2026, a.topic_id]))
    assert r.status_code == 200 and 'hx-post="' in r.text


@pytest.mark.django_db
def test_submissions_page_filters_and_respects_visibility(conf: Conf) -> None:
    sub = in_order_motion(conf, topic_name="Housing")
    url = reverse("conference:submissions", args=[2026])
    assert sub.title not in Client().get(url).text  # agenda not yet published
    assert sub.title in login(Client(), conf.party.clp_chair).get(url).text  # own CLP's
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    r = Client().get(url, {"topic": sub.topic_id})
    assert sub.title in r.text and "1 submission" in r.text
    assert sub.title not in Client().get(url, {"topic": "rules"}).text


@pytest.mark.django_db
def test_historic_votes_link_to_their_conference_and_vote(conf: Conf) -> None:
    from rankandfile.conference.models import Conference, ProgrammeEntry

    item = programme.historic_vote_record(
        actor=None, conference=Conference.objects.get(year=2019), title="No no-deal Brexit",
        topic="Brexit and Europe", text="Conference opposes leaving without a deal.",
        clp_for=372_118, clp_against=27_330, affiliate_for=2_240_915, affiliate_against=81_022,
    )  # fmt: skip
    entry = ProgrammeEntry.objects.get(agenda_item=item)
    assert entry.figures["for_percent"] == "94.83%"  # 50 x 372118/399448 + 50 x 2240915/2321937
    c = Client()
    page = c.get(reverse("conference:programme_entry", args=[entry.pk])).text
    for url in (
        reverse("conference:detail", args=[2019]),
        reverse("conference:item", args=[2019, item.pk]),
    ):
        assert url in page
        assert c.get(url).status_code == 200
    assert "Final result: Carried" in c.get(reverse("conference:item", args=[2019, item.pk])).text
    assert c.get(reverse("conference:submit", args=[2019])).status_code in (302, 404)


@pytest.mark.django_db
def test_rule_book_publish_page(conf: Conf) -> None:
    from rankandfile.conference.models import RuleBookVersion
    from tests.conference.test_cardvote import _cards

    p = conf.party
    rc = submit(
        conf,
        actor=p.affiliate_officer,
        clp=None,
        affiliate=p.affiliate,
        kind="rule_change",
        clause_number="3.II.2",
        text="Motions: 300 words; titles: 10 words.",
    )
    rc = submissions.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"motion_max_words": "300"}
    )
    rc = submissions.submission_rule(actor=conf.cac, submission=rc, in_order=True)
    session = card_item(conf.conference, conf.cac).session
    item = floor.item_create(actor=conf.cac, session=session, submission=rc)
    url = reverse("conference:rule_book_publish", args=[2026])
    assert (
        login(Client(), p.clp_chair).post(url, {"effective_from": "2026-10-01"}).status_code == 404
    )
    c = login(Client(), conf.cac)
    r = c.post(url, {"effective_from": "2026-10-01"}, follow=True)
    assert "no rule changes were carried" in r.text
    AgendaItem.objects.filter(pk=item.pk).update(state="open")
    _cards(item, conf.cac, [("clp", 2, "for"), ("affiliate", 2, "for")])
    floor.item_close(actor=conf.cac, item=item)
    r = c.post(url, {"effective_from": "2026-10-01"})
    v = RuleBookVersion.objects.get(adopted_by=conf.conference)
    assert r["Location"] == reverse("conference:rule_book_version", args=[v.number])
    page = Client().get(r["Location"]).text
    assert (
        "Motions: 300 words; titles: 10 words." in page
        and reverse("conference:item", args=[2026, item.pk]) in page
    )


@pytest.mark.django_db
def test_public_pages_query_counts_do_not_grow(conf: Conf, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    """Six programme entries and submissions cost no more queries than one (no N+1)."""
    from rankandfile.conference.models import Conference

    for n in range(6):
        programme.historic_vote_record(
            actor=None, conference=Conference.objects.get(year=2025), title=f"Policy {n}",
            topic=f"Topic {n % 2}", text="Conference resolves.", clp_for=9, clp_against=1,
            affiliate_for=9, affiliate_against=1,
        )  # fmt: skip
    in_order_motion(conf)
    in_order_motion(
        conf, actor=conf.party.affiliate_officer, clp=None, affiliate=conf.party.affiliate
    )
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    c = Client()
    for url in (
        reverse("conference:programme"),
        reverse("conference:detail", args=[2026]),
        reverse("conference:submissions", args=[2026]),
        reverse("conference:rule_book"),
    ):
        with django_assert_max_num_queries(12):
            assert c.get(url).status_code == 200


@pytest.mark.django_db
def test_delegate_lookup_by_number_is_scoped_and_audited(conf: Conf) -> None:
    """A CLP secretary registering delegates finds only members they may see; a number
    elsewhere in the party answers exactly as an unknown one; every lookup is audited."""
    from rankandfile.core.models import AuditEntry

    p = conf.party
    c = login(Client(), p.clp_secretary)
    url = reverse("conference:delegates", args=[2026])

    def register(number: str) -> str:
        r = c.post(
            url,
            {
                "action": "register",
                "membership_number": number,
                "kind": "general",
                "meeting_date": "2026-05-01",
            },
        )
        return r.text if r.status_code == 200 else ""

    elsewhere = register(p.southerner.membership_number)
    unknown = register("RF999999")
    for html in (elsewhere, unknown):
        assert "No member with that number among the members you manage" in html
        assert "Southerner" not in html and "Southport" not in html
    import re

    def same(html: str, number: str) -> str:
        html = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]*"', "", html)
        return html.replace(number, "NUMBER")

    assert same(elsewhere, p.southerner.membership_number) == same(unknown, "RF999999")
    assert register(p.neighbour.membership_number) == ""  # registered: a redirect
    found = [
        (e.actor_id, e.data)
        for e in AuditEntry.objects.filter(action="conference.delegate.member_lookup").order_by(
            "seq"
        )
    ]
    assert found == [
        (p.clp_secretary.pk, {"membership_number": p.southerner.membership_number, "found": False}),
        (p.clp_secretary.pk, {"membership_number": "RF999999", "found": False}),
        (p.clp_secretary.pk, {"membership_number": p.neighbour.membership_number, "found": True}),
    ]


@pytest.mark.django_db
def test_comparisons_start_from_two_different_versions(client: Client, conf: Conf) -> None:
    """Issue 17.6: the compare form offers the previous version against the newest."""
    import re

    html = client.get(reverse("conference:rule_book")).text
    selected = re.findall(r'<option value="(\d+)" selected>', html)
    assert len(selected) == 2 and selected[0] != selected[1], selected
