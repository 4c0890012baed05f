"""JSON API for conference (mounted under /api/v1/ by rankandfile.api).

* ``GET  /conference/{year}/items/{id}/tally`` — the live (or final) card-vote tally; public.
* ``GET  /conference/{year}/items/{id}/cards`` — the caller's cards in a vote.
* ``POST /conference/cards/{id}`` — cast or change the caller's card (a delegate's phone).
* ``GET  /conference/programme`` and ``/conference/rules`` — the documents in force.

Permissions are those of the pages (``permissions``); casting goes through
``services.card_cast`` only.

No ``from __future__ import annotations`` here: django-ninja builds its request models
from the evaluated annotations.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from rankandfile.conference import permissions, queries, services
from rankandfile.conference.models import AgendaItem
from rankandfile.conference.rulebook import rule_book_in_force
from rankandfile.core.errors import NotFound

router = Router(tags=["conference"])


class CastIn(Schema):
    choice: str


class CardOut(Schema):
    id: int
    section: str
    unit_name: str
    unit_weight: int
    unit_present: int
    choice: str


class ErrorOut(Schema):
    detail: str


def _item(request: HttpRequest, year: int, item_id: int) -> AgendaItem:
    conf = queries.conference_by_year(year)
    if conf is None:
        raise NotFound("no such conference")
    return permissions.access_item(request.user, conf, item_id)


@router.get("/conference/{year}/items/{item_id}/tally", auth=None, response=dict[str, Any])
def tally(request: HttpRequest, year: int, item_id: int) -> dict[str, Any]:
    """The card vote's figures: exact shares and display percentages per section."""
    item = _item(request, year, item_id)
    if item.state == AgendaItem.State.CLOSED and item.result:
        return {"state": item.state, "outcome": item.outcome, "result": item.result}
    t = queries.card_tally(item, queries.conference_parameters(item.session.conference))
    return {
        "state": item.state,
        "outcome": item.outcome,
        "cards": t.cards,
        "cast": t.cast,
        "result": t.result.to_dict() if t.result else None,
    }


@router.get("/conference/{year}/items/{item_id}/cards", response=list[CardOut])
def my_cards(request: HttpRequest, year: int, item_id: int) -> list[Any]:
    return queries.my_cards(request.user, _item(request, year, item_id))


@router.post(
    "/conference/cards/{card_id}", response={200: dict[str, str], 400: ErrorOut, 403: ErrorOut}
)
def cast(request: HttpRequest, card_id: int, payload: CastIn) -> dict[str, str]:
    """Cast (or change while the vote is open) one of the caller's cards."""
    services.card_cast(actor=request.user, card_id=card_id, choice=payload.choice)  # type: ignore[arg-type]
    return {"card": str(card_id), "choice": payload.choice}


@router.get("/conference/programme", auth=None, response=dict[str, Any])
def programme(request: HttpRequest) -> dict[str, Any]:
    return queries.programme_json(None)


@router.get("/conference/rules", auth=None, response={200: dict[str, Any], 404: ErrorOut})
def rules(request: HttpRequest) -> Any:
    v = rule_book_in_force()
    if v is None:
        raise NotFound("no rule book has been loaded")
    return queries.rule_book_json(v)
