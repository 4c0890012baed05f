"""The live hall's pages (issue 16.2-16.4). Thin: permissions decide, a service acts,
queries assemble.

* ``hall`` — the agenda with the current item: anyone; a delegate also sees their cards
  (to vote) and asks to speak from their phone.
* ``screen`` — the projector's page: full screen, no site menu, large type.
* ``state`` — the hall's snapshot as JSON, polled by every page above (decision 0020).
* ``console`` — the chair's console (the CAC only; anyone else gets a 404).
* ``paper`` — the CAC records paper and proxy cards.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rankandfile.conference import hall_forms, permissions
from rankandfile.conference.models import AgendaItem, Card, Conference, SpeakerRequest
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import floor as floor_queries
from rankandfile.conference.queries import hall as hall_queries
from rankandfile.conference.services import floor as floor_services
from rankandfile.conference.services import hall as hall_services
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.core.models import User


def _conference(year: int) -> Conference:
    conf = common_queries.conference_by_year(year)
    if conf is None or not hasattr(conf, "dates"):
        raise Http404("no such conference")
    return conf


def _require_manager(request: HttpRequest) -> None:
    if not permissions.can_manage_conference(request.user):
        raise Http404("no such page")


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _errors(form: Any) -> list[str]:
    return [str(e) for errs in form.errors.values() for e in errs]


def _fragment(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request") or request.GET.get("fragment"))


def _speaker_rows(requests: list[SpeakerRequest], seconds: int) -> list[dict[str, Any]]:
    return [
        {
            "r": r,
            "name": f"{r.delegate.member.first_name} {r.delegate.member.last_name}",
            "remaining": hall_queries.remaining_seconds(r, seconds)
            if r.status == SpeakerRequest.Status.SPEAKING
            else None,
        }
        for r in requests
    ]


def _live_ctx(conf: Conference) -> dict[str, Any]:
    """What every hall page shows of the current item (the same for everyone)."""
    live = hall_queries.hall_live(conf)
    current = live.current
    seconds = hall_queries.speaking_seconds(live.hall)
    t: hall_queries.Turnout | None = None
    if current is not None and current.state == AgendaItem.State.OPEN:
        t = live.turnout if live.open_item == current.pk else hall_queries.turnout(current)
    board: dict[str, Any] | None = None
    if current is not None and current.state == AgendaItem.State.CLOSED and current.result:
        board = current.result
    return {
        "conference": conf,
        "hall": live.hall,
        "current": current,
        "seconds": seconds,
        "speakers": _speaker_rows(live.speakers, seconds),
        "balance": live.balance,
        "turnout": t,
        "by_section": [
            (k, hall_queries.SECTION_LABELS[k], c, n) for k, (c, n) in t.by_section.items()
        ]
        if t is not None
        else [],
        "result": board,
        "records": hall_queries.recorded_cards(current) if current is not None and board else [],
        "text": _text(current),
        "v": hall_queries.hall_snapshot(conf, live)["v"],
    }


def _text(item: AgendaItem | None) -> str:
    """The text under debate: as amended, else the motion's or composite's, else the
    amendment's proposed text."""
    if item is None:
        return ""
    if item.amended_text:
        return item.amended_text
    if item.composite is not None:
        return item.composite.text
    if item.submission is not None:
        return item.submission.text
    if item.amendment is not None:
        return item.amendment.text
    return ""


# --- Public: the agenda with the current item, the delegate's phone --------------------------
def hall(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    ctx = _live_ctx(conf)
    current = ctx["current"]
    delegate = hall_queries.delegate_of(request.user, conf)
    mine = hall_queries.my_requests(delegate, current)
    live_mine = next(
        (r for r in mine if r.status in (SpeakerRequest.Status.WAITING, "speaking")), None
    )
    ctx.update(
        nav="conference",
        can_manage=permissions.can_manage_conference(request.user),
        delegate=delegate,
        cards=floor_queries.my_cards(request.user, current) if current is not None else [],
        my_request=live_mine,
        ahead=hall_queries.waiting_ahead(live_mine)
        if live_mine is not None and live_mine.status == SpeakerRequest.Status.WAITING
        else None,
        speak_form=hall_forms.SpeakForm(initial={"item": current.pk if current else None}),
        sessions=floor_queries.agenda(conf),
    )
    if _fragment(request):
        return render(request, "conference/hall/_hall_live.html", ctx)
    return render(request, "conference/hall/hall.html", ctx)


@login_required
@require_POST
def hall_cast(request: HttpRequest, year: int) -> HttpResponse:
    """A delegate casts (or changes) their card from the hall page."""
    _conference(year)
    form = hall_forms.CastForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Vote for, against or abstain."))
        return redirect("conference:hall", year=year)
    try:
        floor_services.card_cast(
            actor=_actor(request),
            card_id=form.cleaned_data["card"],
            choice=form.cleaned_data["choice"],
        )
        messages.success(
            request, gettext("Your card is cast. You may change it while the vote is open.")
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:hall", year=year)


@login_required
@require_POST
def hall_speak(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    form = hall_forms.SpeakForm(request.POST)
    if not form.is_valid():
        for e in _errors(form):
            messages.error(request, e)
        return redirect("conference:hall", year=year)
    try:
        item = permissions.access_item(request.user, conf, form.cleaned_data["item"])
        hall_services.speaker_request(
            actor=_actor(request), item=item, side=form.cleaned_data["side"]
        )
        messages.success(request, gettext("You have asked to speak. The chair will call you."))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:hall", year=year)


@login_required
@require_POST
def hall_speak_withdraw(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    form = hall_forms.WithdrawForm(request.POST)
    if not form.is_valid():
        raise Http404("no such request")
    delegate = hall_queries.delegate_of(request.user, conf)
    req = SpeakerRequest.objects.filter(
        pk=form.cleaned_data["request"], item__session__conference=conf, delegate=delegate
    ).first()
    if delegate is None or req is None:  # someone else's request looks like none at all
        raise Http404("no such request")
    try:
        hall_services.speaker_withdraw(actor=_actor(request), request=req)
        messages.success(request, gettext("Your request to speak is withdrawn."))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:hall", year=year)


def screen(request: HttpRequest, year: int) -> HttpResponse:
    """The hall screen for the projector (public: what the hall sees)."""
    conf = _conference(year)
    ctx = _live_ctx(conf)
    if _fragment(request):
        return render(request, "conference/hall/_screen_live.html", ctx)
    return render(request, "conference/hall/screen.html", ctx)


def state(request: HttpRequest, year: int) -> JsonResponse:
    """The hall's snapshot (the same for everyone; served from a short shared cache in
    production by ``hall_fast``)."""
    conf = _conference(year)
    resp = JsonResponse(hall_queries.hall_snapshot(conf))
    resp["Cache-Control"] = "no-cache"
    return resp


# --- The chair's console ---------------------------------------------------------------------
def _console_item(request: HttpRequest, conf: Conference, pk: int | None) -> AgendaItem:
    if pk is None:
        raise DomainError(gettext("choose the item"))
    try:
        return permissions.access_item(request.user, conf, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _console_speaker(conf: Conference, pk: int | None) -> SpeakerRequest:
    req = SpeakerRequest.objects.filter(pk=pk or 0, item__session__conference=conf).first()
    if req is None:
        raise Http404("no such request")
    return req


def _console_act(
    request: HttpRequest, conf: Conference, d: dict[str, Any]
) -> dict[str, Any] | None:
    """Do one console action; returns a pending confirmation, if one is needed."""
    actor = _actor(request)
    action = d["action"]
    if action == "current":
        item = _console_item(request, conf, d["item"])
        hall_services.hall_set_current(actor=actor, conference=conf, item=item)
        messages.success(
            request, gettext("Before conference now: %(title)s.") % {"title": item.title}
        )
    elif action == "next":
        h = hall_services.hall_next(actor=actor, conference=conf)
        messages.success(
            request,
            gettext("Before conference now: %(title)s.") % {"title": h.current_item},
        )
    elif action == "open":
        item = _console_item(request, conf, d["item"])
        n = hall_services.hall_vote_open(actor=actor, item=item)
        messages.success(request, gettext("Card vote open: %(n)s cards issued.") % {"n": f"{n:,}"})
    elif action in ("close", "decide"):
        item = _console_item(request, conf, d["item"])
        try:
            item = hall_services.hall_vote_close(
                actor=actor,
                item=item,
                confirm_outstanding=bool(d.get("confirm")),
                outcome=d.get("outcome") or "",
                note=d.get("note") or "",
            )
        except hall_services.OutstandingCards as exc:
            return {
                "item": item,
                "outstanding": exc.outstanding,
                "cards": exc.cards,
                "outcome": d.get("outcome") or "",
                "note": d.get("note") or "",
            }
        messages.success(request, f"{item.title}: {item.get_outcome_display()}.")
    elif action == "time":
        hall_services.hall_speaking_time(actor=actor, conference=conf, seconds=d["seconds"])
        messages.success(
            request, gettext("Speaking time: %(seconds)s seconds.") % {"seconds": d["seconds"]}
        )
    else:
        req = _console_speaker(conf, d["speaker"])
        if action == "call":
            hall_services.speaker_call(actor=actor, request=req)
        elif action == "finish":
            hall_services.speaker_finish(actor=actor, request=req)
        elif action == "drop":
            hall_services.speaker_withdraw(actor=actor, request=req)
        else:
            hall_services.speaker_move(actor=actor, request=req, direction=action)
    return None


@login_required
def console(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    confirm: dict[str, Any] | None = None
    if request.method == "POST":
        form = hall_forms.ConsoleForm(request.POST)
        if form.is_valid():
            try:
                confirm = _console_act(request, conf, form.cleaned_data)
            except DomainError as exc:
                messages.error(request, str(exc))
            if confirm is None:
                return redirect("conference:hall_console", year=year)
        else:
            for e in _errors(form):
                messages.error(request, e)
    ctx = _live_ctx(conf)
    ctx.update(
        nav="conference",
        can_manage=True,
        confirm=confirm,
        sessions=floor_queries.agenda(conf),
        outcomes=AgendaItem.Outcome.choices[1:],
        procedural=[
            (AgendaItem.Outcome.REFERRED_BACK, gettext("Reference back")),
            (AgendaItem.Outcome.REMITTED, gettext("Remit to the NEC")),
            (AgendaItem.Outcome.WITHDRAWN, gettext("Withdrawn")),
        ],
    )
    if _fragment(request) and request.method == "GET":
        return render(request, "conference/hall/_console_live.html", ctx)
    return render(request, "conference/hall/console.html", ctx, status=200)


# --- Paper and proxy cards -------------------------------------------------------------------
@login_required
def paper(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    try:
        item = permissions.access_item(request.user, conf, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    search = hall_forms.CardSearchForm(request.GET)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    form = hall_forms.CardRecordForm()
    if request.method == "POST":
        form = hall_forms.CardRecordForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            card = Card.objects.filter(pk=d["card"], item=item).first()
            if card is None:
                raise Http404("no such card")
            try:
                rec = hall_services.card_record(
                    actor=_actor(request),
                    card=card,
                    choice=d["choice"],
                    kind=d["kind"],
                    proxy_holder=d["proxy_holder"],
                )
                messages.success(
                    request,
                    gettext("%(kind)s recorded for %(unit)s: %(choice)s.")
                    % {
                        "kind": rec.get_kind_display(),
                        "unit": rec.card.unit_name,
                        "choice": rec.card.get_choice_display().lower(),
                    },
                )
                return redirect(request.get_full_path())
            except DomainError as exc:
                messages.error(request, str(exc))
        else:
            for e in _errors(form):
                messages.error(request, e)
    return render(
        request,
        "conference/hall/paper.html",
        {
            "nav": "conference",
            "can_manage": True,
            "conference": conf,
            "it": item,
            "search": search,
            "q": q,
            "cards": hall_queries.cards_for_recording(item, q),
            "records": hall_queries.recorded_cards(item),
            "form": form,
            "choices": hall_forms.CHOICES,
        },
    )
