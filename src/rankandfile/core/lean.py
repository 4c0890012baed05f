"""The one request module of the lean WSGI paths (``ballots.fastvote``,
``campaigns.fastsign``; decision 0021).

A lean path answers a hot request without Django's middleware stack, but every check
that comes before a view is **Django's own code**, run on Django's own request object
(:class:`django.core.handlers.wsgi.WSGIRequest` built from the WSGI environ):

* the host: ``request.get_host()`` (``ALLOWED_HOSTS``, ``USE_X_FORWARDED_HOST``, the
  ``DEBUG`` defaults) — a host Django refuses goes to Django, which answers 400;
* the scheme: ``SecurityMiddleware.process_request`` (``SECURE_SSL_REDIRECT``,
  ``SECURE_PROXY_SSL_HEADER``, the exempt paths) — a request it would redirect goes to
  Django, which redirects it;
* the body: read only when its declared length is within the path's limit
  (``docs/limits.md``), then through ``request.body`` / ``request.POST`` (Django's
  limits: ``DATA_UPLOAD_MAX_MEMORY_SIZE``, ``DATA_UPLOAD_MAX_NUMBER_FIELDS``); a body the
  path does not take is given back to Django untouched (:func:`hand_back`);
* CSRF: ``CsrfViewMiddleware`` itself (origin, referer on HTTPS, the token against the
  cookie's secret), with one difference — a refusal is not answered here but handed to
  Django, which refuses it with its own 403 page and log line;
* the response headers: those Django's middleware adds (``SecurityMiddleware``,
  ``XFrameOptionsMiddleware``, django-csp's ``CSPMiddleware``: the
  Content-Security-Policy from ``settings.CONTENT_SECURITY_POLICY``), computed by
  running those middlewares on an empty response, kept per scheme until a setting
  changes;
* the client address: :func:`core.origin.client_ip` — the function Django's middleware,
  allauth and the views use (behind a proxy named in ``TRUSTED_PROXIES``, the client
  it reports; decision 0028);
* Django's ``request_started``/``request_finished`` signals around the work
  (:func:`django_request`), so connection age and health stay Django's.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.http import HttpResponse, QueryDict
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.middleware.security import SecurityMiddleware

from rankandfile.core import origin

logger = logging.getLogger("django.request")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

STATUS_LINES = {
    201: "201 Created",
    302: "302 Found",
    400: "400 Bad Request",
    409: "409 Conflict",
    500: "500 Internal Server Error",
}


def _pass(request: Any) -> HttpResponse:  # pragma: no cover - never reached
    return HttpResponse()


_MIDDLEWARE: dict[str, SecurityMiddleware] = {}


def _security() -> SecurityMiddleware:
    """Django's ``SecurityMiddleware`` (it reads its settings when made: one per settings)."""
    found = _MIDDLEWARE.get("security")
    if found is None:
        found = _MIDDLEWARE["security"] = SecurityMiddleware(_pass)
    return found


# Django's verdict on the hosts seen, per process (a handful: the site's names), keyed by
# everything ``get_host`` reads from the request; cleared when a setting changes.
_HOSTS: dict[tuple[Any, ...], bool] = {}
_HOST_KEYS = ("HTTP_X_FORWARDED_HOST", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT")


def _host_ok(request: WSGIRequest) -> bool:
    meta = request.META
    key = tuple(meta.get(k) for k in _HOST_KEYS)
    if key[0] is None and key[1] is None:  # the server's name: its port depends on the scheme
        key += (request.is_secure(),)
    verdict = _HOSTS.get(key)
    if verdict is None:
        try:
            request.get_host()
        except DisallowedHost:
            verdict = False
        else:
            verdict = True
        if len(_HOSTS) > 100:
            _HOSTS.clear()
        _HOSTS[key] = verdict
    return verdict


def request_for(environ: dict[str, Any]) -> WSGIRequest | None:
    """Django's request for ``environ``, or ``None`` when Django must answer before any
    view could: a host it refuses (``request.get_host()``, its verdict kept per process),
    a plain-HTTP request it would redirect to HTTPS."""
    request = WSGIRequest(environ)
    if not _host_ok(request):
        return None
    if _security().process_request(request) is not None:
        return None
    return request


def content_type(request: WSGIRequest) -> str:
    return request.content_type.lower() if request.content_type else ""


def read_body(request: WSGIRequest, limit: int) -> bytes | None:
    """The body when its declared length is between 1 and ``limit`` bytes (the lean
    path's limit, ``docs/limits.md``); ``None`` otherwise, before reading anything."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= limit:
        return None
    return request.body


def form_data(request: WSGIRequest) -> QueryDict | None:
    """The form Django parses from the body (``request.POST``); ``None`` when Django's
    parser refuses it (more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields): Django then
    answers, naming the limit."""
    try:
        return request.POST
    except SuspiciousOperation:
        return None


def hand_back(environ: dict[str, Any], body: bytes | None) -> None:
    """Give Django the body a lean path has read (it answers this request itself)."""
    if body is not None:
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))


def only_csrf_cookie(request: WSGIRequest) -> bool:
    """The visitor carries no cookie but the CSRF cookie: no session (not signed in, no
    pending messages), so nothing a full Django response would add is missing."""
    if settings.CSRF_USE_SESSIONS:
        return False
    return set(request.COOKIES) <= {settings.CSRF_COOKIE_NAME}


# --- CSRF: Django's middleware ---------------------------------------------------------------
class _Refused(HttpResponse):
    pass


class _Csrf(CsrfViewMiddleware):
    """``CsrfViewMiddleware`` whose refusal is a marker: the lean path hands the request to
    Django, which refuses it (so the 403 page and its log line are written once)."""

    def _reject(self, request: Any, reason: str) -> HttpResponse:
        return _Refused(status=403)


def _view(request: Any) -> HttpResponse:  # pragma: no cover - never called
    return HttpResponse()


def csrf_passes(request: WSGIRequest) -> bool:
    """Whether Django's CSRF check accepts this request as it is (its origin, its referer
    on HTTPS, its token against the cookie's secret). ``False`` also when the cookie is to
    be replaced (an old masked cookie): Django answers and sends the new cookie."""
    check = _Csrf(_pass)
    check.process_request(request)
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    return check.process_view(request, _view, (), {}) is None


def csrf_token(request: WSGIRequest) -> tuple[str, str]:
    """A freshly masked CSRF token for this visitor (``get_token``) and the ``Set-Cookie``
    value Django's middleware sends with a page that uses one: the visitor's secret (its
    expiry renewed), or a new secret for a visitor without a valid cookie."""
    check = _Csrf(_pass)
    check.process_request(request)
    token = get_token(request)
    response = check.process_response(request, HttpResponse())
    morsel = response.cookies[settings.CSRF_COOKIE_NAME]
    return token, str(morsel.output(header="").strip())


# --- response headers: Django's middleware ---------------------------------------------------
_HEADERS: dict[bool, list[tuple[str, str]]] = {}


def _reset(**kwargs: Any) -> None:
    _HEADERS.clear()
    _MIDDLEWARE.clear()
    _HOSTS.clear()


setting_changed.connect(_reset)


def security_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers Django's middleware adds to a response over HTTPS (``secure``) or
    HTTP: run ``SecurityMiddleware``, ``XFrameOptionsMiddleware`` and django-csp's
    ``CSPMiddleware`` on an empty response, once per scheme."""
    headers = _HEADERS.get(secure)
    if headers is None:
        from csp.middleware import CSPMiddleware

        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/",
            "SERVER_NAME": "lean",
            "SERVER_PORT": "443" if secure else "80",
            "wsgi.url_scheme": "https" if secure else "http",
            "wsgi.input": io.BytesIO(),
        }
        request = WSGIRequest(environ)
        if secure and settings.SECURE_PROXY_SSL_HEADER:
            name, value = settings.SECURE_PROXY_SSL_HEADER
            request.META[name] = value
        response = HttpResponse()
        del response["Content-Type"]
        # Each middleware sets headers on the response it is given and returns it.
        CSPMiddleware(_pass).process_response(request, response)
        XFrameOptionsMiddleware(_pass).process_response(request, response)
        _security().process_response(request, response)
        headers = _HEADERS[secure] = list(response.items())
    return headers


def respond(
    request: WSGIRequest,
    start_response: Callable[..., Any],
    status: int,
    *,
    body: bytes = b"",
    content_type: str = "text/html; charset=utf-8",
    extra: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    """Send an answer with the headers Django would add (:func:`security_headers`)."""
    start_response(
        STATUS_LINES[status],
        [
            ("Content-Type", content_type),
            *extra,
            ("Content-Length", str(len(body))),
            *security_headers(request.is_secure()),
        ],
    )
    return [body]


# --- the request's life ----------------------------------------------------------------------
def client_ip(meta: Mapping[str, Any]) -> str | None:
    """The client's address: :func:`core.origin.client_ip`, as Django's side reads it."""
    return origin.client_ip(meta)


@contextlib.contextmanager
def django_request(environ: dict[str, Any], sender: type) -> Iterator[None]:
    """Django's ``request_started`` / ``request_finished`` around a lean answer."""
    signals.request_started.send(sender=sender, environ=environ)
    try:
        yield
    finally:
        signals.request_finished.send(sender=sender)


def log_crash(environ: dict[str, Any]) -> None:
    logger.exception("Internal Server Error: %s", environ.get("PATH_INFO"))
