"""Per-key fixed-window rate limits (petition signatures and event replies per client
address), one atomic statement each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from django.db import connection
from django.utils import timezone

from rankandfile.campaigns.models import (
    RateWindow,
)
from rankandfile.campaigns.services.common import savepoint_if_nested, setting


def allow(key: str, limit: int, window: int) -> bool:
    """Count one more event for ``key`` in the current fixed window of ``window`` seconds;
    whether it is within ``limit``.

    One atomic statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, PostgreSQL
    and SQLite 3.35+), in its own transaction: concurrent requests each get their own
    count, and a refused request still counts. ``limit`` 0 or less disables the limit."""
    if limit <= 0:
        return True
    now = time.time()
    index = int(now // window)
    digest = hashlib.sha256(f"{key}|{window}|{index}".encode()).hexdigest()
    expires = dt.datetime.fromtimestamp((index + 1) * window, tz=dt.UTC)
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    # One statement: in autocommit it is its own transaction (no BEGIN/COMMIT round trips).
    with savepoint_if_nested(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - the table name is ours
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [digest, expires],
        )
        row = cursor.fetchone()
    return bool(row) and int(row[0]) <= limit


def purge_rate_windows(now: dt.datetime | None = None) -> int:
    deleted, _ = RateWindow.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def ip_limit() -> tuple[int, int]:
    """(signatures or replies, seconds) per client address: default 30 per 10 minutes."""
    return (
        int(setting("CAMPAIGN_SIGNS_PER_IP", 30)),
        int(setting("CAMPAIGN_IP_WINDOW", 600)),
    )
