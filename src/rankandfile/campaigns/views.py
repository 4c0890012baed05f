"""Campaign pages: public campaign pages and the petition, officers' management and
exports, events with RSVPs and .ics files, volunteers, the pledge register, the recall
tracker.

The signing path is anonymous and lean: no session is written, one transaction, and the
confirmation email goes out from a task after the commit. Emailed links (confirm,
withdraw, cancel a reply) open a page with a button: the change happens on POST, so a
mail scanner that follows links changes nothing.
"""

from __future__ import annotations

import csv
from typing import Any, cast
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from rankandfile.campaigns import forms, ics, permissions, queries
from rankandfile.campaigns.models import Campaign, CampaignEvent, Pledge
from rankandfile.campaigns.services import (
    events as events_services,
)
from rankandfile.campaigns.services import (
    lifecycle,
    ratelimit,
    retention,
    volunteers,
)
from rankandfile.campaigns.services import (
    petition as petition_services,
)
from rankandfile.campaigns.services import (
    pledges as pledges_services,
)
from rankandfile.campaigns.services import (
    recalls as recalls_services,
)
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.core.links import absolute_url
from rankandfile.core.middleware import client_ip
from rankandfile.core.models import User


# --- helpers ----------------------------------------------------------------------------
def _campaign(request: HttpRequest, slug: str) -> Campaign:
    try:
        return permissions.access_campaign(request.user, slug)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _managed(request: HttpRequest, slug: str) -> Campaign:
    try:
        return permissions.access_managed_campaign(request.user, slug)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _actor(request: HttpRequest) -> User:
    """The logged-in user (views that call it are behind ``login_required``)."""
    return cast(User, request.user)


def _no_store(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, no_store=True, private=True)
    # "same-origin" (not "no-referrer"): the secret in the address never leaves the site,
    # and the page's own form still sends an Origin header that CSRF checking accepts.
    response["Referrer-Policy"] = "same-origin"
    return response


def share_links(campaign: Campaign) -> dict[str, str]:
    """Plain share links: no third-party script is loaded."""
    url = absolute_url(reverse("campaigns:detail", args=[campaign.slug]))
    text = f"{campaign.title}: {campaign.demand}"
    u, t = quote(url, safe=""), quote(text, safe="")
    both = quote(f"{text} {url}", safe="")
    return {
        "url": url,
        "email": f"mailto:?subject={quote(campaign.title, safe='')}&body={both}",
        "whatsapp": f"https://wa.me/?text={both}",
        "x": f"https://x.com/intent/post?text={t}&url={u}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={u}",
    }


# --- the public side --------------------------------------------------------------------------
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "campaigns/index.html",
        {
            "nav": "campaigns",
            "campaigns": queries.public_campaigns(),
            "mine": permissions.visible_campaigns(request.user).filter(state=Campaign.State.DRAFT),
            "can_create": permissions.campaign_clps(request.user).exists()
            if request.user.is_authenticated
            else False,
        },
    )


def _detail_context(request: HttpRequest, campaign: Campaign, form: Any = None) -> dict[str, Any]:
    return {
        "nav": "campaigns",
        "campaign": campaign,
        "progress": queries.progress(campaign),
        "supporters": queries.recent_supporters(campaign),
        "share": share_links(campaign),
        "events": queries.upcoming_events(campaign)[:5],
        "pledges": queries.pledge_register(campaign.constituency_id)[:5],
        "form": form if form is not None else forms.SignForm(),
        "can_manage": permissions.can_manage_campaign(request.user, campaign),
    }


def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    if request.htmx and request.GET.get("part") == "progress":  # type: ignore[attr-defined]
        return render(
            request,
            "campaigns/_progress.html",
            {"campaign": campaign, "progress": queries.progress(campaign)},
        )
    return render(request, "campaigns/detail.html", _detail_context(request, campaign))


# Set in the WSGI environ (``request.META``) by the lean path (``fastsign``) when it has
# run :func:`petition.petition_sign` and leaves the answer to this view: the outcome
# object. A client cannot set it (headers arrive as ``HTTP_*``, and only as text).
SIGN_OUTCOME = "rankandfile.campaigns.sign_outcome"


def sign_redirect(slug: str, outcome: petition_services.SignOutcome) -> str | None:
    """Where a successful signing request goes ("check your email"); ``None`` when the
    outcome is answered by the page instead. The lean path answers with it too."""
    if not outcome.succeeded:
        return None
    url = reverse("campaigns:signed", args=[slug])
    if outcome.result is petition_services.Signing.AGAIN:
        url += "?again=1"  # past the emails allowed for this address
    return url


_SIGN_STATUS = {
    petition_services.Signing.RATE_LIMITED: 429,
    petition_services.Signing.CLOSED: 409,
    petition_services.Signing.INVALID: 400,
    petition_services.Signing.REFUSED: 409,
}


@require_POST
def campaign_sign(request: HttpRequest, slug: str) -> HttpResponse:
    """The petition's form target (§2): :func:`petition.petition_sign` decides (honeypot,
    per-address rate limit, open, validation, one signature per email); this view, like
    the lean path, only turns its outcome into the answer."""
    form = forms.SignForm(request.POST)
    outcome = request.META.get(SIGN_OUTCOME)
    if not isinstance(outcome, petition_services.SignOutcome):
        outcome = petition_services.petition_sign(
            slug=slug, is_bot=form.is_bot, data=form.signature(), client_ip=client_ip(request)
        )
    if outcome.result is petition_services.Signing.NOT_FOUND:
        raise Http404("no such campaign")
    target = sign_redirect(slug, outcome)
    if target is not None:
        return redirect(target)
    campaign = _campaign(request, slug)
    form.is_valid()
    if outcome.message:
        form.add_error(None, outcome.message)
    return render(
        request,
        "campaigns/detail.html",
        _detail_context(request, campaign, form),
        status=_SIGN_STATUS[outcome.result],
    )


def campaign_signed(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    return render(
        request,
        "campaigns/signed.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "again": request.GET.get("again") == "1",
            "share": share_links(campaign),
        },
    )


def signature_confirm(request: HttpRequest, secret: str) -> HttpResponse:
    """GET: a button; POST: count the signature. Replays are told it already counts."""
    context: dict[str, Any] = {"nav": "campaigns", "secret": secret}
    if request.method == "POST":
        try:
            result = petition_services.signature_confirm(secret=secret)
        except DomainError as exc:
            context["error"] = str(exc)
            return _no_store(render(request, "campaigns/confirm.html", context, status=410))
        context.update(result=result, share=share_links(result.campaign))
        return _no_store(render(request, "campaigns/confirmed.html", context))
    return _no_store(render(request, "campaigns/confirm.html", context))


def signature_withdraw(request: HttpRequest, secret: str) -> HttpResponse:
    """GET: what will be deleted and a button; POST: withdraw and delete (§2)."""
    context: dict[str, Any] = {"nav": "campaigns", "secret": secret}
    try:
        signature = petition_services.signature_for_withdrawal(secret)
    except DomainError as exc:
        context["error"] = str(exc)
        return _no_store(render(request, "campaigns/withdraw.html", context, status=410))
    if request.method == "POST":
        campaign = petition_services.signature_withdraw(secret=secret)
        context["withdrawn"] = campaign
        return _no_store(render(request, "campaigns/withdraw.html", context))
    context["signature"] = signature
    return _no_store(render(request, "campaigns/withdraw.html", context))


# --- officers ---------------------------------------------------------------------------------
def _campaign_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "demand": data["demand"],
        "story": data.get("story", ""),
        "mp": data.get("mp"),
        "event_kind": data.get("event_kind") or "",
        "event_date": data.get("event_date"),
        "event_note": data.get("event_note", ""),
        "target": data.get("target"),
        "data_use": data.get("data_use", ""),
        "retention_until": data.get("retention_until"),
    }


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not permissions.campaign_clps(request.user).exists():
        raise Http404("you do not run campaigns")
    prefill = forms.CampaignPrefillForm(request.GET).initial_values()
    form = forms.CampaignForm(request.user, request.POST or None, initial=prefill)
    if request.method == "POST" and form.is_valid():
        kwargs = _campaign_kwargs(form.cleaned_data)
        mp = kwargs["mp"]
        if mp is not None and not kwargs["event_kind"]:
            # Tie the campaign to the MP's latest recorded party change, if any.
            latest = queries.campaign_event(queries.mp_events(mp))
            if latest is not None:
                kwargs.update(
                    event_kind=latest.kind,
                    event_date=latest.date,
                    event_note=kwargs["event_note"] or latest.note,
                    event_source=latest.source,
                )
        try:
            campaign = lifecycle.campaign_create(
                actor=_actor(request), clp=form.cleaned_data["clp"], **kwargs
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, gettext("Campaign created as a draft. Check it, then launch it.")
            )
            return redirect("campaigns:manage", campaign.slug)
    return render(
        request, "campaigns/form.html", {"nav": "campaigns", "form": form, "creating": True}
    )


@login_required
def campaign_edit(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _managed(request, slug)
    initial = {name: getattr(campaign, name) for name in lifecycle.EDITABLE}
    form = forms.CampaignForm(
        request.user, request.POST or None, campaign=campaign, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        kwargs = _campaign_kwargs(form.cleaned_data)
        try:
            lifecycle.campaign_update(actor=_actor(request), campaign=campaign, **kwargs)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Campaign saved."))
            return redirect("campaigns:manage", campaign.slug)
    return render(
        request,
        "campaigns/form.html",
        {
            "nav": "campaigns",
            "form": form,
            "campaign": campaign,
            "mp_events": queries.mp_events(campaign.mp) if campaign.mp else [],
        },
    )


@login_required
def campaign_manage(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _managed(request, slug)
    return render(
        request,
        "campaigns/manage.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "progress": queries.progress(campaign),
            "counts": queries.signature_counts(campaign),
            "events": queries.events_with_rsvps(campaign),
            "volunteers": queries.volunteers(campaign),
            "hand_in_form": forms.HandInForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def campaign_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    campaign = _managed(request, slug)
    try:
        if action == "launch":
            lifecycle.campaign_launch(actor=_actor(request), campaign=campaign)
            messages.success(
                request, gettext("Launched: the campaign page is public and open for signing.")
            )
        elif action == "hand-in":
            form = forms.HandInForm(request.POST)
            if not form.is_valid():
                raise DomainError(gettext("Say to whom the petition was handed in."))
            lifecycle.campaign_hand_in(
                actor=_actor(request),
                campaign=campaign,
                handed_in_to=form.cleaned_data["handed_in_to"],
            )
            messages.success(request, gettext("Recorded as handed in; signing has stopped."))
        elif action == "close":
            lifecycle.campaign_close(actor=_actor(request), campaign=campaign)
            messages.success(request, gettext("Campaign closed."))
        elif action == "purge":
            report = retention.campaign_purge(actor=_actor(request), campaign=campaign)
            messages.success(
                request,
                gettext(
                    "Deleted %(signatures)s signatures, %(rsvps)s replies and "
                    "%(volunteers)s volunteers' details; the counts are kept."
                )
                % {
                    "signatures": report.signatures,
                    "rsvps": report.rsvps,
                    "volunteers": report.volunteers,
                },
            )
        else:
            raise Http404("no such action")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("campaigns:manage", campaign.slug)


EXPORT_COLUMNS = ["first_name", "last_name", "email", "postcode", "town", "confirmed_at"]


def _csv_safe(value: Any) -> str:
    """Neutralise spreadsheet formulas (CSV injection): prefix a quote to values that a
    spreadsheet would evaluate."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _audit_export(request: HttpRequest, campaign: Campaign, fmt: str) -> None:
    """Exports of signatures (personal data) are audited: who, when, which, how many."""
    audit.record_read(
        actor=_actor(request),
        action="campaigns.signatures.export",
        target=campaign,
        data={"format": fmt, "rows": queries.confirmed_signatures(campaign).count()},
    )


@login_required
def export_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Confirmed signatures as CSV, for the campaign's officers only (§2)."""
    campaign = _managed(request, slug)
    _audit_export(request, campaign, "csv")
    writer = csv.writer(_Echo())

    def rows() -> Any:
        yield writer.writerow(EXPORT_COLUMNS)
        for sig in queries.confirmed_signatures(campaign).iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    _csv_safe(sig.first_name),
                    _csv_safe(sig.last_name),
                    _csv_safe(sig.email),
                    sig.postcode,
                    _csv_safe(sig.town),
                    timezone.localtime(sig.confirmed_at).isoformat(timespec="seconds")
                    if sig.confirmed_at
                    else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-signatures.csv"'
    patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
def export_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """A printable petition for handing in: names and postcodes (no emails)."""
    from rankandfile.campaigns import pdf

    campaign = _managed(request, slug)
    _audit_export(request, campaign, "pdf")
    content = pdf.petition_pdf(
        {
            "campaign": campaign,
            "signatures": queries.confirmed_signatures(campaign).only(
                "first_name", "last_name", "postcode", "town", "confirmed_at"
            ),
            "progress": queries.progress(campaign),
            "printed": timezone.localtime(),
        }
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-petition.pdf"'
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- events -----------------------------------------------------------------------------------
@login_required
def event_create(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _managed(request, slug)
    form = forms.EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = events_services.event_create(
                actor=_actor(request), campaign=campaign, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Event added."))
            return redirect("campaigns:event", campaign.slug, event.pk)
    return render(
        request,
        "campaigns/event_form.html",
        {"nav": "campaigns", "campaign": campaign, "form": form},
    )


def _event(request: HttpRequest, slug: str, event_id: int) -> tuple[Campaign, CampaignEvent]:
    campaign = _campaign(request, slug)
    try:
        return campaign, permissions.access_event(request.user, campaign, event_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


RSVP_RECORDED = gettext_noop(
    "Thank you: your reply is recorded. The details and a calendar file are emailed to "
    "that address when it first replies; replying again keeps the place it has."
)
RSVP_FULL = gettext_noop(
    "Sorry, this event is full. If you had already replied, your place stands."
)


def event_detail(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    campaign, event = _event(request, slug, event_id)
    initial: dict[str, str] = {}
    if request.user.is_authenticated:
        member = getattr(request.user, "member", None)
        initial = {
            "name": member.full_name if member else "",
            "email": request.user.email,
        }
    form = forms.RsvpForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_bot:
            return redirect("campaigns:event", campaign.slug, event.pk)
        limit, window = ratelimit.ip_limit()
        if not ratelimit.allow(f"campaigns:rsvp-ip:{client_ip(request)}", limit, window):
            form.is_valid()
            form.add_error(
                None, gettext("Too many replies from your connection; please wait and try again.")
            )
            status = 429
        elif form.is_valid():
            try:
                result = events_services.rsvp_create(
                    event=event,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    user=request.user if request.user.is_authenticated else None,
                )
            except events_services.EventFull:
                form.add_error(None, gettext(RSVP_FULL))
                status = 409
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                # The same answer whether or not this address had replied before: the
                # page must not tell anyone who typed an email address whether its
                # owner is going to a political event.
                event.refresh_from_db(fields=["rsvp_count"])
                if not result.created and event.is_full:
                    form.add_error(None, gettext(RSVP_FULL))
                    status = 409
                else:
                    messages.success(request, gettext(RSVP_RECORDED))
                    return redirect("campaigns:event", campaign.slug, event.pk)
        else:
            status = 400
    return render(
        request,
        "campaigns/event.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "event": event,
            "form": form,
            "can_manage": permissions.can_manage_campaign(request.user, campaign),
            "rsvps": queries.event_rsvps(event)
            if permissions.can_see_personal_data(request.user, campaign)
            else None,
            "started": event.starts_at <= timezone.now(),
        },
        status=status,
    )


def event_ics(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    campaign, event = _event(request, slug, event_id)
    url = absolute_url(reverse("campaigns:event", args=[campaign.slug, event.pk]))
    response = HttpResponse(
        ics.event_ics(event, url=url), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


@login_required
@require_POST
def event_cancel(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    campaign = _managed(request, slug)
    try:
        event = permissions.access_event(request.user, campaign, event_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    events_services.event_cancel(actor=_actor(request), event=event)
    messages.success(request, gettext("Event cancelled."))
    return redirect("campaigns:event", campaign.slug, event.pk)


def rsvp_cancel(request: HttpRequest, secret: str) -> HttpResponse:
    context: dict[str, Any] = {"nav": "campaigns"}
    if request.method == "POST":
        try:
            context["event"] = events_services.rsvp_cancel(secret=secret)
        except DomainError as exc:
            context["error"] = str(exc)
            return _no_store(render(request, "campaigns/rsvp_cancel.html", context, status=410))
        context["done"] = True
    return _no_store(render(request, "campaigns/rsvp_cancel.html", context))


@login_required
def volunteer(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    form = forms.VolunteerForm(request.POST or None)
    if request.method == "POST":
        if forms.VolunteerWithdrawForm(request.POST).wanted():
            volunteers.volunteer_withdraw(actor=_actor(request), campaign=campaign)
            messages.success(request, gettext("You are no longer listed as a volunteer."))
            return redirect("campaigns:detail", campaign.slug)
        if form.is_valid():
            try:
                volunteers.volunteer_signup(
                    actor=_actor(request),
                    campaign=campaign,
                    activities=form.cleaned_data["activities"],
                    availability=form.cleaned_data["availability"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, gettext("Thank you: the campaign's organisers will be in touch.")
                )
                return redirect("campaigns:detail", campaign.slug)
    return render(
        request,
        "campaigns/volunteer.html",
        {"nav": "campaigns", "campaign": campaign, "form": form},
    )


# --- pledges ----------------------------------------------------------------------------------
def pledges(request: HttpRequest) -> HttpResponse:
    selected = forms.PledgeFilterForm(request.GET).selected()
    register = queries.pledge_register(selected.pk if selected else None)
    return render(
        request,
        "campaigns/pledges.html",
        {
            "nav": "campaigns",
            "pledges": register,
            "selected": selected,
            "constituencies": queries.pledge_constituencies(),
            "can_record": request.user.is_authenticated
            and permissions.recordable_constituencies(request.user).exists(),
            "pending": queries.pending_pledges(permissions.recordable_constituencies(request.user))
            if request.user.is_authenticated
            else [],
            "mine": queries.my_pending_pledges(request.user.pk)
            if request.user.is_authenticated
            else [],
        },
    )


@login_required
def pledge_submit(request: HttpRequest) -> HttpResponse:
    """A candidate or sitting MP makes their own pledge; public once verified."""
    form = forms.PledgeSubmitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pledges_services.pledge_submit(actor=_actor(request), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext(
                    "Thank you. Your pledge will appear in the register once an officer of the "
                    "constituency party has verified it."
                ),
            )
            return redirect("campaigns:pledges")
    return render(request, "campaigns/pledge_submit.html", {"nav": "campaigns", "form": form})


@login_required
@require_POST
def pledge_verify(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """Accept a submitted pledge into the register, or reject it."""
    try:
        pledge = permissions.access_recordable_pledge(request.user, pledge_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    form = forms.PledgeDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose Verify or Reject."))
        return redirect(f"{reverse('campaigns:pledges')}?constituency={pledge.constituency_id}")
    accept = form.accept
    try:
        pledges_services.pledge_verify(actor=_actor(request), pledge=pledge, accept=accept)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "Pledge verified: it is in the register." if accept else "Pledge rejected."
        )
    return redirect(f"{reverse('campaigns:pledges')}?constituency={pledge.constituency_id}")


@login_required
def pledge_create(request: HttpRequest) -> HttpResponse:
    if not permissions.recordable_constituencies(request.user).exists():
        raise Http404("you do not record pledges")
    form = forms.PledgeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        constituency = data["constituency"]
        mp = queries.sitting_mp(constituency) if data["role"] == Pledge.Role.MP else None
        try:
            pledge = pledges_services.pledge_record(actor=_actor(request), mp=mp, **data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Pledge added to the register."))
            return redirect(f"{reverse('campaigns:pledges')}?constituency={pledge.constituency_id}")
    return render(request, "campaigns/pledge_form.html", {"nav": "campaigns", "form": form})


@login_required
def pledge_status(request: HttpRequest, pledge_id: int) -> HttpResponse:
    try:
        pledge = permissions.access_recordable_pledge(request.user, pledge_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    form = forms.PledgeStatusForm(
        request.POST or None,
        initial={
            "status": pledge.status,
            "left_party_on": pledge.left_party_on,
            "event_kind": pledge.event_kind,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            pledges_services.pledge_set_status(
                actor=_actor(request), pledge=pledge, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Pledge status recorded."))
            return redirect(f"{reverse('campaigns:pledges')}?constituency={pledge.constituency_id}")
    events = queries.mp_events(pledge.mp) if pledge.mp else []
    return render(
        request,
        "campaigns/pledge_status.html",
        {"nav": "campaigns", "form": form, "pledge": pledge, "mp_events": events},
    )


# --- recall petitions ----------------------------------------------------------------------
def recalls(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "campaigns/recalls.html",
        {
            "nav": "campaigns",
            "statuses": [queries.recall_status(p, today) for p in queries.recall_petitions()],
            "can_record": request.user.is_authenticated
            and permissions.recordable_constituencies(request.user).exists(),
        },
    )


def recall_detail(request: HttpRequest, petition_id: int) -> HttpResponse:
    try:
        petition = permissions.access_recall(request.user, petition_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    can_record = permissions.can_record_for(request.user, petition.constituency)
    form = forms.RecallCountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_record:
            raise Http404("no such recall petition among those you record")
        if form.is_valid():
            try:
                recalls_services.recall_add_count(
                    actor=_actor(request), petition=petition, **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, gettext("Count recorded."))
                return redirect("campaigns:recall", petition.pk)
        else:
            status = 400
    return render(
        request,
        "campaigns/recall.html",
        {
            "nav": "campaigns",
            "status": queries.recall_status(petition),
            "petition": petition,
            "form": form,
            "can_record": can_record,
        },
        status=status,
    )


@login_required
def recall_create(request: HttpRequest) -> HttpResponse:
    if not permissions.recordable_constituencies(request.user).exists():
        raise Http404("you do not record recall petitions")
    form = forms.RecallForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["signing_places"] = form.places()
        constituency = data["constituency"]
        mp = queries.sitting_mp(constituency)
        try:
            petition = recalls_services.recall_record(actor=_actor(request), mp=mp, **data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Recall petition recorded."))
            return redirect("campaigns:recall", petition.pk)
    return render(request, "campaigns/recall_form.html", {"nav": "campaigns", "form": form})
