"""``rankandfile demo_seed --members N [--seed S] [--if-empty]``: build a demo party."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from rankandfile.membership import demo
from rankandfile.membership.models import Member


class Command(BaseCommand):
    help = (
        "Build a plausible demo party in an empty database: the 650 CLPs and their branches, "
        "~20 affiliates, N members with realistic histories, the MPs of April 2019 and the "
        "demo logins. Deterministic for a given --seed and day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--members",
            type=int,
            default=demo.DEFAULT_MEMBERS,
            help=f"number of members to generate (default {demo.DEFAULT_MEMBERS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=f"random seed (default {demo.DEFAULT_SEED}); the same seed gives the same party",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the database already has members (so `make demo` can rerun)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["members"] < 0:
            raise CommandError("--members must not be negative")
        if options["if_empty"] and Member.objects.exists():
            self.stdout.write("members already exist: demo_seed skipped (--if-empty)")
            return
        started = time.monotonic()
        try:
            result = demo.demo_seed(members=options["members"], seed=options["seed"])
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        if result.structure is not None:
            for warning in result.structure.warnings:
                self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"demo party seeded in {time.monotonic() - started:.1f} s: "
                f"{result.members:,} members ({result.periods:,} history periods), "
                f"{result.branches:,} branches, {result.affiliates} affiliates, "
                f"{result.logins_created} demo logins created"
            )
        )
        # Later parts of the product (ballots, ...) add their demo data on top.
        for path in getattr(settings, "RANKANDFILE_DEMO_SEEDERS", []):
            summary = import_string(path)(options["seed"])
            self.stdout.write(summary)
        if options["verbosity"] >= 2:
            call_command("demo_logins", stdout=self.stdout)
