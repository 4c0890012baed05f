"""The membership history rule (docs/rules/membership.md), pure: no Django.

A member's history is a set of periods, each half-open ``[start, end)``: ``end`` is the
first day the status no longer applies, ``None`` means ongoing. Every writer of histories
— the membership services one change at a time, :func:`normalise_history` for a whole
history (the CSV importer, ``member_replace_history``) — keeps the rule of
docs/rules/membership.md; every reader (``membership.eligibility``) may rely on it.

The rule (clauses M1–M6 of docs/rules/membership.md):

- M1 a period ends after it starts; an ongoing period has no end reason, and an end
  reason is one its kind allows (:data:`END_REASONS`);
- M2 no period starts after the day the history is recorded;
- M3 two periods of one kind that *overlap* contradict each other: the history is refused,
  nothing is guessed;
- M4 two periods of one kind that *touch* (one ends on the day the next starts: a rejoin
  on the day of a lapse) are one continuous period, stored as one; it keeps the later
  period's end and end reason and the first note;
- M5 a suspension or arrears period lies inside one membership period;
- M6 a history with suspension or arrears has a membership.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

MEMBERSHIP = "membership"
SUSPENSION = "suspension"
ARREARS = "arrears"
KINDS = (MEMBERSHIP, SUSPENSION, ARREARS)

#: How a membership ends; suspension and arrears also end with it, or when lifted/paid.
MEMBERSHIP_ENDS = frozenset({"lapsed", "resigned", "expelled", "died"})
END_REASONS: dict[str, frozenset[str]] = {
    MEMBERSHIP: MEMBERSHIP_ENDS,
    SUSPENSION: MEMBERSHIP_ENDS | {"lifted"},
    ARREARS: MEMBERSHIP_ENDS | {"paid"},
}
#: The end reason a closed period is given when its source names none.
DEFAULT_END = {MEMBERSHIP: "lapsed", SUSPENSION: "lifted", ARREARS: "paid"}


class Span(NamedTuple):
    start: dt.date
    end: dt.date | None  # exclusive; None = ongoing


class Entry(NamedTuple):
    """One period of a history as a writer supplies it; ``end`` is exclusive."""

    kind: str
    start: dt.date
    end: dt.date | None = None
    end_reason: str = ""
    note: str = ""


class HistoryError(ValueError):
    """A history breaks the rule; ``problems`` says every way it does, in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` calendar months earlier, clamped to the end of
    a shorter month: 31 August minus 6 months is 29 February in a leap year, 28 otherwise.
    """
    if months < 0:
        raise ValueError("months must not be negative")
    total = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def merge(spans: Iterable[Span]) -> list[Span]:
    """Join overlapping or touching spans into runs (a rejoin on the day of a lapse is
    continuous). Readers use it so an answer never depends on how a history was stored;
    for a history kept by :func:`normalise_history` it changes nothing."""
    ordered = sorted(spans, key=lambda s: s.start)
    out: list[Span] = []
    for span in ordered:
        if out:
            last = out[-1]
            if last.end is None or span.start <= last.end:
                end = None if last.end is None or span.end is None else max(last.end, span.end)
                out[-1] = Span(last.start, end)
                continue
        out.append(span)
    return out


def describe(entry: Entry) -> str:
    """``membership 2015-01-01..2017-01-01``: a period in the history notation."""
    return f"{entry.kind} {entry.start}..{entry.end or ''}"


def _entry_problems(entry: Entry, today: dt.date | None) -> list[str]:
    """M1 and M2 for one period."""
    if entry.kind not in END_REASONS:
        return [f"{entry.kind!r} is not a kind of period ({', '.join(KINDS)})"]
    problems = []
    if entry.end is not None and entry.end <= entry.start:
        problems.append(f"{describe(entry)} ends on or before it starts")
    if entry.end_reason and entry.end is None:
        problems.append(f"{describe(entry)} gives an end reason but no end")
    elif entry.end_reason and entry.end_reason not in END_REASONS[entry.kind]:
        allowed = ", ".join(sorted(END_REASONS[entry.kind]))
        problems.append(f"{entry.end_reason!r} is not a way a {entry.kind} ends ({allowed})")
    if today is not None and entry.start > today:
        problems.append(f"{describe(entry)} starts in the future")
    return problems


def _join_touching(entries: list[Entry], problems: list[str]) -> list[Entry]:
    """M3 and M4 for the periods of one kind, in order of start."""
    out: list[Entry] = []
    for entry in sorted(entries, key=lambda e: e.start):
        if out:
            last = out[-1]
            if last.end is None or entry.start < last.end:
                problems.append(f"{describe(last)} and {describe(entry)} overlap")
                continue
            if entry.start == last.end:
                out[-1] = last._replace(
                    end=entry.end, end_reason=entry.end_reason, note=last.note or entry.note
                )
                continue
        out.append(entry)
    return out


def _inside_a_membership(entry: Entry, memberships: list[Entry]) -> bool:
    return any(
        m.start <= entry.start and (m.end is None or (entry.end is not None and entry.end <= m.end))
        for m in memberships
    )


def normalise_history(entries: Iterable[Entry], *, today: dt.date | None = None) -> list[Entry]:
    """The history kept by the rule: touching periods of a kind joined, in order of
    (start, kind). Raises :class:`HistoryError` naming every problem (nothing is guessed).

    ``today``: the day the history is recorded (M2); ``None`` skips that clause.
    """
    given = list(entries)
    if len(given) == 1 and given[0].kind == MEMBERSHIP:  # most members: one period
        only = given[0]
        if not _entry_problems(only, today):
            return given
    problems = [p for e in given for p in _entry_problems(e, today)]
    if problems:
        raise HistoryError(problems)
    by_kind = {
        kind: _join_touching([e for e in given if e.kind == kind], problems) for kind in KINDS
    }
    if problems:
        raise HistoryError(problems)
    memberships = by_kind[MEMBERSHIP]
    if not memberships and (by_kind[SUSPENSION] or by_kind[ARREARS]):
        raise HistoryError(["history has suspension or arrears but no membership"])
    for kind in (SUSPENSION, ARREARS):
        problems.extend(
            f"{describe(e)} is not inside a membership period"
            for e in by_kind[kind]
            if not _inside_a_membership(e, memberships)
        )
    if problems:
        raise HistoryError(problems)
    return sorted((e for kind in KINDS for e in by_kind[kind]), key=lambda e: (e.start, e.kind))
