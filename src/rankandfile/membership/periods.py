"""Pure date arithmetic for membership histories (no Django).

Periods are half-open ``[start, end)``: ``end`` is the first day the status no longer
applies, ``None`` means ongoing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple


class Span(NamedTuple):
    start: dt.date
    end: dt.date | None  # exclusive; None = ongoing


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
    """Merge overlapping or touching spans (a rejoin on the day of a lapse is continuous)."""
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


def covers(span: Span, day: dt.date) -> bool:
    return span.start <= day and (span.end is None or day < span.end)


def continuous_since(spans: Iterable[Span], day: dt.date) -> dt.date | None:
    """Start of the unbroken membership that includes ``day``, or ``None``."""
    for span in merge(spans):
        if covers(span, day):
            return span.start
    return None
