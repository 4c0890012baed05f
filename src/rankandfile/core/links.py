"""Absolute links: every emailed, shared or stored link starts from one base URL.

:func:`absolute_url` is the only way code makes a link that leaves the site (an email, a
share button, an ``.ics`` file, the API). The base is, in order:

1. ``RANKANDFILE_BASE_URL`` (``settings.RANKANDFILE_BASE_URL``) when it is set — always in
   production, where ``rankandfile check`` refuses to start without it (error
   ``rankandfile.E001``), so a forged ``Host`` header can never steer a link;
2. in development and tests only: the origin of the request being served (scheme and the
   ``Host`` header, already checked against ``ALLOWED_HOSTS``), set by
   :class:`~rankandfile.core.middleware.RequestContextMiddleware` and the fast WSGI paths;
3. in development and tests only: the address this process serves with
   ``rankandfile runserver HOST:PORT`` (``RANKANDFILE_SERVED_URL``, which ``rankandfile
   runserver`` sets for itself), so work done outside a request still links to the demo
   on whatever port it runs;
4. ``http://127.0.0.1:8000``, the address ``make demo`` serves by default.

Text that is *stored* (a ballot's description) holds site paths such as
``/selections/12/``; :func:`expand_paths` turns them into links when the text is shown
or sent, so stored text never freezes an address.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest

DEFAULT_DEVELOPMENT_URL = "http://127.0.0.1:8000"
SERVED_URL_ENV = "RANKANDFILE_SERVED_URL"

_serving: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "rankandfile_serving_origin", default=None
)


def configured() -> str:
    """``RANKANDFILE_BASE_URL`` without its trailing slash ('' when not set)."""
    return str(getattr(settings, "RANKANDFILE_BASE_URL", "") or "").strip().rstrip("/")


def base_url() -> str:
    """The scheme, host and (optional) path prefix every absolute link starts with."""
    base = configured()
    if base:
        return base
    if getattr(settings, "ENV", "development") == "production":
        raise ImproperlyConfigured(
            "RANKANDFILE_BASE_URL must be set in production (rankandfile check --deploy)"
        )
    return _serving.get() or served_url() or DEFAULT_DEVELOPMENT_URL


def absolute_url(path: str) -> str:
    """``path`` (a site path from ``reverse()``, starting with ``/``) as an absolute URL."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"absolute_url() takes a site path starting with '/', not {path!r}")
    return base_url() + path


# --- where the demo is being served -----------------------------------------------------
def request_origin(request: HttpRequest) -> str | None:
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return None


@contextlib.contextmanager
def serving(origin: str | None) -> Iterator[None]:
    """Links made inside the block (outside production) start from ``origin``."""
    token = _serving.set(origin)
    try:
        yield
    finally:
        _serving.reset(token)


def served_url() -> str:
    return os.environ.get(SERVED_URL_ENV, "").strip().rstrip("/")


_ADDRPORT = re.compile(r"^(?:(?P<addr>\[[0-9a-fA-F:.]+\]|[^:\[\]]+):)?(?P<port>\d+)$")
_ANY_ADDRESS = {"0", "0.0.0.0", "[::]"}  # noqa: S104 - names a bind address, binds nothing


def runserver_url(args: list[str]) -> str:
    """The address ``rankandfile runserver ARGS`` serves, as a base URL (Django's
    defaults: 127.0.0.1:8000, or [::1]:8000 with ``-6``)."""
    addrport = next((a for a in args if not a.startswith("-")), "")
    ipv6 = "-6" in args or "--ipv6" in args
    default_addr = "[::1]" if ipv6 else "127.0.0.1"
    match = _ADDRPORT.match(addrport) if addrport else None
    if match is None:
        return f"http://{default_addr}:8000"
    addr = match.group("addr") or default_addr
    if addr in _ANY_ADDRESS:
        addr = "[::1]" if addr == "[::]" else "127.0.0.1"
    return f"http://{addr}:{match.group('port')}"


# --- stored text ------------------------------------------------------------------------
_PATH = re.compile(r"(?<![\w/:.\-])/[A-Za-z0-9_\-./~%?=&#]*")
_TRAILING = ".,;:!?)"


def _resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(urlsplit(path).path)
    except Resolver404:
        return False
    return True


def expand_paths(text: str) -> str:
    """Turn every site path in ``text`` that names a page of this site (``/selections/12/``)
    into an absolute link; anything else ("and/or", "1/2", a URL) is left alone."""

    def expand(match: re.Match[str]) -> str:
        token = match.group(0)
        stripped = token.rstrip(_TRAILING)
        tail = token[len(stripped) :]
        if len(stripped) < 2 or not _resolves(stripped):
            return token
        return absolute_url(stripped) + tail

    return _PATH.sub(expand, text)


# --- configuration checks ---------------------------------------------------------------
def configuration_problems() -> list[tuple[str, str, str]]:
    """(level, id, message) for a missing or malformed base URL; see core.checks."""
    base = configured()
    production = getattr(settings, "ENV", "") == "production"
    if not base:
        if production:
            return [
                (
                    "error",
                    "rankandfile.E001",
                    "RANKANDFILE_BASE_URL is not set. In production every emailed, shared and "
                    "stored link is built from it (e.g. https://members.example.org).",
                )
            ]
        return []
    parts = urlsplit(base)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [
            (
                "error",
                "rankandfile.E002",
                f"RANKANDFILE_BASE_URL={base!r} is not an absolute http(s) address "
                "such as https://members.example.org",
            )
        ]
    if parts.query or parts.fragment or parts.username or parts.password:
        return [
            (
                "error",
                "rankandfile.E002",
                f"RANKANDFILE_BASE_URL={base!r} must be a scheme, host and optional path only",
            )
        ]
    found: list[tuple[str, str, str]] = []
    if production and parts.scheme != "https":
        found.append(
            (
                "warning",
                "rankandfile.W001",
                f"RANKANDFILE_BASE_URL={base!r} is not https: emailed one-time links would "
                "travel in clear text",
            )
        )
    hosts = list(getattr(settings, "ALLOWED_HOSTS", []))
    if production and not _host_allowed(parts.hostname, hosts):
        found.append(
            (
                "warning",
                "rankandfile.W002",
                f"the host of RANKANDFILE_BASE_URL ({parts.hostname}) is not in ALLOWED_HOSTS: "
                "the links would lead to a 400 page",
            )
        )
    return found


def _host_allowed(host: str, allowed: list[str]) -> bool:
    from django.http.request import validate_host

    return validate_host(host, allowed)


def require_configuration() -> None:
    """Raise :class:`ImproperlyConfigured` on any base-URL error (the WSGI app's start)."""
    errors = [message for level, _id, message in configuration_problems() if level == "error"]
    if errors:
        raise ImproperlyConfigured("; ".join(errors))


class ServingOrigin:
    """WSGI wrapper: outside production, links made while answering a request (also on
    the fast paths that bypass Django's middleware) start from that request's origin."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if configured() or getattr(settings, "ENV", "") == "production":
            return self.app(environ, start_response)
        from django.http.request import split_domain_port, validate_host

        host = environ.get("HTTP_HOST") or ""
        domain, _port = split_domain_port(host)
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        if not domain or not validate_host(domain, allowed):
            return self.app(environ, start_response)
        with serving(f"{environ.get('wsgi.url_scheme', 'http')}://{host}"):
            return self.app(environ, start_response)
