"""Submissions: the paged list, submitting (with the live word count), a submission's
page and withdrawal; the CAC's arrangements: rulings, topics, publishing the agenda."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rankandfile.conference import forms, permissions, procedure
from rankandfile.conference.models import Conference, Submission
from rankandfile.conference.queries import amendments as amendments_queries
from rankandfile.conference.queries import setup as setup_queries
from rankandfile.conference.queries import submissions as submissions_queries
from rankandfile.conference.rulebook import parameters_in_force, rule_book_in_force
from rankandfile.conference.rules import RuleParameters
from rankandfile.conference.services import setup as setup_services
from rankandfile.conference.services import submissions as services
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

SUBMISSIONS_PER_PAGE = 100


def submissions(request: HttpRequest, year: int) -> HttpResponse:
    """Submissions the user may see, by topic (``?topic=<id>``, ``?topic=rules``), paged."""
    conf = conference(request, year)
    pick = forms.SubmissionsFilterForm(request.GET)
    topic, number = (
        (pick.cleaned_data["topic"], pick.cleaned_data["page"]) if pick.is_valid() else ("", None)
    )
    qs = submissions_queries.submissions_listed(
        permissions.visible_submissions(request.user, conf), topic
    )
    page = Paginator(qs, SUBMISSIONS_PER_PAGE).get_page(number)
    return render(
        request,
        "conference/submissions.html",
        ctx(
            request,
            conference=conf,
            page=page,
            groups=submissions_queries.submissions_by_topic(list(page.object_list)),
            topics=setup_queries.topics_with_counts(conf),
            topic=topic,
            submission_base=reverse("conference:detail", args=[year]) + "submissions/",
        ),
    )


@login_required
def submit(request: HttpRequest, year: int) -> HttpResponse:
    conf = conference(request, year)
    orgs = organisations(request.user)
    if not orgs:
        raise Http404("only officers of a CLP or an affiliate submit to conference")
    form = forms.SubmissionForm(request.POST or None, organisations=orgs)
    p = parameters_in_force()
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            sub = services.submission_create(
                actor=actor(request),
                conference=conf,
                kind=d["kind"],
                title=d["title"],
                text=d["text"],
                clause_number=d.get("clause_number") or "",
                meeting_date=d["meeting_date"],
                meeting_for=d["meeting_for"],
                meeting_against=d["meeting_against"],
                meeting_abstain=d.get("meeting_abstain") or 0,
                **organisation(request, d["organisation"]),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, gettext("Submitted as %(reference)s.") % {"reference": sub.reference}
            )
            return redirect("conference:submission", year=year, pk=sub.pk)
    text = form.data.get("text", "") if form.is_bound else ""
    return render(
        request,
        "conference/submit.html",
        ctx(
            request,
            conference=conf,
            form=form,
            params=p,
            count=count_ctx(text, form.data.get("title", "") if form.is_bound else "", p),
            used=submissions_queries.used_submissions(conf, orgs),
            now=timezone.now(),
        ),
    )


def count_ctx(text: str, title: str, p: RuleParameters) -> dict[str, Any]:
    n, t = procedure.word_count(text), procedure.word_count(title)
    return {
        "words": n,
        "limit": p.motion_max_words,
        "over": n > p.motion_max_words,
        "title_words": t,
        "title_limit": p.motion_title_max_words,
        "title_over": t > p.motion_title_max_words,
    }


def word_count(request: HttpRequest) -> HttpResponse:
    """The live word count (htmx fragment; also plain GET/POST)."""
    form = forms.WordCountForm(request.POST if request.method == "POST" else request.GET)
    d = form.cleaned_data if form.is_valid() else {}
    return render(
        request,
        "conference/_word_count.html",
        {"count": count_ctx(d.get("text") or "", d.get("title") or "", parameters_in_force())},
    )


def submission(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = conference(request, year)
    sub = found(permissions.access_submission, request.user, conf, pk)
    return submission_page(request, conf, sub)


def submission_page(
    request: HttpRequest,
    conf: Conference,
    sub: Submission,
    *,
    parameter_form: forms.RuleChangeParametersForm | None = None,
) -> HttpResponse:
    """A submission's page (also shown again with the CAC's parameter form's errors)."""
    diff = clause = None
    if sub.kind == Submission.Kind.RULE_CHANGE:
        book = rule_book_in_force(on=timezone.localdate(sub.submitted_at))
        clause = book.clauses.filter(number=sub.clause_number).first() if book else None
        if clause is not None:
            diff = procedure.word_diff(clause.text, sub.text)
    rule_form = None
    if permissions.can_manage_conference(request.user):
        rule_form = forms.RulingForm(
            topics=setup_queries.topics_of(conf), initial={"topic": sub.topic_id}
        )
    return render(
        request,
        "conference/submission.html",
        ctx(
            request,
            conference=conf,
            sub=sub,
            clause=clause,
            diff=diff,
            words=procedure.word_count(sub.text),
            is_sponsor=permissions.is_sponsor(request.user, sub),
            rule_form=rule_form,
            items=sub.items.select_related("session"),
            amendments=amendments_queries.amendments_of(sub),
            amend_key=amend_key(request, conf, sub),
            **_rule_change_ctx(request, sub, parameter_form),
        ),
    )


def _rule_change_ctx(
    request: HttpRequest, sub: Submission, form: forms.RuleChangeParametersForm | None = None
) -> dict[str, Any]:
    """A rule change's parameter changes (before and after), whether its clause text and
    parameters agree, and for the CAC the form to change them (until it is on the floor)."""
    if sub.kind != Submission.Kind.RULE_CHANGE:
        return {}
    out: dict[str, Any] = {
        "parameter_rows": submissions_queries.rule_change_rows(sub),
        "disagreements": submissions_queries.rule_change_disagreements(sub),
        "parameter_form": None,
    }
    editable = sub.status in (Submission.Status.SUBMITTED, Submission.Status.IN_ORDER)
    if permissions.can_manage_conference(request.user) and editable and not sub.items.exists():
        current = submissions_queries.rule_change_current(sub)
        out["parameter_form"] = form or forms.RuleChangeParametersForm(
            clause_number=sub.clause_number, current=current
        )
    return out


@login_required
@require_POST
def rule_change_parameters(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    """The CAC attaches the typed parameter changes that go with a rule change's text."""
    conf = conference(request, year)
    require_manager(request)
    sub = found(permissions.access_submission, request.user, conf, pk)
    form = forms.RuleChangeParametersForm(
        request.POST,
        clause_number=sub.clause_number,
        current=submissions_queries.rule_change_current(sub),
    )
    if form.is_valid():
        try:
            sub = services.rule_change_parameters_set(
                actor=actor(request), submission=sub, changes=form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            rows = submissions_queries.rule_change_rows(sub)
            changed = "; ".join(
                gettext("%(label)s becomes %(value)s") % {"label": label, "value": after}
                for _, label, _, after in rows
            )
            messages.success(
                request,
                gettext("%(reference)s: %(changes)s.")
                % {
                    "reference": sub.reference,
                    "changes": changed or gettext("no parameter changes"),
                },
            )
            return redirect("conference:submission", year=year, pk=sub.pk)
    return submission_page(request, conf, sub, parameter_form=form)


@login_required
@require_POST
def submission_withdraw(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = conference(request, year)
    sub = found(permissions.access_submission, request.user, conf, pk)
    try:
        services.submission_withdraw(actor=actor(request), submission=sub)
        messages.success(
            request, gettext("%(reference)s withdrawn.") % {"reference": sub.reference}
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:submission", year=year, pk=pk)


# --- Arrangements (CAC) ----------------------------------------------------------------------
@login_required
def arrangements(request: HttpRequest, year: int) -> HttpResponse:
    conf = conference(request, year)
    require_manager(request)
    subs = permissions.visible_submissions(request.user, conf).filter(debate_year=conf.year)
    return render(
        request,
        "conference/arrangements.html",
        ctx(
            request,
            conference=conf,
            dates=conf.dates,
            pending=submissions_queries.submissions_pending(subs),
            groups=submissions_queries.submissions_by_topic(
                subs.exclude(status=Submission.Status.SUBMITTED)
            ),
            topics=setup_queries.topics_with_counts(conf),
            topic_form=forms.TopicForm(),
            later=submissions_queries.submissions_for_later(conf),
        ),
    )


@login_required
@require_POST
def rule(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = conference(request, year)
    require_manager(request)
    sub = found(permissions.access_submission, request.user, conf, pk)
    form = forms.RulingForm(request.POST, topics=setup_queries.topics_of(conf))
    if not form.is_valid():
        messages.error(request, gettext("Choose in order or out of order."))
    else:
        d = form.cleaned_data
        in_order = d["decision"] == "in_order"
        try:
            services.submission_rule(
                actor=actor(request),
                submission=sub,
                in_order=in_order,
                reason=d["reason"],
                topic=d["topic"],
            )
            messages.success(
                request,
                (
                    gettext("%(reference)s ruled in order.")
                    if in_order
                    else gettext("%(reference)s ruled out of order.")
                )
                % {"reference": sub.reference},
            )
        except DomainError as exc:
            messages.error(request, f"{sub.reference}: {exc}")
    back = forms.NextForm(request.POST)
    nxt = back.cleaned_data["next"] if back.is_valid() else ""
    return redirect(nxt or reverse("conference:arrangements", args=[year]))


@login_required
@require_POST
def topic_new(request: HttpRequest, year: int) -> HttpResponse:
    conf = conference(request, year)
    require_manager(request)
    form = forms.TopicForm(request.POST)
    if form.is_valid():
        try:
            setup_services.topic_create(
                actor=actor(request), conference=conf, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
    return redirect("conference:arrangements", year=year)


@login_required
@require_POST
def agenda_publish(request: HttpRequest, year: int) -> HttpResponse:
    conf = conference(request, year)
    require_manager(request)
    try:
        services.agenda_publish(actor=actor(request), conference=conf)
        messages.success(request, gettext("The agenda is published."))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:arrangements", year=year)
