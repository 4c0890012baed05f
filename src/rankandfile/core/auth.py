"""django-allauth integration: accounts are created from membership records, not by
self-service sign-up, so public sign-up is closed. The links in allauth's emails start
from the configured base URL like every other emailed link (``core.links``), and the mail
allauth sends during a request (password reset, address confirmation, security notices)
goes through the outbox (``core.outbox``), so an SMTP failure cannot fail the request.
The client address allauth uses for its rate limits is the project's
(``core.origin.client_ip``), and failed sign-ins are counted per address and per (address,
account) pair — never per account alone, so nobody can lock an owner out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop

from rankandfile.core import origin, outbox
from rankandfile.core.links import absolute_url, base_url


@dataclass(frozen=True)
class Site:
    """What allauth's email templates print as ``current_site`` (name and domain)."""

    name: str
    domain: str


def rebase(url: str) -> str:
    """An absolute link allauth built from the request, rebuilt on the base URL."""
    parts = urlsplit(url)
    if not (parts.scheme and parts.netloc):
        return url
    return absolute_url(urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment)))


# django-allauth ships no Welsh catalogue. The words its forms show on the member's
# account journey (sign-in, password reset and change) are listed here so that
# `make messages` puts them in our catalogue: allauth's own gettext calls then find our
# Welsh, as the same message id in the project's catalogue wins (docs/decisions/0027-welsh.md).
ALLAUTH_WORDS = (
    gettext_noop("Email"),
    gettext_noop("Email address"),
    gettext_noop("Password"),
    gettext_noop("Remember Me"),
    gettext_noop("Forgot your password?"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("You must type the same password each time."),
    gettext_noop("Please type your current password."),
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("The password reset token was invalid."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("This account is currently inactive."),
)


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth is untyped
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """As allauth's, with links rebuilt on the base URL; the rendered message is queued
        in the outbox, not sent in the request."""
        # allauth puts its links (password_reset_url, activate_url, signup_url…) in the
        # context as absolute URLs made from the request's Host: rebuild them.
        # Its greeting names the request's Host too ("Hello from …"): the site's own name
        # and the base URL's host instead.
        ctx: dict[str, Any] = {
            "request": allauth_context.request,
            "email": email,
            "current_site": Site(
                name=str(settings.RANKANDFILE_SITE_NAME),
                domain=urlsplit(base_url()).netloc,
            ),
            # Where a member without an account yet asks for one (the unknown-account
            # email points there instead of allauth's sign-up, which is closed).
            "activation_request_url": absolute_url(reverse("membership:activation_request")),
        }
        ctx.update(
            {
                key: rebase(value) if key.endswith("_url") and isinstance(value, str) else value
                for key, value in context.items()
                if key != "current_site"
            }
        )
        outbox.queue(self.render_mail(template_prefix, email, ctx))

    def format_email_subject(self, subject: str) -> str:
        return f"[{settings.RANKANDFILE_SITE_NAME}] {subject}"

    def get_client_ip(self, request: HttpRequest) -> str:
        ip = origin.client_ip(request.META)
        if not ip:
            raise PermissionDenied(gettext("Unable to determine client IP address"))
        return ip

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """allauth's ``key`` for the ``login_failed`` limit: the account *and* the client
        address. allauth keys it by account alone, which lets anyone anywhere lock the
        owner out with five wrong passwords; here the owner, signing in from their own
        address, is never blocked by failures from another."""
        account_key: str = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account_key}@{self.get_client_ip(request)}"
