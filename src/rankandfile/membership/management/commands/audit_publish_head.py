"""``rankandfile audit_publish_head``: email the audit log head to the scrutineers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rankandfile.core import audit
from rankandfile.core.errors import DomainError
from rankandfile.membership import tasks


class Command(BaseCommand):
    help = (
        "Email the audit log's chain head (<count>:<digest>) to every scrutineer and to "
        "AUDIT_HEAD_RECIPIENTS, and record the publication. Run daily; anyone holding one "
        "of these emails can check the log with audit_verify --expect."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with audit.context("cli"):
                publication = tasks.publish_audit_head_now()
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"published head {publication.anchor.text} to {publication.sent} recipient(s)"
        )
        if publication.failed:
            raise CommandError(
                "could not send the head to: "
                + ", ".join(publication.failed)
                + " (the head is recorded; send it again or check those addresses)"
            )
