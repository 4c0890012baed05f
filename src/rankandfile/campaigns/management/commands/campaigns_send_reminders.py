"""Email a reminder to everyone who replied to an event starting within a day (§3)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rankandfile.campaigns.services import events
from rankandfile.core import audit


class Command(BaseCommand):
    help = (
        "Queue reminders for replies to campaign events starting within "
        "CAMPAIGN_REMINDER_HOURS (default 24). Each reply is reminded once. Run hourly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with audit.context("cli"):
            queued = events.send_reminders()
        self.stdout.write(f"{queued} reminder(s) queued")
