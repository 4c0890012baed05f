"""The rule book: every version with its clauses and parameters, compare two, PDF and
JSON; the CAC publishes the version a conference's carried rule changes make."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rankandfile.conference import forms, permissions
from rankandfile.conference.models import RuleBookVersion
from rankandfile.conference.queries import rulebook as rulebook_queries
from rankandfile.conference.rulebook import rule_book_in_force
from rankandfile.conference.services import rulebook as services
from rankandfile.conference.views.common import actor, conference, ctx, found, require_manager
from rankandfile.core.errors import DomainError


def _rule_version(request: HttpRequest, number: int | None) -> RuleBookVersion:
    if number:
        return found(permissions.access_rule_book_version, request.user, number)
    v = rule_book_in_force()
    if v is None:
        raise Http404("no rule book")
    return v


def rule_book(request: HttpRequest, number: int | None = None) -> HttpResponse:
    v = _rule_version(request, number)
    versions = rulebook_queries.rule_book_versions()
    changes = params = None
    form = forms.VersionsForm(request.GET)
    if not form.is_valid():
        raise Http404("no such rule-book version")
    a, b = form.cleaned_data["a"], form.cleaned_data["b"]
    if a and b:
        changes, params = rulebook_queries.rule_book_compare(
            found(permissions.access_rule_book_version, request.user, a),
            found(permissions.access_rule_book_version, request.user, b),
        )
    return render(
        request,
        "conference/rule_book.html",
        ctx(
            request,
            v=v,
            versions=versions,
            clauses=rulebook_queries.clauses(v),
            in_force=rule_book_in_force(),
            parameters=sorted(v.parameters.items()),
            changes=changes,
            param_changes=params,
            a=str(a) if a else None,
            b=str(b) if b else None,
        ),
    )


def rule_book_download(request: HttpRequest, number: int, fmt: str) -> HttpResponse:
    v = _rule_version(request, number)
    data = rulebook_queries.rule_book_json(v)
    name = f"rule-book-v{v.number}"
    if fmt == "json":
        out = JsonResponse(data, json_dumps_params={"indent": 2})
        out["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return out
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    html = render_to_string("conference/rule_book_pdf.html", {"data": data})
    resp = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return resp


@login_required
@require_POST
def rule_book_publish(request: HttpRequest, year: int) -> HttpResponse:
    """The CAC publishes the rule book the conference's carried rule changes make."""
    conf = conference(request, year)
    require_manager(request)
    form = forms.RuleBookPublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give the date the new rule book takes effect."))
        return redirect("conference:floor", year=year)
    day = form.cleaned_data["effective_from"]
    try:
        v = services.rule_book_publish(actor=actor(request), conference=conf, effective_from=day)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("conference:floor", year=year)
    messages.success(
        request,
        gettext("%(title)s is published; it takes effect on %(day)s.")
        % {"title": v.title, "day": date_format(day, "j F Y")},
    )
    return redirect("conference:rule_book_version", number=v.number)
