"""``rankandfile accountability_import PATH...``: import Commons divisions.

Files or folders; the format of each file (Commons Votes CSV export, Commons Votes API
JSON, MNIS history CSV) is detected from its content. Atomic: any bad file and nothing is
imported; every problem is listed as ``file: line N: problem``. Idempotent: the same files
again change nothing. Exit status 0 on success, 1 when refused. With ``--reconcile`` the
command also prints where the Commons record and the MNIS history disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rankandfile.accountability import importer, queries
from rankandfile.accountability.permissions import can_import_divisions
from rankandfile.core.models import User


class Command(BaseCommand):
    help = (
        "Import House of Commons divisions from Commons Votes CSV exports, Commons Votes "
        "API JSON or the MNIS history CSV (files or folders). Nothing is written if any "
        "file is bad; scores are recomputed afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="files or folders")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report; write nothing"
        )
        parser.add_argument(
            "--actor", metavar="EMAIL", help="the login the audit log records (must be allowed)"
        )
        parser.add_argument(
            "--reconcile",
            action="store_true",
            help="afterwards, list disagreements between the Commons record and MNIS history",
        )
        parser.add_argument(
            "--show-unmatched", action="store_true", help="list every unmatched CSV row"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            actor = User.objects.filter(email__iexact=options["actor"]).first()
            if actor is None or not can_import_divisions(actor):
                raise CommandError(f"{options['actor']} may not import divisions")
        try:
            report = importer.import_paths(
                actor=actor, paths=options["paths"], dry_run=options["dry_run"]
            )
        except importer.ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} problem(s) found; nothing was imported"
            ) from exc
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")
        for line in report.offices:
            self.stdout.write(f"office: {line}")
        if report.unmatched:
            shown = report.unmatched if options["show_unmatched"] else report.unmatched[:20]
            for line in shown:
                self.stdout.write(f"unmatched: {line}")
            if len(shown) < len(report.unmatched):
                self.stdout.write(
                    f"... and {len(report.unmatched) - len(shown)} more (--show-unmatched)"
                )
        self.stdout.write(report.summary())
        if options["reconcile"]:
            rec = queries.reconciliation()
            self.stdout.write(
                f"reconciliation: {rec.divisions_compared} division(s) in both sources, "
                f"{len(rec.disagreements)} disagreement(s)"
            )
            for d in rec.disagreements:
                self.stdout.write(
                    f"  division {d.division.division_id} ({d.division.date}): {d.mp.name} "
                    f"[{d.mp.mnis_id}] Commons {d.commons}, MNIS {d.mnis}"
                )
