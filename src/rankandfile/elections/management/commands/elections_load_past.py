"""Record the shipped past nomination rounds (figures modelled on the 2015 and 2020
leadership contests, labelled as such) for the comparison of rules. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rankandfile.elections import pastdata, services


class Command(BaseCommand):
    help = "Record the modelled 2015 and 2020 leadership nomination rounds (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for spec in pastdata.ROUNDS:
            services.past_round_record(actor=None, **spec)
        self.stdout.write(f"{len(pastdata.ROUNDS)} past round(s) recorded")
