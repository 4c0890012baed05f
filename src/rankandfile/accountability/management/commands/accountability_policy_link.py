"""``rankandfile accountability_policy_link SLUG DIVISION_ID --supports aye|no --strength
strong|weak --justification TEXT --actor EMAIL``: link a Commons division to a policy (or
change the link), as the policy page and the API do (rule P1); scores recompute.

The division is named by its Commons Votes DivisionId and must have been imported. The
actor must be a policy officer or national admin. Exit status 1 when refused.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rankandfile.accountability import services
from rankandfile.accountability.management.commands.accountability_policy_create import (
    policy_actor,
)
from rankandfile.accountability.models import Division, Policy
from rankandfile.core.errors import DomainError


class Command(BaseCommand):
    help = "Link an imported division to a policy with its direction, strength and justification."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the policy (its slug, as in its page's address)")
        parser.add_argument("division_id", type=int, help="the Commons Votes DivisionId")
        parser.add_argument("--supports", choices=["aye", "no"], required=True)
        parser.add_argument("--strength", choices=["strong", "weak"], required=True)
        parser.add_argument(
            "--justification", required=True, help="why this division tests the policy (public)"
        )
        parser.add_argument("--actor", metavar="EMAIL", required=True, help="a policy officer")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = policy_actor(options["actor"])
        policy = Policy.objects.filter(slug=options["slug"]).first()
        if policy is None:
            raise CommandError(f"no policy {options['slug']!r}")
        division = Division.objects.filter(division_id=options["division_id"]).first()
        if division is None:
            raise CommandError(f"no division {options['division_id']} has been imported")
        try:
            link = services.link_save(
                actor=actor,
                policy=policy,
                division=division,
                aye_supports=options["supports"] == "aye",
                strength=options["strength"],
                justification=options["justification"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"linked division {division.division_id} to {policy.slug}: voting "
            f"{link.direction_label} supports it ({link.strength}); scores will recompute"
        )
