"""The floor: the CAC's sessions and items, opening and deciding votes; a delegate's
voting page; the results board."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rankandfile.conference import forms, permissions, procedure
from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Composite,
    Conference,
    ConferenceDocument,
    Submission,
)
from rankandfile.conference.queries import amendments as amendments_queries
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import floor as floor_queries
from rankandfile.conference.services import floor as services
from rankandfile.conference.views.common import (
    actor,
    conference,
    ctx,
    found,
    posted_action,
    require_manager,
)
from rankandfile.core.errors import DomainError
from rankandfile.counting.yesno import percent_str


@login_required
def floor(request: HttpRequest, year: int) -> HttpResponse:
    """The CAC's floor: add sessions, put business on the floor, run each item."""
    conf = conference(request, year)
    require_manager(request)
    sessions = floor_queries.sessions_of(conf)
    business = floor_queries.floor_business(conf)
    session_form = forms.SessionForm(prefix="session")
    item_form = forms.ItemForm(prefix="item", sessions=sessions, business=business)
    action = posted_action(request, ("session", "item")) if request.method == "POST" else None
    if action is not None:
        try:
            if action == "session":
                session_form = forms.SessionForm(request.POST, prefix="session")
                if session_form.is_valid():
                    services.session_create(
                        actor=actor(request), conference=conf, **session_form.cleaned_data
                    )
                    return redirect("conference:floor", year=year)
            else:
                item_form = forms.ItemForm(
                    request.POST, prefix="item", sessions=sessions, business=business
                )
                if item_form.is_valid():
                    d = item_form.cleaned_data
                    what = found(
                        permissions.access_floor_business, request.user, conf, d["business"]
                    )
                    services.item_create(
                        actor=actor(request),
                        session=d["session"],
                        method=d["method"],
                        submission=what if isinstance(what, Submission) else None,
                        composite=what if isinstance(what, Composite) else None,
                        amendment=what if isinstance(what, Amendment) else None,
                        document=what if isinstance(what, ConferenceDocument) else None,
                    )
                    return redirect("conference:floor", year=year)
        except DomainError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "conference/floor.html",
        ctx(
            request,
            conference=conf,
            sessions=floor_queries.agenda(conf),
            session_form=session_form,
            item_form=item_form,
            outcomes=AgendaItem.Outcome.choices[1:],
        ),
    )


@login_required
@require_POST
def item_action(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    """Open a card vote, or decide the item (the vote, or a procedural outcome)."""
    conf = conference(request, year)
    require_manager(request)
    item = found(permissions.access_item, request.user, conf, pk)
    form = forms.ItemActionForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(gettext("unknown action"))
        d = form.cleaned_data
        if d["action"] == "open":
            n = services.card_vote_open(actor=actor(request), item=item)
            messages.success(
                request, gettext("Card vote open: %(n)s cards issued.") % {"n": f"{n:,}"}
            )
        else:
            item = services.item_close(
                actor=actor(request), item=item, outcome=d["outcome"], note=d["note"]
            )
            messages.success(request, f"{item.title}: {item.get_outcome_display()}.")
    except DomainError as exc:
        messages.error(request, str(exc))
    nxt = form.cleaned_data.get("next", "") if form.is_valid() else ""
    return redirect(nxt or reverse("conference:floor", args=[year]))


def _policy_item(item: AgendaItem) -> bool:
    """Whether a carried card vote on the item can put policy in the programme (a motion, a
    composite or a designated document; not an amendment or a rule change)."""
    if item.composite_id is not None or item.document_id is not None:
        return True
    return item.submission is not None and item.submission.kind == Submission.Kind.MOTION


def board_ctx(item: AgendaItem, conf: Conference) -> dict[str, Any]:
    """The results board's figures: the final result, or the live tally while open."""
    p = common_queries.conference_parameters(conf)
    if item.state == AgendaItem.State.CLOSED and item.result:
        r = item.result
        return {
            "item": item,
            "final": True,
            "result": r,
            "sections": r.get("sections", []),
            "for_percent": r.get("for_percent"),
            "against_percent": r.get("against_percent"),
            "programme": _policy_item(item)
            and bool(item.for_share)
            and Fraction(item.for_share) >= p.programme_threshold,
            "threshold": percent_str(p.programme_threshold),
        }
    t = floor_queries.card_tally(item, p)
    sections = t.result.to_dict()["sections"] if t.result else []
    return {
        "item": item,
        "final": False,
        "tally": t,
        "sections": sections,
        "for_percent": t.for_percent,
        "against_percent": t.against_percent,
        "by_section": [
            (floor_queries.SECTION_LABELS.get(k, k), c, n) for k, (c, n) in t.by_section.items()
        ],
        "threshold": percent_str(p.programme_threshold),
    }


def _original_text(it: AgendaItem) -> str:
    target = it.composite or it.document or it.submission
    return target.text.strip() if target is not None else ""


def item(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    """A delegate's voting page (their cards) and the item's result."""
    conf = conference(request, year, set_up=False)
    it = found(permissions.access_item, request.user, conf, pk)
    if request.method == "POST":
        if not request.user.is_authenticated:
            raise Http404("sign in to vote")
        form = forms.CardForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(next(iter(form.errors.values()))[0])
            services.card_cast(
                actor=actor(request),
                card_id=form.cleaned_data["card"],
                choice=form.cleaned_data["choice"],
            )
            messages.success(
                request, gettext("Your card is cast. You may change it while the vote is open.")
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("conference:item", year=year, pk=pk)
    return render(
        request,
        "conference/item.html",
        ctx(
            request,
            conference=conf,
            it=it,
            cards=floor_queries.my_cards(request.user, it),
            amended_diff=(
                procedure.word_diff(_original_text(it), it.amended_text)
                if it.amended_text
                else None
            ),
            carried=amendments_queries.carried_amendments(it),
            undecided=amendments_queries.undecided_amendments(it),
            board=board_ctx(it, conf),
        ),
    )


def board(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    """The hall screen: the live tally, polled every second (htmx); the final figures."""
    conf = conference(request, year, set_up=False)
    it = found(permissions.access_item, request.user, conf, pk)
    context = {"board": board_ctx(it, conf), "conference": conf}
    if request.GET.get("fragment") or getattr(request, "htmx", False):
        return render(request, "conference/_board.html", context)
    return render(request, "conference/board.html", ctx(request, **context))
