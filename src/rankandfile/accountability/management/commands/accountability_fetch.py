"""``rankandfile accountability_fetch [--from DATE] [--to DATE]``: fetch Commons divisions
and MPs' party histories from Parliament's APIs and import them.

The same self-checks and atomicity as ``accountability_import`` (rules F1-F5): any failed
request (after retries) or inconsistent answer and nothing is written; every problem is
listed. Without dates, the last ``ACCOUNTABILITY_FETCH_DAYS`` days (the scheduled job
``accountability_fetch`` does the same). Exit status 0 on success, 1 when refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rankandfile.accountability import live
from rankandfile.accountability.permissions import can_import_divisions
from rankandfile.core.models import User


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Fetch Commons divisions (Commons Votes API) and MPs' party histories (Members API) "
        "for a date range and import them. Nothing is written if anything fails or "
        "disagrees; scores are recomputed afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", type=_date, help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", type=_date, help="last day (default today)")
        parser.add_argument(
            "--no-members", action="store_true", help="divisions only, no Members API"
        )
        parser.add_argument("--dry-run", action="store_true", help="fetch and check; write nothing")
        parser.add_argument(
            "--actor", metavar="EMAIL", help="the login the audit log records (must be allowed)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            actor = User.objects.filter(email__iexact=options["actor"]).first()
            if actor is None or not can_import_divisions(actor):
                raise CommandError(f"{options['actor']} may not import divisions")
        end = options["end"] or timezone.localdate()
        days = int(getattr(settings, "ACCOUNTABILITY_FETCH_DAYS", live.FETCH_DAYS))
        start = options["start"] or end - dt.timedelta(days=days)
        try:
            report = live.fetch(
                actor=actor,
                start=start,
                end=end,
                members=not options["no_members"],
                dry_run=options["dry_run"],
            )
        except live.FetchFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} problem(s) found; nothing was imported"
            ) from exc
        self.stdout.write(report.summary())
