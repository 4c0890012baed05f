"""Conference pages. Thin: permissions decide, a service acts, queries assemble.

Public: the landing page, the rule book and programme (every version, compare, PDF and
JSON), the published agenda, composites and the results board. Signed in: submissions
(officers), arrangements, compositing and the floor (CAC), delegates (CLP officers and
the CAC), priorities and card votes (delegates and delegation leaders).
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from rankandfile.conference import forms, permissions, procedure, queries, services
from rankandfile.conference.models import (
    AffiliateDelegation,
    AgendaItem,
    Amendment,
    Card,
    Composite,
    Conference,
    Delegate,
    FloorSession,
    ProgrammeEntry,
    ProgrammeVersion,
    RuleBookVersion,
    Submission,
    Topic,
)
from rankandfile.conference.rulebook import parameters_in_force, rule_book_in_force
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.core.models import User
from rankandfile.counting.yesno import percent_str
from rankandfile.membership import permissions as mp
from rankandfile.membership.models import CLP, Affiliate, Member


def _conference(year: int, *, set_up: bool = True) -> Conference:
    """The conference of ``year``. Conferences from before the software (loaded with the
    rule book's history) have no deadlines: only their public record pages show them."""
    conf = queries.conference_by_year(year)
    if conf is None or (set_up and not hasattr(conf, "dates")):
        raise Http404("no such conference")
    return conf


def _organisation(choice: str) -> dict[str, Any]:
    """The ``clp=`` or ``affiliate=`` keyword for a validated organisation choice
    (``"clp:<id>"`` / ``"affiliate:<id>"``; the form offers only the user's own)."""
    kind, _, pk = choice.partition(":")
    if kind == "clp":
        return {"clp": CLP.objects.get(pk=pk)}
    return {"affiliate": Affiliate.objects.get(pk=pk)}


def _actor(request: HttpRequest) -> User:
    """The signed-in user (views that call this are behind ``login_required``)."""
    return cast(User, request.user)


def _require_manager(request: HttpRequest) -> None:
    if not permissions.can_manage_conference(request.user):
        raise Http404("no such page")


def _ctx(request: HttpRequest, **kw: Any) -> dict[str, Any]:
    return {
        "nav": "conference",
        "can_manage": permissions.can_manage_conference(request.user),
        **kw,
    }


# --- Landing ---------------------------------------------------------------------------------
def index(request: HttpRequest) -> HttpResponse:
    conf = queries.current_conference()
    has_dates = conf is not None and hasattr(conf, "dates")
    return render(
        request,
        "conference/index.html",
        _ctx(
            request,
            conference=conf if has_dates else None,
            conferences=Conference.objects.filter(dates__isnull=False).order_by("-year"),
            rule_book=rule_book_in_force(),
            params=parameters_in_force(),
            can_submit=permissions.can_submit(request.user),
            my_open_items=(
                queries.open_items_with_my_cards(request.user, conf)
                if conf is not None and has_dates
                else []
            ),
        ),
    )


@login_required
def conference_new(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = forms.ConferenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conf = services.conference_create(actor=_actor(request), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{conf.title} is set up.")
            return redirect("conference:detail", year=conf.year)
    return render(request, "conference/conference_form.html", _ctx(request, form=form))


def detail(request: HttpRequest, year: int) -> HttpResponse:
    """The conference's agenda: sessions and items, topics, composites. Submissions are
    listed on their own paged page (a conference may have hundreds)."""
    conf = _conference(year, set_up=False)
    subs = permissions.visible_submissions(request.user, conf)
    return render(
        request,
        "conference/detail.html",
        _ctx(
            request,
            conference=conf,
            dates=getattr(conf, "dates", None),
            sessions=queries.agenda(conf),
            topics=queries.topics_with_counts(conf),
            composites=Composite.objects.filter(conference=conf).select_related("topic"),
            params=queries.conference_parameters(conf),
            can_submit=permissions.can_submit(request.user),
            visible_count=subs.count(),
        ),
    )


SUBMISSIONS_PER_PAGE = 100


def submissions(request: HttpRequest, year: int) -> HttpResponse:
    """Submissions the user may see, by topic (``?topic=<id>``, ``?topic=rules``), paged."""
    from django.core.paginator import Paginator

    conf = _conference(year)
    qs = permissions.visible_submissions(request.user, conf)
    topic = request.GET.get("topic", "")
    if topic == "rules":
        qs = qs.filter(kind=Submission.Kind.RULE_CHANGE)
    elif topic == "none":
        qs = qs.filter(kind=Submission.Kind.MOTION, topic__isnull=True)
    elif topic.isdigit():
        qs = qs.filter(topic_id=int(topic))
    page = Paginator(
        qs.select_related("clp", "affiliate", "topic").order_by(
            "topic__position", "topic__name", "kind", "reference"
        ),
        SUBMISSIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "conference/submissions.html",
        _ctx(
            request,
            conference=conf,
            page=page,
            groups=queries.submissions_by_topic(list(page.object_list)),
            topics=queries.topics_with_counts(conf),
            topic=topic,
            submission_base=reverse("conference:detail", args=[year]) + "submissions/",
        ),
    )


# --- Submissions --------------------------------------------------------------------------
def _organisations(user: Any) -> list[tuple[str, str]]:
    return [(f"clp:{c.pk}", c.label) for c in permissions.submitting_clps(user)] + [
        (f"affiliate:{a.pk}", a.name) for a in permissions.submitting_affiliates(user)
    ]


@login_required
def submit(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    orgs = _organisations(request.user)
    if not orgs:
        raise Http404("only officers of a CLP or an affiliate submit to conference")
    form = forms.SubmissionForm(request.POST or None, organisations=orgs)
    p = parameters_in_force()
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        org = _organisation(d["organisation"])
        try:
            sub = services.submission_create(
                actor=_actor(request),
                conference=conf,
                kind=d["kind"],
                title=d["title"],
                text=d["text"],
                clause_number=d.get("clause_number") or "",
                meeting_date=d["meeting_date"],
                meeting_for=d["meeting_for"],
                meeting_against=d["meeting_against"],
                meeting_abstain=d.get("meeting_abstain") or 0,
                **org,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Submitted as {sub.reference}.")
            return redirect("conference:submission", year=year, pk=sub.pk)
    text = form.data.get("text", "") if form.is_bound else ""
    return render(
        request,
        "conference/submit.html",
        _ctx(
            request,
            conference=conf,
            form=form,
            params=p,
            count=_count_ctx(text, form.data.get("title", ""), p),
            used=queries.used_submissions(conf, orgs),
            now=timezone.now(),
        ),
    )


def _count_ctx(text: str, title: str, p: Any) -> dict[str, Any]:
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
    p = parameters_in_force()
    data = request.POST if request.method == "POST" else request.GET
    return render(
        request,
        "conference/_word_count.html",
        {"count": _count_ctx(data.get("text", ""), data.get("title", ""), p)},
    )


def submission(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    try:
        sub = permissions.access_submission(request.user, conf, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    diff = clause = None
    if sub.kind == Submission.Kind.RULE_CHANGE:
        book = rule_book_in_force(on=timezone.localdate(sub.submitted_at))
        clause = book.clauses.filter(number=sub.clause_number).first() if book else None
        if clause is not None:
            diff = procedure.word_diff(clause.text, sub.text)
    rule_form = None
    if permissions.can_manage_conference(request.user):
        rule_form = forms.RulingForm(
            topics=Topic.objects.filter(conference=conf), initial={"topic": sub.topic_id}
        )
    return render(
        request,
        "conference/submission.html",
        _ctx(
            request,
            conference=conf,
            sub=sub,
            clause=clause,
            diff=diff,
            words=procedure.word_count(sub.text),
            is_sponsor=permissions.is_sponsor(request.user, sub),
            rule_form=rule_form,
            items=sub.items.select_related("session"),
            amendments=queries.amendments_of(sub),
            amend_key=_amend_key(request, conf, sub),
        ),
    )


def _amend_key(request: HttpRequest, conf: Conference, target: Submission | Composite) -> str:
    """The target key for the "amend this" link: shown to officers while it can be amended."""
    if not permissions.can_submit(request.user):
        return ""
    if timezone.now() > conf.dates.amendments_deadline:
        return ""
    if services.target_problem(conf, target) is not None:
        return ""
    return f"{'c' if isinstance(target, Composite) else 's'}:{target.pk}"


@login_required
@require_POST
def submission_withdraw(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    try:
        sub = permissions.access_submission(request.user, conf, pk)
        services.submission_withdraw(actor=_actor(request), submission=sub)
        messages.success(request, f"{sub.reference} withdrawn.")
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:submission", year=year, pk=pk)


# --- Amendments --------------------------------------------------------------------------------
def amendments(request: HttpRequest, year: int) -> HttpResponse:
    """Amendments the user may see (all, once the agenda is published), with rulings."""
    conf = _conference(year)
    qs = (
        permissions.visible_amendments(request.user, conf)
        .select_related("clp", "affiliate", "submission", "composite")
        .prefetch_related("items")
        .order_by("reference")
    )
    return render(
        request,
        "conference/amendments.html",
        _ctx(
            request,
            conference=conf,
            amendments=[(a, queries.amendment_vote(a)) for a in qs],
            can_amend=permissions.can_submit(request.user)
            and timezone.now() <= conf.dates.amendments_deadline
            and conf.dates.agenda_published_at is not None,
        ),
    )


@login_required
def amendment_new(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    orgs = _organisations(request.user)
    if not orgs:
        raise Http404("only officers of a CLP or an affiliate move amendments")
    targets = queries.amendment_targets(conf)
    key = request.POST.get("target") or request.GET.get("target", "")
    target = queries.amendment_target(conf, key) if key else None
    initial = {"target": key, "text": target.text if target is not None else ""}
    form = forms.AmendmentForm(
        request.POST or None, organisations=orgs, targets=targets, initial=initial
    )
    p = parameters_in_force()
    preview = request.method == "POST" and "preview" in request.POST
    if request.method == "POST" and not preview and form.is_valid() and target is not None:
        d = form.cleaned_data
        org = _organisation(d["organisation"])
        try:
            a = services.amendment_create(
                actor=_actor(request),
                conference=conf,
                target=target,
                text=d["text"],
                note=d.get("note") or "",
                **org,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Amendment submitted as {a.reference}.")
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
        _ctx(
            request,
            conference=conf,
            form=form,
            target=target,
            diff=diff,
            changed=changed,
            limit=p.amendment_max_words,
            deadline=conf.dates.amendments_deadline,
        ),
    )


def _amendment(request: HttpRequest, conf: Conference, pk: int) -> Amendment:
    try:
        return permissions.access_amendment(request.user, conf, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def amendment(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    a = _amendment(request, conf, pk)
    return render(
        request,
        "conference/amendment.html",
        _ctx(
            request,
            conference=conf,
            a=a,
            diff=procedure.word_diff(a.base_text, a.text),
            vote=queries.amendment_vote(a),
            is_sponsor=permissions.is_amendment_sponsor(request.user, a),
            rule_form=forms.AmendmentRulingForm()
            if permissions.can_manage_conference(request.user)
            else None,
        ),
    )


@login_required
@require_POST
def amendment_rule(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    a = _amendment(request, conf, pk)
    form = forms.AmendmentRulingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose in order or out of order.")
    else:
        in_order = form.cleaned_data["decision"] == "in_order"
        try:
            services.amendment_rule(
                actor=_actor(request),
                amendment=a,
                in_order=in_order,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                f"{a.reference} ruled {'in order' if in_order else 'out of order'}.",
            )
        except DomainError as exc:
            messages.error(request, f"{a.reference}: {exc}")
    return redirect("conference:amendment", year=year, pk=pk)


@login_required
@require_POST
def amendment_withdraw(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    a = _amendment(request, conf, pk)
    try:
        services.amendment_withdraw(actor=_actor(request), amendment=a)
        messages.success(request, f"{a.reference} withdrawn.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:amendments", year=year)


# --- Arrangements ------------------------------------------------------------------------------
@login_required
def arrangements(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    topic_form = forms.TopicForm()
    subs = permissions.visible_submissions(request.user, conf).filter(debate_year=conf.year)
    return render(
        request,
        "conference/arrangements.html",
        _ctx(
            request,
            conference=conf,
            dates=conf.dates,
            pending=subs.filter(status=Submission.Status.SUBMITTED).select_related(
                "clp", "affiliate"
            ),
            groups=queries.submissions_by_topic(subs.exclude(status=Submission.Status.SUBMITTED)),
            topics=queries.topics_with_counts(conf),
            topic_form=topic_form,
            later=Submission.objects.filter(conference=conf)
            .exclude(debate_year=conf.year)
            .select_related("clp"),
        ),
    )


@login_required
@require_POST
def rule(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    try:
        sub = permissions.access_submission(request.user, conf, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    form = forms.RulingForm(request.POST, topics=Topic.objects.filter(conference=conf))
    if not form.is_valid():
        messages.error(request, "Choose in order or out of order.")
    else:
        d = form.cleaned_data
        try:
            services.submission_rule(
                actor=_actor(request),
                submission=sub,
                in_order=d["decision"] == "in_order",
                reason=d["reason"],
                topic=d["topic"],
            )
            messages.success(
                request,
                f"{sub.reference} ruled "
                f"{'in order' if d['decision'] == 'in_order' else 'out of order'}.",
            )
        except DomainError as exc:
            messages.error(request, f"{sub.reference}: {exc}")
    return redirect(request.POST.get("next") or reverse("conference:arrangements", args=[year]))


@login_required
@require_POST
def topic_new(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    form = forms.TopicForm(request.POST)
    if form.is_valid():
        try:
            services.topic_create(
                actor=_actor(request), conference=conf, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
    return redirect("conference:arrangements", year=year)


@login_required
@require_POST
def agenda_publish(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    try:
        services.agenda_publish(actor=_actor(request), conference=conf)
        messages.success(request, "The agenda is published.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:arrangements", year=year)


# --- Delegates --------------------------------------------------------------------------------
@login_required
def delegates(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    manager = permissions.can_manage_conference(request.user)
    clp_ids = mp.officer_clp_ids(request.user)
    if not manager and not clp_ids:
        raise Http404("no delegates you manage")
    p = queries.conference_parameters(conf)
    clps = list(CLP.objects.filter(pk__in=clp_ids).order_by("name"))
    counts = queries.clp_membership(conf.dates.census_date, p, [c.pk for c in clps])
    entitlements = [
        (
            c,
            procedure.entitlement(
                members=counts.get(c.pk, (0, 0, 0))[0],
                women=counts.get(c.pk, (0, 0, 0))[1],
                young=counts.get(c.pk, (0, 0, 0))[2],
                p=p,
            ),
        )
        for c in clps
    ]
    if request.method == "POST" and request.POST.get("action") == "ballot":
        from rankandfile.ballots.models import Ballot

        ballot = Ballot.objects.filter(
            pk=request.POST.get("ballot") or 0, clp_id__in=[c.pk for c in clps]
        ).first()
        if ballot is None or ballot.clp is None:
            messages.error(request, "Choose a ballot of your CLP.")
        else:
            try:
                done = services.delegates_from_ballot(
                    actor=_actor(request), conference=conf, clp=ballot.clp, ballot=ballot
                )
                messages.success(
                    request,
                    f"{len(done)} delegate{'s' if len(done) != 1 else ''} "
                    f"registered from {ballot.title}.",
                )
            except DomainError as exc:
                messages.error(request, str(exc))
        return redirect("conference:delegates", year=year)
    form = forms.DelegateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        number = d["membership_number"].strip()
        member = (
            mp.visible_members(request.user)
            .filter(membership_number=number)
            .select_related("clp")
            .first()
        )
        audit.record_read(
            actor=_actor(request),
            action="conference.delegate.member_lookup",
            target=conf,
            data={"membership_number": number, "found": member is not None},
        )
        if member is None:
            form.add_error(
                "membership_number", "No member with that number among the members you manage."
            )
        else:
            try:
                dl = services.delegate_register(
                    actor=_actor(request),
                    conference=conf,
                    member=member,
                    kind=d["kind"],
                    meeting_date=d["meeting_date"],
                )
                messages.success(
                    request, f"{dl.member} is a delegate of {dl.clp}; credential {dl.credential}."
                )
                return redirect("conference:delegates", year=year)
            except DomainError as exc:
                form.add_error(None, str(exc))
    q = request.GET.get("q", "").strip()
    listing = queries.delegates_of(conf)
    if not manager:
        listing = listing.filter(clp_id__in=clp_ids)
    if q:
        listing = listing.filter(credential=q) | listing.filter(member__last_name__icontains=q)
    return render(
        request,
        "conference/delegates.html",
        _ctx(
            request,
            conference=conf,
            params=p,
            entitlements=[(c, e, e.explain(p)) for c, e in entitlements],
            form=form,
            delegates=listing[:500],
            ballots=_declared_ballots(clps),
            q=q,
            manager=manager,
            delegations=AffiliateDelegation.objects.filter(conference=conf).select_related(
                "affiliate", "leader"
            )
            if manager
            else [],
        ),
    )


def _declared_ballots(clps: list[CLP]) -> list[Any]:
    from rankandfile.ballots.models import Ballot

    return list(
        Ballot.objects.filter(clp__in=clps, state=Ballot.State.DECLARED).order_by("-declared_at")[
            :20
        ]
    )


@login_required
@require_POST
def check_in(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    d = Delegate.objects.filter(conference=conf, pk=pk).select_related("clp", "member").first()
    if d is None or not permissions.can_check_in(request.user, d):
        raise Http404("no such delegate")
    try:
        services.delegate_check_in(actor=_actor(request), delegate=d)
        messages.success(request, f"{d.member} checked in.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("conference:delegates", args=[year]) + f"?q={d.credential}")


@login_required
@require_POST
def delegation_check_in(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    d = AffiliateDelegation.objects.filter(conference=conf, pk=pk).first()
    if d is None:
        raise Http404("no such delegation")
    try:
        services.delegation_check_in(actor=_actor(request), delegation=d)
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("conference:delegates", year=year)


@login_required
def delegation(request: HttpRequest, year: int) -> HttpResponse:
    """An affiliate officer registers the delegation (they lead it and cast its card)."""
    conf = _conference(year)
    affs = list(permissions.submitting_affiliates(request.user))
    if not affs:
        raise Http404("only affiliate officers register delegations")
    if request.method == "POST":
        aff = next((a for a in affs if str(a.pk) == request.POST.get("affiliate")), None)
        try:
            size = int(request.POST.get("size", "1"))
        except ValueError:
            size = 0
        if aff is None:
            messages.error(request, "Choose your affiliate.")
        else:
            try:
                d = services.delegation_register(
                    actor=_actor(request),
                    conference=conf,
                    affiliate=aff,
                    leader=_actor(request),
                    size=size,
                )
                messages.success(
                    request,
                    f"{aff} delegation registered: it casts {d.affiliated_members:,} votes.",
                )
                return redirect("conference:delegation", year=year)
            except DomainError as exc:
                messages.error(request, str(exc))
    existing = AffiliateDelegation.objects.filter(
        conference=conf, affiliate__in=affs
    ).select_related("affiliate")
    return render(
        request,
        "conference/delegation.html",
        _ctx(request, conference=conf, affiliates=affs, existing=existing),
    )


# --- Priorities -------------------------------------------------------------------------------
@login_required
def priorities(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    dates = conf.dates
    p = queries.conference_parameters(conf)
    clps, affs = services.priorities_units(_actor(request), conf)
    topics = list(Topic.objects.filter(conference=conf).order_by("position", "name"))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "open":
                services.priorities_open(actor=_actor(request), conference=conf)
                messages.success(request, "The priorities ballot is open.")
            elif action == "close":
                services.priorities_close(actor=_actor(request), conference=conf)
                messages.success(
                    request, "The priorities ballot is counted and the debated topics published."
                )
            else:
                unit = request.POST.get("unit", "")
                kind, _, pk = unit.partition(":")
                chosen = [t for t in topics if str(t.pk) in request.POST.getlist("topics")]
                clp = next((c for c in clps if kind == "clp" and str(c.pk) == pk), None)
                aff = next((a for a in affs if kind == "affiliate" and str(a.pk) == pk), None)
                if clp is None and aff is None:
                    raise DomainError("choose the delegation you vote for")
                services.priorities_cast(
                    actor=_actor(request), conference=conf, topics=chosen, clp=clp, affiliate=aff
                )
                messages.success(request, f"Priorities recorded for {clp or aff}.")
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("conference:priorities", year=year)
    from rankandfile.conference.models import PriorityChoice

    voted_clps = set(
        PriorityChoice.objects.filter(conference=conf, clp__isnull=False).values_list(
            "clp_id", flat=True
        )
    )
    voted_affs = set(
        PriorityChoice.objects.filter(conference=conf, affiliate__isnull=False).values_list(
            "affiliate_id", flat=True
        )
    )
    units = [(f"clp:{c.pk}", c.label, c.pk in voted_clps) for c in clps] + [
        (f"affiliate:{a.pk}", a.name, a.pk in voted_affs) for a in affs
    ]
    return render(
        request,
        "conference/priorities.html",
        _ctx(
            request,
            conference=conf,
            dates=dates,
            params=p,
            topics=topics,
            units=units,
            result=dates.priorities_result or None,
        ),
    )


# --- Compositing -----------------------------------------------------------------------------
@login_required
def composite_new(request: HttpRequest, year: int, topic_id: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    topic = Topic.objects.filter(conference=conf, pk=topic_id).first()
    if topic is None:
        raise Http404("no such topic")
    originals = Submission.objects.filter(
        topic=topic, kind=Submission.Kind.MOTION, status=Submission.Status.IN_ORDER
    ).select_related("clp", "affiliate")
    form = forms.CompositeForm(request.POST or None, initial={"title": topic.name})
    if request.method == "POST" and form.is_valid():
        try:
            c = services.composite_create(actor=_actor(request), topic=topic, **form.cleaned_data)
            return redirect("conference:composite", year=year, number=c.number)
        except DomainError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "conference/composite_form.html",
        _ctx(request, conference=conf, topic=topic, originals=originals, form=form, composite=None),
    )


@login_required
@require_POST
def provenance(request: HttpRequest, year: int, topic_id: int) -> HttpResponse:
    """The compositing editor's live check (htmx): each sentence's original, new words."""
    conf = _conference(year)
    _require_manager(request)
    topic = Topic.objects.filter(conference=conf, pk=topic_id).first()
    if topic is None:
        raise Http404("no such topic")
    sources = {
        s.reference: s.text
        for s in Submission.objects.filter(
            topic=topic,
            kind=Submission.Kind.MOTION,
            status__in=[Submission.Status.IN_ORDER, Submission.Status.COMPOSITED],
        )
    }
    origins = procedure.provenance(request.POST.get("text", ""), sources)
    return render(
        request,
        "conference/_provenance.html",
        {"origins": origins, "new_words": [w for o in origins for w in o.new_words]},
    )


def composite(request: HttpRequest, year: int, number: int) -> HttpResponse:
    conf = _conference(year)
    try:
        c = permissions.access_composite(request.user, conf, number)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    view = queries.composite_view(c)
    manager = permissions.can_manage_conference(request.user)
    form = None
    if manager and c.status == Composite.Status.DRAFT:
        form = forms.CompositeForm(request.POST or None, initial={"title": c.title, "text": c.text})
        if request.method == "POST" and request.POST.get("action") == "edit" and form.is_valid():
            try:
                services.composite_update(actor=_actor(request), composite=c, **form.cleaned_data)
                messages.success(
                    request, "Composite redrafted; the movers must agree the new wording."
                )
                return redirect("conference:composite", year=year, number=number)
            except DomainError as exc:
                form.add_error(None, str(exc))
    if request.method == "POST" and request.POST.get("action") == "sign":
        if not request.user.is_authenticated:
            raise Http404("sign in first")
        sub = next((s for s in view.originals if str(s.pk) == request.POST.get("submission")), None)
        try:
            if sub is None:
                raise DomainError("choose the motion you agree for")
            services.composite_sign(actor=_actor(request), composite=c, submission=sub)
            messages.success(request, f"{sub.organisation_name} agrees the composite.")
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("conference:composite", year=year, number=number)
    signable = [
        s
        for s in view.unsigned
        if request.user.is_authenticated and permissions.can_sign_composite(request.user, s)
    ]
    return render(
        request,
        "conference/composite.html",
        _ctx(
            request,
            conference=conf,
            c=c,
            view=view,
            form=form,
            signable=signable,
            items=c.items.select_related("session"),
            amendments=queries.amendments_of(c),
            amend_key=_amend_key(request, conf, c),
        ),
    )


# --- The floor ----------------------------------------------------------------------------------
@login_required
def floor(request: HttpRequest, year: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    sessions = FloorSession.objects.filter(conference=conf)
    business = [
        (f"c:{c.pk}", f"Composite {c.number}: {c.title}")
        for c in Composite.objects.filter(conference=conf, status=Composite.Status.AGREED)
    ]
    business += [
        (f"s:{s.pk}", f"{s.reference} {s.title} ({s.organisation_name})")
        for s in Submission.objects.filter(
            debate_year=conf.year, status=Submission.Status.IN_ORDER
        ).select_related("clp", "affiliate")
    ]
    business += [
        (f"a:{a.pk}", f"Amendment {a.reference} ({a.organisation_name}) to {a.target_label}")
        for a in Amendment.objects.filter(conference=conf, status=Amendment.Status.IN_ORDER)
        .exclude(items__isnull=False)
        .select_related("clp", "affiliate", "submission", "composite")
    ]
    session_form = forms.SessionForm(prefix="session")
    item_form = forms.ItemForm(prefix="item", sessions=sessions, business=business)
    if request.method == "POST":
        try:
            if "session-title" in request.POST:
                session_form = forms.SessionForm(request.POST, prefix="session")
                if session_form.is_valid():
                    services.session_create(
                        actor=_actor(request), conference=conf, **session_form.cleaned_data
                    )
                    return redirect("conference:floor", year=year)
            else:
                item_form = forms.ItemForm(
                    request.POST, prefix="item", sessions=sessions, business=business
                )
                if item_form.is_valid():
                    d = item_form.cleaned_data
                    kind, _, pk = d["business"].partition(":")
                    services.item_create(
                        actor=_actor(request),
                        session=d["session"],
                        method=d["method"],
                        composite=Composite.objects.get(pk=pk) if kind == "c" else None,
                        submission=Submission.objects.get(pk=pk) if kind == "s" else None,
                        amendment=Amendment.objects.get(pk=pk) if kind == "a" else None,
                    )
                    return redirect("conference:floor", year=year)
        except DomainError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "conference/floor.html",
        _ctx(
            request,
            conference=conf,
            sessions=queries.agenda(conf),
            session_form=session_form,
            item_form=item_form,
            outcomes=AgendaItem.Outcome.choices[1:],
        ),
    )


@login_required
@require_POST
def rule_book_publish(request: HttpRequest, year: int) -> HttpResponse:
    """The CAC publishes the rule book the conference's carried rule changes make."""
    conf = _conference(year)
    _require_manager(request)
    try:
        day = dt.date.fromisoformat(request.POST.get("effective_from", ""))
    except ValueError:
        messages.error(request, "Give the date the new rule book takes effect.")
        return redirect("conference:floor", year=year)
    try:
        v = services.rule_book_publish(actor=_actor(request), conference=conf, effective_from=day)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("conference:floor", year=year)
    messages.success(request, f"{v.title} is published; it takes effect on {day:%-d %B %Y}.")
    return redirect("conference:rule_book_version", number=v.number)


@login_required
@require_POST
def item_action(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    conf = _conference(year)
    _require_manager(request)
    try:
        item = permissions.access_item(request.user, conf, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    action = request.POST.get("action")
    try:
        if action == "open":
            n = services.card_vote_open(actor=_actor(request), item=item)
            messages.success(request, f"Card vote open: {n:,} cards issued.")
        elif action == "close":
            item = services.item_close(
                actor=_actor(request),
                item=item,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, f"{item.title}: {item.get_outcome_display()}.")
        else:
            raise DomainError("unknown action")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(request.POST.get("next") or reverse("conference:floor", args=[year]))


def _policy_item(item: AgendaItem) -> bool:
    """Whether a carried card vote on the item can put policy in the programme (a motion or
    a composite; not an amendment or a rule change)."""
    if item.composite_id is not None:
        return True
    return item.submission is not None and item.submission.kind == Submission.Kind.MOTION


def _board_ctx(item: AgendaItem, conf: Conference) -> dict[str, Any]:
    p = queries.conference_parameters(conf)
    if item.state == AgendaItem.State.CLOSED and item.result:
        r = item.result
        return {
            "item": item,
            "final": True,
            "result": r,
            "sections": r.get("sections", []),
            "for_percent": r.get("for_percent"),
            "against_percent": r.get("against_percent"),
            "programme": _policy_item(item)
            and bool(item.for_share)
            and Fraction(item.for_share) >= p.programme_threshold,
            "threshold": percent_str(p.programme_threshold),
        }
    t = queries.card_tally(item, p)
    sections = t.result.to_dict()["sections"] if t.result else []
    return {
        "item": item,
        "final": False,
        "tally": t,
        "sections": sections,
        "for_percent": t.for_percent,
        "against_percent": t.against_percent,
        "by_section": [
            (queries.SECTION_LABELS.get(k, k), c, n) for k, (c, n) in t.by_section.items()
        ],
        "threshold": percent_str(p.programme_threshold),
    }


def _original_text(it: AgendaItem) -> str:
    target = it.composite or it.submission
    return target.text.strip() if target is not None else ""


def item(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    """A delegate's voting page (their cards) and the item's result."""
    conf = _conference(year, set_up=False)
    try:
        it = permissions.access_item(request.user, conf, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if request.method == "POST":
        if not request.user.is_authenticated:
            raise Http404("sign in to vote")
        try:
            services.card_cast(
                actor=_actor(request),
                card_id=int(request.POST.get("card", "0") or 0),
                choice=request.POST.get("choice", ""),
            )
            messages.success(
                request, "Your card is cast. You may change it while the vote is open."
            )
        except (DomainError, ValueError) as exc:
            messages.error(request, str(exc))
        return redirect("conference:item", year=year, pk=pk)
    return render(
        request,
        "conference/item.html",
        _ctx(
            request,
            conference=conf,
            it=it,
            cards=queries.my_cards(request.user, it),
            amended_diff=(
                procedure.word_diff(_original_text(it), it.amended_text)
                if it.amended_text
                else None
            ),
            carried=services.carried_amendments(it),
            undecided=services.undecided_amendments(it),
            **{"board": _board_ctx(it, conf)},
        ),
    )


def board(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    """The hall screen: the live tally, polled every second (htmx); the final figures."""
    conf = _conference(year, set_up=False)
    try:
        it = permissions.access_item(request.user, conf, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    ctx = {"board": _board_ctx(it, conf), "conference": conf}
    if request.GET.get("fragment") or getattr(request, "htmx", False):
        return render(request, "conference/_board.html", ctx)
    return render(request, "conference/board.html", _ctx(request, **ctx))


# --- Programme -----------------------------------------------------------------------------------
def _programme_version(request: HttpRequest) -> ProgrammeVersion | None:
    n = request.GET.get("v")
    if n:
        v = ProgrammeVersion.objects.filter(number=n).first() if n.isdigit() else None
        if v is None:
            raise Http404("no such programme version")
        return v
    return None


def programme(request: HttpRequest) -> HttpResponse:
    version = _programme_version(request)
    versions = queries.programme_versions()
    entries = queries.programme_entries(version)
    cmp = None
    a, b = request.GET.get("a"), request.GET.get("b")
    if a and b:
        va = ProgrammeVersion.objects.filter(number=a).first() if a.isdigit() else None
        vb = ProgrammeVersion.objects.filter(number=b).first() if b.isdigit() else None
        if va is None or vb is None:
            raise Http404("no such programme version")
        cmp = queries.programme_compare(va, vb)
    return render(
        request,
        "conference/programme.html",
        _ctx(
            request,
            version=version,
            versions=versions,
            groups=queries.programme_by_topic(entries),
            count=len(entries),
            entry_base=reverse("conference:programme") + "entries/",
            cmp=cmp,
            latest=versions[0] if versions else None,
        ),
    )


def programme_entry(request: HttpRequest, pk: int) -> HttpResponse:
    e = (
        ProgrammeEntry.objects.select_related(
            "conference",
            "added_in",
            "removed_in",
            "supersedes",
            "agenda_item__composite",
            "agenda_item__submission__clp",
            "agenda_item__submission__affiliate",
        )
        .filter(pk=pk)
        .first()
    )
    if e is None:
        raise Http404("no such programme entry")
    return render(
        request,
        "conference/programme_entry.html",
        _ctx(request, e=e, superseded_by=list(e.superseded_by.select_related("conference"))),
    )


def programme_download(request: HttpRequest, fmt: str) -> HttpResponse:
    version = _programme_version(request)
    data = queries.programme_json(version)
    name = f"programme-v{data['version'] or 'current'}"
    if fmt == "json":
        out = JsonResponse(data, json_dumps_params={"indent": 2})
        out["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return out
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    html = render_to_string(
        "conference/programme_pdf.html",
        {"data": data, "groups": queries.programme_by_topic(queries.programme_entries(version))},
    )
    resp = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return resp


# --- Rule book -----------------------------------------------------------------------------------
def _rule_version(number: int | None) -> RuleBookVersion:
    v = RuleBookVersion.objects.filter(number=number).first() if number else rule_book_in_force()
    if v is None:
        raise Http404("no rule book")
    return v


def rule_book(request: HttpRequest, number: int | None = None) -> HttpResponse:
    v = _rule_version(number)
    versions = queries.rule_book_versions()
    changes = params = None
    a, b = request.GET.get("a"), request.GET.get("b")
    if a and b:
        va = RuleBookVersion.objects.filter(number=a).first() if a.isdigit() else None
        vb = RuleBookVersion.objects.filter(number=b).first() if b.isdigit() else None
        if va is None or vb is None:
            raise Http404("no such rule-book version")
        changes, params = queries.rule_book_compare(va, vb)
    in_force = rule_book_in_force()
    return render(
        request,
        "conference/rule_book.html",
        _ctx(
            request,
            v=v,
            versions=versions,
            clauses=queries.clauses(v),
            in_force=in_force,
            parameters=sorted(v.parameters.items()),
            changes=changes,
            param_changes=params,
            a=a,
            b=b,
        ),
    )


def rule_book_download(request: HttpRequest, number: int, fmt: str) -> HttpResponse:
    v = _rule_version(number)
    data = queries.rule_book_json(v)
    name = f"rule-book-v{v.number}"
    if fmt == "json":
        out = JsonResponse(data, json_dumps_params={"indent": 2})
        out["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return out
    from weasyprint import HTML

    html = render_to_string("conference/rule_book_pdf.html", {"data": data})
    resp = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return resp


_ = (dt, json, Card, Member)  # imported for type context in templates and tests
