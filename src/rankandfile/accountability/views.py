"""Pages for accountability: thin — permission, one query or service, render.

Public (no login): the landing page, MP pages, policy pages, divisions, votes against the
programme, charts. Officers: policy and link maintenance, the CLP view, reconciliation.
Members: "my MP" and alert preferences.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rankandfile.accountability import charts, forms, permissions, queries, services
from rankandfile.accountability.models import AlertPreference, PolicyDivision
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import MP


def _404(exc: NotFound) -> Http404:
    return Http404(str(exc))


def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accountability/index.html",
        {
            "nav": "accountability",
            "search_form": forms.MPSearchForm(),
            "policies": queries.policy_list(),
            "can_manage": permissions.can_manage_policies(request.user),
            "member": membership_permissions.own_member(request.user),
            "managed_clps": list(membership_permissions.managed_clps(request.user)[:30])
            if request.user.is_authenticated
            else [],
        },
    )


def mp_search(request: HttpRequest) -> HttpResponse:
    """Find an MP by name or constituency (public)."""
    form = forms.MPSearchForm(request.GET or None)
    q = form.query()
    return render(
        request,
        "accountability/mps.html",
        {
            "nav": "accountability",
            "search_form": form,
            "q": q,
            "found": queries.find_mps(q) if q else [],
        },
    )


@login_required
def my_mp(request: HttpRequest) -> HttpResponse:
    """Redirect a member to their CLP's MP page."""
    member = membership_permissions.own_member(request.user)
    if member is None:
        messages.info(request, gettext("Your login is not linked to a membership record."))
        return redirect("accountability:index")
    mp = (
        MP.objects.filter(constituency_id=member.clp.constituency_id)
        .order_by("-in_office", "-pk")
        .first()
    )
    if mp is None:
        messages.info(
            request,
            gettext("We have no MP on record for %(constituency)s.")
            % {"constituency": member.clp.constituency},
        )
        return redirect("accountability:index")
    return redirect("accountability:mp", mnis_id=mp.mnis_id)


def mp_detail(request: HttpRequest, mnis_id: int) -> HttpResponse:
    try:
        mp = permissions.access_mp(mnis_id)
    except NotFound as exc:
        raise _404(exc) from exc
    can_manage = permissions.can_manage_policies(request.user)
    form = None
    if can_manage:
        form = forms.PartyChangeForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.party_change_record(
                    actor=request.user,  # type: ignore[arg-type]
                    mp=mp,
                    **form.cleaned_data,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("Party change recorded; scores recomputed."))
                return redirect("accountability:mp", mnis_id=mp.mnis_id)
    elif request.method == "POST":
        raise DjangoPermissionDenied
    context = queries.mp_page(mp)
    member = membership_permissions.own_member(request.user)
    departure = context["departure"]
    by_election_url = ""
    if departure is not None and permissions.can_start_by_election(request.user, mp):
        assert mp.constituency is not None
        by_election_url = (
            reverse("campaigns:create")
            + "?"
            + urlencode({"clp": mp.constituency.clp.pk, "mp": mp.pk})
        )
    context |= {
        "by_election_url": by_election_url,
        "nav": "accountability",
        "is_my_mp": member is not None and member.clp.constituency_id == mp.constituency_id,
        "party_form": form,
        "can_view_clp": mp.constituency is not None
        and hasattr(mp.constituency, "clp")
        and permissions.can_view_clp_accountability(request.user, mp.constituency.clp),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "accountability/mp.html", context, status=status)


def mp_policy(request: HttpRequest, mnis_id: int, slug: str) -> HttpResponse:
    """One MP's votes behind one policy's score (full page, or the fragment for htmx)."""
    try:
        mp = permissions.access_mp(mnis_id)
        policy = permissions.access_policy(slug)
    except NotFound as exc:
        raise _404(exc) from exc
    context = queries.mp_page(mp, policy) | {"nav": "accountability"}
    template = (
        "accountability/_evidence.html"
        if getattr(request, "htmx", False)
        else "accountability/mp_policy.html"
    )
    context["pe"] = context["policies"][0]  # type: ignore[index]
    return render(request, template, context)


def mp_chart(request: HttpRequest, mnis_id: int) -> HttpResponse:
    try:
        mp = permissions.access_mp(mnis_id)
    except NotFound as exc:
        raise _404(exc) from exc
    from rankandfile.accountability.models import Score

    rows = [
        (s.policy.title, s.agreement, s.party_agreement)
        for s in Score.objects.filter(mp=mp).select_related("policy").order_by("policy__title")
    ]
    svg = charts.mp_chart_svg(rows, f"{mp.name}: agreement with each policy")
    return HttpResponse(svg, content_type="image/svg+xml")


def policy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        policy = permissions.access_policy(slug)
    except NotFound as exc:
        raise _404(exc) from exc
    context = queries.policy_page(policy)
    can_manage = permissions.can_manage_policies(request.user)
    context |= {
        "nav": "accountability",
        "can_manage": can_manage,
        "link_form": forms.LinkForm() if can_manage else None,
    }
    return render(request, "accountability/policy.html", context)


def policy_chart(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        policy = permissions.access_policy(slug)
    except NotFound as exc:
        raise _404(exc) from exc
    bands = queries.policy_page(policy)["bands"]
    svg = charts.policy_chart_svg(bands, f"MPs on: {policy.title}")  # type: ignore[arg-type]
    return HttpResponse(svg, content_type="image/svg+xml")


@login_required
def policy_new(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_policies(request.user):
        raise DjangoPermissionDenied
    form = forms.PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_create(
                actor=request.user,  # type: ignore[arg-type]
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                programme_entry=form.cleaned_data["programme_entry"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("Policy “%(policy_title)s” created: now link divisions.")
                % {"policy_title": policy.title},
            )
            return redirect("accountability:policy", slug=policy.slug)
    return render(
        request, "accountability/policy_new.html", {"nav": "accountability", "form": form}
    )


@login_required
@require_POST
def link_save_view(request: HttpRequest, slug: str) -> HttpResponse:
    if not permissions.can_manage_policies(request.user):
        raise DjangoPermissionDenied
    try:
        policy = permissions.access_policy(slug)
    except NotFound as exc:
        raise _404(exc) from exc
    form = forms.LinkForm(request.POST)
    if form.is_valid():
        try:
            services.link_save(
                actor=request.user,  # type: ignore[arg-type]
                policy=policy,
                division=form.cleaned_data["division"],
                aye_supports=form.cleaned_data["aye_supports"],
                strength=form.cleaned_data["strength"],
                justification=form.cleaned_data["justification"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Division linked; scores have been recomputed."))
            return redirect("accountability:policy", slug=policy.slug)
    context = queries.policy_page(policy) | {
        "nav": "accountability",
        "can_manage": True,
        "link_form": form,
    }
    return render(request, "accountability/policy.html", context, status=400)


@login_required
@require_POST
def link_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_manage_policies(request.user):
        raise DjangoPermissionDenied
    link = PolicyDivision.objects.select_related("policy", "division").filter(pk=pk).first()
    if link is None:
        raise Http404("no such link")
    form = forms.RemoveLinkForm(request.POST)
    slug = link.policy.slug
    if form.is_valid():
        services.link_remove(actor=request.user, link=link, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        messages.success(request, gettext("Division removed from the policy; scores recomputed."))
    else:
        messages.error(request, gettext("Say why the division is removed."))
    return redirect("accountability:policy", slug=slug)


def division_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accountability/divisions.html",
        {"nav": "accountability", "divisions": queries.divisions_list()},
    )


def against(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accountability/against.html",
        {"nav": "accountability", "scores": queries.votes_against_programme()},
    )


@login_required
def clp_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        clp = permissions.access_clp_accountability(request.user, slug)
    except NotFound as exc:
        raise _404(exc) from exc
    context = queries.clp_view(clp) | {"nav": "accountability"}
    return render(request, "accountability/clp.html", context)


@login_required
def reconciliation_view(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_reconciliation(request.user):
        raise Http404("no such page")
    return render(
        request,
        "accountability/reconciliation.html",
        {"nav": "accountability", "rec": queries.reconciliation()},
    )


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    member = membership_permissions.own_member(request.user)
    if member is None:
        raise Http404("no membership record for this login")
    pref = AlertPreference.objects.filter(member=member).first()
    form = forms.AlertsForm(
        request.POST if request.method == "POST" else None,
        initial={"enabled": bool(pref and pref.enabled)},
    )
    if request.method == "POST" and form.is_valid():
        services.alerts_set(
            actor=request.user,  # type: ignore[arg-type]
            member=member,
            enabled=form.cleaned_data["enabled"],
        )
        messages.success(
            request,
            "You will get a digest when your MP votes against party policy."
            if form.cleaned_data["enabled"]
            else "You will no longer get these emails.",
        )
        return redirect(reverse("accountability:alerts"))
    return render(
        request,
        "accountability/alerts.html",
        {"nav": "accountability", "form": form, "member": member},
    )


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    """Officers upload division files; the same importer as the command (atomic, checked)."""
    if not permissions.can_import_divisions(request.user):
        raise DjangoPermissionDenied
    form = forms.ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    report = None
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        import tempfile
        from pathlib import Path

        from rankandfile.accountability import importer

        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for upload in form.cleaned_data["uploads"]:
                if upload.size > MAX_UPLOAD_BYTES:
                    problems.append(f"{upload.name}: larger than 20 MB")
                    continue
                # Keep only the base name (the CSV export's DivisionId is in it).
                path = Path(folder) / Path(upload.name).name
                path.write_bytes(upload.read())
                paths.append(path)
            if not problems:
                try:
                    report = importer.import_paths(
                        actor=request.user,  # type: ignore[arg-type]
                        paths=paths,
                        dry_run=form.cleaned_data["dry_run"],
                    )
                except importer.ImportFailed as exc:
                    problems = [str(p) for p in exc.problems]
    status = 400 if problems else 200
    return render(
        request,
        "accountability/import.html",
        {"nav": "accountability", "form": form, "report": report, "problems": problems},
        status=status,
    )
