"""``rankandfile privacy_apply_retention``: erase lapsed members' personal data after the
retention period (``PRIVACY_LAPSED_RETENTION_DAYS``). Run daily."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rankandfile.core import audit
from rankandfile.privacy import services


class Command(BaseCommand):
    help = (
        "Erase (anonymise) the personal data of members whose last membership ended more "
        "than PRIVACY_LAPSED_RETENTION_DAYS ago, keeping ballots, counts, conference "
        "records and the audit log. Run daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List who is due, erase nobody.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils import timezone

        if options["dry_run"]:
            cutoff, members = services.due_for_erasure(timezone.localdate())
            for member in members:
                self.stdout.write(member.membership_number)
            self.stdout.write(
                f"{len(members)} member(s) lapsed before {cutoff.isoformat()} are due "
                "(dry run: nothing erased)"
            )
            return
        with audit.context("cli"):
            report = services.retention_apply()
        for number, why in report.skipped:
            self.stderr.write(f"{number}: skipped: {why}")
        self.stdout.write(
            f"{len(report.erased)} member(s) lapsed before {report.cutoff.isoformat()} "
            f"erased, {len(report.skipped)} skipped"
        )
