"""``manage.py ballots_close_due``: close and count every open ballot past its closing time.

Run it every minute (cron or a systemd timer). It is what closes ballots when the task
backend cannot run deferred tasks, and a safety net behind ``close_ballot_task`` when it
can; closing is idempotent, so running both is harmless. First it mixes the pending
sealed papers of every open ballot with a batch of them waiting (``secrecy.mix``): the
sweep behind the mixing task, should one be lost.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rankandfile.ballots import tally
from rankandfile.core import audit


class Command(BaseCommand):
    help = (
        "Mix the pending sealed papers of open ballots (a batch or more waiting), then close "
        "and count every open ballot whose closing time has passed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with audit.context("cli"):
            closed = tally.close_due()
        for ballot in closed:
            self.stdout.write(
                f"closed ballot {ballot.pk} ({ballot.title}): {ballot.get_state_display()}, "
                f"turnout {ballot.turnout}"
            )
        if not closed and int(options.get("verbosity", 1)) > 1:
            self.stdout.write("no ballot is due to close")
