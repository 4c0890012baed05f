"""Conference pages in Welsh (issue 17.7): the pages every member reads — the programme,
the rule book and the results board — are translated; English stays the default, and the
hall's live wording comes from the page in the reader's language."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from rankandfile.conference.models import AgendaItem, Card
from rankandfile.conference.services import floor
from rankandfile.core.errors import DomainError
from tests.conference.conftest import Conf
from tests.conference.helpers import card_item
from tests.conference.test_services import in_order_motion


def welsh(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    return client


@pytest.mark.django_db
def test_programme_and_rule_book_in_welsh_and_english(conf: Conf) -> None:
    from tests.conference.test_cardvote import _cards

    sub = in_order_motion(conf)
    item = floor.item_create(
        actor=conf.cac, session=card_item(conf.conference, conf.cac).session, submission=sub
    )
    AgendaItem.objects.filter(pk=item.pk).update(state="open")
    _cards(item, conf.cac, [("clp", 3, "for"), ("affiliate", 3, "for")])
    floor.item_close(actor=conf.cac, item=item)

    english = Client().get(reverse("conference:programme")).text
    assert "The party programme" in english and "entry in force." in english
    page = welsh(Client()).get(reverse("conference:programme")).text
    assert '<html lang="cy">' in page
    assert "Rhaglen y blaid" in page and "cofnod mewn grym." in page and "Lawrlwytho:" in page
    assert "The party programme" not in page and "Download:" not in page
    assert sub.title in page  # data stays in the language it was written in

    rules = welsh(Client()).get(reverse("conference:rule_book")).text
    assert "Mewn grym" in rules and "Fersiynau a chymharu" in rules
    assert "Parameters the software obeys" not in rules
    assert "Y paramedrau y mae'r feddalwedd yn ufuddhau iddynt" in rules


@pytest.mark.django_db
def test_results_board_in_welsh_keeps_its_live_wording_welsh(conf: Conf) -> None:
    from tests.conference.helpers import delegate

    d = delegate(conf.conference, conf.cac, conf.party.northtown)
    item = card_item(conf.conference, conf.cac)
    floor.card_vote_open(actor=conf.cac, item=item)
    url = reverse("conference:board", args=[2026, item.pk])
    page = welsh(Client()).get(url).text
    assert "Y bleidlais ar agor:" in page and "0 o 1 cerdyn wedi'u bwrw" in page
    # hall.js rewrites the turnout from this pattern, so the live figure stays Welsh.
    assert 'data-turnout-format="{cast} o {cards} cerdyn wedi\'u bwrw"' in page
    english = Client().get(url).text
    assert "Voting open:" in english and "0 of 1 cards cast" in english
    assert 'data-turnout-format="{cast} of {cards} cards cast"' in english
    # bench/ reads the figure straight after the marked span's opening tag.
    assert re.search(r'data-turnout-item="\d+">\s*0 o 1', page)
    card = Card.objects.get(item=item)
    floor.card_cast(actor=d.member.user, card_id=card.pk, choice="for")
    floor.item_close(actor=conf.cac, item=item)
    assert "Y canlyniad terfynol:" in welsh(Client()).get(url).text


@pytest.mark.django_db
def test_refusals_are_english_by_default_and_whole_sentences(conf: Conf) -> None:
    from tests.conference.helpers import delegate

    delegate(conf.conference, conf.cac, conf.party.northtown)
    item = card_item(conf.conference, conf.cac)
    floor.card_vote_open(actor=conf.cac, item=item)
    other = card_item(conf.conference, conf.cac)
    with pytest.raises(DomainError, match=r"^another vote is open; close it first$"):
        floor.card_vote_open(actor=conf.cac, item=other)
    with pytest.raises(DomainError, match=r"^the vote is voting open$"):
        floor.card_vote_open(actor=conf.cac, item=item)
    # Under Welsh the refusal is looked up in the catalogue (English until translated):
    # gettext is called, with the sentence whole and its placeholder filled.
    with translation.override("cy"), pytest.raises(DomainError, match=r"^the vote is "):
        floor.card_vote_open(actor=conf.cac, item=item)
