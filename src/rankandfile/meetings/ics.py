"""The .ics file (RFC 5545) sent with a meeting's notice: one VEVENT, written with the
escaping and line folding of :mod:`rankandfile.campaigns.ics`."""

from __future__ import annotations

import datetime as dt

from rankandfile.campaigns.ics import escape_text, fold
from rankandfile.meetings.models import Meeting

PRODID = "-//Rank and File//Meetings//EN"


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_ics(meeting: Meeting, *, url: str = "", now: dt.datetime | None = None) -> str:
    """A cancelled meeting's file is METHOD:CANCEL; each change raises SEQUENCE (the
    meeting's ``sequence``) under the same UID, so calendars update the event in place."""
    stamp = now or dt.datetime.now(dt.UTC)
    cancelled = meeting.state == Meeting.State.CANCELLED
    description = f"{meeting.get_kind_display()} of {meeting.unit_name}."
    if url:
        description += f"\n\nAgenda: {url}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:CANCEL" if cancelled else "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.pk}@rankandfile",
        f"SEQUENCE:{meeting.sequence}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(meeting.starts_at)}",
        f"DTEND:{_utc(meeting.ends_at)}",
        f"SUMMARY:{escape_text(meeting.title)}",
        f"LOCATION:{escape_text(meeting.location)}",
        f"DESCRIPTION:{escape_text(description)}",
    ]
    if url:
        lines.append(f"URL:{url}")
    lines.append("STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
