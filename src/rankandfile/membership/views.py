"""Membership pages: CLPs an officer manages, a CLP's members, a member's record.

Views are thin: permissions decide what is visible (404 when not), queries assemble the
page. The CLP members page serves the full page and, for htmx requests, only the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from rankandfile.core import audit
from rankandfile.core.errors import DomainError, NotFound, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership import accounts, importer, permissions, queries, services
from rankandfile.membership.forms import (
    ActivationForm,
    ActivationRequestForm,
    HistoryChangeForm,
    InviteMembersForm,
    MemberImportForm,
    max_upload_bytes,
)
from rankandfile.membership.models import Member, Period

MEMBERS_PER_PAGE = 50


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def clp_list(request: HttpRequest) -> HttpResponse:
    clps = permissions.managed_clps(request.user).order_by("name")
    page = Paginator(clps, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "membership/clp_list.html",
        {"nav": "clps", "page": page, "can_import": permissions.can_import_members(request.user)},
    )


@login_required
def clp_members(request: HttpRequest, slug: str) -> HttpResponse:
    """A CLP's members for its officers: search, filter by branch and standing, paginate.

    Works without JavaScript (a GET form and plain links); with htmx the form searches
    as the officer types and only ``_member_rows.html`` is sent back.
    """
    try:
        clp = permissions.access_managed_clp(request.user, slug)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    search = request.GET.get("q", "").strip()[:100]
    branches = queries.clp_branches(clp)
    branch_id = _int_or_none(request.GET.get("branch"))
    if branch_id not in {b.pk for b in branches}:
        branch_id = None
    standing = request.GET.get("status", "")
    if standing not in queries.STANDING_LABELS:
        standing = ""
    members = queries.clp_members(clp.pk, search=search, branch_id=branch_id, standing=standing)
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    # Reading a CLP's roll is reading personal data: audited, page by page and search by
    # search (the htmx fragment included), like the API and exports.
    audit.record_read(
        actor=request.user,  # type: ignore[arg-type]
        action="membership.clp_members.view",
        target=clp,
        data={"q": search, "branch": branch_id, "status": standing, "page": page.number},
    )
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]
    template = "membership/_member_rows.html" if partial else "membership/clp_members.html"
    response = render(
        request,
        template,
        {
            "nav": "clps",
            "clp": clp,
            "page": page,
            "q": search,
            "branches": branches,
            "branch_id": branch_id,
            "status": standing,
            "status_choices": queries.STANDING_CHOICES,
            "filtered": bool(search or branch_id or standing),
        },
    )
    # The same URL answers with a fragment or a page: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _member_or_404(request: HttpRequest, member_id: int) -> Member:
    try:
        return permissions.access_member(request.user, member_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@login_required
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    """One member's record and history: the member themself, or an officer who may see it."""
    member = _member_or_404(request, member_id)
    return _member_page(request, member, HistoryChangeForm())


def _member_page(
    request: HttpRequest, member: Member, form: HistoryChangeForm, status: int = 200
) -> HttpResponse:
    can_manage = permissions.can_manage_member(request.user, member)
    me = permissions.own_member(request.user)
    if me is None or me.pk != member.pk:
        audit.record_read(
            actor=request.user,  # type: ignore[arg-type]
            action="membership.member.view",
            target=member,
            label=member.membership_number,
        )
    return render(
        request,
        "membership/member_detail.html",
        {
            "nav": "home" if me is not None and me.pk == member.pk else "clps",
            "member": member,
            "periods": queries.member_history(member),
            "status": queries.member_status(member),
            "can_manage": can_manage,
            "can_erase": permissions.is_national_admin(request.user),
            "audit_trail": queries.member_audit_trail(member) if can_manage else [],
            "invitation": queries.member_invitation(member) if can_manage else None,
            "history_form": form if can_manage else None,
        },
        status=status,
    )


def _history_change(actor: User, member: Member, data: dict[str, Any]) -> Callable[[], Period]:
    """The membership service call a :class:`HistoryChangeForm` asks for."""
    on: dt.date = data["on"]
    note: str = data["note"]
    calls: dict[str, Callable[[], Period]] = {
        "join": lambda: services.member_join(actor=actor, member=member, on=on),
        "lapse": lambda: services.member_lapse(
            actor=actor, member=member, on=on, reason=data["reason"] or "lapsed"
        ),
        "rejoin": lambda: services.member_rejoin(actor=actor, member=member, on=on),
        "suspend": lambda: services.member_suspend(
            actor=actor, member=member, on=on, until=data["until"], note=note
        ),
        "lift_suspension": lambda: services.member_lift_suspension(
            actor=actor, member=member, on=on
        ),
        "arrears_start": lambda: services.member_arrears_start(
            actor=actor, member=member, on=on, note=note
        ),
        "arrears_clear": lambda: services.member_arrears_clear(actor=actor, member=member, on=on),
        "expel": lambda: services.member_expel(actor=actor, member=member, on=on, note=note),
    }
    return calls[data["change"]]


@login_required
@require_POST
def member_history_change(request: HttpRequest, member_id: int) -> HttpResponse:
    """Record one change to a member's history (officers who may manage the member; the
    member's other readers get 403, everyone else 404). A refused change is shown on the
    member's page with the reason, and changes nothing."""
    member = _member_or_404(request, member_id)
    if not permissions.can_manage_member(request.user, member):
        raise Forbidden("you may not change this member's record")
    form = HistoryChangeForm(request.POST)
    if form.is_valid():
        change = _history_change(request.user, member, form.cleaned_data)  # type: ignore[arg-type]
        try:
            change()
        except DomainError as exc:  # PermissionDenied too: e.g. an expulsion
            form.add_error(None, str(exc))
        else:
            label = dict(HistoryChangeForm.CHANGES)[form.cleaned_data["change"]]
            messages.success(request, _("Recorded: %(change)s.") % {"change": label})
            return redirect(reverse("membership:member_detail", args=[member.pk]) + "#history")
    return _member_page(request, member, form, status=400)


# Shown on the page; the command line (--errors-csv) lists every rejected row.
IMPORT_ERRORS_SHOWN = 500


@login_required
def member_import(request: HttpRequest) -> HttpResponse:
    """Upload a membership export (docs/membership-import.md): national admins for the
    whole party or one CLP, CLP and regional officers for a CLP they manage. Others: 403.

    The importer checks permission again, writes (unless a dry run) in one transaction and
    audits the import; this view only shows its report.
    """
    if not permissions.can_import_members(request.user):
        raise Forbidden("you may not import members")
    report = None
    if request.method == "POST":
        form = MemberImportForm(request.user, request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = importer.import_members(
                    actor=request.user,  # type: ignore[arg-type]
                    source=upload,
                    scope_clp=form.cleaned_data["clp"],
                    dry_run=form.cleaned_data["dry_run"],
                    skip_invalid=form.cleaned_data["skip_invalid"],
                    create_branches=form.cleaned_data["create_branches"],
                    filename=upload.name,
                )
            except importer.ImportFileError as exc:
                form.add_error("file", _("Nothing was imported: %(reason)s.") % {"reason": exc})
            except PermissionDenied as exc:
                raise Forbidden(str(exc)) from exc
    else:
        form = MemberImportForm(request.user)
    errors = report.errors[:IMPORT_ERRORS_SHOWN] if report else []
    return render(
        request,
        "membership/import.html",
        {
            "nav": "clps",
            "form": form,
            "report": report,
            "errors": errors,
            "errors_hidden": bool(report and report.rejected > len(errors)),
            "max_upload": max_upload_bytes(),
        },
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )


# --- accounts for members (membership.accounts; decision 0024) --------------------------
@login_required
@require_POST
def members_invite(request: HttpRequest, slug: str) -> HttpResponse:
    """Officers of a CLP invite its members to activate an account: the members ticked (or
    the one on a member's page), or everyone with an address who has no login and was
    never invited. The emails go out from the task queue."""
    try:
        clp = permissions.access_managed_clp(request.user, slug)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    form = InviteMembersForm(clp, request.POST)
    valid = form.is_valid()
    back = form.cleaned_data.get("next") or reverse("membership:clp_members", args=[clp.slug])
    if not valid:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    chosen = [m.pk for m in form.cleaned_data["member"]]
    if form.cleaned_data["everyone_new"]:
        chosen += accounts.uninvited_in_clp(clp.pk)
    if not chosen:
        messages.info(request, _("Everyone with an email address has been invited already."))
        return redirect(back)
    result = accounts.invite_members(actor=request.user, member_ids=chosen)  # type: ignore[arg-type]
    parts = [
        ngettext(
            "%(n)s invitation to activate an account is being sent.",
            "%(n)s invitations to activate an account are being sent.",
            result.queued,
        )
        % {"n": intcomma(result.queued)}
    ]
    if result.already_active:
        parts.append(
            ngettext(
                "%(n)s member already has an account.",
                "%(n)s members already have an account.",
                result.already_active,
            )
            % {"n": intcomma(result.already_active)}
        )
    if result.no_email:
        parts.append(
            ngettext(
                "%(n)s member has no email address: add one to their record first.",
                "%(n)s members have no email address: add one to their records first.",
                result.no_email,
            )
            % {"n": intcomma(result.no_email)}
        )
    messages.success(request, " ".join(parts))
    return redirect(back)


def activation_request(request: HttpRequest) -> HttpResponse:
    """Ask for an activation link by email address or membership number. The answer is the
    same whether or not a member was found (no account enumeration), and rate-limited by
    client address and by what was typed."""
    form = ActivationRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            identifier = form.cleaned_data["identifier"].strip().lower()
            if not ratelimit.consume(request, action="activation_request", key=identifier):
                form.add_error(
                    None, _("Too many requests. Wait an hour, then ask for a link again.")
                )
                status = 429
            else:
                accounts.request_link(identifier=identifier, language=get_language())
                return render(request, "membership/activation_requested.html", {})
        else:
            status = 400
    return render(request, "membership/activation_request.html", {"form": form}, status=status)


@never_cache
def activate(request: HttpRequest, secret: str) -> HttpResponse:
    """Activate an account from the emailed link: choose a password, then signed in."""
    invitation = accounts.invitation_for(secret)
    if invitation is None:
        return render(request, "membership/activation_expired.html", {}, status=410)
    form = ActivationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = accounts.activate(secret=secret, password=form.cleaned_data["password1"])
            except ValidationError as exc:
                form.add_error("password1", exc)
                status = 400
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Your account is active. You are signed in."))
                return redirect("home")
        else:
            status = 400
    # The site's Referrer-Policy (same-origin) keeps the link's secret from other sites.
    return render(
        request,
        "membership/activate.html",
        {"form": form, "member": invitation.member},
        status=status,
    )


def set_language(request: HttpRequest) -> HttpResponse:
    """The footer's language switcher: Django's ``set_language`` (same form, cookie,
    next-URL handling and CSRF check), and, for a signed-in member, the choice is kept on
    their record too, so that emails sent to them later are written in it."""
    response = django_set_language(request)
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    member = permissions.own_member(request.user)
    if cookie is not None and member is not None:
        services.member_set_language(member=member, language=cookie.value)
    return response
