"""JSON API for conference (mounted under /api/v1/ by rankandfile.api).

* ``GET  /conference/{year}/items/{id}/tally`` — turnout while open, the final tally after; public.
* ``GET  /conference/{year}/items/{id}/cards`` — the caller's cards in a vote.
* ``POST /conference/cards/{id}`` — cast or change the caller's card (a delegate's phone).
* ``GET  /conference/programme`` and ``/conference/rules`` — the documents in force.
* ``GET  /conference/{year}/amendments`` and ``/amendments/{id}`` — amendments (public once
  the agenda is published), each with its word diff, ruling and vote.
* ``POST /conference/{year}/amendments`` — an officer moves an amendment for their CLP or
  affiliate; ``POST /conference/{year}/amendments/{id}/ruling`` — the CAC rules on it.

Permissions are those of the pages (``permissions``); casting goes through
``services.floor.card_cast`` only.

No ``from __future__ import annotations`` here: django-ninja builds its request models
from the evaluated annotations.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from rankandfile.conference import permissions
from rankandfile.conference.models import AgendaItem, Conference
from rankandfile.conference.queries import amendments as amendments_queries
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import floor as floor_queries
from rankandfile.conference.queries import hall as hall_queries
from rankandfile.conference.queries import programme as programme_queries
from rankandfile.conference.queries import rulebook as rulebook_queries
from rankandfile.conference.rulebook import rule_book_in_force
from rankandfile.conference.services import amendments as amendment_services
from rankandfile.conference.services import floor as floor_services
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.membership.models import CLP, Affiliate

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


class AmendmentIn(Schema):
    #: ``"submission"`` (a motion or rule change) or ``"composite"``.
    target_kind: str
    #: The submission's id, or the composite's number.
    target: int
    #: The target's whole text as amended.
    text: str
    note: str = ""
    clp_id: int | None = None
    affiliate_id: int | None = None


class RulingIn(Schema):
    in_order: bool
    reason: str = ""


def _conference(year: int) -> Conference:
    conf = common_queries.conference_by_year(year)
    if conf is None or not hasattr(conf, "dates"):
        raise NotFound("no such conference")
    return conf


def _item(request: HttpRequest, year: int, item_id: int) -> AgendaItem:
    conf = common_queries.conference_by_year(year)
    if conf is None:
        raise NotFound("no such conference")
    return permissions.access_item(request.user, conf, item_id)


@router.get("/conference/{year}/items/{item_id}/tally", auth=None, response=dict[str, Any])
def tally(request: HttpRequest, year: int, item_id: int) -> dict[str, Any]:
    """The card vote's figures (exact shares and display percentages per section) once it
    has closed; while it is open, the turnout only."""
    item = _item(request, year, item_id)
    if item.state == AgendaItem.State.CLOSED and item.result:
        return {"state": item.state, "outcome": item.outcome, "result": item.result}
    # While the vote is open, turnout only: the totals appear when it closes (issue 16.2).
    t = hall_queries.turnout(item)
    return {
        "state": item.state,
        "outcome": item.outcome,
        "cards": t.cards,
        "cast": t.cast,
        "result": None,
    }


@router.get("/conference/{year}/items/{item_id}/cards", response=list[CardOut])
def my_cards(request: HttpRequest, year: int, item_id: int) -> list[Any]:
    return floor_queries.my_cards(request.user, _item(request, year, item_id))


@router.post(
    "/conference/cards/{card_id}", response={200: dict[str, str], 400: ErrorOut, 403: ErrorOut}
)
def cast(request: HttpRequest, card_id: int, payload: CastIn) -> dict[str, str]:
    """Cast (or change while the vote is open) one of the caller's cards."""
    floor_services.card_cast(actor=request.user, card_id=card_id, choice=payload.choice)  # type: ignore[arg-type]
    return {"card": str(card_id), "choice": payload.choice}


@router.get("/conference/programme", auth=None, response=dict[str, Any])
def programme(request: HttpRequest) -> dict[str, Any]:
    return programme_queries.programme_json(None)


@router.get("/conference/rules", auth=None, response={200: dict[str, Any], 404: ErrorOut})
def rules(request: HttpRequest) -> Any:
    v = rule_book_in_force()
    if v is None:
        raise NotFound("no rule book has been loaded")
    return rulebook_queries.rule_book_json(v)


@router.get("/conference/{year}/amendments", auth=None, response=list[dict[str, Any]])
def amendments(request: HttpRequest, year: int) -> list[dict[str, Any]]:
    conf = _conference(year)
    qs = (
        permissions.visible_amendments(request.user, conf)
        .select_related("conference", "clp", "affiliate", "submission", "composite")
        .prefetch_related("items")
        .order_by("reference")
    )
    return [amendments_queries.amendment_json(a) for a in qs]


@router.get(
    "/conference/{year}/amendments/{amendment_id}",
    auth=None,
    response={200: dict[str, Any], 404: ErrorOut},
)
def amendment(request: HttpRequest, year: int, amendment_id: int) -> Any:
    a = permissions.access_amendment(request.user, _conference(year), amendment_id)
    return amendments_queries.amendment_json(a)


@router.post(
    "/conference/{year}/amendments",
    response={201: dict[str, Any], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def amendment_create(request: HttpRequest, year: int, payload: AmendmentIn) -> Any:
    """Move an amendment for a CLP or an affiliate the caller is an officer of."""
    conf = _conference(year)
    key = {"submission": "s", "composite": "c", "document": "d"}.get(payload.target_kind)
    if key is None:
        raise DomainError("target_kind is 'submission', 'composite' or 'document'")
    if key == "c":
        c = conf.composites.filter(number=payload.target).first()
        target = amendments_queries.amendment_target(conf, f"c:{c.pk}") if c else None
    elif key == "d":
        d = conf.documents.filter(number=payload.target).first()
        target = amendments_queries.amendment_target(conf, f"d:{d.pk}") if d else None
    else:
        target = amendments_queries.amendment_target(conf, f"s:{payload.target}")
    if target is None:
        raise NotFound("no such motion, rule change, composite or document at this conference")
    clp = CLP.objects.filter(pk=payload.clp_id).first() if payload.clp_id else None
    aff = (
        Affiliate.objects.filter(pk=payload.affiliate_id).first() if payload.affiliate_id else None
    )
    if (payload.clp_id and clp is None) or (payload.affiliate_id and aff is None):
        raise NotFound("no such CLP or affiliate")
    a = amendment_services.amendment_create(
        actor=request.user,  # type: ignore[arg-type]
        conference=conf,
        target=target,
        text=payload.text,
        note=payload.note,
        clp=clp,
        affiliate=aff,
    )
    return Status(201, amendments_queries.amendment_json(a))


@router.post(
    "/conference/{year}/amendments/{amendment_id}/ruling",
    response={200: dict[str, Any], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def amendment_ruling(request: HttpRequest, year: int, amendment_id: int, payload: RulingIn) -> Any:
    """The CAC rules an amendment in or out of order (out of order needs the reason)."""
    a = permissions.access_amendment(request.user, _conference(year), amendment_id)
    a = amendment_services.amendment_rule(
        actor=request.user,  # type: ignore[arg-type]
        amendment=a,
        in_order=payload.in_order,
        reason=payload.reason,
    )
    return amendments_queries.amendment_json(a)
