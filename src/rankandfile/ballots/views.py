"""Ballot pages: my ballots, set-up and management, voting, results, scrutiny.

Views are thin: ``permissions`` decides what is visible (404 when not — a ballot you may
not see does not exist for you), a service or ``tally`` does the work, ``queries``
assembles the page.

Voting works without JavaScript and without keeping anything secret on the server:

1. the paper (a form per method) is posted;
2. if it is valid, the confirmation page repeats the choices and carries them in hidden
   fields; "Change" goes back to the filled-in paper, "Cast my vote" posts them again;
3. they are validated again and cast; the receipt with the tracking code is this
   response's body and is stored nowhere (no redirect, ``Cache-Control: no-store``).

A one-time ballot link (``/ballots/vote/<secret>/``) is exchanged on first use for a
short-lived entry in the session and redirects to the ballot's voting page, so the secret
does not stay in the address bar, the history, or a referrer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from rankandfile.ballots import (
    casting,
    forms,
    invitations,
    permissions,
    queries,
    services,
    tally,
)
from rankandfile.ballots.models import Ballot, Elector, Method
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.membership.eligibility import explain, format_date

LINK_SESSION_KEY = "ballot_links"
LINK_LIFETIME = dt.timedelta(hours=2)
CHART_MAX_AGE = 60 * 60


# --- helpers ----------------------------------------------------------------------------
def _ballot(request: HttpRequest, ballot_id: int) -> Ballot:
    try:
        return permissions.access_ballot(request.user, ballot_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _managed(request: HttpRequest, ballot_id: int) -> Ballot:
    try:
        return permissions.access_managed_ballot(request.user, ballot_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _scrutinised(request: HttpRequest, ballot_id: int) -> Ballot:
    """Scrutiny is for scrutineers covering the ballot and for its managers."""
    ballot = _ballot(request, ballot_id)
    if not (
        permissions.can_scrutinise(request.user, ballot)
        or permissions.can_manage_ballot(request.user, ballot)
    ):
        raise Http404(gettext("no such ballot among those you scrutinise"))
    return ballot


def _with_result(request: HttpRequest, ballot_id: int) -> Ballot:
    ballot = _close_if_due(_ballot(request, ballot_id))
    if not permissions.can_view_result(request.user, ballot):
        raise Http404(gettext("no result you may see"))
    return ballot


def _close_if_due(ballot: Ballot) -> Ballot:
    """Close and count a ballot whose closing time has passed, if nothing has yet (the
    scheduled task or ``ballots_close_due`` normally has)."""
    if ballot.state == Ballot.State.OPEN and timezone.now() >= ballot.closes_at:
        tally.ballot_close(actor=None, ballot=ballot)
        ballot.refresh_from_db()
    return ballot


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _no_store(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- my ballots -------------------------------------------------------------------------
@login_required
def ballot_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ballots/list.html",
        {
            "nav": "ballots",
            "mine": queries.my_ballots(request.user),
            "can_create": queries.can_create_ballots(request.user),
        },
    )


@login_required
def ballot_detail(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """Where a ballot's own link leads: the result, the paper, or the management page."""
    ballot = _ballot(request, ballot_id)
    user = request.user
    if permissions.can_view_result(user, ballot):
        return redirect("ballots:result", ballot.pk)
    if permissions.can_manage_ballot(user, ballot):
        return redirect("ballots:manage", ballot.pk)
    if permissions.can_scrutinise(user, ballot):
        return redirect("ballots:scrutiny", ballot.pk)
    return redirect("ballots:vote", ballot.pk)


# --- set-up and management --------------------------------------------------------------
@login_required
def ballot_create(request: HttpRequest) -> HttpResponse:
    if not queries.can_create_ballots(request.user):
        raise Http404(gettext("you do not run ballots"))
    if request.method == "POST":
        form = forms.BallotForm(request.user, request.POST)
        if form.is_valid():
            try:
                ballot = services.ballot_create(actor=request.user, **form.create_kwargs())  # type: ignore[arg-type]
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, gettext("Ballot created as a draft. Check it, then open it.")
                )
                return redirect("ballots:manage", ballot.pk)
    else:
        form = forms.BallotForm(request.user)
    return render(
        request,
        "ballots/create.html",
        {"nav": "ballots", "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


def _manage_context(request: HttpRequest, ballot: Ballot) -> dict[str, Any]:
    options = queries.ballot_options(ballot)
    now = timezone.now()
    draft = ballot.state == Ballot.State.DRAFT
    return {
        "nav": "ballots",
        "ballot": ballot,
        "options": options,
        "problems": services.setup_problems(ballot, options) if draft else [],
        "progress": None
        if draft
        else queries.invitation_progress(ballot, sending=bool(request.GET.get("sending"))),
        "can_close": ballot.state == Ballot.State.OPEN and now >= ballot.closes_at,
        "can_declare": ballot.state == Ballot.State.COUNTED,
        "is_open": ballot.state == Ballot.State.OPEN,
        "can_scrutinise": True,
    }


@login_required
def ballot_manage(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """The officers' page: set-up problems, open, invite and remind (with progress),
    close and count, declare."""
    ballot = _close_if_due(_managed(request, ballot_id))
    if _htmx(request) and request.GET.get("part") == "problems":
        context = _manage_context(request, ballot)
        return render(request, "ballots/_problems.html", context)
    return render(request, "ballots/manage.html", _manage_context(request, ballot))


@login_required
def ballot_progress(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """Invitation progress: the fragment the management page polls while sending."""
    ballot = _managed(request, ballot_id)
    response = render(
        request,
        "ballots/_progress.html",
        {
            "ballot": ballot,
            "progress": queries.invitation_progress(
                ballot, sending=bool(request.GET.get("sending"))
            ),
        },
    )
    return _no_store(response)


def _act(request: HttpRequest, ballot_id: int, action: str) -> HttpResponse:
    ballot = _managed(request, ballot_id)
    user: Any = request.user
    sending = False
    try:
        if action == "open":
            services.ballot_open(actor=user, ballot=ballot)
            messages.success(request, gettext("The ballot is open and its electorate is frozen."))
        elif action in ("invite", "remind"):
            send = invitations.ballot_invite if action == "invite" else invitations.ballot_remind
            run = send(actor=user, ballot=ballot)
            sending = run.queued > 0
            text = (
                ngettext(
                    "%(count)s invitation queued.", "%(count)s invitations queued.", run.queued
                )
                if action == "invite"
                else ngettext(
                    "%(count)s reminder queued.", "%(count)s reminders queued.", run.queued
                )
            ) % {"count": run.queued}
            if run.no_email:
                text += " " + ngettext(
                    "%(count)s elector has no email address.",
                    "%(count)s electors have no email address.",
                    run.no_email,
                ) % {"count": run.no_email}
            messages.success(request, text)
        elif action == "close":
            tally.ballot_close(actor=user, ballot=ballot)
            messages.success(request, gettext("The ballot is closed and counted."))
        elif action == "declare":
            tally.ballot_declare(actor=user, ballot=ballot)
            messages.success(request, gettext("The result is declared."))
            return redirect("ballots:result", ballot.pk)
    except DomainError as exc:
        messages.error(request, str(exc).capitalize() + ("" if str(exc).endswith(".") else "."))
    url = reverse("ballots:manage", args=[ballot.pk])
    return redirect(url + ("?sending=1" if sending else ""))


@login_required
@require_POST
def ballot_open(request: HttpRequest, ballot_id: int) -> HttpResponse:
    return _act(request, ballot_id, "open")


@login_required
@require_POST
def ballot_invite(request: HttpRequest, ballot_id: int) -> HttpResponse:
    return _act(request, ballot_id, "invite")


@login_required
@require_POST
def ballot_remind(request: HttpRequest, ballot_id: int) -> HttpResponse:
    return _act(request, ballot_id, "remind")


@login_required
@require_POST
def ballot_close(request: HttpRequest, ballot_id: int) -> HttpResponse:
    return _act(request, ballot_id, "close")


@login_required
@require_POST
def ballot_declare(request: HttpRequest, ballot_id: int) -> HttpResponse:
    return _act(request, ballot_id, "declare")


# --- voting -----------------------------------------------------------------------------
def vote_token(request: HttpRequest, secret: str) -> HttpResponse:
    """A one-time ballot link: exchange the secret for a session entry, then redirect to
    the voting page so the secret leaves the address bar. Used or unknown: say so."""
    elector = services.elector_by_token(secret)
    if elector is None:
        response = render(request, "ballots/link_used.html", status=404)
    else:
        links = dict(request.session.get(LINK_SESSION_KEY, {}))
        links[str(elector.ballot_id)] = {
            "elector": elector.pk,
            # The link's digest (never the secret): a session opened with a link that is
            # later replaced (reminder, re-invitation) stops carrying the right to vote.
            "link": elector.token_digest,
            "expires": (timezone.now() + LINK_LIFETIME).isoformat(),
        }
        request.session.cycle_key()  # a fresh session id for the new right it carries
        request.session[LINK_SESSION_KEY] = links
        response = redirect("ballots:vote", elector.ballot_id)
    response["Referrer-Policy"] = "no-referrer"
    return _no_store(response)


class _LinkGone(Exception):
    """The session's ballot link has been replaced or used since the session opened."""


def _link_elector(request: HttpRequest, ballot_id: int) -> tuple[Elector, str] | None:
    """The elector and link digest a ballot-link session carries for this ballot; ``None``
    without one (or once expired); :class:`_LinkGone` once the link was replaced."""
    links = request.session.get(LINK_SESSION_KEY) or {}
    entry = links.get(str(ballot_id))
    if not entry:
        return None
    if dt.datetime.fromisoformat(entry["expires"]) <= timezone.now() or not entry.get("link"):
        _forget_link(request, ballot_id)
        return None
    elector = queries.token_elector(entry["elector"], ballot_id, entry["link"])
    if elector is None:
        _forget_link(request, ballot_id)
        raise _LinkGone
    return elector, entry["link"]


def _link_gone(request: HttpRequest) -> HttpResponse:
    response = render(request, "ballots/link_used.html", status=410)
    response["Referrer-Policy"] = "no-referrer"
    return _no_store(response)


def _forget_link(request: HttpRequest, ballot_id: int) -> None:
    links = dict(request.session.get(LINK_SESSION_KEY) or {})
    if links.pop(str(ballot_id), None) is not None:
        request.session[LINK_SESSION_KEY] = links


def vote(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """The ballot paper, the confirmation step, casting and the receipt."""
    try:
        linked = _link_elector(request, ballot_id)
    except _LinkGone:
        if not request.user.is_authenticated:
            return _link_gone(request)
        linked = None  # a signed-in member may still vote as themself
    link_digest = None
    elector: Elector | None
    if linked is not None:
        elector, link_digest = linked
        ballot = elector.ballot
    elif not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    else:
        ballot = _ballot(request, ballot_id)
        elector = permissions.elector_for(request.user, ballot)
    if elector is None:
        raise Http404(gettext("you are not on the electorate of this ballot"))
    context: dict[str, Any] = {"nav": "ballots", "ballot": ballot}
    if services.elector_has_voted(elector):
        _forget_link(request, ballot.pk)
        return _no_store(render(request, "ballots/already_voted.html", context))
    now = timezone.now()
    context["not_started"] = ballot.state == Ballot.State.DRAFT or now < ballot.opens_at
    if ballot.state != Ballot.State.OPEN or not (ballot.opens_at <= now < ballot.closes_at):
        return _no_store(render(request, "ballots/not_open.html", context))
    options = queries.ballot_options(ballot)
    context["options"] = options
    context["described_options"] = [o for o in options if o.description]
    if request.method != "POST":
        context["form"] = forms.paper_form(ballot, options)
        return _no_store(render(request, "ballots/vote.html", context))
    form = forms.paper_form(ballot, options, data=request.POST)
    context["form"] = form
    action = request.POST.get("action", "review")
    if not form.is_valid():
        return _no_store(render(request, "ballots/vote.html", context, status=400))
    if action == "change":
        context["changing"] = True
        return _no_store(render(request, "ballots/vote.html", context))
    if action != "cast":
        context["summary"] = form.summary()
        context["carry"] = form.carry()
        return _no_store(render(request, "ballots/confirm.html", context))
    try:
        receipt = services.ballot_cast(
            ballot=ballot, elector=elector, choice=form.choice(), link_digest=link_digest
        )
    except services.LinkReplaced:
        _forget_link(request, ballot.pk)
        return _link_gone(request)
    except services.AlreadyVoted as exc:
        context["message"] = gettext(str(exc))
        return _no_store(render(request, "ballots/already_voted.html", context, status=409))
    except services.BallotNotOpen:
        return _no_store(render(request, "ballots/not_open.html", context, status=409))
    except casting.InvalidChoice as exc:
        form.add_error(None, (gettext(exc.template) % exc.params).capitalize() + ".")
        return _no_store(render(request, "ballots/vote.html", context, status=400))
    _forget_link(request, ballot.pk)
    context["tracking_code"] = receipt.tracking_code
    return _no_store(render(request, "ballots/receipt.html", context))


# --- results ----------------------------------------------------------------------------
def result_chart_png(result: Any, title: str = "") -> bytes:
    # matplotlib takes seconds to import: only when a chart is drawn, not at start-up.
    from rankandfile.ballots.charts import result_chart_png as draw

    return draw(result, title=title)


def _result_context(ballot: Ballot) -> dict[str, Any]:
    view = queries.result_view(ballot)
    return {
        "ballot": ballot,
        "view": view,
        "options": queries.ballot_options(ballot),
        "csv_digest": tally.digest(ballot.papers_csv) if ballot.papers_csv else "",
        "blt_digest": tally.digest(ballot.papers_blt) if ballot.papers_blt else "",
        "now": timezone.now(),
        "audit_anchor": queries.audit_anchor(ballot),
        "sections": queries.section_table(ballot),
        "count_command": (
            f"rankandfile count papers.blt --method {ballot.method} --seats {ballot.seats} "
            f"--seed {ballot.seed}"
            if ballot.method != Method.YESNO
            else ""
        ),
    }


@login_required
def result(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """Turnout, outcome, stage table, chart, declaration (printable), downloads, and the
    tracking-code check."""
    ballot = _with_result(request, ballot_id)
    context = {"nav": "ballots", **_result_context(ballot)}
    code_form = forms.TrackingCodeForm(request.GET or None)
    context["code_form"] = code_form
    if code_form.is_bound and code_form.is_valid():
        paper = tally.lookup_code(ballot, code_form.cleaned_data["code"])
        context["looked_up"] = True
        if paper is not None:
            context["paper_code"] = paper.tracking_code
            context["paper_reads"] = _paper_words(ballot, context["options"], paper.choice)
    context["can_manage"] = permissions.can_manage_ballot(request.user, ballot)
    context["can_scrutinise"] = context["can_manage"] or permissions.can_scrutinise(
        request.user, ballot
    )
    return render(request, "ballots/result.html", context)


def _paper_words(ballot: Ballot, options: list[Any], choice: Any) -> list[str]:
    if ballot.method == Method.YESNO:
        return [str(choice).capitalize()]
    names = {o.position: o.name for o in options}
    return [names.get(p, "?") for p in choice]  # ranked: in order of preference


@login_required
def result_chart(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """The result chart as PNG. Private caching: the image is the same for everyone who
    may see it, and changes only if the count does (the ETag is the papers' digest)."""
    ballot = _with_result(request, ballot_id)
    etag = (
        '"'
        + hashlib.sha256(f"{ballot.papers_digest}:{ballot.counted_at}".encode()).hexdigest()[:32]
        + '"'
    )
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(
            result_chart_png(ballot.result, title=ballot.title), content_type="image/png"
        )
    response["ETag"] = etag
    patch_cache_control(response, private=True, max_age=CHART_MAX_AGE)
    patch_vary_headers(response, ("Cookie",))
    return response


@login_required
def declaration(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """The declaration of result as a PDF download."""
    ballot = _with_result(request, ballot_id)
    context = _result_context(ballot)
    from rankandfile.ballots.pdf import declaration_pdf  # WeasyPrint: slow to import

    pdf = declaration_pdf(context, chart_png=result_chart_png(ballot.result))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="declaration-{ballot.pk}.pdf"'
    patch_cache_control(response, private=True, no_cache=True)
    return response


@login_required
def papers(request: HttpRequest, ballot_id: int, fmt: str) -> HttpResponse:
    """The anonymised papers as published at the count (BLT or CSV)."""
    if fmt not in ("blt", "csv"):
        raise Http404(gettext("papers are published as BLT and CSV"))
    ballot = _with_result(request, ballot_id)
    text = ballot.papers_blt if fmt == "blt" else ballot.papers_csv
    if not text:
        raise Http404(gettext("no papers in that format for this ballot"))
    content_type = "text/csv" if fmt == "csv" else "text/plain"
    response = HttpResponse(text.encode("utf-8"), content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ballot-{ballot.pk}-papers.{fmt}"'
    response["X-Content-SHA256"] = tally.digest(text)
    patch_cache_control(response, private=True, no_cache=True)
    return response


# --- scrutiny ---------------------------------------------------------------------------
@login_required
def scrutiny(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """Turnout as voting proceeds, the electorate digest, why a member is or is not
    eligible, the audit trail, and a recount."""
    ballot = _close_if_due(_scrutinised(request, ballot_id))
    context: dict[str, Any] = {
        "nav": "ballots",
        "ballot": ballot,
        "votes": queries.votes_so_far(ballot),
        "audit_anchor": queries.audit_anchor(ballot),
        "can_recount": ballot.state in (Ballot.State.COUNTED, Ballot.State.DECLARED),
    }
    context["turnout_percent"] = queries.percent(context["votes"], ballot.electorate_size)
    lookup = forms.EligibilityLookupForm(request.GET or None)
    context["lookup"] = lookup
    if lookup.is_bound and lookup.is_valid():
        number = lookup.cleaned_data["number"].strip().upper()
        # Only members on this electorate or in the ballot's unit are explained; anyone
        # else (or an unknown number) gets the same answer and no personal data.
        member = queries.lookup_member(ballot, number)
        audit.record_read(
            actor=request.user,  # type: ignore[arg-type]
            action="ballots.scrutiny.eligibility_lookup",
            target=ballot,
            data={
                "membership_number": number,
                "answer": "explained" if member is not None else "not on this electorate",
            },
        )
        context["looked_up"] = True
        context["number"] = number
        if member is not None:
            context["member"] = member
            context["decision"] = explain(member, services.rule_for(ballot))
            context["on_electorate"] = (
                queries.on_electorate(ballot, member) if ballot.frozen_at else None
            )
            context["freeze_date"] = format_date(ballot.freeze_date)
    context["trail"] = list(queries.audit_trail(ballot))
    context["audit_head"] = queries.audit_head()  # after the lookup's own entry
    return _no_store(render(request, "ballots/scrutiny.html", context))


@login_required
def scrutiny_turnout(request: HttpRequest, ballot_id: int) -> HttpResponse:
    ballot = _scrutinised(request, ballot_id)
    votes = queries.votes_so_far(ballot)
    response = render(
        request,
        "ballots/_turnout.html",
        {
            "ballot": ballot,
            "votes": votes,
            "turnout_percent": queries.percent(votes, ballot.electorate_size),
        },
    )
    return _no_store(response)


@login_required
@require_POST
def recount(request: HttpRequest, ballot_id: int) -> HttpResponse:
    ballot = _scrutinised(request, ballot_id)
    try:
        outcome = tally.ballot_recount(actor=request.user, ballot=ballot)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc).capitalize() + ".")
    else:
        if outcome.matches and outcome.digest_matches:
            messages.success(
                request,
                gettext(
                    "Recount matches: the published papers are unaltered (same SHA-256) and "
                    "counting them again gives exactly the declared result."
                ),
            )
        else:
            problems = []
            if not outcome.digest_matches:
                problems.append(
                    gettext("the published papers no longer match their SHA-256 digest")
                )
            if not outcome.matches:
                problems.append(gettext("counting them again gives a different result"))
            messages.error(
                request,
                gettext("Recount does NOT match: %(problems)s.")
                % {"problems": "; ".join(problems)},
            )
    return redirect("ballots:scrutiny", ballot.pk)
