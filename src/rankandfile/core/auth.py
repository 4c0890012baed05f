"""django-allauth integration: accounts are created from membership records, not by
self-service sign-up, so public sign-up is closed; the mail allauth sends during a request
(password reset, address confirmation, security notices) goes through the outbox
(``core.outbox``), so an SMTP failure cannot fail the request."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest

from rankandfile.core import outbox


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth is untyped
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """As allauth's, but the rendered message is queued, not sent in the request."""
        request = allauth_context.request
        ctx: dict[str, Any] = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
        }
        ctx.update(context)
        outbox.queue(self.render_mail(template_prefix, email, ctx))
