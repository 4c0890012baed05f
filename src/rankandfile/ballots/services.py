"""Ballot use cases: set up, open (freeze the electorate), cast, close and count, declare.

Every administrative action writes an audit entry. Casting a vote does not: the audit log
records who did what, and a vote is nobody's business but the voter's (the turnout record
is :class:`VoteRecord`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.ballots import casting, permissions
from rankandfile.ballots.casting import InvalidChoice
from rankandfile.ballots.models import (
    QUOTA_METHODS,
    Ballot,
    Elector,
    Method,
    Option,
    Section,
    Threshold,
    VoteRecord,
)
from rankandfile.core import audit, tokens
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.counting.limits import MAX_CANDIDATES
from rankandfile.counting.methods import METHODS as COUNTING_METHODS
from rankandfile.membership.eligibility import EligibilityRule, electorate


class AlreadyVoted(DomainError):
    """The member's vote is already recorded for this ballot."""


class BallotNotOpen(DomainError):
    """The ballot is not open for voting."""


# --- helpers ----------------------------------------------------------------------------
def rule_for(ballot: Ballot) -> EligibilityRule:
    return EligibilityRule(
        freeze_date=ballot.freeze_date,
        months=ballot.months_required,
        exclude_suspended=ballot.exclude_suspended,
        exclude_arrears=ballot.exclude_arrears,
        scope_kind=ballot.scope_kind,  # type: ignore[arg-type]
        scope_id=ballot.scope_id,
        min_age=ballot.min_age,
        max_age=ballot.max_age,
    )


def _require_manager(actor: User | None, ballot: Ballot) -> None:
    if actor is not None and not permissions.can_manage_ballot(actor, ballot):
        raise PermissionDenied(gettext("only the officers running this ballot may do that"))


# --- set-up -----------------------------------------------------------------------------
def _takes_quotas(method: str) -> bool:
    info = COUNTING_METHODS.get(method)
    return method in QUOTA_METHODS and info is not None and info.quotas


@dataclass(frozen=True)
class OptionSpec:
    name: str
    description: str = ""
    gender: str = ""


def setup_problems(ballot: Ballot, options: Sequence[Option | OptionSpec]) -> list[str]:
    """Every reason the ballot cannot open yet, in words an officer can act on."""
    problems: list[str] = []
    names = [o.name.strip() for o in options]
    if ballot.method == Method.YESNO:
        if options:
            problems.append("a yes/no ballot has no candidates: put the question in the title")
    else:
        if len(names) < 2:
            problems.append("add at least two candidates or options")
        if len(names) > MAX_CANDIDATES:  # the count reads the published BLT (docs/limits.md)
            problems.append(
                f"{len(names):,} candidates is more than the limit of {MAX_CANDIDATES:,}"
            )
        seen: set[str] = set()
        for name in names:
            key = name.casefold()
            if not name:
                problems.append("a candidate has no name")
            elif key in seen:
                problems.append(f"{name!r} is listed twice")
            seen.add(key)
        if ballot.seats > len(names) and names:
            problems.append(
                f"{ballot.seats} seats but only {len(names)} candidates: reduce the seats"
            )
    if ballot.method in (Method.AV, Method.PLURALITY) and ballot.seats != 1:
        problems.append(
            f"{Method(ballot.method).label} elects one person: use STV or block vote for "
            f"{ballot.seats} seats"
        )
    if ballot.quota_minimums:
        # The counting registry says which methods take quotas (STV, Scottish and Meek):
        # a set-up it would refuse must not get past opening to fail at the count.
        if not _takes_quotas(ballot.method):
            problems.append(f"quotas apply to STV counts, not to {Method(ballot.method).label}")
        total = 0
        for group, minimum in ballot.quota_minimums.items():
            if not isinstance(minimum, int) or minimum < 0:
                problems.append(f"the quota for {group!r} must be a whole number of seats")
                continue
            total += minimum
            standing = sum(1 for o in options if o.gender == group)
            if standing < minimum:
                problems.append(
                    f"at least {minimum} seats must go to {group} candidates but only "
                    f"{standing} are standing"
                )
        if total > ballot.seats:
            problems.append(f"the quotas add up to {total} seats but only {ballot.seats} are open")
    if ballot.closes_at <= ballot.opens_at:
        problems.append("the ballot must close after it opens")
    if ballot.freeze_date > timezone.localdate(ballot.opens_at):
        problems.append("the freeze date must not be after the opening date")
    if (
        ballot.min_age is not None
        and ballot.max_age is not None
        and ballot.min_age > ballot.max_age
    ):
        problems.append("the minimum age is above the maximum age")
    return problems


@transaction.atomic
def ballot_create(
    *,
    actor: User,
    title: str,
    method: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    freeze_date: dt.date,
    scope_kind: str = "clp",
    region: Any = None,
    clp: Any = None,
    branch: Any = None,
    options: Sequence[OptionSpec] = (),
    seats: int = 1,
    description: str = "",
    months_required: int = 6,
    exclude_suspended: bool = True,
    exclude_arrears: bool = True,
    min_age: int | None = None,
    max_age: int | None = None,
    quota_minimums: dict[str, int] | None = None,
    quota_attribute: str = "gender",
    threshold: str = Threshold.SIMPLE,
    results_visibility: str = "electorate",
    publish_by_section: bool = False,
) -> Ballot:
    """Create a draft ballot with its options. Checks the actor may run ballots for the
    scope; the set-up rules are checked again, all together, when the ballot opens."""
    if not permissions.can_manage_scope(actor, scope_kind, region=region, clp=clp, branch=branch):
        raise PermissionDenied(gettext("you may not run ballots for that part of the party"))
    if method not in Method.values:
        raise DomainError(gettext("unknown method %(method)r") % {"method": method})
    if closes_at <= opens_at:
        raise DomainError(gettext("the ballot must close after it opens"))
    ballot = Ballot.objects.create(
        title=title.strip(),
        description=description,
        method=method,
        seats=seats,
        opens_at=opens_at,
        closes_at=closes_at,
        freeze_date=freeze_date,
        scope_kind=scope_kind,
        region=region if scope_kind == "region" else None,
        clp=clp if scope_kind == "clp" else None,
        branch=branch if scope_kind == "branch" else None,
        months_required=months_required,
        exclude_suspended=exclude_suspended,
        exclude_arrears=exclude_arrears,
        min_age=min_age,
        max_age=max_age,
        quota_minimums=quota_minimums or {},
        quota_attribute=quota_attribute,
        threshold=threshold,
        results_visibility=results_visibility,
        publish_by_section=publish_by_section,
        created_by=actor,
        seed=secrets.randbelow(2**62),
    )
    seen: set[str] = set()
    for position, spec in enumerate(options):
        if spec.name.strip().casefold() in seen:
            raise DomainError(gettext("%(name)r is listed twice") % {"name": spec.name.strip()})
        seen.add(spec.name.strip().casefold())
        Option.objects.create(
            ballot=ballot,
            position=position,
            name=spec.name.strip(),
            description=spec.description,
            gender=spec.gender,
        )
    audit.record(
        actor=actor,
        action="ballots.ballot.create",
        target=ballot,
        data={"method": method, "seats": seats, "options": [o.name for o in options]},
    )
    return ballot


def _freeze_electorate(ballot: Ballot) -> tuple[int, str]:
    """Write the ballot's electors in the database with one ``INSERT ... SELECT`` from the
    eligibility query (no member ids travel to Python and back), and return their number
    and digest (:func:`membership.eligibility.electorate_digest`'s definition: the SHA-256
    of the member ids in ascending order, each followed by a newline; the unique
    constraint on (ballot, member) makes them distinct).

    On PostgreSQL the digest is computed in the same statement from the inserted rows
    (``string_agg`` in member order, ``sha256``); elsewhere the frozen ids are read back
    in order and hashed as they stream. Both give the same digest (tested)."""
    # ``values("pk")`` selects the member id AS "pk" (SQLite and PostgreSQL alike).
    sql, params = electorate(rule_for(ballot)).values("pk").query.sql_with_params()
    connection = connections[router.db_for_write(Elector)]
    qn = connection.ops.quote_name
    meta = Elector._meta
    column = {f.name: f.column for f in meta.concrete_fields}
    columns = ", ".join(
        qn(column[name]) for name in ("ballot", "member", "send_attempts", "last_send_error")
    )
    insert = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608 - the ORM's own SQL
        f"SELECT %s, eligible.{qn('pk')}, 0, '' FROM ({sql}) eligible"
    )
    if connection.vendor == "postgresql":
        member = qn(column["member"])
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH frozen AS ({insert} RETURNING {member}) "  # noqa: S608 - as above
                f"SELECT COUNT(*), encode(sha256(convert_to(COALESCE(string_agg("
                f"{member}::text || E'\\n', '' ORDER BY {member}), ''), 'UTF8')), 'hex') "
                "FROM frozen",
                [ballot.pk, *params],
            )
            size, digest = cursor.fetchone()
        return int(size), str(digest)
    with connection.cursor() as cursor:
        cursor.execute(insert, [ballot.pk, *params])
    return _digest_frozen(ballot)


def _digest_frozen(ballot: Ballot) -> tuple[int, str]:
    """The number and digest of a ballot's frozen electors, read back in member order."""
    size = 0
    sha = hashlib.sha256()
    frozen = (
        Elector.objects.filter(ballot=ballot)
        .order_by("member_id")
        .values_list("member_id", flat=True)
        .iterator(chunk_size=20_000)
    )
    chunk: list[str] = []
    for member_id in frozen:
        chunk.append(f"{member_id}\n")
        if len(chunk) >= 20_000:
            sha.update("".join(chunk).encode("ascii"))
            size += len(chunk)
            chunk.clear()
    sha.update("".join(chunk).encode("ascii"))
    size += len(chunk)
    return size, sha.hexdigest()


@dataclass(frozen=True)
class SupporterElector:
    """A supporter to put on the electorate with the members (the elections app's
    ``Supporter``; decision 0025): their id and their section."""

    supporter_id: int
    section: str


def _freeze_supporters(ballot: Ballot, supporters: Sequence[SupporterElector]) -> int:
    rows = [
        Elector(ballot=ballot, supporter_id=s.supporter_id, section=s.section) for s in supporters
    ]
    for row in rows:
        if row.section not in (Section.AFFILIATED, Section.REGISTERED):
            raise DomainError(
                gettext("a supporter votes as a supporter, not in %(section)r")
                % {"section": row.section}
            )
    Elector.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@transaction.atomic
def ballot_open(
    *, actor: User | None, ballot: Ballot, supporters: Sequence[SupporterElector] = ()
) -> Ballot:
    """Check the set-up, freeze the electorate and open the ballot.

    The electorate is computed once, here, by the eligibility rule; its size and digest
    are stored and later membership changes do not alter it. ``supporters`` (from the
    elections app) join it in the same transaction, each with their section; the size
    counts them, the digest is the members' (the eligibility rule's output). Schedules
    the count at the closing time (after commit) where the task backend can defer tasks.
    """
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    _require_manager(actor, ballot)
    if ballot.state != Ballot.State.DRAFT:
        raise DomainError(
            gettext("the ballot is already %(state)s")
            % {"state": str(ballot.get_state_display()).lower()}
        )
    problems = setup_problems(ballot, list(ballot.options.all()))
    if problems:
        raise DomainError(
            gettext("cannot open the ballot: %(problems)s") % {"problems": "; ".join(problems)}
        )
    members, ballot.electorate_digest = _freeze_electorate(ballot)
    added = _freeze_supporters(ballot, supporters)
    ballot.electorate_size = members + added
    ballot.frozen_at = timezone.now()
    ballot.state = Ballot.State.OPEN
    ballot.save(update_fields=["electorate_size", "electorate_digest", "frozen_at", "state"])
    audit.record(
        actor=actor,
        action="ballots.ballot.open",
        target=ballot,
        data={
            "electorate_size": ballot.electorate_size,
            "digest": ballot.electorate_digest,
            **({"supporters": added} if added else {}),
        },
    )
    # The count runs at closing time: a deferred task where the backend supports one,
    # otherwise ``ballots_close_due`` (see ``ballots.tasks``). Imported here because the
    # tasks module imports this one.
    from rankandfile.ballots.tasks import schedule_close

    schedule_close(ballot)
    return ballot


# --- casting ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Receipt:
    tracking_code: str


class LinkReplaced(DomainError):
    """The one-time ballot link a session was opened with has been replaced (a reminder
    or re-invitation sent a new one) or used: it no longer carries the right to vote."""


_ERRORS: dict[casting.Cast, type[DomainError]] = {
    casting.Cast.NOT_OPEN: BallotNotOpen,
    casting.Cast.INVALID: InvalidChoice,
    casting.Cast.ALREADY_VOTED: AlreadyVoted,
    casting.Cast.LINK_REPLACED: LinkReplaced,
}


def ballot_cast(
    *,
    ballot: Ballot,
    elector: Elector,
    choice: Any,
    n_options: int | None = None,
    link_digest: str | None = None,
) -> Receipt:
    """Record one vote by :func:`casting.vote_cast` (the one implementation of casting:
    its rules, order and words) and raise its refusal as an error: :class:`BallotNotOpen`,
    :class:`InvalidChoice`, :class:`AlreadyVoted` (exactly one of two simultaneous
    submissions by the same member succeeds), :class:`LinkReplaced` (``link_digest``: the
    one-time link a session was opened with is no longer the elector's current link).

    ``n_options``: the ballot's number of options when the caller has it already.
    """
    if not casting.is_open_for_voting(ballot, timezone.now()):  # before whose elector it is
        raise BallotNotOpen(casting.NOT_OPEN_MESSAGE)
    if elector.ballot_id != ballot.pk:
        raise PermissionDenied(gettext("you are not on the electorate of this ballot"))
    if n_options is None:
        n_options = ballot.options.count()
    outcome = casting.vote_cast(
        ballot=ballot,
        elector_id=elector.pk,
        member_id=elector.member_id,
        supporter_id=elector.supporter_id,
        section=elector.section,
        choice=choice,
        n_options=n_options,
        link_digest=link_digest,
    )
    if outcome.result is not casting.Cast.RECORDED:
        raise _ERRORS[outcome.result](outcome.message)
    assert outcome.tracking_code is not None
    return Receipt(tracking_code=outcome.tracking_code)


def has_voted(ballot: Ballot | int, member_id: int) -> bool:
    return VoteRecord.objects.filter(ballot=ballot, member_id=member_id).exists()


def elector_has_voted(elector: Elector) -> bool:
    """Whether the elector — a member or a supporter — has voted on their ballot."""
    if elector.member_id is not None:
        return has_voted(elector.ballot_id, elector.member_id)
    return VoteRecord.objects.filter(
        ballot_id=elector.ballot_id, supporter_id=elector.supporter_id
    ).exists()


def elector_by_token(secret: str) -> Elector | None:
    """The elector a one-time ballot link belongs to (``None`` if unknown or used)."""
    if not secret:
        return None
    return (
        Elector.objects.select_related("ballot", "member")
        .filter(token_digest=tokens.digest(secret))
        .first()
    )
