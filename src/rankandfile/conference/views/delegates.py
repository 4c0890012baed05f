"""Delegates: CLP officers register their delegates (at a meeting or from a declared
ballot), the CAC and officers check them in; affiliates register their delegations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from rankandfile.conference import forms, permissions
from rankandfile.conference.models import Conference
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import delegates as delegates_queries
from rankandfile.conference.services import delegates as services
from rankandfile.conference.views.common import (
    actor,
    conference,
    ctx,
    found,
    posted_action,
    require_manager,
)
from rankandfile.core import audit
from rankandfile.core.errors import DomainError


@login_required
def delegates(request: HttpRequest, year: int) -> HttpResponse:
    """The delegates page: entitlements, registering a delegate, the list and check-in."""
    conf = conference(request, year)
    manager = permissions.can_manage_conference(request.user)
    clps = list(permissions.submitting_clps(request.user))
    if not manager and not clps:
        raise Http404("no delegates you manage")
    form = forms.DelegateForm()
    if request.method == "POST":
        action = posted_action(request, ("register", "ballot"))
        if action == "ballot":
            return _register_from_ballot(request, conf)
        if action == "register":
            form = forms.DelegateForm(request.POST)
            if form.is_valid() and _register(request, conf, form):
                return redirect("conference:delegates", year=year)
    search = forms.DelegateSearchForm(request.GET)
    q = (search.cleaned_data["q"] or "").strip() if search.is_valid() else ""
    visible = permissions.visible_delegates(request.user, conf)
    listing = delegates_queries.delegates_of(conf).filter(pk__in=visible.values("pk"))
    if q:
        listing = listing.filter(credential=q) | listing.filter(member__last_name__icontains=q)
    p = common_queries.conference_parameters(conf)
    return render(
        request,
        "conference/delegates.html",
        ctx(
            request,
            conference=conf,
            params=p,
            entitlements=delegates_queries.clp_entitlements(conf, clps, p),
            form=form,
            delegates=listing[:500],
            ballots=delegates_queries.declared_ballots(clps),
            q=q,
            manager=manager,
            delegations=permissions.visible_delegations(request.user, conf).select_related(
                "affiliate", "leader"
            )
            if manager
            else [],
        ),
    )


def _register(request: HttpRequest, conf: Conference, form: forms.DelegateForm) -> bool:
    """Register the delegate the form names (looked up among the members the user
    manages, the lookup audited); False with the form's errors set when refused."""
    d = form.cleaned_data
    number = d["membership_number"].strip()
    member = delegates_queries.member_by_number(request.user, number)
    audit.record_read(
        actor=actor(request),
        action="conference.delegate.member_lookup",
        target=conf,
        data={"membership_number": number, "found": member is not None},
    )
    if member is None:
        form.add_error(
            "membership_number", gettext("No member with that number among the members you manage.")
        )
        return False
    try:
        dl = services.delegate_register(
            actor=actor(request),
            conference=conf,
            member=member,
            kind=d["kind"],
            meeting_date=d["meeting_date"],
        )
    except DomainError as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(
        request,
        gettext("%(member)s is a delegate of %(clp)s; credential %(credential)s.")
        % {"member": dl.member, "clp": dl.clp, "credential": dl.credential},
    )
    return True


def _register_from_ballot(request: HttpRequest, conf: Conference) -> HttpResponse:
    form = forms.BallotDelegatesForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(gettext("Choose a ballot of your CLP."))
        ballot = found(
            permissions.access_delegates_ballot, request.user, form.cleaned_data["ballot"]
        )
        clp = ballot.clp
        if clp is None:  # pragma: no cover - access_delegates_ballot returns CLP ballots
            raise DomainError(gettext("Choose a ballot of your CLP."))
        done = services.delegates_from_ballot(
            actor=actor(request), conference=conf, clp=clp, ballot=ballot
        )
        messages.success(
            request,
            ngettext(
                "%(n)s delegate registered from %(ballot)s.",
                "%(n)s delegates registered from %(ballot)s.",
                len(done),
            )
            % {"n": len(done), "ballot": ballot.title},
        )
    except (DomainError, Http404) as exc:
        messages.error(request, str(exc))
    return redirect("conference:delegates", year=conf.year)


@login_required
@require_POST
def check_in(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = conference(request, year)
    d = found(permissions.access_delegate, request.user, conf, pk)
    try:
        services.delegate_check_in(actor=actor(request), delegate=d)
        messages.success(request, gettext("%(member)s checked in.") % {"member": d.member})
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("conference:delegates", args=[year]) + f"?q={d.credential}")


@login_required
@require_POST
def delegation_check_in(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = conference(request, year)
    require_manager(request)
    d = found(permissions.access_delegation, request.user, conf, pk)
    try:
        services.delegation_check_in(actor=actor(request), delegation=d)
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:delegates", year=year)


@login_required
def delegation(request: HttpRequest, year: int) -> HttpResponse:
    """An affiliate officer registers the delegation (they lead it and cast its card)."""
    conf = conference(request, year)
    affs = permissions.submitting_affiliates(request.user)
    if not affs.exists():
        raise Http404("only affiliate officers register delegations")
    if request.method == "POST":
        form = forms.DelegationForm(request.POST, affiliates=affs)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, str(errors[0]))
        else:
            aff = form.cleaned_data["affiliate"]
            try:
                d = services.delegation_register(
                    actor=actor(request),
                    conference=conf,
                    affiliate=aff,
                    leader=actor(request),
                    size=form.cleaned_data["size"],
                )
                messages.success(
                    request,
                    gettext("%(affiliate)s delegation registered: it casts %(votes)s votes.")
                    % {"affiliate": aff, "votes": f"{d.affiliated_members:,}"},
                )
                return redirect("conference:delegation", year=year)
            except DomainError as exc:
                messages.error(request, str(exc))
    existing = (
        permissions.visible_delegations(request.user, conf)
        .filter(affiliate__in=affs)
        .select_related("affiliate")
    )
    return render(
        request,
        "conference/delegation.html",
        ctx(request, conference=conf, affiliates=list(affs), existing=existing),
    )
