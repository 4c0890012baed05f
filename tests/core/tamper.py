"""Tampering with the audit tables as someone with database access would.

On PostgreSQL the tables refuse UPDATE and DELETE through triggers (core migration 0002);
the database superuser can switch the triggers off, and that is the attacker modelled
here. On SQLite there are no triggers: any writer can tamper directly.
"""

from __future__ import annotations

from django.db import connection

AUDIT_TABLES = ("core_auditentry", "core_audithead", "core_auditanchor")


def raw(sql: str, params: list[object] | None = None) -> None:
    """Run ``sql`` with the audit triggers disabled (PostgreSQL, as a superuser)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Check deferred foreign keys now: a table with pending trigger events
            # cannot be altered (the test's own transaction has them).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            cursor.execute(sql, params or [])
        finally:
            if connection.vendor == "postgresql":
                for table in AUDIT_TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
