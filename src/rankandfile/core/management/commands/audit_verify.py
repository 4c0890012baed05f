"""``rankandfile audit_verify``: recompute the audit log's hash chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rankandfile.core import audit


class Command(BaseCommand):
    help = "Verify the audit log: detect altered, deleted or reordered entries."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit.verify()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"audit log intact: {report.entries} entries"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(
            f"audit log damaged: {len(report.problems)} problem(s) in {report.entries} entries"
        )
