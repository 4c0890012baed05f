"""What every conference page needs: the conference, the actor, the CAC check, the
template context, and ``permissions.access_*`` turned into a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.utils import timezone

from rankandfile.conference import forms, permissions
from rankandfile.conference.models import Composite, Conference, ConferenceDocument, Submission
from rankandfile.conference.services.amendments import target_problem
from rankandfile.core.errors import NotFound
from rankandfile.core.models import User

P = ParamSpec("P")
T = TypeVar("T")


def found(access: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a ``permissions.access_*`` function; not found and not allowed are both 404."""
    try:
        return access(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def conference(request: HttpRequest, year: int, *, set_up: bool = True) -> Conference:
    """The conference of ``year``. Conferences from before the software (loaded with the
    rule book's history) have no deadlines: only their public record pages show them."""
    return found(permissions.access_conference, request.user, year, set_up=set_up)


def actor(request: HttpRequest) -> User:
    """The signed-in user (views that call this are behind ``login_required``)."""
    return cast(User, request.user)


def posted_action(request: HttpRequest, actions: tuple[str, ...]) -> str | None:
    """Which of the page's forms a POST sent (its hidden ``action``), validated against
    the page's own ``actions``; None, with the error shown, for anything else."""
    form = forms.PageActionForm(request.POST, actions=actions)
    if form.is_valid():
        return str(form.cleaned_data["action"])
    messages.error(request, str(form.errors["action"][0]))
    return None


def require_manager(request: HttpRequest) -> None:
    if not permissions.can_manage_conference(request.user):
        raise Http404("no such page")


def ctx(request: HttpRequest, **kw: Any) -> dict[str, Any]:
    return {
        "nav": "conference",
        "can_manage": permissions.can_manage_conference(request.user),
        **kw,
    }


def organisations(user: Any) -> list[tuple[str, str]]:
    """The CLPs and affiliates the user may act for, as form choices."""
    return [(f"clp:{c.pk}", c.label) for c in permissions.submitting_clps(user)] + [
        (f"affiliate:{a.pk}", a.name) for a in permissions.submitting_affiliates(user)
    ]


def organisation(request: HttpRequest, choice: str) -> dict[str, Any]:
    """The ``clp=`` or ``affiliate=`` keyword for a validated organisation choice."""
    return found(permissions.access_organisation, request.user, choice)


def amend_key(
    request: HttpRequest, conf: Conference, target: Submission | Composite | ConferenceDocument
) -> str:
    """The target key for the "amend this" link: shown to officers while it can be amended."""
    if not permissions.can_submit(request.user):
        return ""
    if timezone.now() > conf.dates.amendments_deadline:
        return ""
    if target_problem(conf, target) is not None:
        return ""
    prefix = (
        "c"
        if isinstance(target, Composite)
        else "d"
        if isinstance(target, ConferenceDocument)
        else "s"
    )
    return f"{prefix}:{target.pk}"
