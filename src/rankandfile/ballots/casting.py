"""Casting a vote: the one implementation of the use case, whoever calls it (decision 0021).

:func:`vote_cast` takes a ballot (its state, voting window, method and seats), the
elector, the paper and optionally the one-time link the vote came through, and returns a
:class:`CastOutcome` — what happened and the words to say it. Every caller turns that
outcome into its answer and writes no rule of its own:

* the ballot pages and the link sessions (``views.vote``, through
  :func:`services.ballot_cast`, which raises the outcome's error);
* the API view (``api.cast_vote``) and the lean WSGI path for token votes
  (``fastvote``), both through :func:`api_answer` (status and JSON body).

The rules, in order: the ballot open (:func:`is_open_for_voting`: state and window), the
paper (:func:`validate_choice`), then the write — the vote record and the sealed paper
(``ballots.secrecy``) in one transaction with the ballot row locked ``FOR KEY SHARE`` and
checked open in it, one vote per voter decided by the unique constraints
``one_vote_per_member`` and ``one_vote_per_supporter`` (``INSERT … ON CONFLICT DO
NOTHING``), the one-time link ended
with the vote (or, for a vote through a link's session, required to be still the
elector's current link). On PostgreSQL a vote without a link session is **one statement**
of data-modifying CTEs (its own transaction in autocommit); otherwise the same statements
run in one transaction. The API token's ``last_used_at`` may ride in the same write
(:class:`TokenUse`, the rule of ``core.tokens.use_due``).

Secrecy (``docs/security.md``): the record and the sealed paper get fresh random UUIDs and
no timestamps; casting writes no audit entry; the vote that brings the pending papers to a
multiple of the batch size enqueues the mixer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from rankandfile.ballots import secrecy
from rankandfile.ballots.models import (
    MARK_METHODS,
    Ballot,
    Elector,
    Method,
    SealedPaper,
    Section,
    VoteRecord,
)
from rankandfile.core import tokens
from rankandfile.core.errors import DomainError
from rankandfile.core.models import ApiToken

NOT_OPEN_MESSAGE = gettext_noop("this ballot is not open for voting")
ALREADY_VOTED_MESSAGE = gettext_noop("your vote is already recorded for this ballot")
LINK_REPLACED_MESSAGE = gettext_noop(
    "this ballot link has been replaced by a newer one or already used"
)
RECEIPT_MESSAGE = gettext_noop(
    "your vote is recorded; keep this tracking code to check your paper after the count "
    "(it is not shown again)"
)

# Unambiguous alphabet for tracking codes (no 0/O, 1/I/L).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 10


class InvalidChoice(DomainError):
    """The ballot paper is filled in wrongly; the message says how (in English: the API's
    and the lean path's answer). ``template`` and ``params`` let a page word it in the
    reader's language: ``gettext(exc.template) % exc.params``."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


def new_tracking_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def is_open_for_voting(ballot: Ballot, now: dt.datetime) -> bool:
    """The ballot takes votes: open, and ``now`` in its window ``[opens_at, closes_at)``."""
    return ballot.state == Ballot.State.OPEN and ballot.opens_at <= now < ballot.closes_at


def validate_choice(ballot: Ballot, choice: Any, n_options: int) -> Any:
    """Check a filled-in paper; return its canonical form or raise :class:`InvalidChoice`.

    Ranked: a list of option positions, most preferred first, no repeats (gaps are
    impossible in this form — the form layer reports gaps in numbered preferences).
    Marks (approval, block): a list of marked positions, at most ``seats`` for block.
    Yes/no: ``"yes"``, ``"no"`` or ``"abstain"``.
    """
    if ballot.method == Method.YESNO:
        if choice not in ("yes", "no", "abstain"):
            raise InvalidChoice(gettext_noop("choose yes, no or abstain"))
        return choice
    if not isinstance(choice, list) or not all(isinstance(c, int) for c in choice):
        raise InvalidChoice(gettext_noop("the paper is not filled in"))
    if not choice:
        raise InvalidChoice(
            gettext_noop("mark at least one candidate (or choose to abstain by not voting)")
        )
    for c in choice:
        if not 0 <= c < n_options:
            raise InvalidChoice(gettext_noop("the paper names a candidate who is not standing"))
    if len(set(choice)) != len(choice):
        raise InvalidChoice(gettext_noop("a candidate is marked more than once"))
    if ballot.method in MARK_METHODS:
        if ballot.method == Method.BLOCK and len(choice) > ballot.seats:
            raise InvalidChoice(
                gettext_noop("mark at most %(seats)s candidates"), seats=ballot.seats
            )
        return sorted(choice)
    if ballot.method == Method.PLURALITY and len(choice) > 1:
        raise InvalidChoice(gettext_noop("mark one candidate only"))
    return list(choice)


# --- the outcome -----------------------------------------------------------------------------
class Cast(enum.Enum):
    RECORDED = "recorded"
    NOT_OPEN = "not_open"
    INVALID = "invalid"
    ALREADY_VOTED = "already_voted"
    LINK_REPLACED = "link_replaced"


_API_STATUS = {
    Cast.RECORDED: 201,
    Cast.NOT_OPEN: 400,
    Cast.INVALID: 400,
    Cast.ALREADY_VOTED: 409,
    Cast.LINK_REPLACED: 403,
}


@dataclass(frozen=True)
class CastOutcome:
    result: Cast
    message: str
    tracking_code: str | None = None


def api_answer(ballot_id: int, outcome: CastOutcome) -> tuple[int, dict[str, Any]]:
    """The API's answer to an outcome (the API view and the lean path both send it)."""
    status = _API_STATUS[outcome.result]
    if outcome.result is Cast.RECORDED:
        return status, {
            "ballot": ballot_id,
            "tracking_code": outcome.tracking_code,
            "message": outcome.message,
        }
    return status, {"detail": outcome.message}


@dataclass(frozen=True)
class TokenUse:
    """An API token's use to record with the vote (when ``tokens.use_due``)."""

    token_id: int
    last_used_at: dt.datetime | None


# --- the use case ----------------------------------------------------------------------------
def vote_cast(
    *,
    ballot: Ballot,
    elector_id: int,
    member_id: int | None,
    choice: Any,
    n_options: int,
    link_digest: str | None = None,
    token_use: TokenUse | None = None,
    supporter_id: int | None = None,
    section: str = Section.MEMBER,
) -> CastOutcome:
    """Record one vote of the elector ``elector_id`` (member ``member_id``, or for a
    supporter's elector ``supporter_id``) on ``ballot``; the elector's ``section`` is
    sealed with the paper (decision 0025).

    ``ballot`` needs ``pk``, ``state``, ``opens_at``, ``closes_at``, ``method`` and
    ``seats`` (an unsaved instance holding them will do: the lean path has no other).
    ``link_digest``: for a vote through a one-time link's session, the digest of that
    link; refused (:attr:`Cast.LINK_REPLACED`) unless it is still the elector's current
    link, checked and ended in the vote's own transaction. ``token_use``: an API token's
    use, written with the vote when due. Exactly one of two simultaneous submissions by
    the same member is recorded; the other is :attr:`Cast.ALREADY_VOTED`.
    """
    now = timezone.now()
    connection = connections[router.db_for_write(VoteRecord) or DEFAULT_DB_ALIAS]
    due = (
        token_use if token_use is not None and tokens.use_due(token_use.last_used_at, now) else None
    )
    refusal: CastOutcome | None = None
    canonical: Any = None
    if not is_open_for_voting(ballot, now):
        refusal = CastOutcome(Cast.NOT_OPEN, NOT_OPEN_MESSAGE)
    else:
        try:
            canonical = validate_choice(ballot, choice, n_options)
        except InvalidChoice as exc:
            refusal = CastOutcome(Cast.INVALID, str(exc))
    if refusal is not None:
        if due is not None:
            tokens.record_use(due.token_id, due.last_used_at, now)
        return refusal
    for _ in range(5):
        code = new_tracking_code()
        digest, sealed = secrecy.seal(ballot.pk, code, canonical, n_options, section)
        write = _Write(
            ballot_id=ballot.pk,
            record=[uuid.uuid4(), ballot.pk, member_id, supporter_id],
            paper=[uuid.uuid4(), ballot.pk, digest, sealed],
            elector_id=elector_id,
            link_digest=link_digest,
            token_use=due,
            now=now,
        )
        try:
            if connection.vendor == "postgresql" and link_digest is None:
                result, pending = _write_one_statement(connection, write)
            else:
                result, pending = _write_in_transaction(connection, write)
        except IntegrityError as exc:  # pragma: no cover - a tracking code drawn twice
            if "sealed_paper_unique_code" in str(exc) or "code_digest" in str(exc):
                continue
            raise
        if result is Cast.NOT_OPEN:
            return CastOutcome(Cast.NOT_OPEN, NOT_OPEN_MESSAGE)
        if result is Cast.ALREADY_VOTED:
            return CastOutcome(Cast.ALREADY_VOTED, ALREADY_VOTED_MESSAGE)
        if result is Cast.LINK_REPLACED:
            return CastOutcome(Cast.LINK_REPLACED, LINK_REPLACED_MESSAGE)
        if secrecy.mix_due_after(pending):
            secrecy.request_mix(ballot.pk, using=connection.alias)
        return CastOutcome(Cast.RECORDED, RECEIPT_MESSAGE, code)
    message = "could not issue a tracking code; please try again"  # pragma: no cover
    raise DomainError(message)  # pragma: no cover


# --- the write -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Write:
    ballot_id: int
    record: list[Any]
    paper: list[Any]
    elector_id: int
    link_digest: str | None
    token_use: TokenUse | None
    now: dt.datetime


class _Sql:
    """The statements of a vote, built once per connection from the models' metadata."""

    def __init__(self, vendor: str, qn: Callable[[str], str]) -> None:
        def table(model: Any) -> str:
            return qn(model._meta.db_table)

        def col(model: Any, name: str) -> str:
            return qn(model._meta.get_field(name).column)

        b, e, vr, p, t = (
            table(Ballot),
            table(Elector),
            table(VoteRecord),
            table(SealedPaper),
            table(ApiToken),
        )
        lock = " FOR KEY SHARE" if vendor == "postgresql" else ""
        self.is_open = (
            f"SELECT 1 AS ok FROM {b} WHERE {col(Ballot, 'id')} = %s "  # noqa: S608 - names from the models
            f"AND {col(Ballot, 'state')} = 'open'"
        )
        self.lock_open = self.is_open + lock
        # ON CONFLICT without a target: a member's second vote meets one_vote_per_member,
        # a supporter's one_vote_per_supporter (a partial index).
        record_columns = (
            f"({col(VoteRecord, 'id')}, {col(VoteRecord, 'ballot')}, "
            f"{col(VoteRecord, 'member')}, {col(VoteRecord, 'supporter_id')})"
        )
        self.insert_record = (
            f"INSERT INTO {vr} {record_columns} VALUES (%s, %s, %s, %s) "  # noqa: S608 - names from the models
            "ON CONFLICT DO NOTHING"
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
        self.end_this_link = (
            f"UPDATE {e} SET {col(Elector, 'token_digest')} = NULL "  # noqa: S608 - names from the models
            f"WHERE {col(Elector, 'id')} = %s AND {col(Elector, 'token_digest')} = %s"
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
            f"WITH open AS ({self.lock_open}), "  # noqa: S608 - names from the models
            f"vr AS (INSERT INTO {vr} {record_columns} "
            "SELECT %s, %s, %s::bigint, %s::bigint FROM open "
            "ON CONFLICT DO NOTHING RETURNING 1 AS ok), "
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


_SQL: dict[str, _Sql] = {}


def _sql(connection: Any) -> _Sql:
    sql = _SQL.get(connection.alias)
    if sql is None:
        sql = _SQL[connection.alias] = _Sql(connection.vendor, connection.ops.quote_name)
    return sql


def cursor_for(connection: Any) -> Any:
    """A cursor on Django's connection (so queries are logged and errors wrapped as
    Django's). On PostgreSQL it binds parameters on the server, so psycopg prepares the
    statements a vote runs after a few uses on a connection: PostgreSQL then neither
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


def _write_one_statement(connection: Any, w: _Write) -> tuple[Cast, int]:
    sql = _sql(connection)
    params = [w.ballot_id, *w.record, *w.paper, w.elector_id]
    statement = sql.cast_pg.format(token_cte=sql.token_cte_pg if w.token_use else "")
    if w.token_use is not None:
        params += [w.now, w.token_use.token_id, w.token_use.last_used_at]
    params.append(w.ballot_id)
    # In autocommit the statement is its own transaction; inside an atomic block (tests,
    # callers that hold one) a savepoint keeps a failed statement from spoiling it.
    guard = (
        transaction.atomic(using=connection.alias)
        if connection.in_atomic_block
        else contextlib.nullcontext()
    )
    with guard, cursor_for(connection) as cursor:
        cursor.execute(statement, params)
        n_open, n_records, n_papers, pending = cursor.fetchone()
    if not n_open:
        return Cast.NOT_OPEN, 0
    if not (n_records and n_papers):
        return Cast.ALREADY_VOTED, 0
    return Cast.RECORDED, int(pending) + 1


class _Undo(Exception):
    """Roll the vote's transaction back with this outcome."""

    def __init__(self, result: Cast) -> None:
        self.result = result


def _write_in_transaction(connection: Any, w: _Write) -> tuple[Cast, int]:
    sql = _sql(connection)
    record, paper = list(w.record), [*w.paper, False]
    if connection.vendor != "postgresql":  # UUIDs as Django stores them without a uuid type
        record[0], paper[0] = record[0].hex, paper[0].hex
    adapt = connection.ops.adapt_datetimefield_value
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            if w.token_use is not None:
                last = adapt(w.token_use.last_used_at)
                cursor.execute(sql.token_used, [adapt(w.now), w.token_use.token_id, last, last])
            cursor.execute(sql.lock_open, [w.ballot_id])
            if cursor.fetchone() is None:
                raise _Undo(Cast.NOT_OPEN)
            if w.link_digest is not None:
                cursor.execute(sql.end_this_link, [w.elector_id, w.link_digest])
                if cursor.rowcount != 1:
                    raise _Undo(Cast.LINK_REPLACED)
            cursor.execute(sql.insert_record, record)
            if cursor.rowcount != 1:
                raise _Undo(Cast.ALREADY_VOTED)
            cursor.execute(sql.insert_paper + "VALUES (%s, %s, %s, %s, %s)", paper)
            if w.link_digest is None:
                # The one-time link dies with the vote (a no-op without an invitation).
                cursor.execute(sql.end_link, [w.elector_id])
            cursor.execute(sql.pending, [w.ballot_id])
            pending = int(cursor.fetchone()[0])
    except _Undo as undo:
        if w.token_use is not None:  # the token was used, whatever the vote's outcome
            tokens.record_use(w.token_use.token_id, w.token_use.last_used_at, w.now)
        return undo.result, 0
    return Cast.RECORDED, pending
