"""Writing a batch of members and their histories: through the ORM on any database,
with ``COPY`` and ``UPDATE ... FROM`` on PostgreSQL (an order of magnitude faster on
500,000 rows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, models

from rankandfile.membership.importer.parse import PeriodRow
from rankandfile.membership.models import Member, Period

# (membership_number, first_name, last_name, email, address, postcode, clp_id, branch_id,
#  gender, date_of_birth): the member columns an import writes, in this order.
MemberValues = tuple[str, str, str, str, str, str, int, "int | None", str, "dt.date | None"]
_MEMBER_COLUMNS = (
    "membership_number",
    "first_name",
    "last_name",
    "email",
    "address",
    "postcode",
    "clp",
    "branch",
    "gender",
    "date_of_birth",
)
_PERIOD_COLUMNS = ("member", "kind", "start", "end", "end_reason")


def period_sort(p: tuple[str, dt.date, dt.date | None, str]) -> tuple[str, dt.date]:
    return (p[0], p[1])


def history_key(periods: tuple[PeriodRow, ...]) -> list[tuple[str, dt.date, dt.date | None, str]]:
    if len(periods) == 1:
        return [tuple(periods[0])]  # type: ignore[list-item]
    return sorted((tuple(p) for p in periods), key=period_sort)  # type: ignore[misc]


class DjangoWriter:
    """Bulk reads and writes through the ORM: any database Django supports (SQLite in
    development)."""

    def members(self, numbers: list[str]) -> list[tuple[Any, ...]]:
        """``(id, *_MEMBER_COLUMNS)`` of the members with these numbers."""
        return list(
            Member.objects.filter(membership_number__in=numbers)
            .order_by()
            .values_list("id", *_ORM_MEMBER_FIELDS)
        )

    def periods(self, member_ids: list[int]) -> list[tuple[Any, ...]]:
        """``(member_id, kind, start, end, end_reason)`` of these members' periods."""
        return list(
            Period.objects.filter(member_id__in=member_ids)
            .order_by()
            .values_list("member_id", "kind", "start", "end", "end_reason")
        )

    def insert_members(self, rows: list[MemberValues], now: dt.datetime) -> list[int]:
        members = [
            Member(**dict(zip(_ORM_MEMBER_FIELDS, row, strict=True)), updated_at=now)
            for row in rows
        ]
        Member.objects.bulk_create(members, batch_size=1000)
        if any(m.pk is None for m in members):  # a backend that cannot return ids
            ids = dict(
                Member.objects.filter(
                    membership_number__in=[m.membership_number for m in members]
                ).values_list("membership_number", "id")
            )
            return [ids[m.membership_number] for m in members]
        return [m.pk for m in members]

    def update_members(self, rows: list[tuple[int, MemberValues]], now: dt.datetime) -> None:
        members = [
            Member(id=mid, **dict(zip(_ORM_MEMBER_FIELDS, row, strict=True)), updated_at=now)
            for mid, row in rows
        ]
        Member.objects.bulk_update(members, [*_MEMBER_COLUMNS[1:], "updated_at"], batch_size=500)

    def delete_periods(self, member_ids: list[int]) -> None:
        Period.objects.filter(member_id__in=member_ids).delete()

    def insert_periods(self, rows: list[tuple[int, str, dt.date, dt.date | None, str]]) -> None:
        Period.objects.bulk_create(
            (
                Period(member_id=r[0], kind=r[1], start=r[2], end=r[3], end_reason=r[4])
                for r in rows
            ),
            batch_size=2000,
        )

    def close(self) -> None:
        pass


_ORM_MEMBER_FIELDS = (
    "membership_number",
    "first_name",
    "last_name",
    "email",
    "address",
    "postcode",
    "clp_id",
    "branch_id",
    "gender",
    "date_of_birth",
)


class PostgresWriter(DjangoWriter):
    """PostgreSQL: ``COPY`` for inserts (ids drawn from the sequence first) and
    ``UPDATE ... FROM`` a temporary table for updates: an order of magnitude faster than
    the ORM's bulk methods on 500,000 rows."""

    TEMP = "rankandfile_import_member"

    def __init__(self) -> None:
        self.member_table = Member._meta.db_table
        self.period_table = Period._meta.db_table
        self.temp_ready = False

    @staticmethod
    def _columns(model: type[models.Model], names: tuple[str, ...]) -> str:
        q = connection.ops.quote_name
        return ", ".join(q(_column(model, n)) for n in names)

    # The ORM prepares each of a 5,000-value IN list in Python; one array parameter is
    # cheaper (psycopg returns dates as dates, as the ORM would).
    def members(self, numbers: list[str]) -> list[tuple[Any, ...]]:
        q = connection.ops.quote_name
        columns = self._columns(Member, ("id", *_MEMBER_COLUMNS))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {q(self.member_table)} "  # noqa: S608 - names from the model
                f"WHERE {q('membership_number')} = ANY(%s)",
                [numbers],
            )
            return list(cursor.fetchall())

    def periods(self, member_ids: list[int]) -> list[tuple[Any, ...]]:
        q = connection.ops.quote_name
        columns = self._columns(Period, _PERIOD_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {q(self.period_table)} WHERE member_id = ANY(%s)",  # noqa: S608 - names from the model
                [member_ids],
            )
            return list(cursor.fetchall())

    def insert_members(self, rows: list[MemberValues], now: dt.datetime) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [self.member_table, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            columns = self._columns(Member, ("id", *_MEMBER_COLUMNS, "updated_at"))
            q = connection.ops.quote_name
            with cursor.copy(f"COPY {q(self.member_table)} ({columns}) FROM STDIN") as copy:
                for mid, row in zip(ids, rows, strict=True):
                    copy.write_row((mid, *row, now))
        return ids

    def update_members(self, rows: list[tuple[int, MemberValues]], now: dt.datetime) -> None:
        q = connection.ops.quote_name
        fields = [_field(Member, n) for n in ("id", *_MEMBER_COLUMNS[1:], "updated_at")]
        columns = [q(_column(Member, f.name)) for f in fields]
        with connection.cursor() as cursor:
            if not self.temp_ready:
                types = [f.db_type(connection) for f in fields]  # id: the bare integer type
                definition = ", ".join(f"{c} {t}" for c, t in zip(columns, types, strict=True))
                cursor.execute(f"DROP TABLE IF EXISTS {self.TEMP}")
                cursor.execute(f"CREATE TEMPORARY TABLE {self.TEMP} ({definition})")
                self.temp_ready = True
            else:
                cursor.execute(f"TRUNCATE {self.TEMP}")
            with cursor.copy(f"COPY {self.TEMP} ({', '.join(columns)}) FROM STDIN") as copy:
                for mid, row in rows:
                    copy.write_row((mid, *row[1:], now))
            assignments = ", ".join(f"{c} = t.{c}" for c in columns[1:])
            cursor.execute(
                # Identifiers from the models' metadata; values went in through COPY.
                f"UPDATE {q(self.member_table)} AS m SET {assignments} "  # noqa: S608
                f"FROM {self.TEMP} AS t WHERE m.id = t.id"
            )

    def delete_periods(self, member_ids: list[int]) -> None:
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {q(self.period_table)} WHERE member_id = ANY(%s)",  # noqa: S608 - table name from the model
                [member_ids],
            )

    def insert_periods(self, rows: list[tuple[int, str, dt.date, dt.date | None, str]]) -> None:
        q = connection.ops.quote_name
        columns = self._columns(Period, (*_PERIOD_COLUMNS, "note"))
        sql = f"COPY {q(self.period_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((*row, ""))

    def close(self) -> None:
        if self.temp_ready:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.TEMP}")
            self.temp_ready = False


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _column(model: type[models.Model], name: str) -> str:
    column = _field(model, name).column
    assert column is not None
    return column


def writer_for_connection() -> DjangoWriter:
    return PostgresWriter() if connection.vendor == "postgresql" else DjangoWriter()
