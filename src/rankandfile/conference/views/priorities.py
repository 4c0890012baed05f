"""The priorities ballot: the CAC opens and closes it; each delegation casts its topics."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from rankandfile.conference import forms
from rankandfile.conference.models import Conference
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import priorities as priorities_queries
from rankandfile.conference.queries import setup as setup_queries
from rankandfile.conference.services import priorities as services
from rankandfile.conference.views.common import actor, conference, ctx
from rankandfile.core.errors import DomainError
from rankandfile.membership.models import CLP, Affiliate


@login_required
def priorities(request: HttpRequest, year: int) -> HttpResponse:
    conf = conference(request, year)
    clps, affs = priorities_queries.priority_voter_units(actor(request), conf)
    if request.method == "POST":
        try:
            _act(request, conf, clps, affs)
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("conference:priorities", year=year)
    voted_clps, voted_affs = priorities_queries.priorities_voted(conf)
    dates = conf.dates
    return render(
        request,
        "conference/priorities.html",
        ctx(
            request,
            conference=conf,
            dates=dates,
            params=common_queries.conference_parameters(conf),
            topics=list(setup_queries.topics_of(conf)),
            units=[(f"clp:{c.pk}", c.label, c.pk in voted_clps) for c in clps]
            + [(f"affiliate:{a.pk}", a.name, a.pk in voted_affs) for a in affs],
            result=dates.priorities_result or None,
        ),
    )


def _act(request: HttpRequest, conf: Conference, clps: list[CLP], affs: list[Affiliate]) -> None:
    """Open or close the ballot (CAC), or cast a delegation's topics."""
    action = forms.PrioritiesActionForm(request.POST)
    what = action.cleaned_data["action"] if action.is_valid() else ""
    if what == "open":
        services.priorities_open(actor=actor(request), conference=conf)
        messages.success(request, gettext("The priorities ballot is open."))
        return
    if what == "close":
        services.priorities_close(actor=actor(request), conference=conf)
        messages.success(
            request, gettext("The priorities ballot is counted and the debated topics published.")
        )
        return
    units = [(f"clp:{c.pk}", c.name) for c in clps] + [(f"affiliate:{a.pk}", a.name) for a in affs]
    form = forms.PrioritiesVoteForm(request.POST, units=units, topics=setup_queries.topics_of(conf))
    if not form.is_valid():
        raise DomainError(next(iter(form.errors.values()))[0])
    kind, _, pk = form.cleaned_data["unit"].partition(":")
    clp = next((c for c in clps if kind == "clp" and str(c.pk) == pk), None)
    aff = next((a for a in affs if kind == "affiliate" and str(a.pk) == pk), None)
    services.priorities_cast(
        actor=actor(request),
        conference=conf,
        topics=list(form.cleaned_data["topics"]),
        clp=clp,
        affiliate=aff,
    )
    messages.success(
        request, gettext("Priorities recorded for %(organisation)s.") % {"organisation": clp or aff}
    )
