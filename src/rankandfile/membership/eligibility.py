"""Who may vote: eligibility computed from a member's history.

Implements the rule of docs/domain.md, "Structure": eligibility to vote is worked out from
the member's history, typically "six months' continuous membership at the freeze date,
not in arrears, not suspended", combined with a scope (party, region, CLP, branch) and,
for youth rules, an age band at the freeze date. Every number is a parameter of
:class:`EligibilityRule`.

Two implementations that must agree (a property test holds them to it):

- :func:`is_eligible` is pure Python over a :class:`History`. It explains itself: the
  :class:`Decision` carries reasons in words a scrutineer can read. :func:`explain` loads
  one member's history and calls it.
- :func:`electorate` computes the whole electorate in one SQL query, for ballots of a
  million members. It relies on the invariant kept by ``membership.services``: a member's
  membership periods never overlap or touch (a rejoin on the day of a lapse extends the
  period instead of starting a new one), so "continuously a member from the cutoff
  through the freeze date" is "one membership period covers both days".

Dates are half-open: a period ``[start, end)`` ends on the first day the status no
longer applies, so a membership that ended *on* the freeze date does not count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, QuerySet

from rankandfile.membership.models import Member, Period, clp_label
from rankandfile.membership.periods import Span, merge, months_before

ScopeKind = Literal["party", "region", "clp", "branch"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("party", "region", "clp", "branch")

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_date(day: dt.date) -> str:
    """``3 March 2024``: unambiguous, locale-independent, as a scrutineer would write it."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class EligibilityRule:
    """Who is eligible for one ballot.

    - ``freeze_date``: the day the electorate is fixed.
    - ``months``: continuous membership required at the freeze date: the member must have
      been a member without a break from ``cutoff`` (``freeze_date`` minus ``months``
      calendar months, clamped to the month's end: 31 August - 6 months = 29 February in
      a leap year) up to and including the freeze date. ``months=0`` means "a member on
      the freeze date".
    - ``exclude_suspended`` / ``exclude_arrears``: suspended members / members in arrears
      on ``status_date`` are not eligible.
    - ``status_date``: the day suspension and arrears are judged (defaults to the freeze
      date; a ballot may judge them on a later day, such as the close of the ballot).
    - ``scope_kind`` and ``scope_id``: the party, or one region, CLP or branch
      (``scope_id`` is that unit's primary key; ``None`` for the party).
    - ``min_age`` / ``max_age``: inclusive age band at the freeze date ("under 27" is
      ``max_age=26``). Members without a recorded date of birth are not eligible under
      a rule with an age band.
    """

    freeze_date: dt.date
    months: int = 6
    exclude_suspended: bool = True
    exclude_arrears: bool = True
    scope_kind: ScopeKind = "party"
    scope_id: int | None = None
    status_date: dt.date | None = None
    min_age: int | None = None
    max_age: int | None = None

    def __post_init__(self) -> None:
        if self.months < 0:
            raise ValueError("months of continuous membership must not be negative")
        if self.scope_kind not in SCOPE_KINDS:
            raise ValueError(f"scope_kind must be one of {', '.join(SCOPE_KINDS)}")
        if (self.scope_kind == "party") != (self.scope_id is None):
            raise ValueError(
                "scope_id is required for a region, CLP or branch scope, and only then"
            )
        if self.min_age is not None and self.min_age < 0:
            raise ValueError("min_age must not be negative")
        if self.max_age is not None and self.max_age < 0:
            raise ValueError("max_age must not be negative")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age must not exceed max_age")

    @property
    def cutoff(self) -> dt.date:
        """The latest day a member may have joined (and stayed) to qualify."""
        return months_before(self.freeze_date, self.months)

    @property
    def judged_on(self) -> dt.date:
        """The day suspension and arrears are judged."""
        return self.status_date or self.freeze_date


@dataclass(frozen=True)
class HistoryPeriod:
    """One period of a history, half-open ``[start, end)``; ``end=None`` means ongoing."""

    kind: str  # Period.Kind value: "membership", "suspension" or "arrears"
    start: dt.date
    end: dt.date | None = None


@dataclass(frozen=True)
class History:
    """What :func:`is_eligible` needs to know about one member (no database access)."""

    periods: Sequence[HistoryPeriod]
    clp_id: int | None = None
    clp_name: str = ""
    region_id: int | None = None
    region_name: str = ""
    branch_id: int | None = None
    branch_name: str = ""
    date_of_birth: dt.date | None = None


@dataclass(frozen=True)
class Decision:
    """The answer and every reason for it, in plain words, in the order checked."""

    eligible: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.eligible


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Completed years on ``day`` (someone born on 29 February turns a year older on
    1 March in a common year); the same arithmetic as :meth:`Member.age_on`."""
    return (
        day.year
        - date_of_birth.year
        - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
    )


def latest_birth_date_for_age(day: dt.date, age: int) -> dt.date:
    """The latest date of birth of someone aged at least ``age`` on ``day``.

    ``age_on(dob, day) >= age`` exactly when ``dob <= latest_birth_date_for_age(day, age)``;
    29 February clamps to 28 February in a common year.
    """
    year = day.year - age
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 2, 28)


def _describe_span(kind: str, span: Span) -> str:
    if span.end is None:
        return f"{kind} since {format_date(span.start)}"
    return f"{kind} from {format_date(span.start)} until {format_date(span.end)}"


def is_eligible(history: History, rule: EligibilityRule) -> Decision:
    """Decide whether a member with ``history`` is eligible under ``rule``, with reasons.

    Four checks in order, each adding its reasons: continuous membership, suspension and
    arrears on the status date, the scope, the age band. Membership periods are joined
    first (``periods.merge``: overlapping or touching periods are one continuous
    membership), so the answer does not depend on how the history was stored. Periods
    whose end is not after their start are ignored (and said so).
    """
    reasons: list[str] = []
    valid = _valid_periods(history.periods, reasons)
    checks = (
        _continuous_membership(valid, rule, reasons),
        _not_suspended_or_in_arrears(valid, rule, reasons),
        _within_scope(history, rule, reasons),
        _within_age_band(history, rule, reasons),
    )
    return Decision(eligible=all(checks), reasons=reasons)


def _valid_periods(periods: Sequence[HistoryPeriod], reasons: list[str]) -> list[HistoryPeriod]:
    valid: list[HistoryPeriod] = []
    for p in periods:
        if p.end is not None and p.end <= p.start:
            reasons.append(
                f"ignored a {p.kind} period from {format_date(p.start)} to {format_date(p.end)}: "
                "it does not end after it starts"
            )
        else:
            valid.append(p)
    return valid


def _continuous_membership(
    valid: list[HistoryPeriod], rule: EligibilityRule, reasons: list[str]
) -> bool:
    """1. A member on the freeze date, continuously since the cutoff."""
    freeze, cutoff = rule.freeze_date, rule.cutoff
    spans = merge(Span(p.start, p.end) for p in valid if p.kind == Period.Kind.MEMBERSHIP)
    current = next(
        (s for s in spans if s.start <= freeze and (s.end is None or freeze < s.end)), None
    )
    if current is None:
        reasons.extend(_not_a_member_on(freeze, spans))
        return False
    met = current.start <= cutoff
    previous = [s for s in spans if s.end is not None and s.end < current.start]
    if not met and previous:
        reasons.append(
            f"lapsed {format_date(previous[-1].end)}"  # type: ignore[arg-type]
            f" and rejoined {format_date(current.start)}: "
            f"continuous only since {format_date(current.start)}"
        )
    required = (
        f"{_plural(rule.months, 'month')} required by {format_date(freeze)} "
        f"(joined on or before {format_date(cutoff)})"
    )
    reasons.append(
        f"member continuously since {format_date(current.start)}, {required}: "
        + ("met" if met else "not met")
    )
    return met


def _not_a_member_on(freeze: dt.date, spans: list[Span]) -> list[str]:
    """Why someone with these membership runs was not a member on the freeze date."""
    ended_on_freeze = next((s for s in spans if s.end == freeze), None)
    earlier = [s for s in spans if s.end is not None and s.end < freeze]
    later = [s for s in spans if s.start > freeze]
    if not spans:
        reasons = ["no membership recorded: not a member on the freeze date"]
    elif ended_on_freeze is not None:
        reasons = [
            f"membership ended on {format_date(freeze)}, the freeze date itself: "
            "not a member on the freeze date"
        ]
    elif earlier:
        reasons = [
            f"membership lapsed {format_date(earlier[-1].end)}"  # type: ignore[arg-type]
            f", before the freeze date {format_date(freeze)}: not a member on the freeze date"
        ]
    else:
        reasons = [
            f"joined {format_date(later[0].start)}, after the freeze date "
            f"{format_date(freeze)}: not a member on the freeze date"
        ]
    if later and (earlier or ended_on_freeze is not None):
        reasons.append(f"rejoined {format_date(later[0].start)}, after the freeze date")
    return reasons


def _not_suspended_or_in_arrears(
    valid: list[HistoryPeriod], rule: EligibilityRule, reasons: list[str]
) -> bool:
    """2. Suspension and arrears, judged on the status date (when the rule excludes them)."""
    judged = rule.judged_on
    on_day = "the freeze date" if judged == rule.freeze_date else format_date(judged)
    ok = True
    for kind, excluded, word in (
        (Period.Kind.SUSPENSION, rule.exclude_suspended, "suspended"),
        (Period.Kind.ARREARS, rule.exclude_arrears, "in arrears"),
    ):
        if not excluded:
            continue
        covering = [
            p
            for p in valid
            if p.kind == kind and p.start <= judged and (p.end is None or judged < p.end)
        ]
        if covering:
            ok = False
            detail = "; ".join(_describe_span(kind, Span(p.start, p.end)) for p in covering)
            reasons.append(f"{word} on {on_day} ({detail})")
        else:
            reasons.append(f"not {word} on {on_day}")
    return ok


def _within_scope(history: History, rule: EligibilityRule, reasons: list[str]) -> bool:
    """3. The member's CLP, region or branch (always met for the party)."""
    if rule.scope_kind == "party":
        return True
    where = f"member of {clp_label(history.clp_name) if history.clp_name else 'an unknown CLP'}"
    if rule.scope_kind == "region":
        inside = history.region_id == rule.scope_id
        where += f" in {history.region_name or 'an unknown region'}"
    elif rule.scope_kind == "clp":
        inside = history.clp_id == rule.scope_id
    else:
        inside = history.branch_id is not None and history.branch_id == rule.scope_id
        where = (
            f"member of {history.branch_name} branch"
            if history.branch_id is not None
            else "member of no branch"
        ) + f" in {clp_label(history.clp_name) if history.clp_name else 'an unknown CLP'}"
    reasons.append(("within scope: " if inside else "outside scope: ") + where)
    return inside


def _within_age_band(history: History, rule: EligibilityRule, reasons: list[str]) -> bool:
    """4. The age band at the freeze date (always met without one)."""
    if rule.min_age is None and rule.max_age is None:
        return True
    if rule.min_age is not None and rule.max_age is not None:
        band = f"{rule.min_age} to {rule.max_age}"
    elif rule.min_age is not None:
        band = f"{rule.min_age} or over"
    else:
        band = f"{rule.max_age} or under"
    if history.date_of_birth is None:
        reasons.append(f"date of birth not recorded: the rule requires age {band}")
        return False
    age = age_on(history.date_of_birth, rule.freeze_date)
    ok = (rule.min_age is None or age >= rule.min_age) and (
        rule.max_age is None or age <= rule.max_age
    )
    reasons.append(
        f"aged {age} on the freeze date, the rule requires age {band}: "
        + ("met" if ok else "not met")
    )
    return ok


# --- The database side --------------------------------------------------------------------
def history_of(member: Member, periods: Iterable[Period] | None = None) -> History:
    """The :class:`History` of a member (``periods`` if already loaded, else one query)."""
    clp = member.clp
    region = clp.constituency.region
    branch = member.branch
    rows = list(periods) if periods is not None else list(member.periods.all())
    return History(
        periods=[HistoryPeriod(p.kind, p.start, p.end) for p in rows],
        clp_id=clp.pk,
        clp_name=clp.name,
        region_id=region.pk,
        region_name=region.name,
        branch_id=branch.pk if branch is not None else None,
        branch_name=branch.name if branch is not None else "",
        date_of_birth=member.date_of_birth,
    )


def explain(member: Member, rule: EligibilityRule) -> Decision:
    """:func:`is_eligible` for one stored member, with its reasons."""
    member = (
        Member.objects.select_related("clp__constituency__region", "branch")
        .prefetch_related("periods")
        .get(pk=member.pk)
    )
    return is_eligible(history_of(member, member.periods.all()), rule)


def electorate(rule: EligibilityRule) -> QuerySet[Member]:
    """Every member eligible under ``rule``, as one SQL query (unordered).

    The query is: the member has a membership period with ``start <= cutoff`` and
    (``end`` IS NULL or ``end > freeze_date``); has no suspension (arrears) period
    covering the status date; the scope; and ``date_of_birth`` bounds for an age band.
    Exact only while membership periods are kept merged (see the module docstring):
    histories written by ``membership.services`` are.

    Apply ``.values_list("pk", flat=True)`` or ``.count()`` for large electorates; add an
    ``order_by`` if the order matters (none is applied, for speed).
    """
    vendor = connections[router.db_for_read(Member)].vendor
    return _electorate(rule, correlated=vendor != "sqlite")


def _electorate(rule: EligibilityRule, *, correlated: bool) -> QuerySet[Member]:
    """:func:`electorate` written as correlated EXISTS / NOT EXISTS subqueries or as
    uncorrelated IN / NOT IN ones; both give the same set.

    PostgreSQL plans EXISTS as merge or hash semi- and anti-joins over the partial
    indexes of migration 0002 (index-only), or as an index probe per member for a small
    scope; NOT IN would build the whole suspended and in-arrears sets even for one CLP.
    SQLite runs a correlated subquery per member and, without statistics (no ANALYZE),
    picks the (kind, start, end) index for it: a range scan per member, quadratic. As IN,
    it builds each set once.
    """
    freeze = rule.freeze_date
    judged = rule.judged_on
    spans = {
        Period.Kind.MEMBERSHIP: Period.objects.filter(
            kind=Period.Kind.MEMBERSHIP, start__lte=rule.cutoff
        ).filter(Q(end__isnull=True) | Q(end__gt=freeze)),
    }
    for kind, excluded in (
        (Period.Kind.SUSPENSION, rule.exclude_suspended),
        (Period.Kind.ARREARS, rule.exclude_arrears),
    ):
        if excluded:
            spans[kind] = Period.objects.filter(kind=kind, start__lte=judged).filter(
                Q(end__isnull=True) | Q(end__gt=judged)
            )
    qs = Member.objects.order_by()
    for kind, periods in spans.items():
        if correlated:
            cond = Q(Exists(periods.filter(member_id=OuterRef("pk"))))
        else:
            cond = Q(pk__in=periods.values("member_id"))
        qs = qs.filter(cond) if kind == Period.Kind.MEMBERSHIP else qs.exclude(cond)
    scope_id = rule.scope_id or 0  # set for every scope but the party (checked by the rule)
    if rule.scope_kind == "region":
        qs = qs.filter(clp__constituency__region_id=scope_id)
    elif rule.scope_kind == "clp":
        qs = qs.filter(clp_id=scope_id)
    elif rule.scope_kind == "branch":
        qs = qs.filter(branch_id=scope_id)
    if rule.min_age is not None:
        qs = qs.filter(date_of_birth__lte=latest_birth_date_for_age(freeze, rule.min_age))
    if rule.max_age is not None:
        # age <= max_age  <=>  not (age >= max_age + 1)
        qs = qs.filter(date_of_birth__gt=latest_birth_date_for_age(freeze, rule.max_age + 1))
    return qs


def electorate_ids(rule: EligibilityRule) -> list[int]:
    """Primary keys of :func:`electorate`, ascending."""
    return list(electorate(rule).order_by("pk").values_list("pk", flat=True))


def electorate_digest(ids: Iterable[int]) -> str:
    """A fingerprint of an electorate, so a ballot can prove which roll it used.

    SHA-256 (hex) of the member primary keys, deduplicated, sorted ascending as integers,
    each written in decimal and followed by a newline ("\\n"), encoded as ASCII. Anyone
    holding the list of ids can recompute it, e.g. ``sort -n -u ids | sha256sum``. The
    empty electorate digests to SHA-256 of the empty string.
    """
    text = "".join(f"{pk}\n" for pk in sorted({int(i) for i in ids}))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
