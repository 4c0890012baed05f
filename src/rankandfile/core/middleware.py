"""Request context for the audit log: channel (web or api) and client address."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from rankandfile.core import origin


def client_ip(request: HttpRequest) -> str | None:
    """The client address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_HOPS`` reverse
    proxies the matching ``X-Forwarded-For`` entry (``core.origin.client_ip``)."""
    return origin.client_ip(request.META)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        with origin.context(channel, client_ip(request)):
            return self.get_response(request)
