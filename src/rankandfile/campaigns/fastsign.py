"""The lean path for the public petition: the anonymous signing POST
(``/campaigns/<slug>/sign/``) and a few-seconds cache of the anonymous campaign page and
its htmx progress fragment (decisions 0005 and 0021).

:class:`FastSignMiddleware` is a WSGI wrapper installed by ``rankandfile.wsgi`` around
the fast vote wrapper. It writes no rule of its own:

* the request: ``core.lean`` — Django's own host and HTTPS checks on Django's request,
  the body read within its limit (``docs/limits.md``) and parsed by Django
  (``request.POST``), **Django's ``CsrfViewMiddleware``** (origin, referer on HTTPS,
  token), Django's response headers, the client address of ``core.origin.client_ip``;
* the signature: :func:`petition.petition_sign` — the use case the view calls too, with
  the view's form (``forms.SignForm``). A success ("check your email") is answered here
  with the view's redirect (``views.sign_redirect``); any other outcome is handed to the
  view with the outcome in the environ (``views.SIGN_OUTCOME``), which renders it
  without running the use case again (so a refused request counts once).

Anything else — a visitor with a session cookie (logged in, or pending messages),
another content type, a CSRF refusal or doubt, a host Django would refuse, a
plain-HTTP request Django would redirect, a body over the limit — goes to Django
unchanged, which answers as it always has.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from django.utils import translation

from rankandfile.campaigns import forms, views
from rankandfile.campaigns.services import common, petition
from rankandfile.core import lean

SIGN_PATH = re.compile(r"/campaigns/([-a-zA-Z0-9_]+)/sign/")
PAGE_PATH = re.compile(r"/campaigns/([-a-zA-Z0-9_]+)/")
MAX_BODY = 16 * 1024
"""The lean petition path's body limit (``docs/limits.md``); larger bodies go to Django."""
_TOKEN_IN_FORM = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
_PLACEHOLDER = b"\x00csrf\x00"


def page_seconds() -> float:
    """How long the anonymous campaign page and progress fragment are reused (default
    5 s; 0 turns the cache off)."""
    return float(common.setting("CAMPAIGN_PAGE_CACHE_SECONDS", 5))


# --- the WSGI wrapper ------------------------------------------------------------------------
class _Cached:
    __slots__ = ("body", "expires", "headers", "status", "token")

    def __init__(
        self, status: str, headers: list[tuple[str, str]], body: bytes, token: bool, expires: float
    ) -> None:
        self.status, self.headers, self.body, self.token, self.expires = (
            status,
            headers,
            body,
            token,
            expires,
        )


class FastSignMiddleware:
    """WSGI: anonymous signatures by :func:`petition.petition_sign`, anonymous campaign
    pages from a short cache; everything else (and whatever these do not answer) by
    ``app``."""

    def __init__(self, app: lean.WSGIApp) -> None:
        self.app = app
        self._pages: dict[tuple[str, str, bool, str], _Cached] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        if method == "POST" and path.endswith("/sign/"):
            match = SIGN_PATH.fullmatch(path)
            if match is not None:
                return self._sign(environ, start_response, match[1])
        elif method == "GET" and path.startswith("/campaigns/"):
            match = PAGE_PATH.fullmatch(path)
            if match is not None and match[1] not in _NOT_CAMPAIGNS:
                return self._page(environ, start_response)
        return self.app(environ, start_response)

    def _sign(self, environ: dict[str, Any], start_response: Callable[..., Any], slug: str) -> Any:
        request = lean.request_for(environ)
        if (
            request is None
            or not lean.only_csrf_cookie(request)
            or lean.content_type(request) != lean.FORM
        ):
            return self.app(environ, start_response)
        body = lean.read_body(request, MAX_BODY)
        if body is None:
            return self.app(environ, start_response)
        data = lean.form_data(request)
        if data is None or not lean.csrf_passes(request):
            # Django answers: 400 naming the fields limit, 403 for CSRF.
            lean.hand_back(environ, body)
            return self.app(environ, start_response)
        with lean.django_request(environ, self.__class__):
            try:
                form = forms.SignForm(data)
                outcome = petition.petition_sign(
                    slug=slug,
                    is_bot=form.is_bot,
                    data=form.signature(),
                    client_ip=lean.client_ip(environ),
                )
                target = views.sign_redirect(slug, outcome)
            except Exception:
                lean.log_crash(environ)
                return lean.respond(request, start_response, 500)
        if target is None:  # the view renders this outcome: give it the body back
            environ[views.SIGN_OUTCOME] = outcome
            lean.hand_back(environ, body)
            return self.app(environ, start_response)
        return lean.respond(request, start_response, 302, extra=[("Location", target)])

    # --- the campaign page and its progress fragment ----------------------------------------
    def _page(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = environ.get("QUERY_STRING", "")
        seconds = page_seconds()
        if seconds <= 0 or query not in ("", "part=progress"):
            return self.app(environ, start_response)
        request = lean.request_for(environ)
        if request is None or not lean.only_csrf_cookie(request):
            return self.app(environ, start_response)
        htmx = environ.get("HTTP_HX_REQUEST") == "true"
        # The language LocaleMiddleware would pick (no language cookie here, so from
        # Accept-Language): an English page is never served to a Welsh reader, or back.
        language = translation.get_language_from_request(request)
        key = (environ.get("PATH_INFO", ""), query, htmx, language)
        cached = self._pages.get(key)
        now = time.monotonic()
        if cached is None or cached.expires <= now:
            cached = self._fill(environ, key, now + seconds)
            if cached is None:
                return self.app(environ, start_response)
        headers = list(cached.headers)
        body = cached.body
        if cached.token:
            # Each visitor's own masked token (Django's get_token), and the cookie Django's
            # middleware sends with it (the same secret renewed, or a new one).
            token, cookie = lean.csrf_token(request)
            headers.append(("Set-Cookie", cookie))
            body = body.replace(_PLACEHOLDER, token.encode())
        headers.append(("Content-Length", str(len(body))))
        start_response(cached.status, headers)
        return [body]

    def _fill(
        self, environ: dict[str, Any], key: tuple[str, str, bool, str], expires: float
    ) -> _Cached | None:
        """Render the page by Django for a cookie-less visitor; keep a 200 with its CSRF
        token replaced by a placeholder (each visitor gets a token of their own)."""
        inner = {k: v for k, v in environ.items() if k != "HTTP_COOKIE"}
        captured: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None  # pragma: no cover - Django returns its body

        result = self.app(inner, start)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not captured.get("status", "").startswith("200"):
            return None
        headers = [
            (k, v)
            for k, v in captured["headers"]
            if k.lower() not in ("set-cookie", "content-length")
        ]
        found = _TOKEN_IN_FORM.search(body)
        token = found is not None
        if found is not None:
            body = body.replace(found[1], _PLACEHOLDER)
        if not any(k.lower() == "vary" for k, _ in headers):
            headers.append(("Vary", "Cookie"))
        cached = _Cached(captured["status"], headers, body, token, expires)
        if len(self._pages) > 1000:
            self._pages.clear()
        self._pages[key] = cached
        return cached


# Fixed paths under /campaigns/ that are not campaign pages.
_NOT_CAMPAIGNS = frozenset({"new", "pledges", "recall", "confirm", "withdraw", "rsvp"})
