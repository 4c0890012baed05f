"""Pages for internal elections: the list, a contest (candidates, every nomination and who
made it, the thresholds counted live and explained, statements, hustings, the ballot and
its rounds), the MP's own nominating page, candidate pages, opening a contest, and the
comparison of what each historic rule would have admitted.

Thin: ``permissions`` decides visibility (404 when not visible), one service per action,
``queries`` assembles pages. Every form works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rankandfile.core.errors import DomainError, NotFound
from rankandfile.elections import forms, permissions, queries, services
from rankandfile.elections.models import Contest, Stage, UnitBallot


def _contest(request: HttpRequest, contest_id: int) -> Contest:
    try:
        return permissions.access_contest(request.user, contest_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not permissions.can_see_elections(request.user):
        raise Http404(gettext("no elections to show"))
    return render(
        request,
        "elections/index.html",
        {
            "nav": "elections",
            "contests": queries.contests(request.user),
            "past_rounds": queries.past_rounds(request.user),
            "can_run": permissions.can_run_elections(request.user),
            "is_mp": permissions.mp_for(request.user) is not None,
        },
    )


@login_required
def contest_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_run_elections(request.user):
        raise Http404(gettext("no such page"))
    rules = services.rules_in_force()
    now = timezone.localtime().replace(second=0, microsecond=0)
    mp_close = now + dt.timedelta(days=rules.mp_nomination_days)
    form = forms.ContestForm(
        request.POST or None,
        initial={
            "mp_nominations_close": mp_close,
            "nominations_close": mp_close + dt.timedelta(days=rules.unit_nomination_days),
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            contest = services.contest_open(actor=request.user, **d)  # type: ignore[arg-type]
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Nominations are open."))
            return redirect("elections:detail", contest_id=contest.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "elections/create.html", {"form": form, "nav": "elections"}, status=status
    )


def _forms(request: HttpRequest, contest: Contest) -> dict[str, Any]:
    user = request.user
    standing = contest.candidates.filter(withdrawn_at__isnull=True)
    out: dict[str, Any] = {}
    if contest.stage != Stage.NOMINATIONS:
        return out
    if permissions.mp_for(user) is not None and not contest.is_nec:
        out["mp_form"] = forms.MPNominationForm(candidates=standing.filter(is_incumbent=False))
    clps = permissions.nominating_clps(user)
    if clps.exists():
        out["clp_form"] = forms.ClpMeetingForm(candidates=standing, clps=clps)
        if not contest.is_nec:
            out["clp_ballot_form"] = forms.ClpBallotForm(clps=clps)
    affiliates = permissions.nominating_affiliates(user)
    if affiliates.exists():
        out["affiliate_form"] = forms.AffiliateNominationForm(
            candidates=standing, affiliates=affiliates
        )
    if permissions.can_run_elections(user):
        out["supporter_form"] = forms.SupporterForm()
        out["candidate_form"] = forms.CandidateForm()
        days = services.rules_for(contest).ballot_days
        out["ballot_form"] = forms.BallotOpenForm(
            initial={"closes_at": timezone.localtime().replace(second=0, microsecond=0)
                     + dt.timedelta(days=days)}
        )  # fmt: skip
    return out


def _render_detail(
    request: HttpRequest, contest: Contest, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    page = queries.contest_page(contest, request.user)
    context: dict[str, Any] = {
        "nav": "elections",
        "page": page,
        "contest": contest,
        "can_run": permissions.can_run_elections(request.user),
        "hustings_form": forms.HustingsForm()
        if permissions.can_run_elections(request.user) and contest.stage != Stage.DECLARED
        else None,
        "my_clp_ids": set(permissions.nominating_clps(request.user).values_list("pk", flat=True)),
        "supporters": queries.supporters(contest)
        if permissions.can_run_elections(request.user)
        else None,
        **_forms(request, contest),
        **(bound or {}),
    }
    return render(request, "elections/detail.html", context, status=status)


@login_required
def contest_detail(request: HttpRequest, contest_id: int) -> HttpResponse:
    return _render_detail(request, _contest(request, contest_id))


@login_required
def candidate(request: HttpRequest, contest_id: int, candidate_id: int) -> HttpResponse:
    contest = _contest(request, contest_id)
    try:
        found = permissions.access_candidate(request.user, contest, candidate_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    can_edit = (
        permissions.can_edit_statement(request.user, found) and contest.stage != Stage.DECLARED
    )
    form = forms.StatementForm(request.POST or None, initial={"statement": found.statement})
    if request.method == "POST":
        if not can_edit:
            raise Http404(gettext("no such candidate among those you may edit"))
        if form.is_valid():
            try:
                services.candidate_statement_set(
                    actor=request.user,  # type: ignore[arg-type]
                    candidate=found,
                    statement=form.cleaned_data["statement"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("Statement saved."))
                return redirect("elections:candidate", contest_id=contest.pk, candidate_id=found.pk)
    nominations = found.nominations.filter(withdrawn_at__isnull=True).select_related(
        "mp", "clp", "affiliate"
    )
    return render(
        request,
        "elections/candidate.html",
        {
            "nav": "elections",
            "contest": contest,
            "candidate": found,
            "nominations": nominations,
            "form": form if can_edit else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def mp_page(request: HttpRequest) -> HttpResponse:
    own = permissions.mp_for(request.user)
    if own is None:
        raise Http404(gettext("this page is for the party's MPs"))
    return render(
        request,
        "elections/mp.html",
        {"nav": "elections", "mp": own, "rows": queries.mp_page(request.user)},
    )


@login_required
def past_round(request: HttpRequest, round_id: int) -> HttpResponse:
    try:
        past = permissions.access_past_round(request.user, round_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    columns = queries.past_comparison(past)
    candidates = list(past.candidates.all())
    rows = [(c, [col.verdicts[c.name] for col in columns]) for c in candidates]
    return render(
        request,
        "elections/past.html",
        {"nav": "elections", "past": past, "columns": columns, "rows": rows},
    )


# --- actions -------------------------------------------------------------------------------
Action = Callable[[HttpRequest, Contest], "str | dict[str, Any]"]


def _standing(contest: Contest) -> Any:
    return contest.candidates.filter(withdrawn_at__isnull=True)


def _act_mp(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    form = forms.MPNominationForm(request.POST, candidates=_standing(contest))
    if not form.is_valid():
        return {"mp_form": form}
    n = services.nomination_by_mp(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        candidate=form.cleaned_data["candidate"],
    )
    return gettext("You nominated %(candidate)s. Your nomination is published.") % {
        "candidate": n.candidate.name
    }


def _act_withdraw(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    form = django_forms.Form(request.POST)
    form.fields["nomination"] = django_forms.IntegerField()
    if not form.is_valid():
        raise DomainError(gettext("choose the nomination to withdraw"))
    try:
        n = permissions.access_nomination(request.user, contest, form.cleaned_data["nomination"])
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    services.nomination_withdraw(actor=request.user, nomination=n)  # type: ignore[arg-type]
    return gettext("The nomination of %(candidate)s by %(nominator)s is withdrawn.") % {
        "candidate": n.candidate.name,
        "nominator": n.nominator,
    }


def _act_clp(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    form = forms.ClpMeetingForm(
        request.POST, candidates=_standing(contest), clps=permissions.nominating_clps(request.user)
    )
    if not form.is_valid():
        return {"clp_form": form}
    d = form.cleaned_data
    n = services.nomination_by_clp_meeting(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        clp=d["clp"],
        candidate=d["candidate"],
        meeting_on=d["meeting_on"],
        votes_for=d["votes_for"],
        votes_cast=d["votes_cast"],
    )
    return gettext("%(clp)s nominates %(candidate)s (%(votes_for)s of %(votes_cast)s votes).") % {
        "clp": n.clp,
        "candidate": n.candidate.name,
        "votes_for": n.votes_for,
        "votes_cast": n.votes_cast,
    }


def _act_clp_ballot(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    form = forms.ClpBallotForm(request.POST, clps=permissions.nominating_clps(request.user))
    if not form.is_valid():
        return {"clp_ballot_form": form}
    unit = services.unit_ballot_open(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        clp=form.cleaned_data["clp"],
        closes_at=form.cleaned_data["closes_at"],
    )
    return gettext("%(clp)s's nomination ballot is open to its members.") % {"clp": unit.clp}


def _act_clp_conclude(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    form = django_forms.Form(request.POST)
    form.fields["unit_ballot"] = django_forms.IntegerField()
    if not form.is_valid():
        raise DomainError(gettext("choose the nomination ballot"))
    unit = (
        UnitBallot.objects.select_related("clp", "contest")
        .filter(
            contest=contest,
            pk=form.cleaned_data["unit_ballot"],
            clp__in=permissions.nominating_clps(request.user),
        )
        .first()
    )
    if unit is None:
        raise Http404(gettext("no such nomination ballot among those you run"))
    n = services.unit_ballot_conclude(actor=request.user, unit=unit)  # type: ignore[arg-type]
    return gettext("%(clp)s nominates %(candidate)s by its members' ballot.") % {
        "clp": unit.clp,
        "candidate": n.candidate.name,
    }


def _act_affiliate(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    form = forms.AffiliateNominationForm(
        request.POST,
        candidates=_standing(contest),
        affiliates=permissions.nominating_affiliates(request.user),
    )
    if not form.is_valid():
        return {"affiliate_form": form}
    n = services.nomination_by_affiliate(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        affiliate=form.cleaned_data["affiliate"],
        candidate=form.cleaned_data["candidate"],
    )
    return gettext("%(affiliate)s nominates %(candidate)s.") % {
        "affiliate": n.affiliate,
        "candidate": n.candidate.name,
    }


def _require_runner(request: HttpRequest) -> None:
    if not permissions.can_run_elections(request.user):
        raise Http404(gettext("no such election among those you run"))


def _act_candidate(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    _require_runner(request)
    form = forms.CandidateForm(request.POST)
    if not form.is_valid():
        return {"candidate_form": form}
    c = services.candidate_add(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        **form.cleaned_data,
    )
    return gettext("%(name)s is a candidate.") % {"name": c.name}


def _act_candidate_withdraw(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    _require_runner(request)
    form = django_forms.Form(request.POST)
    form.fields["candidate"] = django_forms.IntegerField()
    if not form.is_valid():
        raise DomainError(gettext("choose the candidate who withdraws"))
    try:
        found = permissions.access_candidate(request.user, contest, form.cleaned_data["candidate"])
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    services.candidate_withdraw(actor=request.user, candidate=found)  # type: ignore[arg-type]
    return gettext("%(name)s has withdrawn; their nominations no longer count.") % {
        "name": found.name
    }


def _act_ballot(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    _require_runner(request)
    form = forms.BallotOpenForm(request.POST)
    if not form.is_valid():
        return {"ballot_form": form}
    contest = services.contest_ballot_open(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        closes_at=form.cleaned_data["closes_at"],
    )
    if contest.stage == Stage.DECLARED:
        return gettext("Nominations closed: elected unopposed and declared.")
    return gettext("Nominations closed; the members' ballot is open.")


def _act_supporter(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    _require_runner(request)
    form = forms.SupporterForm(request.POST)
    if not form.is_valid():
        return {"supporter_form": form}
    supporter = services.supporter_register(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        **form.registration(),
    )
    if supporter.kind == supporter.Kind.AFFILIATED:
        words = gettext(
            "%(name)s is registered as an affiliated supporter; they join the electorate "
            "when the ballot opens."
        )
    else:
        words = gettext(
            "%(name)s is registered as a registered supporter; they join the electorate "
            "when the ballot opens."
        )
    return words % {"name": supporter.name}


def _act_declare(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    _require_runner(request)
    services.contest_declare(actor=request.user, contest=contest)  # type: ignore[arg-type]
    return gettext("The result is declared. The appeal window is open.")


def _act_hustings(request: HttpRequest, contest: Contest) -> str | dict[str, Any]:
    _require_runner(request)
    form = forms.HustingsForm(request.POST)
    if not form.is_valid():
        return {"hustings_form": form}
    services.hustings_add(
        actor=request.user,  # type: ignore[arg-type]
        contest=contest,
        **form.cleaned_data,
    )
    return gettext("Hustings added.")


ACTIONS: dict[str, Action] = {
    "nominate-mp": _act_mp,
    "withdraw": _act_withdraw,
    "nominate-clp": _act_clp,
    "clp-ballot": _act_clp_ballot,
    "clp-ballot-conclude": _act_clp_conclude,
    "nominate-affiliate": _act_affiliate,
    "candidate": _act_candidate,
    "candidate-withdraw": _act_candidate_withdraw,
    "ballot": _act_ballot,
    "declare": _act_declare,
    "hustings": _act_hustings,
    "supporter": _act_supporter,
}


@login_required
@require_POST
def action(request: HttpRequest, contest_id: int, name: str) -> HttpResponse:
    contest = _contest(request, contest_id)
    handler = ACTIONS.get(name)
    if handler is None:
        raise Http404(gettext("no such action"))
    try:
        outcome = handler(request, contest)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _render_detail(request, contest, status=400)
    if isinstance(outcome, dict):
        messages.error(request, gettext("Please correct the form below."))
        return _render_detail(request, contest, bound=outcome, status=400)
    messages.success(request, outcome)
    return redirect("elections:detail", contest_id=contest.pk)
