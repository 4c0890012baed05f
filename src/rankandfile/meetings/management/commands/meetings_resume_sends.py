"""Queue the meeting notices and officers' messages no worker has started sending."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rankandfile.core import audit
from rankandfile.meetings import tasks


class Command(BaseCommand):
    help = (
        "Enqueue a sending task for every meeting notice or officer's message with emails "
        "still queued and unclaimed (a worker died). Idempotent; the scheduler runs it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with audit.context("cli"):
            n = tasks.resume_stalled()
        self.stdout.write(f"{n} source(s) re-enqueued")
