"""The lean path for the one request that arrives by the hundred a second: a vote cast
with a personal API token, ``POST /api/v1/ballots/{id}/vote`` with ``Authorization:
Bearer rf_...`` (decisions 0003 and 0021).

:class:`FastVoteMiddleware` is a WSGI wrapper around Django's application
(``rankandfile.wsgi``). For exactly that route it answers without the middleware stack
(sessions, CSRF, messages, allauth, htmx: none of which a bearer-token call uses) and
django-ninja. It writes no rule of its own:

* the request: ``core.lean`` — Django's own host and HTTPS checks on Django's request,
  the body read within its limit (``docs/limits.md``), ``core.limits.loads``, Django's
  response headers (the Content-Security-Policy included);
* the token: ``core.tokens`` — :func:`tokens.split`, :func:`tokens.is_live` (digest
  compared in constant time, revoked, expired, inactive login) and
  :func:`tokens.missing_scopes`, as the API's ``core.apiauth``; a login that is staff or
  holds any role is checked by ``core.tokens.lacks_required_mfa`` (``core.mfa``'s rule)
  and, when it lacks the second factor, handed to Django, which answers 403;
* the vote: :func:`casting.vote_cast` — the use case the API view calls too, whose
  outcome both turn into the same answer (:func:`casting.api_answer`).

What it adds is speed: one read (token, login, elector, ballot, number of options) and one
write (on PostgreSQL one statement, the token's use included).

Anything else — no or another ``Authorization``, a token that does not authenticate, a
caller not on the electorate, a body that is not ``{"choice": [int, ...] | str}``, a host
Django would refuse, a plain-HTTP request Django would redirect — is handed to Django
untouched, which answers as it always has (401, 403, 404, 422, 400, 301).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.utils import timezone

from rankandfile.ballots import casting, outside
from rankandfile.ballots.models import Ballot, Elector, Option, VoteRecord
from rankandfile.core import lean, limits, tokens
from rankandfile.core.models import ApiToken, User
from rankandfile.membership.models import Member, Role

VOTE_PATH = re.compile(r"/api/v1/ballots/([0-9]{1,18})/vote")
MAX_BODY = 64 * 1024
"""The lean vote path's body limit (``docs/limits.md``); larger bodies go to Django."""


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
    may_need_mfa: bool
    """The login is staff or holds a role: ``core.mfa``'s rule decides (rarely)."""
    user_id: int
    elector_id: int | None
    member_id: int | None
    supporter_id: int | None
    section: str | None
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

        t, u, m, e, b, o, r = (
            table(ApiToken),
            table(User),
            table(Member),
            table(Elector),
            table(Ballot),
            table(Option),
            table(Role),
        )
        # Not a rule, a fact: core.mfa.user_must_have_mfa is false for a login that is not
        # staff and holds no role at all, so only these logins are asked core.mfa.
        may_need_mfa = (
            f"(u.{col(User, 'is_staff')} OR u.{col(User, 'is_superuser')} OR EXISTS "  # noqa: S608 - names from the models
            f"(SELECT 1 FROM {r} r WHERE r.{col(Role, 'user')} = u.{col(User, 'id')}))"
        )
        self.read = (
            f"SELECT t.{col(ApiToken, 'id')}, t.{col(ApiToken, 'digest')}, "  # noqa: S608 - names from the models
            f"t.{col(ApiToken, 'revoked_at')}, t.{col(ApiToken, 'expires_at')}, "
            f"t.{col(ApiToken, 'scopes')}, t.{col(ApiToken, 'last_used_at')}, "
            f"u.{col(User, 'is_active')}, {may_need_mfa}, u.{col(User, 'id')}, "
            f"e.{col(Elector, 'id')}, e.{col(Elector, 'member')}, "
            f"e.{col(Elector, 'supporter_id')}, e.{col(Elector, 'section')}, "
            f"b.{col(Ballot, 'state')}, b.{col(Ballot, 'opens_at')}, "
            f"b.{col(Ballot, 'closes_at')}, b.{col(Ballot, 'method')}, "
            f"b.{col(Ballot, 'seats')}, "
            f"(SELECT COUNT(*) FROM {o} o "
            f"WHERE o.{col(Option, 'ballot')} = b.{col(Ballot, 'id')}) "
            f"FROM {t} t "
            f"JOIN {u} u ON u.{col(User, 'id')} = t.{col(ApiToken, 'user')} "
            f"LEFT JOIN {m} m ON m.{col(Member, 'user')} = t.{col(ApiToken, 'user')} "
            f"LEFT JOIN {e} e ON e.{col(Elector, 'ballot')} = %s "
            f"AND (e.{col(Elector, 'member')} = m.{col(Member, 'id')}{{supporters}}) "
            f"LEFT JOIN {b} b ON b.{col(Ballot, 'id')} = e.{col(Elector, 'ballot')} "
            f"WHERE t.{col(ApiToken, 'prefix')} = %s"
        )
        # A supporter's elector (decision 0025): the supporter ids of the login, looked up
        # through ``ballots.outside`` before the read, only for a login without a member.
        self.supporter_match = f" OR e.{col(Elector, 'supporter_id')} IN ({{ids}})"
        self.read_members = self.read.replace("{supporters}", "")
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


# The ballot as the rules read it (state, window, method, seats): an unsaved instance,
# kept per process for each distinct definition (building a model instance costs more
# than the rest of the rules).
_BALLOTS: dict[tuple[Any, ...], Ballot] = {}


def _ballot(found: _Found, ballot_id: int) -> Ballot:
    assert found.state is not None and found.opens_at is not None  # an elector's ballot
    assert found.closes_at is not None and found.method is not None
    assert found.seats is not None
    key = (ballot_id, found.state, found.opens_at, found.closes_at, found.method, found.seats)
    ballot = _BALLOTS.get(key)
    if ballot is None:
        if len(_BALLOTS) > 1000:
            _BALLOTS.clear()
        ballot = _BALLOTS[key] = Ballot(
            pk=ballot_id,
            state=found.state,
            opens_at=found.opens_at,
            closes_at=found.closes_at,
            method=found.method,
            seats=found.seats,
        )
    return ballot


def _read(
    connection: Any, ballot_id: int, prefix: str, supporters: list[int] | None = None
) -> _Found | None:
    sql = _sql(connection)
    statement = sql.read_members
    if supporters:
        extra = sql.supporter_match.format(ids=", ".join(["%s"] * len(supporters)))
        statement = sql.read.replace("{supporters}", extra)
    with casting.cursor_for(connection) as cursor:
        cursor.execute(statement, [ballot_id, *(supporters or []), prefix])
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
        may_need_mfa=bool(r[7]),
        user_id=int(r[8]),
        elector_id=r[9],
        member_id=r[10],
        supporter_id=r[11],
        section=r[12],
        state=r[13],
        opens_at=_aware(r[14]),
        closes_at=_aware(r[15]),
        method=r[16],
        seats=r[17],
        n_options=r[18],
    )


def _choice_shape_ok(payload: Any) -> bool:
    """The API's schema (``VoteIn``): ``{"choice": [StrictInt, ...] | StrictStr}``."""
    if not isinstance(payload, dict) or "choice" not in payload:
        return False
    choice = payload["choice"]
    if isinstance(choice, list):
        return all(type(c) is int for c in choice)  # StrictInt: no bools, no floats
    return isinstance(choice, str)


def cast_by_token(
    ballot_id: int, raw_token: str, payload: Any
) -> tuple[int, dict[str, Any]] | None:
    """Cast a vote for the holder of ``raw_token``: the API's answer, or ``None`` when
    Django must answer (authentication failures, non-electors, malformed bodies)."""
    if not _choice_shape_ok(payload):
        return None
    split = tokens.split(raw_token)
    if split is None:
        return None
    prefix, secret = split
    connection = connections[router.db_for_write(VoteRecord) or DEFAULT_DB_ALIAS]
    found = _read(connection, ballot_id, prefix)
    if found is not None and found.elector_id is None:
        # Not a member on this electorate: perhaps a supporter (one more read, rare).
        supporters = outside.ids_for_user(found.user_id)
        if supporters:
            found = _read(connection, ballot_id, prefix, supporters)
    now = timezone.now()
    if (
        found is None
        or not tokens.is_live(
            stored_digest=found.digest,
            secret=secret,
            revoked=found.revoked,
            expires_at=found.expires_at,
            user_active=found.user_active,
            now=now,
        )
        or tokens.missing_scopes(found.scopes.split(), [tokens.WRITE])
        or found.elector_id is None
        or (found.member_id is None and found.supporter_id is None)
    ):
        # Django answers: 401, 403 (scope), or 403/404 for a caller not on the electorate.
        return None
    if found.may_need_mfa and tokens.lacks_required_mfa(User.objects.get(pk=found.user_id)):
        return None  # Django answers 403 with core.tokens.check_use's words
    outcome = casting.vote_cast(
        ballot=_ballot(found, ballot_id),
        elector_id=found.elector_id,
        member_id=found.member_id,
        supporter_id=found.supporter_id,
        section=found.section or "member",
        choice=payload["choice"],
        n_options=found.n_options or 0,
        token_use=casting.TokenUse(found.token_id, found.last_used_at),
    )
    return casting.api_answer(ballot_id, outcome)


# --- WSGI --------------------------------------------------------------------------------
_MAX_ID = 2**63 - 1  # the largest primary key (BigAutoField) a ballot can have


class FastVoteMiddleware:
    """WSGI: token-authenticated votes by :func:`cast_by_token`, everything else (and
    every vote it does not answer) by ``app``."""

    def __init__(self, app: lean.WSGIApp) -> None:
        self.app = app

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

    def _vote(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        ballot_id: int,
        auth: str,
    ) -> Any:
        request = lean.request_for(environ)
        if request is None:
            return self.app(environ, start_response)
        body = lean.read_body(request, MAX_BODY)
        if body is None:
            return self.app(environ, start_response)
        try:
            # Nesting beyond core.limits.MAX_JSON_DEPTH is refused before decoding (a
            # BodyLimitError, a ValueError): Django's JsonBodyLimitMiddleware answers 400.
            payload = limits.loads(body)
        except ValueError:
            payload = None
        # As ninja's HttpBearer: the scheme, then the rest of the header.
        token = " ".join(auth.split(" ")[1:])
        answer: tuple[int, dict[str, Any]] | None = None
        with lean.django_request(environ, self.__class__):
            try:
                answer = cast_by_token(ballot_id, token, payload) if payload is not None else None
            except Exception:
                lean.log_crash(environ)
                answer = (500, {"detail": "Internal Server Error"})
        if answer is None:  # Django answers this one: give it the body back
            lean.hand_back(environ, body)
            return self.app(environ, start_response)
        status, data = answer
        return lean.respond(
            request,
            start_response,
            status,
            body=json.dumps(data).encode(),
            content_type="application/json; charset=utf-8",
        )
