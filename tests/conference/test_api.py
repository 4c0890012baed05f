"""API: a delegate casts over HTTP with a token; the tally is public; others are refused."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from rankandfile.conference.models import Card
from rankandfile.conference.services import floor
from rankandfile.core.tokens import api_token_create
from tests.conference.conftest import Conf
from tests.conference.helpers import card_item, delegate


@pytest.mark.django_db
def test_cast_over_the_api_and_read_the_tally(conf: Conf) -> None:
    d = delegate(conf.conference, conf.cac, conf.party.northtown)
    item = card_item(conf.conference, conf.cac)
    floor.card_vote_open(actor=conf.cac, item=item)
    card = Card.objects.get(item=item)
    token = api_token_create(actor=d.member.user, name="phone").secret
    other = api_token_create(actor=conf.party.member, name="x").secret
    c = Client()
    url = f"/api/v1/conference/cards/{card.pk}"
    r = c.post(
        url,
        json.dumps({"choice": "for"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {other}",
    )
    assert r.status_code == 403
    r = c.post(
        url,
        json.dumps({"choice": "sideways"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 400 and "for, against or abstain" in r.json()["detail"]
    assert (
        c.post(url, json.dumps({"choice": "for"}), content_type="application/json").status_code
        == 401
    )
    r = c.post(
        url,
        json.dumps({"choice": "for"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 200
    r = c.get(
        f"/api/v1/conference/2026/items/{item.pk}/cards", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert r.json()[0]["choice"] == "for"
    tally = c.get(f"/api/v1/conference/2026/items/{item.pk}/tally").json()
    # While the vote is open: turnout only, no running totals (issue 16.2).
    assert tally["cast"] == 1 and tally["cards"] == 1 and tally["result"] is None
    floor.item_close(actor=conf.cac, item=item)
    tally = c.get(f"/api/v1/conference/2026/items/{item.pk}/tally").json()
    assert tally["result"]["for_percent"] == "100.00%"
    assert c.get(f"/api/v1/conference/2026/items/{item.pk + 99}/tally").status_code == 404


@pytest.mark.django_db
def test_rules_and_programme_are_public(conf: Conf) -> None:
    c = Client()
    assert c.get("/api/v1/conference/rules").json()["title"] == "Rule book 2025"
    assert c.get("/api/v1/conference/programme").json()["entries"] == []
