"""Email CLP officers whose selection's current stage ends soon (run daily, e.g. by cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rankandfile.selections import services


class Command(BaseCommand):
    help = "Remind CLP officers of selection stages ending within --days days (once each)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=3, help="days ahead (default 3)")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.reminders_send(days_ahead=options["days"])
        self.stdout.write(f"{sent} selection reminder(s) sent")
