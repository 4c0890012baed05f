"""Pages for selections: my selections, a selection (timetable, shortlist, hustings,
record of the sitting MP, result), candidate pages, applying, the officers' management
page, rounds and the side-by-side comparison of the trigger rules.

Thin: ``permissions`` decides visibility (404 when not visible), one service per action,
``queries`` assembles pages. Every form works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from rankandfile.ballots.permissions import elector_for
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.membership.models import Affiliate, Branch
from rankandfile.membership.permissions import own_member
from rankandfile.selections import forms, permissions, queries, services, triggers
from rankandfile.selections.models import Selection, Stage, TriggerDecision


def _selection(request: HttpRequest, selection_id: int) -> Selection:
    try:
        return permissions.access_selection(request.user, selection_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _managed(request: HttpRequest, selection_id: int) -> Selection:
    try:
        return permissions.access_managed_selection(request.user, selection_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "selections/index.html",
        {
            "nav": "selections",
            "selections": queries.my_selections(request.user),
            "rounds": queries.rounds(request.user),
            "can_open_round": permissions.can_open_round(request.user),
        },
    )


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_open_round(request.user):
        raise Http404(gettext("no such page"))
    form = forms.RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rnd = services.round_open(
                actor=request.user,  # type: ignore[arg-type]
                name=data["name"],
                clps=data["constituencies"],
                freeze_date=data["freeze_date"],
                applications_open=data["applications_open"],
                applications_close=data["applications_close"],
                ballot_closes_by=data["ballot_closes_by"],
                trigger_closes=data["trigger_closes"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            count = rnd.selections.count()
            messages.success(
                request,
                ngettext("Round opened in %(count)s CLP.", "Round opened in %(count)s CLPs.", count)
                % {"count": count},
            )
            return redirect("selections:round", round_id=rnd.pk)
    return render(
        request,
        "selections/round_create.html",
        {"nav": "selections", "form": form, "mode_names": triggers.MODE_NAMES},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    try:
        rnd = permissions.access_round(request.user, round_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(
        request,
        "selections/round.html",
        {
            "nav": "selections",
            "round": rnd,
            "selections": rnd.selections.select_related("clp", "sitting_mp", "selected"),
            "has_triggers": rnd.selections.filter(trigger_decisions__isnull=False).exists(),
        },
    )


@login_required
def round_compare(request: HttpRequest, round_id: int) -> HttpResponse:
    """A national admin's side-by-side: what each rule would have decided."""
    try:
        rnd = permissions.access_round(request.user, round_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if not permissions.can_compare_rules(request.user):
        raise Http404(gettext("no such page"))
    return render(
        request,
        "selections/compare.html",
        {
            "nav": "selections",
            "round": rnd,
            "comparisons": queries.rule_comparisons(rnd),
            "mode_names": triggers.MODE_NAMES,
        },
    )


@login_required
def selection_detail(request: HttpRequest, selection_id: int) -> HttpResponse:
    selection = _selection(request, selection_id)
    managers = permissions.can_manage_selection(request.user, selection)
    page = queries.selection_page(selection, managers=managers)
    my_application = None
    member = own_member(request.user)
    if member is not None:
        my_application = selection.applications.filter(member=member).first()
    elector = elector_for(request.user, selection.ballot) if selection.ballot else None
    return render(
        request,
        "selections/detail.html",
        {
            "nav": "selections",
            "page": page,
            "selection": selection,
            "view": page.result,
            "ballot": selection.ballot,
            "managers": managers,
            "can_apply": permissions.can_apply(request.user, selection) and my_application is None,
            "my_application": my_application,
            "on_electorate": elector is not None,
        },
    )


@login_required
def candidate(request: HttpRequest, selection_id: int, application_id: int) -> HttpResponse:
    selection = _selection(request, selection_id)
    managers = permissions.can_manage_selection(request.user, selection)
    rows = {r.application.pk: r for r in queries.candidates(selection, managers=managers)}
    member = own_member(request.user)
    row = rows.get(application_id)
    if row is None and member is not None:
        # An applicant always sees their own application.
        own = selection.applications.filter(pk=application_id, member=member).first()
        if own is not None:
            row = queries.CandidateRow(own, [n.unit_name for n in own.nominations.all()])
    if row is None:
        raise Http404(gettext("no such candidate"))
    application = row.application
    private = permissions.can_see_private(request.user, application)
    is_own = member is not None and member.pk == application.member_id
    if private and not is_own:
        # An officer reading an applicant's contact, equality and union details.
        audit.record_read(
            actor=request.user,  # type: ignore[arg-type]
            action="selections.application.view_private",
            target=application,
        )
    return render(
        request,
        "selections/candidate.html",
        {
            "nav": "selections",
            "selection": selection,
            "application": application,
            "nominations": row.nominations,
            "private": private,
            "record": queries.mp_record(application.mp),
            "own": is_own,
        },
    )


@login_required
def apply(request: HttpRequest, selection_id: int) -> HttpResponse:
    selection = _selection(request, selection_id)
    if not permissions.can_apply(request.user, selection):
        raise Http404(gettext("applications are not open to you"))
    form = forms.ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_submit(
                actor=request.user,  # type: ignore[arg-type]
                selection=selection,
                **form.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Your application is in."))
            return redirect(
                "selections:candidate", selection_id=selection.pk, application_id=application.pk
            )
    return render(
        request,
        "selections/apply.html",
        {"nav": "selections", "selection": selection, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, selection_id: int, application_id: int) -> HttpResponse:
    selection = _selection(request, selection_id)
    application = selection.applications.filter(pk=application_id).first()
    if application is None:
        raise Http404(gettext("no such application"))
    try:
        services.application_withdraw(actor=request.user, application=application)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("Your application is withdrawn."))
    return redirect("selections:detail", selection_id=selection.pk)


# --- management ------------------------------------------------------------------------
def _manage_context(request: HttpRequest, selection: Selection) -> dict[str, Any]:
    branches, affiliates = permissions.units_for(request.user, selection)
    decisions = {
        (d.branch_id and f"b{d.branch_id}") or f"a{d.affiliate_id}": d
        for d in selection.trigger_decisions.all()
    }
    nominations = {
        (n.branch_id and f"b{n.branch_id}") or f"a{n.affiliate_id}": n
        for n in selection.nominations.select_related("application")
    }
    initial = {f: getattr(selection, f) for f in services.TIMETABLE_FIELDS}
    return {
        "nav": "selections",
        "selection": selection,
        "managers": permissions.can_manage_selection(request.user, selection),
        "page": queries.selection_page(selection, managers=True)
        if permissions.can_manage_selection(request.user, selection)
        else None,
        "branches": [(b, decisions.get(f"b{b.pk}"), nominations.get(f"b{b.pk}")) for b in branches],
        "affiliates": [
            (a, decisions.get(f"a{a.pk}"), nominations.get(f"a{a.pk}")) for a in affiliates
        ],
        "affiliate_votes": TriggerDecision.AffiliateVote.choices,
        "timetable_form": forms.TimetableForm(initial=initial),
        "hustings_form": forms.HustingsForm(),
        "ballot_form": forms.BallotForm(),
        "advance_problems": services.advance_problems(selection),
        "shortlisted": selection.applications.filter(on_shortlist=True),
        "stage": Stage,
    }


@login_required
def manage(request: HttpRequest, selection_id: int) -> HttpResponse:
    """The officers' page; branch and affiliate officers see only their units' forms."""
    selection = _selection(request, selection_id)
    context = _manage_context(request, selection)
    if not context["managers"] and not (context["branches"] or context["affiliates"]):
        raise Http404(gettext("no such selection among those you manage"))
    return render(request, "selections/manage.html", context)


def _act_timetable(request: HttpRequest, selection: Selection) -> str:
    form = forms.TimetableForm(request.POST)
    if not form.is_valid():
        raise DomainError(
            "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        )
    services.timetable_update(actor=request.user, selection=selection, **form.cleaned_data)  # type: ignore[arg-type]
    return gettext("Timetable saved.")


def _act_branch(request: HttpRequest, selection: Selection) -> str:
    form = forms.BranchDecisionForm(request.POST)
    if not form.is_valid():
        raise DomainError(gettext("give the numbers present, for and against as whole numbers"))
    data = form.cleaned_data
    branch = Branch.objects.filter(pk=data["branch"], clp_id=selection.clp_id).first()
    if branch is None:
        raise DomainError(gettext("no such branch in this CLP"))
    decision = services.trigger_record_branch(
        actor=request.user,  # type: ignore[arg-type]
        selection=selection,
        branch=branch,
        members_present=data["members_present"],
        votes_for=data["votes_for"],
        votes_against=data["votes_against"],
        meeting_date=data["meeting_date"],
    )
    verdict = {
        True: gettext("%(branch)s's decision recorded: wants an open selection."),
        False: gettext("%(branch)s's decision recorded: does not want an open selection."),
        None: gettext("%(branch)s's decision recorded: abstained."),
    }[decision.wants_open]
    return verdict % {"branch": branch.name}


def _act_affiliate(request: HttpRequest, selection: Selection) -> str:
    form = forms.AffiliateDecisionForm(request.POST)
    if not form.is_valid():
        raise DomainError(gettext("choose the affiliate's decision"))
    affiliate = Affiliate.objects.filter(pk=form.cleaned_data["affiliate"]).first()
    if affiliate is None:
        raise DomainError(gettext("no such affiliate"))
    services.trigger_record_affiliate(
        actor=request.user,  # type: ignore[arg-type]
        selection=selection,
        affiliate=affiliate,
        vote=form.cleaned_data["vote"],
    )
    return gettext("%(affiliate)s's decision recorded.") % {"affiliate": affiliate}


def _act_conclude(request: HttpRequest, selection: Selection) -> str:
    outcome = services.trigger_conclude(actor=request.user, selection=selection)  # type: ignore[arg-type]
    return outcome.explanation


def _act_list(request: HttpRequest, selection: Selection) -> str:
    which = request.POST.get("which", "")
    ids = [int(x) for x in request.POST.getlist("application") if x.isdigit()]
    notes = services.list_set(
        actor=request.user,  # type: ignore[arg-type]
        selection=selection,
        which=which,
        application_ids=ids,
    )
    saved = gettext("Longlist saved.") if which == "longlist" else gettext("Shortlist saved.")
    return " ".join([saved, *notes])


def _act_advance(request: HttpRequest, selection: Selection) -> str:
    selection = services.selection_advance(actor=request.user, selection=selection)  # type: ignore[arg-type]
    return gettext("The selection is now at: %(stage)s.") % {
        "stage": str(selection.get_stage_display()).lower()
    }


def _act_mark_mp(request: HttpRequest, selection: Selection) -> str:
    application = selection.applications.filter(pk=request.POST.get("application") or 0).first()
    if application is None:
        raise DomainError(gettext("no such application"))
    services.application_mark_sitting_mp(actor=request.user, application=application)  # type: ignore[arg-type]
    return gettext("%(application)s is recorded as the sitting MP.") % {
        "application": application.name
    }


def _act_nominate(request: HttpRequest, selection: Selection) -> str:
    form = forms.NominationForm(request.POST)
    if not form.is_valid():
        raise DomainError(gettext("choose a shortlisted candidate"))
    kind, unit_id = form.unit_kind_id()
    application = selection.applications.filter(pk=form.cleaned_data["application"]).first()
    if application is None:
        raise DomainError(gettext("choose a shortlisted candidate"))
    branch = Branch.objects.filter(pk=unit_id).first() if kind == "b" else None
    affiliate = Affiliate.objects.filter(pk=unit_id).first() if kind == "a" else None
    if branch is None and affiliate is None:
        raise DomainError(gettext("unknown branch or affiliate"))
    services.nomination_record(
        actor=request.user,  # type: ignore[arg-type]
        selection=selection,
        application=application,
        branch=branch,
        affiliate=affiliate,
    )
    return gettext("Nomination of %(application)s recorded.") % {"application": application.name}


def _act_hustings(request: HttpRequest, selection: Selection) -> str:
    form = forms.HustingsForm(request.POST)
    if not form.is_valid():
        raise DomainError(gettext("give the date, time and venue of the hustings"))
    services.hustings_add(actor=request.user, selection=selection, **form.cleaned_data)  # type: ignore[arg-type]
    return gettext("Hustings published to members.")


def _act_ballot(request: HttpRequest, selection: Selection) -> str:
    form = forms.BallotForm(request.POST)
    if not form.is_valid():
        raise DomainError(gettext("give the opening and closing times of the ballot"))
    ballot = services.selection_ballot_open(
        actor=request.user,  # type: ignore[arg-type]
        selection=selection,
        **form.cleaned_data,
    )
    size = ballot.electorate_size or 0
    return ngettext(
        "The members' ballot is open: %(count)s member may vote.",
        "The members' ballot is open: %(count)s members may vote.",
        size,
    ) % {"count": intcomma(size)}


def _act_declare(request: HttpRequest, selection: Selection) -> str:
    selection = services.selection_declare(actor=request.user, selection=selection)  # type: ignore[arg-type]
    assert selection.selected is not None
    return gettext("%(selected)s is declared the selected candidate.") % {
        "selected": selection.selected.name
    }


_ACTIONS: dict[str, tuple[bool, Callable[[HttpRequest, Selection], str]]] = {
    # name: (managers only, handler); unit actions check the unit in the service.
    "timetable": (True, _act_timetable),
    "branch": (False, _act_branch),
    "affiliate": (False, _act_affiliate),
    "conclude": (True, _act_conclude),
    "list": (True, _act_list),
    "advance": (True, _act_advance),
    "mark_mp": (True, _act_mark_mp),
    "nominate": (False, _act_nominate),
    "hustings": (True, _act_hustings),
    "ballot": (True, _act_ballot),
    "declare": (True, _act_declare),
}


@login_required
@require_POST
def manage_action(request: HttpRequest, selection_id: int, action: str) -> HttpResponse:
    entry = _ACTIONS.get(action)
    if entry is None:
        raise Http404(gettext("no such action"))
    managers_only, handler = entry
    selection = (
        _managed(request, selection_id) if managers_only else _selection(request, selection_id)
    )
    error = False
    try:
        message = handler(request, selection)
    except DomainError as exc:
        message, error = str(exc), True
    except ValidationError as exc:
        message, error = " ".join(exc.messages), True
    if getattr(request, "htmx", False):
        # htmx (trigger decisions): answer with the page itself, the outcome in the panel
        # the form replaces (its status region announces it); no redirect, no flash.
        # Refusals too are answered 200 because htmx does not swap error responses; the
        # database is unchanged all the same.
        selection = _selection(request, selection_id)
        context = _manage_context(request, selection)
        context.update({"flash": message, "flash_error": error})
        return render(request, "selections/manage.html", context)
    (messages.error if error else messages.success)(request, message)
    return redirect("selections:manage", selection_id=selection.pk)
