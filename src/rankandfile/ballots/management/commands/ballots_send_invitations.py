"""``manage.py ballots_send_invitations BALLOT_ID [--resend | --remind]``.

Queues the invitation emails (or reminders) for an open ballot as background tasks and
prints the progress counts. Runs as the system (audited with channel ``cli``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rankandfile.ballots import invitations
from rankandfile.ballots.models import Ballot
from rankandfile.core import audit
from rankandfile.core.errors import DomainError


class Command(BaseCommand):
    help = "Send one-time ballot links to the electorate of an open ballot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ballot_id", type=int)
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--resend",
            action="store_true",
            help="send a new link to every elector who has not voted (old links stop working)",
        )
        group.add_argument(
            "--remind",
            action="store_true",
            help="send reminders (with a new link) to every elector who has not voted",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ballot = Ballot.objects.filter(pk=options["ballot_id"]).first()
        if ballot is None:
            raise CommandError(f"no ballot with id {options['ballot_id']}")
        try:
            with audit.context("cli"):
                if options["remind"]:
                    run = invitations.ballot_remind(actor=None, ballot=ballot)
                else:
                    run = invitations.ballot_invite(
                        actor=None, ballot=ballot, resend=options["resend"]
                    )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{ballot.title}: queued {run.queued} {run.kind}(s) in {run.batches} batch(es)"
        )
        if run.no_email:
            self.stdout.write(
                self.style.WARNING(f"{run.no_email} elector(s) have no email address")
            )
        progress = invitations.invitation_progress(ballot)
        self.stdout.write(", ".join(f"{key} {value}" for key, value in progress.items()))
        failures = list(invitations.invitation_failures(ballot)[:50])
        for elector in failures:
            who = (
                f"{elector.member.membership_number} <{elector.member.email}>"
                if elector.member is not None
                else f"supporter {elector.supporter_id}"
            )
            self.stdout.write(self.style.WARNING(f"failed: {who}: {elector.last_send_error}"))
