"""Amendments: the list, moving one (with a word diff preview), its page, the CAC's
ruling and withdrawal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rankandfile.conference import forms, permissions, procedure
from rankandfile.conference.models import Amendment, Conference
from rankandfile.conference.queries import amendments as amendments_queries
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.services import amendments as services
from rankandfile.conference.views.common import (
    actor,
    amend_key,
    conference,
    ctx,
    found,
    organisation,
    organisations,
    require_manager,
)
from rankandfile.core.errors import DomainError


def amendments(request: HttpRequest, year: int) -> HttpResponse:
    """Amendments the user may see (all, once the agenda is published), with rulings."""
    conf = conference(request, year)
    qs = (
        permissions.visible_amendments(request.user, conf)
        .select_related("clp", "affiliate", "submission", "composite", "document")
        .prefetch_related("items")
        .order_by("reference")
    )
    return render(
        request,
        "conference/amendments.html",
        ctx(
            request,
            conference=conf,
            amendments=[(a, amendments_queries.amendment_vote(a)) for a in qs],
            can_amend=permissions.can_submit(request.user)
            and timezone.now() <= conf.dates.amendments_deadline
            and conf.dates.agenda_published_at is not None,
        ),
    )


@login_required
def amendment_new(request: HttpRequest, year: int) -> HttpResponse:
    conf = conference(request, year)
    orgs = organisations(request.user)
    if not orgs:
        raise Http404("only officers of a CLP or an affiliate move amendments")
    targets = amendments_queries.amendment_targets(conf)
    picked = forms.AmendmentTargetForm(request.POST if request.method == "POST" else request.GET)
    key = picked.cleaned_data["target"] if picked.is_valid() else ""
    preview = picked.is_valid() and picked.cleaned_data["preview"]
    target = amendments_queries.amendment_target(conf, key) if key else None
    initial = {"target": key, "text": target.text if target is not None else ""}
    form = forms.AmendmentForm(
        request.POST or None, organisations=orgs, targets=targets, initial=initial
    )
    if request.method == "POST" and not preview and target is not None and form.is_valid():
        d = form.cleaned_data
        try:
            a = services.amendment_create(
                actor=actor(request),
                conference=conf,
                target=target,
                text=d["text"],
                note=d.get("note") or "",
                **organisation(request, d["organisation"]),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("Amendment submitted as %(reference)s.") % {"reference": a.reference},
            )
            return redirect("conference:amendment", year=year, pk=a.pk)
    diff = None
    changed = 0
    if target is not None and form.is_bound:
        text = form.data.get("text", "").strip()
        diff = procedure.word_diff(target.text.strip(), text)
        changed = procedure.words_changed(target.text.strip(), text)
    return render(
        request,
        "conference/amendment_form.html",
        ctx(
            request,
            conference=conf,
            form=form,
            target=target,
            diff=diff,
            changed=changed,
            limit=parameters_in_force().amendment_max_words,
            deadline=conf.dates.amendments_deadline,
        ),
    )


def _amendment(request: HttpRequest, conf: Conference, pk: int) -> Amendment:
    return found(permissions.access_amendment, request.user, conf, pk)


def amendment(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = conference(request, year)
    a = _amendment(request, conf, pk)
    return render(
        request,
        "conference/amendment.html",
        ctx(
            request,
            conference=conf,
            a=a,
            diff=procedure.word_diff(a.base_text, a.text),
            vote=amendments_queries.amendment_vote(a),
            is_sponsor=permissions.is_amendment_sponsor(request.user, a),
            rule_form=forms.AmendmentRulingForm()
            if permissions.can_manage_conference(request.user)
            else None,
        ),
    )


@login_required
@require_POST
def amendment_rule(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = conference(request, year)
    require_manager(request)
    a = _amendment(request, conf, pk)
    form = forms.AmendmentRulingForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose in order or out of order."))
    else:
        in_order = form.cleaned_data["decision"] == "in_order"
        try:
            services.amendment_rule(
                actor=actor(request),
                amendment=a,
                in_order=in_order,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                (
                    gettext("%(reference)s ruled in order.")
                    if in_order
                    else gettext("%(reference)s ruled out of order.")
                )
                % {"reference": a.reference},
            )
        except DomainError as exc:
            messages.error(request, f"{a.reference}: {exc}")
    return redirect("conference:amendment", year=year, pk=pk)


@login_required
@require_POST
def amendment_withdraw(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = conference(request, year)
    a = _amendment(request, conf, pk)
    try:
        services.amendment_withdraw(actor=actor(request), amendment=a)
        messages.success(request, gettext("%(reference)s withdrawn.") % {"reference": a.reference})
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:amendments", year=year)


# --- CAC-designated documents ----------------------------------------------------------------
def document(request: HttpRequest, year: int, number: int) -> HttpResponse:
    """A document the CAC put before conference (public): its text, amendments, votes."""
    conf = conference(request, year)
    doc = found(permissions.access_document, request.user, conf, number)
    return render(
        request,
        "conference/document.html",
        ctx(
            request,
            conference=conf,
            doc=doc,
            items=doc.items.select_related("session"),
            amendments=amendments_queries.amendments_of(doc),
            amend_key=amend_key(request, conf, doc),
        ),
    )


@login_required
def document_new(request: HttpRequest, year: int) -> HttpResponse:
    """The CAC designates an NEC statement or a policy document for amendment."""
    conf = conference(request, year)
    require_manager(request)
    form = forms.DocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            doc = services.document_designate(
                actor=actor(request), conference=conf, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("%(label)s is before conference for amendment.") % {"label": doc.label},
            )
            return redirect("conference:document", year=year, number=doc.number)
    return render(
        request, "conference/document_form.html", ctx(request, conference=conf, form=form)
    )
