"""Periodic jobs of the membership app, as django-tasks tasks and plain functions.

- :func:`publish_audit_head` emails the audit log's chain head to every scrutineer (and
  ``AUDIT_HEAD_RECIPIENTS``), recording the publication (``core.audit.publish_head``).
  Run it daily: ``rankandfile audit_publish_head``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_tasks import task

from rankandfile.core import audit
from rankandfile.membership import queries


def publish_audit_head_now() -> audit.Publication:
    """Publish the head to the scrutineers and the configured extra recipients."""
    recipients = [*queries.scrutineer_emails(), *settings.AUDIT_HEAD_RECIPIENTS]
    return audit.publish_head(actor=None, recipients=recipients)


@task()
def publish_audit_head() -> dict[str, Any]:
    with audit.context("task"):
        publication = publish_audit_head_now()
    return {
        "head": publication.anchor.text,
        "sent": publication.sent,
        "failed": list(publication.failed),
    }


@task()
def send_account_invitations() -> dict[str, int]:
    """Send the account activation emails owed (``membership.accounts.deliver``)."""
    from rankandfile.membership import accounts

    with audit.context("task"):
        return accounts.deliver()
