"""Account page (API tokens), health check, the 400 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.http import require_POST

from rankandfile.core import limits, mfa, taskqueue, tokens
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.forms import ApiTokenForm
from rankandfile.core.models import User


def _user(request: HttpRequest) -> User:
    """The signed-in user (views using this are behind ``login_required``)."""
    assert isinstance(request.user, User)
    return request.user


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The account page: two-factor status, and personal API tokens (create with scopes
    and an expiry, list, revoke).

    A new token's secret is shown once, in this response only; it is never stored. A
    login whose roles require two-factor authentication cannot create a token without it.
    """
    user = _user(request)
    issued = None
    must_have_mfa = mfa.user_must_have_mfa(user)
    has_mfa = mfa.user_has_mfa(user)
    form = ApiTokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                issued = tokens.api_token_create(
                    actor=user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    lifetime=form.lifetime(),
                )
            except DomainError as exc:
                form.add_error(None, str(exc)[:1].upper() + str(exc)[1:] + ".")
                status = 400
            else:
                messages.success(
                    request,
                    gettext("Token “%(name)s” created. Copy it now: it will not be shown again.")
                    % {"name": issued.token.name},
                )
                form = ApiTokenForm()
        else:
            status = 400
    response = render(
        request,
        "core/account.html",
        {
            "nav": "account",
            "issued": issued,
            "form": form,
            "tokens": list(user.api_tokens.all()),
            "now": timezone.now(),
            "mfa_enabled": has_mfa,
            "mfa_blocks_tokens": must_have_mfa and not has_mfa,
        },
        status=status,
    )
    # The page may carry a new token's secret: never cached.
    patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = tokens.api_token_revoke(actor=_user(request), token_id=token_id)
        messages.success(request, gettext("Token “%(name)s” revoked.") % {"name": token.name})
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("account")


def healthz(request: HttpRequest) -> JsonResponse:
    """The database answers, and queued work is being done (``core.taskqueue``).

    ``status`` is ``ok`` or ``degraded`` (a task waiting too long, no worker heartbeat,
    an email the outbox could not send), with the queue's numbers and the problems in
    words. The answer is 200 either way -- a load balancer must not take healthy web
    servers out because the worker stopped -- unless ``?strict=1`` asks for 503 when
    degraded (for monitoring). A database that does not answer is 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        tasks = taskqueue.status().as_dict()
    except DatabaseError as exc:
        return JsonResponse(
            {"status": "down", "database": f"error: {type(exc).__name__}"}, status=503
        )
    status = tasks.pop("status")
    strict = request.GET.get("strict") in ("1", "true", "yes")
    return JsonResponse(
        {"status": status, "database": "ok", "tasks": tasks},
        status=503 if strict and status != "ok" else 200,
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page, saying which documented limit a request broke (too many form
    fields or files, a body too large) instead of a bare "Bad Request"."""
    message = limits.body_error_message(exception)
    if message is None:
        return defaults.bad_request(request, exception)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponse(
        f"<!doctype html><title>Bad request</title><h1>Bad request</h1><p>{message}.</p>",
        status=400,
        content_type="text/html; charset=utf-8",
    )
