"""The party programme: every version, compare two, an entry's provenance, PDF and JSON."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from rankandfile.conference import forms, permissions
from rankandfile.conference.models import ProgrammeVersion
from rankandfile.conference.queries import programme as programme_queries
from rankandfile.conference.views.common import ctx, found


def _versions(request: HttpRequest) -> forms.VersionsForm:
    form = forms.VersionsForm(request.GET)
    if not form.is_valid():
        raise Http404("no such programme version")
    return form


def _programme_version(request: HttpRequest) -> ProgrammeVersion | None:
    n = _versions(request).cleaned_data["v"]
    return found(permissions.access_programme_version, request.user, n) if n else None


def programme(request: HttpRequest) -> HttpResponse:
    version = _programme_version(request)
    versions = programme_queries.programme_versions()
    entries = programme_queries.programme_entries(version)
    cmp = None
    pick = _versions(request).cleaned_data
    a, b = pick["a"], pick["b"]
    if a and b:
        cmp = programme_queries.programme_compare(
            found(permissions.access_programme_version, request.user, a),
            found(permissions.access_programme_version, request.user, b),
        )
    return render(
        request,
        "conference/programme.html",
        ctx(
            request,
            version=version,
            versions=versions,
            groups=programme_queries.programme_by_topic(entries),
            count=len(entries),
            entry_base=reverse("conference:programme") + "entries/",
            cmp=cmp,
            latest=versions[0] if versions else None,
        ),
    )


def programme_entry(request: HttpRequest, pk: int) -> HttpResponse:
    e = found(permissions.access_programme_entry, request.user, pk)
    return render(
        request,
        "conference/programme_entry.html",
        ctx(request, e=e, superseded_by=list(e.superseded_by.select_related("conference"))),
    )


def programme_download(request: HttpRequest, fmt: str) -> HttpResponse:
    version = _programme_version(request)
    data = programme_queries.programme_json(version)
    name = f"programme-v{data['version'] or 'current'}"
    if fmt == "json":
        out = JsonResponse(data, json_dumps_params={"indent": 2})
        out["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return out
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    html = render_to_string(
        "conference/programme_pdf.html",
        {
            "data": data,
            "groups": programme_queries.programme_by_topic(
                programme_queries.programme_entries(version)
            ),
        },
    )
    resp = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return resp
