"""django-allauth integration: accounts are created from membership records, not by
self-service sign-up, so public sign-up is closed. The client address allauth uses for
its rate limits is the project's (``core.origin.client_ip``, honouring
``TRUSTED_PROXY_HOPS``), and failed sign-ins are counted per address and per (address,
account) pair — never per account alone, so nobody can lock an owner out."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from rankandfile.core import origin


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth is untyped
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        ip = origin.client_ip(request.META)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """allauth's ``key`` for the ``login_failed`` limit: the account *and* the client
        address. allauth keys it by account alone, which lets anyone anywhere lock the
        owner out with five wrong passwords; here the owner, signing in from their own
        address, is never blocked by failures from another."""
        account_key: str = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account_key}@{self.get_client_ip(request)}"
