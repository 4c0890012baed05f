"""The lean path for the public petition: the anonymous signing POST
(``/campaigns/<slug>/sign/``) and a few-seconds cache of the anonymous campaign page and
its htmx progress fragment (``docs/decisions/0005-fast-petition-path.md``).

:class:`FastSignMiddleware` is a WSGI wrapper installed by ``rankandfile.wsgi`` around
the fast vote wrapper. For a signature it answers only what it can answer for sure, with
the rules of :func:`rankandfile.campaigns.views.campaign_sign`, in its order:

* the campaign is found by its slug, drafts excluded (as ``permissions.signable_campaign``);
* the honeypot: a filled-in ``website`` field looks like success and stores nothing;
* the form is checked by :class:`forms.SignForm` itself (its field rules, then
  ``services.check_signature_input``: ``validation.py``);
* the per-address rate limit by :func:`services.allow` (one statement);
* the signature (unique on campaign and email) and the confirmation email task
  (``tasks.send_signature_email``, only link digests are ever stored) in one
  transaction; the insert itself requires the campaign to be live;
* a second signature by one address goes through :func:`services.signature_sign`
  (re-send or "already signed", capped per address).

CSRF is checked as Django's ``CsrfViewMiddleware`` checks it, narrowed: the cookie's
32-character secret against the form's (or header's) token, masked or not, in constant
time; an ``Origin`` header must be this very origin; an HTTPS request without ``Origin``
goes to Django (which checks the ``Referer``). Anything else — a logged-in visitor (a
session cookie), another content type, an invalid form (re-rendered with messages), a
closed or unknown campaign, a refused rate limit, a CSRF failure, a host Django would
refuse, a plain-HTTP request Django would redirect — goes to Django unchanged, which
answers as it always has. When the rate limit refused the request, the wrapper tells the
view (``RATE_VERDICT``) so the refused request is not counted twice.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import SuspiciousOperation
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.http import HttpResponse, QueryDict, parse_cookie
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, CSRF_TOKEN_LENGTH
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string

from rankandfile.ballots.fastvote import FastVoteMiddleware, _security_headers
from rankandfile.campaigns import forms, permissions, services
from rankandfile.campaigns.models import Campaign, Signature
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.core.origin import client_ip

logger = logging.getLogger("django.request")

SIGN_PATH = re.compile(r"/campaigns/([-a-zA-Z0-9_]+)/sign/")
PAGE_PATH = re.compile(r"/campaigns/([-a-zA-Z0-9_]+)/")
# Set in the WSGI environ (``request.META``) when this path has already run the rate
# limit: "refused". A client cannot set it (headers arrive as HTTP_*).
RATE_VERDICT = "rankandfile.campaigns.rate_verdict"
_MAX_BODY = 16 * 1024
_FORM = "application/x-www-form-urlencoded"
_TOKEN_IN_FORM = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
_PLACEHOLDER = b"\x00csrf\x00"


def page_seconds() -> float:
    """How long the anonymous campaign page and progress fragment are reused (default
    5 s; 0 turns the cache off)."""
    return float(services.setting("CAMPAIGN_PAGE_CACHE_SECONDS", 5))


# --- CSRF, as django.middleware.csrf ---------------------------------------------------------
def _well_formed(token: str) -> bool:
    return len(token) in (CSRF_SECRET_LENGTH, CSRF_TOKEN_LENGTH) and all(
        c in CSRF_ALLOWED_CHARS for c in token
    )


def _unmask(token: str) -> str:
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    chars = CSRF_ALLOWED_CHARS
    return "".join(
        chars[x - y] for x, y in zip(map(chars.index, cipher), map(chars.index, mask), strict=True)
    )


def mask(secret: str) -> str:
    """A fresh masked token for ``secret`` (as ``csrf._mask_cipher_secret``)."""
    chars = CSRF_ALLOWED_CHARS
    key = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=chars)
    cipher = "".join(
        chars[(x + y) % len(chars)]
        for x, y in zip(map(chars.index, secret), map(chars.index, key), strict=True)
    )
    return key + cipher


def csrf_ok(cookie_secret: str | None, request_token: str) -> bool:
    """The cookie's secret (32 characters) matches the submitted token, as Django's
    ``_check_token`` decides. ``False`` means "let Django decide", not "refused"."""
    if not cookie_secret or len(cookie_secret) != CSRF_SECRET_LENGTH:
        return False
    if not _well_formed(cookie_secret) or not _well_formed(request_token):
        return False
    if len(request_token) == CSRF_TOKEN_LENGTH:
        request_token = _unmask(request_token)
    return constant_time_compare(request_token, cookie_secret)


# --- signing ---------------------------------------------------------------------------------
class _Sql:
    def __init__(self, qn: Callable[[str], str]) -> None:
        s, c = Signature._meta, Campaign._meta

        def col(meta: Any, name: str) -> str:
            return qn(meta.get_field(name).column)

        names = [
            "campaign",
            "first_name",
            "last_name",
            "email",
            "postcode",
            "town",
            "lives_in_constituency",
            "consent",
            "show_publicly",
            "confirm_digest",
            "withdraw_digest",
            "created_at",
            "emails_sent",
        ]
        columns = ", ".join(col(s, n) for n in names)
        values = ", ".join(["%s"] * (len(names) - 1))
        # The campaign must be live in the same statement (a petition closed a moment
        # ago takes no more signatures); a second signature by one address inserts
        # nothing (the unique constraint) and is handled by services.signature_sign.
        self.insert = (
            f"INSERT INTO {qn(s.db_table)} ({columns}) "  # noqa: S608 - names from the models
            f"SELECT c.{col(c, 'id')}, {values} FROM {qn(c.db_table)} c "
            f"WHERE c.{col(c, 'id')} = %s AND c.{col(c, 'state')} = %s "
            f"ON CONFLICT ({col(s, 'campaign')}, {col(s, 'email')}) DO NOTHING "
            f"RETURNING {col(s, 'id')}"
        )
        self.lookup = (
            f"SELECT {col(c, 'id')} FROM {qn(c.db_table)} "  # noqa: S608 - names from the models
            f"WHERE {col(c, 'slug')} = %s AND {col(c, 'state')} <> %s"
        )


_SQL: dict[str, _Sql] = {}
# Per process: slug -> id of public campaigns (a slug never changes; whether the campaign
# is live is checked by the insert itself).
_IDS: dict[str, int] = {}


def _sql(connection: Any) -> _Sql:
    sql = _SQL.get(connection.alias)
    if sql is None:
        sql = _SQL[connection.alias] = _Sql(connection.ops.quote_name)
    return sql


def _campaign_id(connection: Any, slug: str) -> int | None:
    found = _IDS.get(slug)
    if found is not None:
        return found
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection).lookup, [slug, Campaign.State.DRAFT])
        row = cursor.fetchone()
    if row is None:
        return None
    if len(_IDS) > 1000:
        _IDS.clear()
    _IDS[slug] = int(row[0])
    return int(row[0])


def _enqueue_confirm(signature_id: int) -> None:
    from rankandfile.campaigns import tasks

    tasks.send_signature_email.enqueue(signature_id, "confirm")


def _tasks_in_this_database() -> bool:
    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    return backend == "django_tasks_db.DatabaseBackend"


def sign(slug: str, data: QueryDict, client_ip: str | None, environ: dict[str, Any]) -> str | None:
    """Sign ``slug``'s petition with the posted ``data``: the path to redirect to, or
    ``None`` when Django must answer (possibly after ``environ[RATE_VERDICT]`` is set)."""
    connection = connections[router.db_for_write(Signature) or DEFAULT_DB_ALIAS]
    campaign_id = _campaign_id(connection, slug)
    if campaign_id is None:
        return None  # Django: 404
    signed = f"/campaigns/{slug}/signed/"
    form = forms.SignForm(data)
    if form.is_bot:
        return signed  # look like success to the bot; store nothing
    if not form.is_valid():
        return None  # Django counts the rate limit and re-renders the form (400 or 429)
    limit, window = _ip_limit()
    if not services.allow(f"campaigns:ip:{client_ip}", limit, window):
        environ[RATE_VERDICT] = "refused"
        return None  # Django answers 429 without counting the request again
    cleaned: services.SignatureInput = form.cleaned_data["signature"]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[Any] = [
        cleaned.first_name,
        cleaned.last_name,
        cleaned.email,
        cleaned.postcode,
        cleaned.town,
        cleaned.lives_in_constituency,
        cleaned.consent,
        cleaned.show_publicly,
        "",
        "",
        now,
        1,
        campaign_id,
        Campaign.State.LIVE,
    ]
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute(_sql(connection).insert, params)
            row = cursor.fetchone()
        if row is not None:
            if _tasks_in_this_database():
                _enqueue_confirm(int(row[0]))  # the task row commits with the signature
            else:  # a queue elsewhere must not see the task before the signature exists
                transaction.on_commit(
                    partial(_enqueue_confirm, int(row[0])), using=connection.alias
                )
            return signed
    # Nothing inserted: the address has signed already, or the petition is not live.
    try:
        campaign = permissions.signable_campaign(slug)
        result = services.signature_sign(campaign=campaign, data=cleaned)
    except (NotFound, DomainError):
        environ[RATE_VERDICT] = "counted"
        return None  # Django answers (404, 409) without counting the request again
    return signed + "?again=1" if result.kind == "throttled" else signed


def _ip_limit() -> tuple[int, int]:
    from rankandfile.campaigns.views import ip_limit

    return ip_limit()


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


class FastSignMiddleware(FastVoteMiddleware):
    """WSGI: anonymous signatures by :func:`sign`, anonymous campaign pages from a short
    cache; everything else (and whatever these do not answer) by ``app``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        super().__init__(app)
        self._pages: dict[tuple[str, str, bool], _Cached] = {}

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

    def _usable(self, environ: dict[str, Any]) -> tuple[bool, dict[str, str]]:
        """Whether this path may answer (host, HTTPS redirect), and the cookies: only
        the CSRF cookie may be present (no session: not logged in, no messages)."""
        secure = self._secure(environ)
        if (settings.SECURE_SSL_REDIRECT and not secure) or not self._host_ok(environ):
            return False, {}
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if set(cookies) - {settings.CSRF_COOKIE_NAME} or settings.CSRF_USE_SESSIONS:
            return False, {}
        return True, cookies

    def _origin_ok(self, environ: dict[str, Any]) -> bool:
        origin = environ.get("HTTP_ORIGIN")
        secure = self._secure(environ)
        if origin is None:
            return not secure  # HTTPS without Origin: Django checks the Referer
        return (
            bool(origin)
            and str(origin)
            == f"{'https' if secure else 'http'}://{self._raw_host(environ, secure)}"
        )

    @staticmethod
    def _raw_host(environ: dict[str, Any], secure: bool) -> str:
        """As ``HttpRequest._get_raw_host`` (what Django's origin check compares)."""
        if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
            return str(environ["HTTP_X_FORWARDED_HOST"])
        if "HTTP_HOST" in environ:
            return str(environ["HTTP_HOST"])
        host = str(environ.get("SERVER_NAME", ""))
        port = str(environ.get("SERVER_PORT", ""))
        return host if port == ("443" if secure else "80") else f"{host}:{port}"

    def _sign(self, environ: dict[str, Any], start_response: Callable[..., Any], slug: str) -> Any:
        usable, cookies = self._usable(environ)
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if not usable or content_type != _FORM or not self._origin_ok(environ):
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.app(environ, start_response)
        if not 0 < length <= _MAX_BODY:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        try:
            data = QueryDict(body, encoding=settings.DEFAULT_CHARSET)
        except SuspiciousOperation:  # more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields
            data = None
        if data is None:  # Django answers 400, naming the limit (core.views.bad_request)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return self.app(environ, start_response)
        token = data.get("csrfmiddlewaretoken", "") or environ.get(settings.CSRF_HEADER_NAME, "")
        target: str | None = None
        if csrf_ok(cookies.get(settings.CSRF_COOKIE_NAME), token):
            signals.request_started.send(sender=self.__class__, environ=environ)
            try:
                target = sign(slug, data, client_ip(environ), environ)
            except Exception:
                logger.exception("Internal Server Error: %s", environ.get("PATH_INFO"))
                return self._answer(environ, start_response, "500 Internal Server Error", [], b"")
            finally:
                signals.request_finished.send(sender=self.__class__)
        if target is None:  # Django answers this one: give it the body back
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return self.app(environ, start_response)
        return self._answer(environ, start_response, "302 Found", [("Location", target)], b"")

    def _answer(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        status: str,
        extra: list[tuple[str, str]],
        body: bytes,
    ) -> list[bytes]:
        secure = self._secure(environ)
        headers = self._headers.get(secure)
        if headers is None:
            headers = self._headers[secure] = _security_headers(secure)
        start_response(
            status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                *extra,
                ("Content-Length", str(len(body))),
                *headers,
            ],
        )
        return [body]

    # --- the campaign page and its progress fragment ----------------------------------------
    def _page(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = environ.get("QUERY_STRING", "")
        seconds = page_seconds()
        usable, cookies = self._usable(environ)
        if seconds <= 0 or not usable or query not in ("", "part=progress"):
            return self.app(environ, start_response)
        htmx = environ.get("HTTP_HX_REQUEST") == "true"
        key = (environ.get("PATH_INFO", ""), query, htmx)
        secret = cookies.get(settings.CSRF_COOKIE_NAME, "")
        if len(secret) != CSRF_SECRET_LENGTH or not _well_formed(secret):
            secret = ""
        cached = self._pages.get(key)
        now = time.monotonic()
        if cached is None or cached.expires <= now:
            cached = self._fill(environ, key, now + seconds)
            if cached is None:
                return self.app(environ, start_response)
        headers = list(cached.headers)
        body = cached.body
        if cached.token:
            if not secret:  # as CsrfViewMiddleware does for a visitor without the cookie
                secret = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
                headers.append(("Set-Cookie", _csrf_cookie(secret)))
            body = body.replace(_PLACEHOLDER, mask(secret).encode())
        headers.append(("Content-Length", str(len(body))))
        start_response(cached.status, headers)
        return [body]

    def _fill(
        self, environ: dict[str, Any], key: tuple[str, str, bool], expires: float
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


def _csrf_cookie(secret: str) -> str:
    """The Set-Cookie value Django's CSRF middleware sends for a new secret."""
    response = HttpResponse()
    response.set_cookie(
        settings.CSRF_COOKIE_NAME,
        secret,
        max_age=settings.CSRF_COOKIE_AGE,
        domain=settings.CSRF_COOKIE_DOMAIN,
        path=settings.CSRF_COOKIE_PATH,
        secure=settings.CSRF_COOKIE_SECURE,
        httponly=settings.CSRF_COOKIE_HTTPONLY,
        samesite=settings.CSRF_COOKIE_SAMESITE,
    )
    return str(response.cookies[settings.CSRF_COOKIE_NAME].output(header="").strip())
