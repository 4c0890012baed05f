"""The .ics writer (RFC 5545): escaping, CRLF, folding."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from rankandfile.campaigns import ics


def event(**kw: object) -> SimpleNamespace:
    base = {
        "pk": 7,
        "title": "Meeting; by-election, now\\please",
        "location": "Hall, 1 High St",
        "description": "Line one\nLine two " + "é" * 80,
        "starts_at": dt.datetime(2019, 3, 1, 19, 0, tzinfo=dt.UTC),
        "ends_at": dt.datetime(2019, 3, 1, 21, 0, tzinfo=dt.UTC),
        "cancelled_at": None,
    }
    return SimpleNamespace(**{**base, **kw})


def test_text_is_escaped_lines_end_in_crlf_and_fold_within_75_octets() -> None:
    text = ics.event_ics(
        event(), url="https://example.org/e/7", now=dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    )
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "SUMMARY:Meeting\\; by-election\\, now\\\\please\r\n" in text
    assert "DTSTART:20190301T190000Z" in text and "DTEND:20190301T210000Z" in text
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:Line one\\nLine two " + "é" * 80 in unfolded
    assert "STATUS:CONFIRMED" in text


def test_cancelled_event_says_so() -> None:
    text = ics.event_ics(event(cancelled_at=dt.datetime(2019, 2, 1, tzinfo=dt.UTC)))
    assert "STATUS:CANCELLED" in text
