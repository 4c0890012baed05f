"""Periodic job: apply the retention period to lapsed members' personal data.

:func:`apply_retention` is a django-tasks task around
:func:`rankandfile.privacy.services.retention_apply`; run it daily (or run
``rankandfile privacy_apply_retention``).
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from rankandfile.core import audit
from rankandfile.privacy import services


@task()
def apply_retention() -> dict[str, Any]:
    with audit.context("task"):
        report = services.retention_apply()
    return {
        "cutoff": report.cutoff.isoformat(),
        "erased": report.erased,
        "skipped": [list(s) for s in report.skipped],
    }
