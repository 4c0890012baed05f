"""Delete signers' personal data after each campaign's retention date (§2)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rankandfile.campaigns.services import retention
from rankandfile.core import audit


class Command(BaseCommand):
    help = (
        "Delete the personal data (signatures, replies, volunteers) of campaigns whose "
        "retention date has passed, keeping their counts, and unconfirmed signatures older "
        "than CAMPAIGN_UNCONFIRMED_DAYS. Run daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with audit.context("cli"):
            report = retention.purge_expired()
        self.stdout.write(
            f"{report.campaigns} campaign(s) purged: {report.signatures} signatures, "
            f"{report.rsvps} replies, {report.volunteers} volunteers; "
            f"{report.unconfirmed} unconfirmed signatures deleted"
        )
