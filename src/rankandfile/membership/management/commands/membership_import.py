"""``rankandfile membership_import FILE.csv``: import members from a membership-system export.

Columns and rules: docs/membership-import.md. Exit status: 0 when every row was imported
(or, with ``--dry-run``, would be); 1 when the file is unusable or rejected and nothing
was imported; 2 when ``--skip-invalid`` imported the good rows and skipped some bad ones.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rankandfile.core.errors import PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership import importer
from rankandfile.membership.models import CLP

PROGRESS_EVERY = 50_000


class Command(BaseCommand):
    help = (
        "Import (create or update, by membership number) members from a CSV export. "
        "Any bad row rejects the whole file unless --skip-invalid; every bad row is "
        "listed with its line number. See docs/membership-import.md for the columns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and count; write nothing"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the good rows and report the bad ones (default: reject the file)",
        )
        parser.add_argument(
            "--clp",
            metavar="SLUG",
            help="import for one constituency party only: rows for others are rejected",
        )
        parser.add_argument(
            "--create-branches",
            action="store_true",
            help="create branches named in the file that do not exist (default: reject the row)",
        )
        parser.add_argument(
            "--actor",
            metavar="EMAIL",
            help="the login the audit log records as importing (must be allowed to)",
        )
        parser.add_argument(
            "--errors-csv",
            type=Path,
            metavar="PATH",
            help="also write the rejected rows (line, membership_number, reason) to PATH",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scope = None
        if options["clp"]:
            scope = CLP.objects.filter(slug=options["clp"]).first()
            if scope is None:
                raise CommandError(f"no constituency party with the slug {options['clp']!r}")
        actor = None
        if options["actor"]:
            actor = User.objects.filter(email__iexact=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no login with the email {options['actor']!r}")

        started = time.monotonic()
        last_shown = 0

        def progress(rows: int) -> None:
            nonlocal last_shown
            if options["verbosity"] >= 1 and rows - last_shown >= PROGRESS_EVERY:
                last_shown = rows
                self.stderr.write(f"  {rows:,} rows read ({time.monotonic() - started:.0f} s)")

        try:
            report = importer.import_members(
                actor=actor,
                source=options["file"],
                scope_clp=scope,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
                create_branches=options["create_branches"],
                progress=progress,
            )
        except importer.ImportFileError as exc:
            raise CommandError(f"{options['file']}: nothing imported: {exc}") from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc

        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        for error in report.errors:
            self.stdout.write(str(error))
        if options["errors_csv"] and report.errors:
            with options["errors_csv"].open("w", newline="", encoding="utf-8") as out:
                csv.writer(out).writerows(importer.iter_errors_csv(report))
        elapsed = time.monotonic() - started
        summary = f"{report.summary()} ({elapsed:.1f} s, sha256 {report.sha256[:12]}…)"
        if report.would_reject_file:  # rejected, or a dry run that would be
            raise CommandError(summary, returncode=1)
        if report.errors:  # imported (or would import) with rows skipped
            self.stdout.write(self.style.WARNING(summary))
            raise CommandError(f"{report.rejected:,} rows were skipped", returncode=2)
        self.stdout.write(self.style.SUCCESS(summary))
