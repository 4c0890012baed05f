"""Compositing: the CAC drafts a composite from a topic's motions (with the live
provenance check), redrafts it; each mover's organisation agrees the wording."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rankandfile.conference import forms, permissions, procedure
from rankandfile.conference.models import Composite, Conference
from rankandfile.conference.queries import amendments as amendments_queries
from rankandfile.conference.queries import compositing as compositing_queries
from rankandfile.conference.services import compositing as services
from rankandfile.conference.views.common import (
    actor,
    amend_key,
    conference,
    ctx,
    found,
    require_manager,
)
from rankandfile.core.errors import DomainError


@login_required
def composite_new(request: HttpRequest, year: int, topic_id: int) -> HttpResponse:
    conf = conference(request, year)
    require_manager(request)
    topic = found(permissions.access_topic, request.user, conf, topic_id)
    form = forms.CompositeForm(request.POST or None, initial={"title": topic.name})
    if request.method == "POST" and form.is_valid():
        try:
            c = services.composite_create(actor=actor(request), topic=topic, **form.cleaned_data)
            return redirect("conference:composite", year=year, number=c.number)
        except DomainError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "conference/composite_form.html",
        ctx(
            request,
            conference=conf,
            topic=topic,
            originals=compositing_queries.topic_motions(topic),
            form=form,
            composite=None,
        ),
    )


@login_required
@require_POST
def provenance(request: HttpRequest, year: int, topic_id: int) -> HttpResponse:
    """The compositing editor's live check (htmx): each sentence's original, new words."""
    conf = conference(request, year)
    require_manager(request)
    topic = found(permissions.access_topic, request.user, conf, topic_id)
    form = forms.ProvenanceForm(request.POST)
    text = (form.cleaned_data["text"] or "") if form.is_valid() else ""
    origins = procedure.provenance(text, compositing_queries.topic_motion_texts(topic))
    return render(
        request,
        "conference/_provenance.html",
        {"origins": origins, "new_words": [w for o in origins for w in o.new_words]},
    )


def composite(request: HttpRequest, year: int, number: int) -> HttpResponse:
    """A composite: its text with each sentence's provenance, the movers' agreement, the
    CAC's redrafting form while it is a draft."""
    conf = conference(request, year)
    c = found(permissions.access_composite, request.user, conf, number)
    view = compositing_queries.composite_view(c)
    action = forms.CompositeActionForm(request.POST if request.method == "POST" else None)
    what = action.cleaned_data["action"] if action.is_valid() else ""
    form = None
    if permissions.can_manage_conference(request.user) and c.status == Composite.Status.DRAFT:
        editing = what == "edit"
        form = forms.CompositeForm(
            request.POST if editing else None, initial={"title": c.title, "text": c.text}
        )
        if editing and form.is_valid():
            try:
                services.composite_update(actor=actor(request), composite=c, **form.cleaned_data)
                messages.success(
                    request, gettext("Composite redrafted; the movers must agree the new wording.")
                )
                return redirect("conference:composite", year=year, number=number)
            except DomainError as exc:
                form.add_error(None, str(exc))
    if what == "sign":
        return _sign(request, conf, c, view)
    signable = [
        s
        for s in view.unsigned
        if request.user.is_authenticated and permissions.can_sign_composite(request.user, s)
    ]
    return render(
        request,
        "conference/composite.html",
        ctx(
            request,
            conference=conf,
            c=c,
            view=view,
            form=form,
            signable=signable,
            items=c.items.select_related("session"),
            amendments=amendments_queries.amendments_of(c),
            amend_key=amend_key(request, conf, c),
        ),
    )


def _sign(
    request: HttpRequest, conf: Conference, c: Composite, view: compositing_queries.CompositeView
) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404("sign in first")
    form = forms.CompositeSignForm(request.POST, originals=view.originals)
    try:
        if not form.is_valid():
            raise DomainError(gettext("choose the motion you agree for"))
        sub = next(s for s in view.originals if s.pk == form.cleaned_data["submission"])
        services.composite_sign(actor=actor(request), composite=c, submission=sub)
        messages.success(
            request,
            gettext("%(organisation)s agrees the composite.")
            % {"organisation": sub.organisation_name},
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:composite", year=conf.year, number=c.number)
