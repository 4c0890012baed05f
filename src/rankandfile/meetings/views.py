"""Meeting pages: the member's meetings, agendas, motions and minutes; officers schedule,
run and minute meetings, move motions on to the CLP and to conference, and write to
members; every member manages what they receive, and any email's one-click unsubscribe
works without signing in (RFC 8058)."""

from __future__ import annotations

from typing import Any, cast

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rankandfile.core import audit
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.core.models import User
from rankandfile.meetings import forms, permissions, queries, services
from rankandfile.meetings.models import AgendaItem, Meeting, Motion, OfficerMessage
from rankandfile.membership.permissions import own_member


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _meeting(request: HttpRequest, meeting_id: int, *, manage: bool = False) -> Meeting:
    try:
        if manage:
            return permissions.access_managed_meeting(request.user, meeting_id)
        return permissions.access_meeting(request.user, meeting_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _motion(request: HttpRequest, motion_id: int, *, manage: bool = False) -> Motion:
    try:
        if manage:
            return permissions.access_managed_motion(request.user, motion_id)
        return permissions.access_motion(request.user, motion_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


# --- The member's side --------------------------------------------------------------------
@login_required
def index(request: HttpRequest) -> HttpResponse:
    member = own_member(request.user)
    mine = queries.member_meetings(member) if member is not None else None
    runs = permissions.runs_anything(request.user)
    return render(
        request,
        "meetings/index.html",
        {
            "nav": "meetings",
            "mine": mine,
            "runs": runs,
            "managed": permissions.managed_meetings(request.user).order_by("-starts_at")[:50]
            if runs
            else [],
        },
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    member = own_member(request.user)
    if member is None:
        raise Http404("you have no member record")
    pref = queries.preferences_of(member)
    form = forms.PreferencesForm(
        request.POST or None,
        initial={
            "meeting_notices": pref.meeting_notices,
            "officer_messages": pref.officer_messages,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_set(actor=_actor(request), member=member, **form.cleaned_data)
        messages.success(request, gettext("Your choices are saved."))
        return redirect("meetings:preferences")
    return render(request, "meetings/preferences.html", {"nav": "meetings", "form": form})


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" without a cookie.
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a button (a link scanner changes nothing); POST: unsubscribe at once."""
    try:
        member, category = services.read_unsubscribe_token(token)
    except DomainError as exc:
        return render(request, "meetings/unsubscribe.html", {"error": str(exc)}, status=404)
    notices = category == "meeting_notices"  # the template words each case in full
    if request.method == "POST":
        services.unsubscribe(token=token)
        return render(request, "meetings/unsubscribe.html", {"done": True, "notices": notices})
    _ = member
    return render(request, "meetings/unsubscribe.html", {"notices": notices, "token": token})


# --- Meetings ------------------------------------------------------------------------------
@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    if not forms.unit_choices(request.user):
        raise Http404("you run no branch or constituency party")
    form = forms.MeetingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        branch, clp = form.cleaned_data["unit"]
        try:
            meeting = services.meeting_schedule(
                actor=_actor(request),
                branch=branch,
                clp=clp,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                location=form.cleaned_data["location"],
                agenda=form.agenda_lines(),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("Scheduled. Notice is being sent to %(notices_queued)s members.")
                % {"notices_queued": meeting.notices_queued},
            )
            return redirect("meetings:meeting", meeting.pk)
    status = 400 if form.errors else 200
    return render(
        request, "meetings/meeting_form.html", {"nav": "meetings", "form": form}, status=status
    )


def _meeting_context(request: HttpRequest, meeting: Meeting, **extra: Any) -> dict[str, Any]:
    manage = permissions.can_manage_meeting(request.user, meeting)
    member = own_member(request.user)
    checked_in = member is not None and meeting.attendance.filter(member=member).exists()
    items = queries.meeting_items(meeting)
    context: dict[str, Any] = {
        "nav": "meetings",
        "meeting": meeting,
        "items": items,
        "manage": manage,
        "quorum": queries.quorum_state(meeting),
        "checked_in": checked_in,
        "self_form": forms.SelfCheckInForm(),
        "previous": previous_minutes(meeting),
    }
    if manage:
        context.update(
            checkin_form=forms.CheckInForm(),
            item_form=forms.ItemForm(),
            motion_form=forms.MotionForm(),
            decision_form=forms.DecisionForm(),
            reschedule_form=forms.RescheduleForm(
                initial={
                    "starts_at": timezone.localtime(meeting.starts_at),
                    "ends_at": timezone.localtime(meeting.ends_at),
                    "location": meeting.location,
                }
            ),
            cancel_form=forms.CancelForm(),
            present=list(queries.attendance(meeting)),
        )
    context.update(extra)
    return context


def previous_minutes(meeting: Meeting) -> Meeting | None:
    return queries.previous_meeting_awaiting_minutes(meeting)


@login_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    return render(request, "meetings/meeting.html", _meeting_context(request, meeting))


@login_required
def meeting_quorum(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The live quorum panel (htmx polls it while the meeting is open)."""
    meeting = _meeting(request, meeting_id)
    return render(
        request,
        "meetings/_quorum.html",
        {"meeting": meeting, "quorum": queries.quorum_state(meeting)},
    )


def _check_in_limits(request: HttpRequest, meeting: Meeting, *, dry_run: bool) -> bool:
    """Wrong room codes are limited per member and per meeting (``ACCOUNT_RATE_LIMITS``:
    ``meetings_check_in_member``, ``meetings_check_in_meeting``; allauth's limiter, as
    the sign-in and activation pages). True while both allow another attempt."""
    user = cast(User, request.user)
    checks = (
        ("meetings_check_in_member", f"user:{user.pk}"),
        ("meetings_check_in_meeting", f"meeting:{meeting.pk}"),
    )
    allowed = [ratelimit.consume(request, action=a, key=k, dry_run=dry_run) for a, k in checks]
    return all(allowed)  # both are consumed, even when the first refuses


def _self_check_in(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(request, meeting_id)
    form: Any = forms.SelfCheckInForm(request.POST)
    status = 400
    if form.is_valid():
        if not _check_in_limits(request, meeting, dry_run=True):
            form.add_error(
                "code",
                gettext(
                    "Too many wrong codes. Wait ten minutes and try again, or ask an officer "
                    "to check you in."
                ),
            )
            status = 429
        else:
            try:
                services.attendance_self_check_in(
                    actor=_actor(request), meeting=meeting, code=form.cleaned_data["code"]
                )
            except services.WrongCode as exc:
                _check_in_limits(request, meeting, dry_run=False)
                form.add_error("code", str(exc))
            except DomainError as exc:
                form.add_error("code", str(exc))
            else:
                messages.success(request, gettext("You are checked in."))
                return redirect("meetings:meeting", meeting.pk)
    return render(
        request,
        "meetings/meeting.html",
        _meeting_context(request, meeting, self_form=form),
        status=status,
    )


@login_required
@require_POST
def meeting_action(request: HttpRequest, meeting_id: int, action: str) -> HttpResponse:
    if action == "self_check_in":
        return _self_check_in(request, meeting_id)
    meeting = _meeting(request, meeting_id, manage=True)
    extra: dict[str, Any] = {}
    form: Any
    try:
        if action == "open":
            services.meeting_open(actor=_actor(request), meeting=meeting)
            messages.success(request, gettext("The meeting is open: show the code in the room."))
        elif action == "close":
            services.meeting_close(actor=_actor(request), meeting=meeting)
            messages.success(
                request, gettext("The meeting is closed; the draft minutes are below.")
            )
        elif action == "reschedule":
            form = forms.RescheduleForm(request.POST)
            extra["reschedule_form"] = form
            if not form.is_valid():
                raise DomainError(gettext("give the new start, end and place"))
            services.meeting_reschedule(actor=_actor(request), meeting=meeting, **form.cleaned_data)
            messages.success(
                request, gettext("The meeting is moved; the members are sent the change.")
            )
        elif action == "cancel":
            form = forms.CancelForm(request.POST)
            extra["cancel_form"] = form
            if not form.is_valid():
                raise DomainError(gettext("tick the box to confirm the cancellation"))
            services.meeting_cancel(
                actor=_actor(request), meeting=meeting, reason=form.cleaned_data["reason"]
            )
            messages.success(request, gettext("The meeting is cancelled; the members are told."))
        elif action == "check_in":
            form = forms.CheckInForm(request.POST)
            extra["checkin_form"] = form
            if not form.is_valid():
                raise DomainError(gettext("give a membership number"))
            member = services.attendance_check_in(
                actor=_actor(request), meeting=meeting, number=form.cleaned_data["number"]
            )
            messages.success(
                request, gettext("%(full_name)s is checked in.") % {"full_name": member.full_name}
            )
        elif action == "add_item":
            form = forms.ItemForm(request.POST)
            extra["item_form"] = form
            if not form.is_valid():
                raise DomainError(gettext("give the item a title of at most 200 characters"))
            services.item_add(
                actor=_actor(request), meeting=meeting, title=form.cleaned_data["title"]
            )
        elif action == "add_motion":
            form = forms.MotionForm(request.POST)
            extra["motion_form"] = form
            if not form.is_valid():
                raise DomainError(gettext("a motion needs a title and a text"))
            services.motion_create(
                actor=_actor(request),
                branch=meeting.branch,
                clp=meeting.clp,
                meeting=meeting,
                **form.cleaned_data,
            )
        else:
            raise Http404("no such action")
    except DomainError as exc:
        meeting.refresh_from_db()
        return render(
            request,
            "meetings/meeting.html",
            _meeting_context(request, meeting, error=str(exc), **extra),
            status=400,
        )
    return redirect("meetings:meeting", meeting.pk)


@login_required
@require_POST
def item_decide(request: HttpRequest, item_id: int) -> HttpResponse:
    item = AgendaItem.objects.filter(pk=item_id).only("meeting_id").first()
    if item is None:
        raise Http404("no such item")
    meeting = _meeting(request, item.meeting_id, manage=True)
    item = AgendaItem.objects.get(pk=item_id)
    form = forms.DecisionForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.item_decide(actor=_actor(request), item=item, **form.cleaned_data)
        except DomainError as exc:
            error = str(exc)
        else:
            return redirect(reverse("meetings:meeting", args=[meeting.pk]) + f"#item-{item.pk}")
    else:
        error = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    return render(
        request,
        "meetings/meeting.html",
        _meeting_context(request, meeting, error=error, failed_item=item.pk),
        status=400,
    )


# --- Motions -------------------------------------------------------------------------------
def _motion_context(request: HttpRequest, motion: Motion, **extra: Any) -> dict[str, Any]:
    manage = permissions.can_manage_motion(request.user, motion)
    context: dict[str, Any] = {
        "nav": "meetings",
        "motion": motion,
        "chain": queries.motion_events(motion),
        "submission": queries.submission_of(motion),
        "amendments": list(motion.amendments.all()),
        "manage": manage,
    }
    if manage:
        context.setdefault("amend_form", forms.AmendmentForm(initial={"text": motion.text}))
        context.setdefault("submit_form", forms.SubmitForm())
    context.update(extra)
    return context


@login_required
def motion_detail(request: HttpRequest, motion_id: int) -> HttpResponse:
    motion = _motion(request, motion_id)
    return render(request, "meetings/motion.html", _motion_context(request, motion))


@login_required
@require_POST
def motion_amend(request: HttpRequest, motion_id: int) -> HttpResponse:
    motion = _motion(request, motion_id, manage=True)
    form = forms.AmendmentForm(request.POST)
    if form.is_valid():
        try:
            services.amendment_move(actor=_actor(request), motion=motion, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("The amendment is on the agenda before the motion."))
            return redirect("meetings:motion", motion.pk)
    return render(
        request,
        "meetings/motion.html",
        _motion_context(request, motion, amend_form=form),
        status=400,
    )


@login_required
@require_POST
def motion_submit(request: HttpRequest, motion_id: int) -> HttpResponse:
    motion = _motion(request, motion_id, manage=True)
    form = forms.SubmitForm(request.POST)
    if form.is_valid():
        try:
            sub = services.motion_submit(
                actor=_actor(request), motion=motion, conference=form.cleaned_data["conference"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("Submitted to conference as %(reference)s.") % {"reference": sub.reference},
            )
            return redirect("meetings:motion", motion.pk)
    return render(
        request,
        "meetings/motion.html",
        _motion_context(request, motion, submit_form=form),
        status=400,
    )


# --- Officers' messages -----------------------------------------------------------------------
@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    if not permissions.runs_anything(request.user):
        raise Http404("you run no branch or constituency party")
    sent = permissions.visible_messages(request.user)[:100]
    return render(request, "meetings/messages.html", {"nav": "meetings", "sent": sent})


@login_required
def message_new(request: HttpRequest) -> HttpResponse:
    """GET: the form (optionally from a template); POST ``preview``: the email as the first
    recipient would read it and how many it goes to; POST ``send``: queue it."""
    if not forms.unit_choices(request.user):
        raise Http404("you run no branch or constituency party")
    chooser = forms.TemplateChoiceForm(request.GET or None, user=request.user)
    initial: dict[str, Any] = {}
    if request.method == "GET" and chooser.is_valid() and chooser.cleaned_data["template"]:
        t = chooser.cleaned_data["template"]
        initial = {
            "subject": t.subject,
            "body": t.body,
            "unit": f"{'b' if t.branch_id else 'c'}:{t.branch_id or t.clp_id}",
        }
    form = forms.MessageForm(request.POST or None, user=request.user, initial=initial)
    context: dict[str, Any] = {"nav": "meetings", "form": form, "chooser": chooser}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            branch, clp = data["unit"]
            args: dict[str, Any] = {
                "actor": _actor(request),
                "branch": branch,
                "clp": clp,
                "audience": data["audience"],
                "audience_branch": data["audience_branch"],
                "ballot_id": data["ballot"],
                "subject": data["subject"],
                "body": data["body"],
            }
            send = "send" in request.POST
            try:
                if send:
                    if data["save_as"]:
                        services.template_save(
                            actor=args["actor"],
                            branch=branch,
                            clp=clp,
                            name=data["save_as"],
                            subject=data["subject"],
                            body=data["body"],
                        )
                    msg = services.message_send(**args)
                    messages.success(
                        request,
                        gettext("Your message is being sent to %(recipients)s members.")
                        % {"recipients": msg.recipients},
                    )
                    return redirect("meetings:message", msg.pk)
                draft = services.message_check(**args)
                group = queries.audience_members(draft)
                to = queries.recipients(group, "officer_messages")
                audit.record_read(
                    actor=args["actor"],
                    action="meetings.message_preview",
                    data={"audience": draft.audience, "unit": draft.unit_name, "count": to.count},
                )
                first = group.filter(pk__in=to.ids[:1]).first()
                context.update(
                    preview=draft,
                    preview_text=services.personalise(draft.body, first) if first else draft.body,
                    to=to,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = 400
        else:
            status = 400
    return render(request, "meetings/message_form.html", context, status=status)


@login_required
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        msg = permissions.access_message(request.user, message_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    counts = {
        state: msg.deliveries.filter(state=state).count()
        for state in ("queued", "sent", "failed", "bounced")
    }
    return render(
        request,
        "meetings/message.html",
        {"nav": "meetings", "msg": msg, "counts": counts, "audiences": OfficerMessage.Audience},
    )
