"""The lean path for the one request that arrives by the hundred a second: a vote cast
with a personal API token, ``POST /api/v1/ballots/{id}/vote`` with ``Authorization:
Bearer rf_...`` (see ``docs/decisions/0003-fast-vote-path.md``).

:class:`FastVoteMiddleware` is a WSGI wrapper around Django's application
(``rankandfile.wsgi``). For exactly that route it runs :func:`cast_by_token` instead of
the middleware stack (sessions, CSRF, messages, allauth, htmx: none of which a bearer
token call uses) and django-ninja. The rules are the API's, in the same order and with the
same words:

* the token is found by its public prefix and its secret's SHA-256 compared in constant
  time (``core.tokens``); a revoked or expired token or an inactive login does not
  authenticate; a token without the ``write`` scope, or the token of a login that may have
  to use two-factor authentication (staff, or any office at all) without a second factor,
  is handed to Django, which applies ``core.mfa`` exactly and answers 403;
* the caller must be on the ballot's frozen electorate (the ``Elector`` row);
* the ballot must be open (state and voting window, as :func:`services.ballot_cast`);
* the paper is checked by :func:`services.validate_choice` — the same function;
* one vote per member is decided by the database: ``INSERT ... ON CONFLICT DO NOTHING``
  on the unique constraint ``one_vote_per_member`` (a second submission gets 409);
* the vote record, the sealed paper (``ballots.secrecy``), the end of the one-time
  ballot link and the token's ``last_used_at`` are written atomically, with the ballot
  row locked ``FOR KEY SHARE`` and checked open in the same statement: on PostgreSQL by
  one statement (data-modifying CTEs, no BEGIN/COMMIT round trips), elsewhere in one
  transaction.

Secrecy is :func:`services.ballot_cast`'s: the record and the sealed paper have fresh
random UUIDs and no timestamps, the paper is sealed by :func:`secrecy.seal`, and the vote
that brings the pending papers to a multiple of the batch size enqueues the mixer.

Anything else — no or another ``Authorization``, a token that does not authenticate, a
caller not on the electorate, a body that is not ``{"choice": [int, ...] | str}``, a host
Django would refuse, a plain-HTTP request Django would redirect — is handed to Django
untouched, which answers as it always has (401, 403, 404, 422, 400, 301). So the fast path
answers only 201, 400 (not open, or the paper's fault), 409 and, on a crash, 500.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy as build_csp_policy
from django.conf import settings
from django.core import signals
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, router, transaction
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

from rankandfile.ballots import secrecy, services
from rankandfile.ballots.models import Ballot, Elector, Option, SealedPaper, VoteRecord
from rankandfile.core import limits
from rankandfile.core.errors import DomainError
from rankandfile.core.models import ApiToken, User
from rankandfile.core.tokens import LAST_USED_RESOLUTION, TOKEN_PREFIX
from rankandfile.core.tokens import WRITE as WRITE_SCOPE
from rankandfile.membership.models import Member, Role

logger = logging.getLogger("django.request")

VOTE_PATH = re.compile(r"/api/v1/ballots/([0-9]{1,18})/vote")
RECEIPT_MESSAGE = (
    "your vote is recorded; keep this tracking code to check your paper after the count "
    "(it is not shown again)"
)
ALREADY_VOTED = "your vote is already recorded for this ballot"
_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class _Found:
    """What one read returns: the token, its login, and the caller's elector row with
    the ballot (``elector_id`` ``None`` when the caller is not on the electorate)."""

    token_id: int
    digest: str
    revoked: bool
    expires_at: dt.datetime
    scopes: str
    last_used_at: dt.datetime | None
    user_active: bool
    mfa_check: bool
    """The login holds an office or is staff and has no second factor: Django decides."""
    elector_id: int | None
    member_id: int | None
    state: str | None
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    method: str | None
    seats: int | None
    n_options: int | None


# --- SQL (built once from the models' metadata) ------------------------------------------
class _Sql:
    def __init__(self, vendor: str, qn: Callable[[str], str]) -> None:
        def table(model: Any) -> str:
            return qn(model._meta.db_table)

        def col(model: Any, name: str) -> str:
            return qn(model._meta.get_field(name).column)

        t, u, m, e, b, o, r, a = (
            table(ApiToken),
            table(User),
            table(Member),
            table(Elector),
            table(Ballot),
            table(Option),
            table(Role),
            table(Authenticator),
        )
        # Whether core.mfa must decide: staff, or any office (current or not), and no
        # authenticator app or security key. Rare for voters; Django then answers.
        mfa_check = (
            f"((u.{col(User, 'is_staff')} OR u.{col(User, 'is_superuser')} OR EXISTS "  # noqa: S608 - names from the models
            f"(SELECT 1 FROM {r} r WHERE r.{col(Role, 'user')} = u.{col(User, 'id')})) "
            f"AND NOT EXISTS (SELECT 1 FROM {a} a WHERE a.{col(Authenticator, 'user')} = "
            f"u.{col(User, 'id')} AND a.{col(Authenticator, 'type')} IN ('totp', 'webauthn')))"
        )
        self.read = (
            f"SELECT t.{col(ApiToken, 'id')}, t.{col(ApiToken, 'digest')}, "  # noqa: S608 - names from the models
            f"t.{col(ApiToken, 'revoked_at')}, t.{col(ApiToken, 'expires_at')}, "
            f"t.{col(ApiToken, 'scopes')}, t.{col(ApiToken, 'last_used_at')}, "
            f"u.{col(User, 'is_active')}, {mfa_check}, "
            f"e.{col(Elector, 'id')}, e.{col(Elector, 'member')}, "
            f"b.{col(Ballot, 'state')}, b.{col(Ballot, 'opens_at')}, "
            f"b.{col(Ballot, 'closes_at')}, b.{col(Ballot, 'method')}, "
            f"b.{col(Ballot, 'seats')}, "
            f"(SELECT COUNT(*) FROM {o} o "
            f"WHERE o.{col(Option, 'ballot')} = b.{col(Ballot, 'id')}) "
            f"FROM {t} t "
            f"JOIN {u} u ON u.{col(User, 'id')} = t.{col(ApiToken, 'user')} "
            f"LEFT JOIN {m} m ON m.{col(Member, 'user')} = t.{col(ApiToken, 'user')} "
            f"LEFT JOIN {e} e ON e.{col(Elector, 'member')} = m.{col(Member, 'id')} "
            f"AND e.{col(Elector, 'ballot')} = %s "
            f"LEFT JOIN {b} b ON b.{col(Ballot, 'id')} = e.{col(Elector, 'ballot')} "
            f"WHERE t.{col(ApiToken, 'prefix')} = %s"
        )
        vr, p = table(VoteRecord), table(SealedPaper)
        self.is_open = (
            f"SELECT 1 AS ok FROM {b} WHERE {col(Ballot, 'id')} = %s "  # noqa: S608 - names from the models
            f"AND {col(Ballot, 'state')} = 'open'"
        )
        self.insert_record = (
            f"INSERT INTO {vr} ({col(VoteRecord, 'id')}, {col(VoteRecord, 'ballot')}, "  # noqa: S608 - names from the models
            f"{col(VoteRecord, 'member')}) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({col(VoteRecord, 'ballot')}, {col(VoteRecord, 'member')}) DO NOTHING"
        )
        self.insert_paper = (
            f"INSERT INTO {p} ({col(SealedPaper, 'id')}, {col(SealedPaper, 'ballot')}, "
            f"{col(SealedPaper, 'code_digest')}, {col(SealedPaper, 'sealed')}, "
            f"{col(SealedPaper, 'mixed')}) "
        )
        self.pending = (
            f"SELECT COUNT(*) FROM {p} WHERE {col(SealedPaper, 'ballot')} = %s "  # noqa: S608 - names from the models
            f"AND NOT {col(SealedPaper, 'mixed')}"
        )
        self.end_link = (
            f"UPDATE {e} SET {col(Elector, 'token_digest')} = NULL "  # noqa: S608 - names from the models
            f"WHERE {col(Elector, 'id')} = %s AND {col(Elector, 'token_digest')} IS NOT NULL"
        )
        used = col(ApiToken, "last_used_at")
        self.token_used = (
            f"UPDATE {t} SET {used} = %s WHERE {col(ApiToken, 'id')} = %s "  # noqa: S608 - names from the models
            f"AND ({used} = %s OR ({used} IS NULL AND %s IS NULL))"
        )
        # PostgreSQL: everything in one statement (its own transaction in autocommit).
        # Data-modifying CTEs all run; the record needs the ballot open (its row locked
        # FOR KEY SHARE: a close holding it FOR UPDATE makes the vote wait and then see the
        # ballot closed), the paper and the link's end need the record inserted, so a
        # duplicate changes nothing but the token's use. The last column is the number of
        # pending papers before this one (the statement's snapshot).
        self.cast_pg = (
            f"WITH open AS ({self.is_open} FOR KEY SHARE), "  # noqa: S608 - names from the models
            f"vr AS (INSERT INTO {vr} ({col(VoteRecord, 'id')}, {col(VoteRecord, 'ballot')}, "
            f"{col(VoteRecord, 'member')}) SELECT %s, %s, %s FROM open "
            f"ON CONFLICT ({col(VoteRecord, 'ballot')}, {col(VoteRecord, 'member')}) DO NOTHING "
            "RETURNING 1 AS ok), "
            f"paper AS ({self.insert_paper} SELECT %s, %s, %s, %s, false FROM vr "
            f"RETURNING 1 AS ok), "
            f"link AS ({self.end_link} AND EXISTS (SELECT 1 FROM vr) RETURNING 1 AS ok)"
            "{token_cte} "
            "SELECT (SELECT COUNT(*) FROM open), (SELECT COUNT(*) FROM vr), "
            f"(SELECT COUNT(*) FROM paper), ({self.pending})"
        )
        self.token_cte_pg = (
            f", used AS (UPDATE {t} SET {used} = %s WHERE {col(ApiToken, 'id')} = %s "  # noqa: S608 - names from the models
            f"AND {used} IS NOT DISTINCT FROM %s::timestamptz RETURNING 1 AS ok)"
        )
        self.vendor = vendor


_SQL: dict[str, _Sql] = {}


def _sql(connection: Any) -> _Sql:
    sql = _SQL.get(connection.alias)
    if sql is None:
        sql = _SQL[connection.alias] = _Sql(connection.vendor, connection.ops.quote_name)
    return sql


def _aware(value: Any) -> dt.datetime | None:
    """A datetime from a raw row: PostgreSQL gives aware ones, SQLite naive UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # pragma: no cover - SQLite's converters parse these
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value  # type: ignore[no-any-return]


# Per process: the ballot definition validate_choice reads (method and seats; both fixed
# once the ballot is open), as an unsaved instance so the same function checks the paper.
_BALLOTS: dict[tuple[int, str, int], Ballot] = {}


def _ballot_shape(ballot_id: int, method: str, seats: int) -> Ballot:
    key = (ballot_id, method, seats)
    ballot = _BALLOTS.get(key)
    if ballot is None:
        if len(_BALLOTS) > 1000:
            _BALLOTS.clear()
        ballot = _BALLOTS[key] = Ballot(pk=ballot_id, method=method, seats=seats)
    return ballot


def _split_token(raw: str) -> tuple[str, str] | None:
    """``rf_<prefix>_<secret>`` -> (prefix, secret), as ``core.tokens.authenticate``."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    return parts[1], parts[2]


def _cursor(connection: Any) -> Any:
    """A cursor on Django's connection (so queries are logged and errors wrapped as
    Django's). On PostgreSQL it binds parameters on the server, so psycopg prepares the
    two statements a vote runs after a few uses on a connection: PostgreSQL then neither
    parses nor plans them again."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _read(connection: Any, ballot_id: int, prefix: str) -> _Found | None:
    with _cursor(connection) as cursor:
        cursor.execute(_sql(connection).read, [ballot_id, prefix])
        rows = cursor.fetchall()
    if not rows:
        return None
    # One login has at most one member, who is at most once on a ballot's electorate.
    r = rows[0]
    expires_at = _aware(r[3])
    assert expires_at is not None
    return _Found(
        token_id=r[0],
        digest=r[1],
        revoked=r[2] is not None,
        expires_at=expires_at,
        scopes=r[4],
        last_used_at=_aware(r[5]),
        user_active=bool(r[6]),
        mfa_check=bool(r[7]),
        elector_id=r[8],
        member_id=r[9],
        state=r[10],
        opens_at=_aware(r[11]),
        closes_at=_aware(r[12]),
        method=r[13],
        seats=r[14],
        n_options=r[15],
    )


def _token_use_due(found: _Found, now: dt.datetime) -> bool:
    last = found.last_used_at
    return last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION


def _record_token_use(connection: Any, found: _Found, now: dt.datetime) -> None:
    """As ``core.tokens.user_for_token``: at most every few minutes, conditionally."""
    adapt = connection.ops.adapt_datetimefield_value
    last = adapt(found.last_used_at)
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection).token_used, [adapt(now), found.token_id, last, last])


_NOT_OPEN = "not open"


def _write(
    connection: Any, found: _Found, ballot_id: int, canonical: Any, now: dt.datetime
) -> str | None:
    """Write the vote; the tracking code, ``None`` when the member has voted already, or
    :data:`_NOT_OPEN` when the ballot closed before the vote could be written."""
    sql = _sql(connection)
    due = _token_use_due(found, now)
    for _ in range(5):
        code = services.new_tracking_code()
        digest, sealed = secrecy.seal(ballot_id, code, canonical, found.n_options or 0)
        record = [uuid.uuid4(), ballot_id, found.member_id]
        paper = [uuid.uuid4(), ballot_id, digest, sealed]
        try:
            if sql.vendor == "postgresql":
                outcome = _write_pg(connection, sql, found, ballot_id, record, paper, due, now)
            else:
                outcome = _write_generic(connection, sql, found, ballot_id, record, paper, due, now)
        except IntegrityError as exc:  # pragma: no cover - a tracking code drawn twice
            if "sealed_paper_unique_code" in str(exc) or "code_digest" in str(exc):
                continue
            raise
        is_open, inserted, pending = outcome
        if not is_open:
            return _NOT_OPEN
        if not inserted:
            return None
        if secrecy.mix_due_after(pending + 1):
            secrecy.request_mix(ballot_id, using=connection.alias)
        return code
    message = "could not issue a tracking code; please try again"  # pragma: no cover
    raise DomainError(message)  # pragma: no cover


def _write_pg(
    connection: Any,
    sql: _Sql,
    found: _Found,
    ballot_id: int,
    record: list[Any],
    paper: list[Any],
    due: bool,
    now: dt.datetime,
) -> tuple[bool, bool, int]:
    params = [ballot_id, *record, *paper, found.elector_id]
    statement = sql.cast_pg.format(token_cte=sql.token_cte_pg if due else "")
    if due:
        params += [now, found.token_id, found.last_used_at]
    params.append(ballot_id)
    # In autocommit the statement is its own transaction; inside an atomic block (tests,
    # callers that hold one) a savepoint keeps a failed statement from spoiling it.
    guard = transaction.atomic(using=connection.alias) if connection.in_atomic_block else None
    with guard or _nothing(), _cursor(connection) as cursor:
        cursor.execute(statement, params)
        n_open, n_records, n_papers, pending = cursor.fetchone()
    return bool(n_open), bool(n_records and n_papers), int(pending)


def _write_generic(
    connection: Any,
    sql: _Sql,
    found: _Found,
    ballot_id: int,
    record: list[Any],
    paper: list[Any],
    due: bool,
    now: dt.datetime,
) -> tuple[bool, bool, int]:
    record = [record[0].hex, *record[1:]]  # UUIDs as Django stores them without a uuid type
    paper = [paper[0].hex, *paper[1:], False]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if due:
            adapt = connection.ops.adapt_datetimefield_value
            last = adapt(found.last_used_at)
            cursor.execute(sql.token_used, [adapt(now), found.token_id, last, last])
        cursor.execute(sql.is_open, [ballot_id])
        if cursor.fetchone() is None:
            return False, False, 0
        cursor.execute(sql.insert_record, record)
        if cursor.rowcount != 1:
            return True, False, 0
        cursor.execute(sql.pending, [ballot_id])
        pending = int(cursor.fetchone()[0])
        cursor.execute(sql.insert_paper + "VALUES (%s, %s, %s, %s, %s)", paper)
        cursor.execute(sql.end_link, [found.elector_id])
    return True, True, pending


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def cast_by_token(ballot_id: int, raw_token: str, payload: Any) -> Answer | None:
    """Cast a vote for the holder of ``raw_token``; ``None`` when the request is not one
    this path answers (Django's stack must: authentication failures, non-electors,
    malformed bodies)."""
    if not isinstance(payload, dict) or "choice" not in payload:
        return None
    choice = payload["choice"]
    if isinstance(choice, list):
        if not all(type(c) is int for c in choice):  # StrictInt: no bools, no floats
            return None
    elif not isinstance(choice, str):
        return None
    split = _split_token(raw_token)
    if split is None:
        return None
    prefix, secret = split
    connection = connections[router.db_for_write(VoteRecord) or DEFAULT_DB_ALIAS]
    found = _read(connection, ballot_id, prefix)
    now = timezone.now()
    if (
        found is None
        or found.revoked
        or found.expires_at <= now
        or not found.user_active
        or not secrets.compare_digest(found.digest, hashlib.sha256(secret.encode()).hexdigest())
        or WRITE_SCOPE not in found.scopes.split()
        or found.mfa_check
        or found.elector_id is None
    ):
        # Django answers: 401, 403 (scope, two-factor), or 403/404 for a caller not on
        # the electorate.
        return None
    assert found.opens_at is not None and found.closes_at is not None
    assert found.method is not None and found.seats is not None
    try:
        # The checks of services.ballot_cast, in its order and with its words.
        if found.state != Ballot.State.OPEN or not (found.opens_at <= now < found.closes_at):
            raise services.BallotNotOpen("this ballot is not open for voting")
        shape = _ballot_shape(ballot_id, found.method, found.seats)
        canonical = services.validate_choice(shape, choice, found.n_options or 0)
    except DomainError as exc:
        if _token_use_due(found, now):
            _record_token_use(connection, found, now)
        return Answer(400, {"detail": str(exc)})
    code = _write(connection, found, ballot_id, canonical, now)
    if code == _NOT_OPEN:
        return Answer(400, {"detail": "this ballot is not open for voting"})
    if code is None:
        return Answer(409, {"detail": ALREADY_VOTED})
    return Answer(201, {"ballot": ballot_id, "tracking_code": code, "message": RECEIPT_MESSAGE})


# --- WSGI --------------------------------------------------------------------------------
_STATUS = {
    201: "201 Created",
    400: "400 Bad Request",
    409: "409 Conflict",
    500: "500 Internal Server Error",
}


def _security_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers Django's middleware adds to this response (SecurityMiddleware,
    XFrameOptionsMiddleware, django-csp's CSPMiddleware)."""
    headers: list[tuple[str, str]] = []
    policy_header = build_csp_policy()  # CONTENT_SECURITY_POLICY, as CSPMiddleware builds it
    if policy_header:
        headers.append((CSP_HEADER, policy_header))
    if getattr(settings, "X_FRAME_OPTIONS", "DENY"):
        headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS.upper()))
    if secure and settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        if not isinstance(policy, str):
            policy = ",".join(policy)
        headers.append(("Referrer-Policy", policy))
    coop = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    if coop:
        headers.append(("Cross-Origin-Opener-Policy", coop))
    return headers


_MAX_ID = 2**63 - 1  # the largest primary key (BigAutoField) a ballot can have


class FastVoteMiddleware:
    """WSGI: token-authenticated votes by :func:`cast_by_token`, everything else (and
    every vote it does not answer) by ``app``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._good_hosts: set[str] = set()
        self._headers: dict[bool, list[tuple[str, str]]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") == "POST":
            auth = environ.get("HTTP_AUTHORIZATION", "")
            if auth[:7].lower() == "bearer ":
                match = VOTE_PATH.fullmatch(environ.get("PATH_INFO", ""))
                # An id past a 64-bit key cannot name a ballot (and would overflow the
                # SQL parameter): Django answers it (404), as any other unusual request.
                if match is not None and int(match[1]) <= _MAX_ID:
                    return self._vote(environ, start_response, int(match[1]), auth)
        return self.app(environ, start_response)

    # Django's own checks that come before any view: a host it would refuse and a
    # plain-HTTP request it would redirect go to Django, which answers them.
    def _secure(self, environ: dict[str, Any]) -> bool:
        header = settings.SECURE_PROXY_SSL_HEADER
        if header:
            name, secure_value = header
            value = environ.get(name)
            if value is not None:
                return bool(value.split(",", 1)[0].strip() == secure_value)
        return bool(environ.get("wsgi.url_scheme") == "https")

    def _host_ok(self, environ: dict[str, Any]) -> bool:
        if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
            host = environ["HTTP_X_FORWARDED_HOST"]
        elif "HTTP_HOST" in environ:
            host = environ["HTTP_HOST"]
        else:  # as HttpRequest._get_raw_host
            host = environ.get("SERVER_NAME", "")
            port = str(environ.get("SERVER_PORT", ""))
            if port != ("443" if self._secure(environ) else "80"):
                host = f"{host}:{port}"
        if host in self._good_hosts:
            return True
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        domain, _port = split_domain_port(host)
        if domain and validate_host(domain, allowed):
            if len(self._good_hosts) < 100:
                self._good_hosts.add(host)
            return True
        return False

    def _vote(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        ballot_id: int,
        auth: str,
    ) -> Any:
        secure = self._secure(environ)
        if (settings.SECURE_SSL_REDIRECT and not secure) or not self._host_ok(environ):
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.app(environ, start_response)
        if not 0 < length <= _MAX_BODY:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        try:
            # Nesting beyond core.limits.MAX_JSON_DEPTH is refused before decoding (a
            # BodyLimitError, a ValueError): Django's JsonBodyLimitMiddleware answers 400.
            payload = limits.loads(body)
        except ValueError:
            payload = None
        # As ninja's HttpBearer: the scheme, then the rest of the header.
        token = " ".join(auth.split(" ")[1:])
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answer = cast_by_token(ballot_id, token, payload) if payload is not None else None
        except Exception:
            logger.exception("Internal Server Error: %s", environ.get("PATH_INFO"))
            answer = Answer(500, {"detail": "Internal Server Error"})
        finally:
            signals.request_finished.send(sender=self.__class__)
        if answer is None:  # Django answers this one: give it the body back
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return self.app(environ, start_response)
        data = json.dumps(answer.body).encode()
        headers = self._headers.get(secure)
        if headers is None:
            headers = self._headers[secure] = _security_headers(secure)
        start_response(
            _STATUS[answer.status],
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(data))),
                *headers,
            ],
        )
        return [data]
