"""The conference landing page, setting up a conference, and its agenda page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.conference import forms, permissions
from rankandfile.conference.queries import amendments as amendments_queries
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import compositing as compositing_queries
from rankandfile.conference.queries import floor as floor_queries
from rankandfile.conference.queries import setup as setup_queries
from rankandfile.conference.rulebook import parameters_in_force, rule_book_in_force
from rankandfile.conference.services import setup as services
from rankandfile.conference.views.common import actor, conference, ctx, require_manager
from rankandfile.core.errors import DomainError


def index(request: HttpRequest) -> HttpResponse:
    conf = common_queries.current_conference()
    has_dates = conf is not None and hasattr(conf, "dates")
    return render(
        request,
        "conference/index.html",
        ctx(
            request,
            conference=conf if has_dates else None,
            conferences=setup_queries.conferences_set_up(),
            rule_book=rule_book_in_force(),
            params=parameters_in_force(),
            can_submit=permissions.can_submit(request.user),
            my_open_items=(
                floor_queries.open_items_with_my_cards(request.user, conf)
                if conf is not None and has_dates
                else []
            ),
        ),
    )


@login_required
def conference_new(request: HttpRequest) -> HttpResponse:
    require_manager(request)
    form = forms.ConferenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conf = services.conference_create(actor=actor(request), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("%(title)s is set up.") % {"title": conf.title})
            return redirect("conference:detail", year=conf.year)
    return render(request, "conference/conference_form.html", ctx(request, form=form))


def detail(request: HttpRequest, year: int) -> HttpResponse:
    """The conference's agenda: sessions and items, topics, composites. Submissions are
    listed on their own paged page (a conference may have hundreds)."""
    conf = conference(request, year, set_up=False)
    subs = permissions.visible_submissions(request.user, conf)
    return render(
        request,
        "conference/detail.html",
        ctx(
            request,
            conference=conf,
            dates=getattr(conf, "dates", None),
            sessions=floor_queries.agenda(conf),
            topics=setup_queries.topics_with_counts(conf),
            composites=compositing_queries.composites_of(conf),
            documents=amendments_queries.documents_of(conf),
            params=common_queries.conference_parameters(conf),
            can_submit=permissions.can_submit(request.user),
            visible_count=subs.count(),
        ),
    )


@login_required
def dates(request: HttpRequest, year: int) -> HttpResponse:
    """The CAC changes the conference's dates after set-up, with the set-up's checks."""
    conf = conference(request, year)
    require_manager(request)
    d = conf.dates
    current = {
        "starts_on": conf.starts_on,
        "ends_on": conf.ends_on,
        "motions_deadline": timezone.localtime(d.motions_deadline),
        "rule_changes_deadline": timezone.localtime(d.rule_changes_deadline),
        "amendments_deadline": timezone.localtime(d.amendments_deadline),
        "delegates_deadline": timezone.localtime(d.delegates_deadline),
        "census_date": d.census_date,
    }
    form = forms.ConferenceDatesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.conference_dates_change(
                actor=actor(request), conference=conf, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, gettext("The dates of %(title)s are changed.") % {"title": conf.title}
            )
            return redirect("conference:arrangements", year=year)
    return render(request, "conference/dates_form.html", ctx(request, conference=conf, form=form))
