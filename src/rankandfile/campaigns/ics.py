"""iCalendar files (RFC 5545) for campaign events, written out by hand: one VEVENT.

- Text values escape backslash, semicolon, comma and newlines (§3.3.11).
- Lines end with CRLF and are folded at 75 octets, never inside a UTF-8 character
  (§3.1): continuation lines start with one space.
- Times are written in UTC (``...Z``), which every calendar converts to local time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

PRODID = "-//Rank and File//Campaigns//EN"


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line to at most 75 octets per physical line."""
    out: list[str] = []
    current = b""
    limit = 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b" "
            limit = 75
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n".join(out)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def event_ics(event: Any, *, url: str = "", now: dt.datetime | None = None) -> str:
    """The .ics text for one :class:`~rankandfile.campaigns.models.CampaignEvent`."""
    stamp = now or dt.datetime.now(dt.UTC)
    description = event.description or ""
    if url:
        description = f"{description}\n\n{url}".strip()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:campaign-event-{event.pk}@rankandfile",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(event.starts_at)}",
        f"DTEND:{_utc(event.ends_at)}",
        f"SUMMARY:{escape_text(event.title)}",
        f"LOCATION:{escape_text(event.location)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append("STATUS:CANCELLED" if event.cancelled_at else "STATUS:CONFIRMED")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
