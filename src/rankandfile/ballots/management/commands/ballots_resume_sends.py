"""``manage.py ballots_resume_sends``: queue work for invitation emails nobody is sending.

Run it every minute (the scheduler does). A task worker killed mid-batch leaves its
electors leased; once the lease (``BALLOT_EMAIL_LEASE_SECONDS``) expires they are owed
again and this queues tasks for them. Tasks already waiting are counted, so it is
harmless to run it often, and each elector still receives exactly one email
(ballots/invitations.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rankandfile.ballots import invitations
from rankandfile.core import audit


class Command(BaseCommand):
    help = "Queue send tasks for owed ballot emails that no worker is sending."

    def handle(self, *args: Any, **options: Any) -> None:
        with audit.context("cli"):
            queued = invitations.resume_stalled()
        for ballot_id, n in sorted(queued.items()):
            self.stdout.write(f"ballot {ballot_id}: queued {n} send task(s) for stalled emails")
        if not queued and int(options.get("verbosity", 1)) > 1:
            self.stdout.write("no stalled emails")
