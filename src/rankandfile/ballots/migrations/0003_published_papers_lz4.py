"""Compress the published papers (BLT and CSV, tens of megabytes for a national ballot)
with LZ4 instead of PostgreSQL's default pglz where the server has it: storing them at the
count and reading a counted ballot's row are then several times faster. Other databases,
and servers built without LZ4, are left as they are. Only new values are affected."""

from typing import Any

from django.db import migrations

COLUMNS = ("papers_blt", "papers_csv")


def _lz4(apps: Any, schema_editor: Any, method: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)"
        )
        if cursor.fetchone() is None:
            return
    table = schema_editor.quote_name(apps.get_model("ballots", "Ballot")._meta.db_table)
    alters = ", ".join(
        f"ALTER COLUMN {schema_editor.quote_name(c)} SET COMPRESSION {method}" for c in COLUMNS
    )
    schema_editor.execute(f"ALTER TABLE {table} {alters}")


def forwards(apps: Any, schema_editor: Any) -> None:
    _lz4(apps, schema_editor, "lz4")


def backwards(apps: Any, schema_editor: Any) -> None:
    _lz4(apps, schema_editor, "pglz")


class Migration(migrations.Migration):
    dependencies = [("ballots", "0002_lean_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
