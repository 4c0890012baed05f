"""``rankandfile audit_verify``: recompute the audit log's hash chain and seals."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rankandfile.core import audit


class Command(BaseCommand):
    help = (
        "Verify the audit log: detect altered, deleted, forged or reordered entries, a "
        "truncated tail with a rewritten head, and published heads no longer in the log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="COUNT:DIGEST",
            help="A head published earlier (from a head email or a ballot page): the log "
            "must still hold entry COUNT with this digest. Repeatable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            expected = tuple(audit.Expected.parse(text) for text in options["expect"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        report = audit.verify(expected)
        checked = report.anchors_checked + len(expected)
        if report.ok:
            head = report.head.text if report.head else "none"
            self.stdout.write(
                self.style.SUCCESS(
                    f"audit log intact: {report.entries} entries, every seal valid, "
                    f"{checked} published head(s) found; head {head}"
                )
            )
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(
            f"audit log damaged: {len(report.problems)} problem(s) in {report.entries} entries"
        )
