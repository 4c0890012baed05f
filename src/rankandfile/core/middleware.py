"""Request context: the audit log's channel (web or api) and client address, and the
origin that links made during the request start from outside production (core.links)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from rankandfile.core import links, origin


def client_ip(request: HttpRequest) -> str | None:
    """The client address (``core.origin.client_ip``: ``REMOTE_ADDR``, or behind a
    reverse proxy named in ``TRUSTED_PROXIES`` the client it reports)."""
    return origin.client_ip(request.META)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        with (
            origin.context(channel, client_ip(request)),
            links.serving(links.request_origin(request)),
        ):
            return self.get_response(request)
