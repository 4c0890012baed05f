"""``rankandfile accountability_policy_create --actor EMAIL (--title T | --programme REF)``:
create a policy MPs are scored against, as the policy pages and the API do (rule P2).

A free-standing policy needs a title; a programme entry's policy takes the entry's title
and text unless given. The actor must be a policy officer or national admin; the audit log
records them. Prints the new policy's slug. Exit status 1 when refused (nothing written).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rankandfile.accountability import services
from rankandfile.accountability.permissions import can_manage_policies
from rankandfile.conference.models import ProgrammeEntry
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User


def policy_actor(email: str) -> User:
    """The login a policy command acts as: it must exist and maintain policies."""
    actor = User.objects.filter(email__iexact=email, is_active=True).first()
    if actor is None or not can_manage_policies(actor):
        raise CommandError(f"{email} may not maintain policies (policy officers, national admins)")
    return actor


class Command(BaseCommand):
    help = "Create a policy: free-standing (--title) or a programme entry's (--programme)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--actor", metavar="EMAIL", required=True, help="a policy officer")
        parser.add_argument("--title", default="", help="the policy's title")
        parser.add_argument("--description", default="", help="what the policy says")
        parser.add_argument(
            "--programme", metavar="REF", help='a current programme entry, e.g. "2025/07"'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = policy_actor(options["actor"])
        entry = None
        if options["programme"]:
            entry = ProgrammeEntry.objects.current().filter(reference=options["programme"]).first()
            if entry is None:
                raise CommandError(f"no current programme entry {options['programme']!r}")
        try:
            policy = services.policy_create(
                actor=actor,
                title=options["title"],
                description=options["description"],
                programme_entry=entry,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"created policy {policy.slug}: {policy.title}")
