"""``rankandfile membership_load_structure [--mps PATH]``: regions, constituencies, CLPs, MPs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rankandfile.membership import structure


class Command(BaseCommand):
    help = (
        "Load the 12 regions, 650 constituencies and their CLPs, and the MPs of April 2019 "
        "(from the Commons data shipped in the package, or --mps PATH). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mps",
            type=Path,
            default=None,
            help="CSV of MPs (constituency, mp_name, mp_member_id, mp_party); default: "
            "REFERENCE_DATA_DIR/commons/constituencies-2019.csv, skipped if absent",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mps_path: Path | None = options["mps"]
        try:
            result = structure.structure_load(
                actor=None, mps_path=mps_path, require_mps=mps_path is not None
            )
        except structure.StructureError as exc:
            raise CommandError(str(exc)) from exc
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        if not result.changed:
            self.stdout.write("structure already up to date: nothing changed")
            return
        s = result.summary()
        self.stdout.write(
            self.style.SUCCESS(
                f"created {s['regions_created']} regions, "
                f"{s['constituencies_created']} constituencies "
                f"({s['constituencies_updated']} updated), {s['clps_created']} CLPs, "
                f"{s['mps_created']} MPs ({s['mps_updated']} updated)"
            )
        )
