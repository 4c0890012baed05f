"""The live hall (issue 16.2-16.4): the current item, the speakers' list, the chair's
console, turnout without running totals, paper and proxy cards, the cached snapshot."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from rankandfile.conference.hall_fast import HallStateMiddleware
from rankandfile.conference.models import AgendaItem, Card, CardRecord, SpeakerRequest
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import floor as floor_queries
from rankandfile.conference.queries import hall as hall_queries
from rankandfile.conference.services import floor
from rankandfile.conference.services import hall as hall_services
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from tests.conference.conftest import Conf
from tests.conference.helpers import card_item, delegate

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- Current item and the chair's votes ------------------------------------------------------
def test_next_item_skips_decided_business_and_needs_the_cac(conf: Conf) -> None:
    c, cac = conf.conference, conf.cac
    a = card_item(c, cac, "First")
    b = card_item(c, cac, "Second")
    d = card_item(c, cac, "Third")
    floor.item_close(actor=cac, item=b, outcome=AgendaItem.Outcome.WITHDRAWN)
    with pytest.raises(PermissionDenied):
        hall_services.hall_next(actor=conf.party.clp_chair, conference=c)
    assert hall_services.hall_next(actor=cac, conference=c).current_item == a
    assert hall_services.hall_next(actor=cac, conference=c).current_item == d  # b decided
    with pytest.raises(DomainError, match="no business left"):
        hall_services.hall_next(actor=cac, conference=c)
    assert AuditEntry.objects.filter(action="conference.hall_current").count() == 2


def test_close_with_cards_out_needs_confirmation(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    d1 = delegate(c, cac, p.northtown)
    delegate(c, cac, p.easton)
    item = card_item(c, cac)
    assert hall_services.hall_vote_open(actor=cac, item=item) == 2
    assert hall_queries.hall_of(c).current_item == item  # type: ignore[union-attr]
    card = Card.objects.get(item=item, delegate=d1)
    floor.card_cast(actor=d1.member.user, card_id=card.pk, choice="for")
    with pytest.raises(hall_services.OutstandingCards) as exc:
        hall_services.hall_vote_close(actor=cac, item=item)
    assert exc.value.outstanding == 1
    assert AgendaItem.objects.get(pk=item.pk).state == AgendaItem.State.OPEN
    with pytest.raises(PermissionDenied):
        hall_services.hall_vote_close(actor=p.clp_chair, item=item, confirm_outstanding=True)
    closed = hall_services.hall_vote_close(actor=cac, item=item, confirm_outstanding=True)
    assert closed.state == AgendaItem.State.CLOSED
    assert closed.outcome == AgendaItem.Outcome.CARRIED


def test_reference_back_and_remit_from_the_console(conf: Conf) -> None:
    c, cac = conf.conference, conf.cac
    a = card_item(c, cac, "Report of the NEC")
    b = card_item(c, cac, "Motion to remit")
    r = hall_services.hall_vote_close(actor=cac, item=a, outcome=AgendaItem.Outcome.REFERRED_BACK)
    assert r.outcome == AgendaItem.Outcome.REFERRED_BACK
    client = _client(cac)
    resp = client.post(
        f"/conference/{c.year}/hall/console/",
        {"action": "decide", "item": b.pk, "outcome": "remitted", "note": "With consent."},
    )
    assert resp.status_code == 302
    b.refresh_from_db()
    assert (b.state, b.outcome, b.note) == ("closed", "remitted", "With consent.")


# --- Speakers' list --------------------------------------------------------------------------
def test_speakers_list_ordering_calling_and_balance(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    woman = delegate(c, cac, p.northtown, woman=True)
    man = delegate(c, cac, p.easton, woman=False)
    item = card_item(c, cac)
    r1 = hall_services.speaker_request(actor=woman.member.user, item=item, side="for")
    r2 = hall_services.speaker_request(actor=man.member.user, item=item, side="against")
    with pytest.raises(DomainError, match="already asked"):
        hall_services.speaker_request(actor=man.member.user, item=item, side="for")
    hall_services.speaker_move(actor=cac, request=r2, direction="up")
    assert [r.pk for r in hall_queries.speakers(item)] == [r2.pk, r1.pk]
    hall_services.speaker_call(actor=cac, request=r2)
    hall_services.speaker_call(actor=cac, request=r1)  # r2 has finished
    statuses = {r.pk: r.status for r in SpeakerRequest.objects.all()}
    assert statuses == {r1.pk: "speaking", r2.pk: "done"}
    bal = hall_queries.speaker_balance(c, item)
    assert (bal.women, bal.men, bal.conf_women, bal.conf_men) == (1, 1, 1, 1)
    assert bal.women_percent == 50
    hall_services.speaker_finish(actor=cac, request=r1)
    assert SpeakerRequest.objects.get(pk=r1.pk).finished_at is not None


def test_only_checked_in_delegates_ask_and_only_the_chair_orders(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    d = delegate(c, cac, p.northtown)
    absent = delegate(c, cac, p.easton, checked_in=False)
    item = card_item(c, cac)
    with pytest.raises(PermissionDenied, match="only a delegate"):
        hall_services.speaker_request(actor=p.member, item=item, side="for")
    with pytest.raises(DomainError, match="check in"):
        hall_services.speaker_request(actor=absent.member.user, item=item, side="for")
    r = hall_services.speaker_request(actor=d.member.user, item=item, side="for")
    for fn in (hall_services.speaker_call, hall_services.speaker_finish):
        with pytest.raises(PermissionDenied):
            fn(actor=d.member.user, request=r)
    with pytest.raises(PermissionDenied):
        hall_services.speaker_move(actor=d.member.user, request=r, direction="top")
    # Another delegate cannot withdraw it; its own delegate can.
    other = delegate(c, cac, p.southport)
    with pytest.raises(PermissionDenied):
        hall_services.speaker_withdraw(actor=other.member.user, request=r)
    hall_services.speaker_withdraw(actor=d.member.user, request=r)
    assert SpeakerRequest.objects.get(pk=r.pk).status == "withdrawn"
    floor.item_close(actor=cac, item=item, outcome=AgendaItem.Outcome.WITHDRAWN)
    with pytest.raises(DomainError, match="decided"):
        hall_services.speaker_request(actor=d.member.user, item=item, side="for")


def test_delegate_asks_to_speak_from_the_page_and_cannot_withdraw_anothers(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    d = delegate(c, cac, p.northtown)
    other = delegate(c, cac, p.easton)
    item = card_item(c, cac)
    hall_services.hall_set_current(actor=cac, conference=c, item=item)
    phone = _client(d.member.user)
    assert "Ask to speak" in phone.get(f"/conference/{c.year}/hall/").content.decode()
    resp = phone.post(f"/conference/{c.year}/hall/speak/", {"item": item.pk})
    assert resp.status_code == 302
    assert not SpeakerRequest.objects.exists()  # no side chosen: nothing stored
    phone.post(f"/conference/{c.year}/hall/speak/", {"item": item.pk, "side": "against"})
    req = SpeakerRequest.objects.get()
    assert (req.delegate, req.side) == (d, "against")
    page = phone.get(f"/conference/{c.year}/hall/").content.decode()
    assert "You have asked to speak (to oppose)" in page
    stranger = _client(other.member.user)
    resp = stranger.post(f"/conference/{c.year}/hall/speak/withdraw/", {"request": req.pk})
    assert resp.status_code == 404
    assert SpeakerRequest.objects.get().status == "waiting"
    phone.post(f"/conference/{c.year}/hall/speak/withdraw/", {"request": req.pk})
    assert SpeakerRequest.objects.get().status == "withdrawn"


def test_console_is_the_cacs_alone(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    d = delegate(c, cac, p.northtown)
    item = card_item(c, cac)
    r = hall_services.speaker_request(actor=d.member.user, item=item, side="for")
    for user in (d.member.user, p.clp_secretary, p.member):
        client = _client(user)
        assert client.get(f"/conference/{c.year}/hall/console/").status_code == 404
        resp = client.post(
            f"/conference/{c.year}/hall/console/", {"action": "call", "speaker": r.pk}
        )
        assert resp.status_code == 404
        assert client.get(f"/conference/{c.year}/hall/paper/{item.pk}/").status_code == 404
    assert SpeakerRequest.objects.get().status == "waiting"
    chair = _client(cac)
    assert chair.get(f"/conference/{c.year}/hall/console/").status_code == 200
    chair.post(f"/conference/{c.year}/hall/console/", {"action": "call", "speaker": r.pk})
    assert SpeakerRequest.objects.get().status == "speaking"


def test_console_close_asks_for_confirmation_then_closes(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    delegate(c, cac, p.northtown)
    item = card_item(c, cac)
    chair = _client(cac)
    chair.post(f"/conference/{c.year}/hall/console/", {"action": "open", "item": item.pk})
    assert AgendaItem.objects.get(pk=item.pk).state == "open"
    resp = chair.post(f"/conference/{c.year}/hall/console/", {"action": "close", "item": item.pk})
    assert resp.status_code == 200
    assert "Close the vote with cards still out?" in resp.content.decode()
    assert AgendaItem.objects.get(pk=item.pk).state == "open"
    card = Card.objects.get(item=item)
    hall_services.card_record(actor=cac, card=card, choice="against", kind="paper")
    resp = chair.post(f"/conference/{c.year}/hall/console/", {"action": "close", "item": item.pk})
    assert resp.status_code == 302  # nothing outstanding: no question asked
    assert AgendaItem.objects.get(pk=item.pk).outcome == "lost"


# --- Turnout only while open -----------------------------------------------------------------
def test_open_vote_shows_turnout_not_totals_everywhere(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    d = delegate(c, cac, p.northtown)
    delegate(c, cac, p.easton)
    item = card_item(c, cac)
    hall_services.hall_vote_open(actor=cac, item=item)
    card = Card.objects.get(item=item, delegate=d)
    floor.card_cast(actor=d.member.user, card_id=card.pk, choice="for")
    public = Client()
    for path in (
        f"/conference/{c.year}/floor/{item.pk}/board/",
        f"/conference/{c.year}/floor/{item.pk}/board/?fragment=1",
        f"/conference/{c.year}/hall/screen/",
        f"/conference/{c.year}/hall/",
    ):
        html = public.get(path).content.decode()
        assert "1 of 2 cards cast" in html, path
        assert "100.00%" not in html and "For %" not in html, path
    api = public.get(f"/api/v1/conference/{c.year}/items/{item.pk}/tally").json()
    assert api["cast"] == 1 and api["result"] is None
    snap = public.get(f"/conference/{c.year}/hall/state.json").json()
    assert snap["open"] == {
        "item": item.pk,
        "cast": 1,
        "cards": 2,
        "sections": {"clp": [1, 2], "affiliate": [0, 0]},
    }
    assert "result" not in json.dumps(snap) and "for_share" not in json.dumps(snap)
    hall_services.hall_vote_close(actor=cac, item=item, confirm_outstanding=True)
    html = public.get(f"/conference/{c.year}/floor/{item.pk}/board/").content.decode()
    assert "Final result: Carried" in html and "100.00%" in html


def test_snapshot_version_changes_with_state_not_with_turnout(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    d = delegate(c, cac, p.northtown)
    delegate(c, cac, p.easton)
    item = card_item(c, cac)
    v0 = hall_queries.hall_snapshot(c)["v"]
    hall_services.hall_vote_open(actor=cac, item=item)
    s1 = hall_queries.hall_snapshot(c)
    assert s1["v"] != v0 and s1["current"]["state"] == "open"
    card = Card.objects.get(item=item, delegate=d)
    floor.card_cast(actor=d.member.user, card_id=card.pk, choice="for")
    s2 = hall_queries.hall_snapshot(c)
    assert s2["v"] == s1["v"] and s2["open"]["cast"] == 1


# --- Paper and proxy cards (16.4) ------------------------------------------------------------
def test_paper_and_proxy_cards_are_counted_audited_and_shown(conf: Conf) -> None:
    c, cac, p = conf.conference, conf.cac, conf.party
    phone = delegate(c, cac, p.northtown)
    no_login = delegate(c, cac, p.easton, login=False)
    away = delegate(c, cac, p.southport)  # has a login, but votes by proxy
    item = card_item(c, cac)
    assert hall_services.hall_vote_open(actor=cac, item=item) == 3  # the paper delegate too
    paper_card = Card.objects.get(item=item, delegate=no_login)
    assert paper_card.user_id is None
    proxy_card = Card.objects.get(item=item, delegate=away)
    phone_card = Card.objects.get(item=item, delegate=phone)
    floor.card_cast(actor=phone.member.user, card_id=phone_card.pk, choice="for")
    with pytest.raises(PermissionDenied):
        hall_services.card_record(
            actor=p.clp_secretary, card=paper_card, choice="for", kind="paper"
        )
    with pytest.raises(DomainError, match="already cast from a phone"):
        hall_services.card_record(actor=cac, card=phone_card, choice="against", kind="paper")
    with pytest.raises(DomainError, match="proxy holder"):
        hall_services.card_record(actor=cac, card=proxy_card, choice="for", kind="proxy")
    assert not CardRecord.objects.exists()
    chair = _client(cac)
    page = chair.get(f"/conference/{c.year}/hall/paper/{item.pk}/").content.decode()
    assert paper_card.unit_name in page and "(no login)" in page
    resp = chair.post(
        f"/conference/{c.year}/hall/paper/{item.pk}/",
        {"card": paper_card.pk, "choice": "against", "kind": "paper"},
        follow=True,
    )
    assert f"Paper card recorded for {paper_card.unit_name}: against." in resp.content.decode()
    resp = chair.post(
        f"/conference/{c.year}/hall/paper/{item.pk}/",
        {"card": proxy_card.pk, "choice": "for", "kind": "proxy", "proxy_holder": ""},
    )
    assert "Name the proxy holder" in resp.content.decode()
    chair.post(
        f"/conference/{c.year}/hall/paper/{item.pk}/",
        {"card": proxy_card.pk, "choice": "for", "kind": "proxy", "proxy_holder": "A. Deputy"},
    )
    recs = {r.card_id: r for r in CardRecord.objects.all()}
    assert recs[paper_card.pk].kind == "paper" and recs[proxy_card.pk].proxy_holder == "A. Deputy"
    assert AuditEntry.objects.filter(action="conference.card_record").count() == 2
    t = floor_queries.card_tally(item, common_queries.conference_parameters(c))
    assert t.cast == 3
    hall_services.hall_vote_close(actor=cac, item=item)
    board = Client().get(f"/conference/{c.year}/floor/{item.pk}/board/").content.decode()
    assert "Cards recorded by the CAC: 2" in board
    assert "Proxy vote (held by A. Deputy)" in board and "Paper card" in board
    with pytest.raises(DomainError, match="not open"):
        hall_services.card_record(actor=cac, card=paper_card, choice="for", kind="paper")


# --- The short shared cache ------------------------------------------------------------------
def test_fast_path_serves_one_copy_to_every_poller(conf: Conf, settings: Any) -> None:
    settings.HALL_STATE_SECONDS = 60
    calls: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ)
        start_response("200 OK", [("Content-Type", "application/json"), ("Set-Cookie", "x=1")])
        return [b'{"v": "abc"}']

    mw = HallStateMiddleware(app)
    seen: list[Any] = []

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append((status, headers))

    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/conference/2026/hall/state.json",
        "HTTP_COOKIE": "sessionid=secret",
    }
    for _ in range(50):
        assert mw(dict(env), start) == [b'{"v": "abc"}']
    assert len(calls) == 1
    assert "HTTP_COOKIE" not in calls[0]  # the cached answer cannot depend on who asked
    assert all(h[0].lower() != "set-cookie" for h in seen[-1][1])
    mw({"REQUEST_METHOD": "GET", "PATH_INFO": "/conference/2026/hall/"}, start)
    assert len(calls) == 2  # any other page goes to Django
