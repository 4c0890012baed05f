"""Load the rule book the software ships with (historic conferences and every version)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rankandfile.conference.services import rulebook


class Command(BaseCommand):
    help = "Load the shipped rule book (versions 2017-2025 with clauses and parameters)."

    def handle(self, *args: Any, **options: Any) -> None:
        n = rulebook.rule_book_load(actor=None)
        self.stdout.write(f"Rule book: {n} version{'s' if n != 1 else ''} added.")
