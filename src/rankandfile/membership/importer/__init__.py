"""Importing members from a membership-system export (a CSV file).

The columns, the history notation and every rejection reason are documented in
``docs/membership-import.md``; this module implements that page.

How an import runs
------------------
1. The file is checked as a whole first: it must be UTF-8 text (a byte-order mark is
   fine), comma-, semicolon- or tab-separated, with a header naming the required
   columns. A file that fails these checks (binary, a spreadsheet workbook, UTF-16, empty,
   header only, missing columns, a broken quote) raises :class:`ImportFileError` and
   imports nothing.
2. Rows are streamed (never all held in memory) and validated one by one. Every bad row
   is reported with its line number and every reason it is bad.
3. Valid rows are written in batches of :data:`BATCH_SIZE`: constituencies, CLPs and
   branches come from dictionaries loaded once; existing members are fetched per batch by
   membership number; new members are bulk-inserted, changed ones bulk-updated, and a
   changed history is replaced (bulk delete + bulk insert). Members not in the file are
   left alone: an export may be partial, and the import never deletes anyone.
4. The whole import is one transaction. By default any bad row rejects the whole file:
   once a bad row is seen nothing more is written and everything already written is
   rolled back, but validation carries on to the end so the report lists *all* bad rows.
   With ``skip_invalid=True`` the good rows are imported and the bad ones reported.
   ``dry_run=True`` validates and counts without writing anything.
5. A committed import writes one audit entry (not one per row) with the counts and the
   file's SHA-256.

Re-importing the same file changes nothing (every row ``unchanged``); a member is found
by membership number, so an import never duplicates anyone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.core import audit
from rankandfile.core.errors import PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership import permissions
from rankandfile.membership.importer.columns import (
    KNOWN_COLUMNS,
    OPTIONAL_FIELDS,
    ROW_COLUMNS,
    check_header,
    normalise_header,
)
from rankandfile.membership.importer.files import (
    MAX_COLUMNS,
    MAX_HEADER_BYTES,
    check_start,
    first_bad_utf8_line,
    open_binary,
    read_header,
    sha256_of,
)
from rankandfile.membership.importer.parse import MemberRow, PeriodRow, RowParser, Structure, key
from rankandfile.membership.importer.report import (
    ImportFileError,
    ImportReport,
    Progress,
    RowError,
    iter_errors_csv,
)
from rankandfile.membership.importer.writers import (
    MemberValues,
    history_key,
    period_sort,
    writer_for_connection,
)
from rankandfile.membership.models import CLP, Branch

__all__ = [
    "AUDIT_ACTION",
    "BATCH_SIZE",
    "MAX_COLUMNS",
    "MAX_HEADER_BYTES",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "import_members",
    "iter_errors_csv",
]

BATCH_SIZE = 5000
"""Rows validated, then classified and written, together (tests make it small)."""
AUDIT_ACTION = "membership.import"
_IMPORT_LOCK = 0x52414E4B_494D5054  # PostgreSQL advisory lock key ("RANKIMPT")


def import_members(
    *,
    actor: User | None,
    source: str | os.PathLike[str] | IO[bytes] | IO[str],
    scope_clp: CLP | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    create_branches: bool = False,
    filename: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import (create or update) members from a CSV export; see the module docstring.

    ``actor`` is the user importing (``None`` for the command line run by a server
    administrator): with ``scope_clp=None`` they must be a national admin; with a CLP,
    someone who may manage it (``permissions.can_import_members``). A scoped import
    rejects rows for any other CLP and rows whose membership number belongs to a member of
    another CLP. ``create_branches`` creates a branch named in the file that the CLP does
    not have yet (otherwise the row is rejected). ``progress`` is called with the number
    of rows read after every batch.

    Raises :class:`ImportFileError` for an unusable file and
    :class:`~rankandfile.core.errors.PermissionDenied` for an actor who may not import;
    bad rows are returned in the report, never raised. One transaction; one audit entry
    (``membership.import``) for a committed import.
    """
    _check_allowed(actor, scope_clp)

    with ExitStack() as stack:
        binary, name = open_binary(source, stack)
        name = filename or name
        sha256 = sha256_of(binary)
        report = ImportReport(
            filename=name,
            sha256=sha256,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            scope=scope_clp.name if scope_clp is not None else "",
        )
        importer = _Importer(
            report=report,
            scope_clp=scope_clp,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            create_branches=create_branches,
            progress=progress,
        )
        with transaction.atomic():
            if not dry_run and connection.vendor == "postgresql":
                # One import at a time: two could both see a number as new and collide on
                # the unique key. (SQLite's write transactions are serialised already.)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])
            importer.run(binary)
            if importer.writing and not dry_run and (skip_invalid or not report.errors):
                report.committed = True
                _record_import(actor, scope_clp, report, create_branches=create_branches)
            else:
                report.committed = False
                transaction.set_rollback(True)
    return report


def _check_allowed(actor: User | None, scope_clp: CLP | None) -> None:
    """The whole party: national admins; one CLP: whoever may manage it (or the CLI)."""
    if actor is None:
        return
    allowed = (
        permissions.is_national_admin(actor)
        if scope_clp is None
        else permissions.can_import_members(actor, scope_clp)
    )
    if not allowed:
        raise PermissionDenied(
            gettext("you may not import members for the whole party")
            if scope_clp is None
            else gettext("you may not import members for %(clp)s") % {"clp": scope_clp.name}
        )


def _record_import(
    actor: User | None, scope_clp: CLP | None, report: ImportReport, *, create_branches: bool
) -> None:
    """One audit entry for a committed import: its counts and the file's SHA-256."""
    audit.record(
        actor=actor,
        action=AUDIT_ACTION,
        target=scope_clp,
        label=f"import of {report.filename}" if scope_clp is None else None,
        data={
            "file": report.filename,
            "sha256": report.sha256,
            "scope": scope_clp.slug if scope_clp is not None else "party",
            "skip_invalid": report.skip_invalid,
            "create_branches": create_branches,
            **report.counts(),
            "rejected_lines": [e.line for e in report.errors[:1000]],
        },
    )


@dataclass
class _Changes:
    """A batch classified against the database: what to insert, update and replace."""

    creates: list[MemberValues] = field(default_factory=list)
    create_periods: list[tuple[PeriodRow, ...]] = field(default_factory=list)
    updates: list[tuple[int, MemberValues]] = field(default_factory=list)
    replace_history: dict[int, tuple[PeriodRow, ...]] = field(default_factory=dict)


class _Importer:
    """One run: read the file, parse each row, classify and write each batch."""

    def __init__(
        self,
        *,
        report: ImportReport,
        scope_clp: CLP | None,
        dry_run: bool,
        skip_invalid: bool,
        create_branches: bool,
        progress: Progress | None,
    ) -> None:
        self.report = report
        self.scope_clp_id = scope_clp.pk if scope_clp is not None else None
        self.skip_invalid = skip_invalid
        self.create_branches = create_branches
        self.progress = progress
        self.now = timezone.now()
        self.batch: list[MemberRow] = []
        self.columns: frozenset[str] = frozenset()
        self.writing = not dry_run
        self.writer = writer_for_connection()

    # -- reading ---------------------------------------------------------------------------
    def run(self, binary: IO[bytes]) -> None:
        head = binary.read(64 * 1024)
        binary.seek(0)
        check_start(head)
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", errors="strict")
        try:
            self._read(text)
        except UnicodeDecodeError:
            line = first_bad_utf8_line(binary)
            raise ImportFileError(
                f"the file is not UTF-8 text (the first bad character is on line {line}): "
                "save it as 'CSV UTF-8' and try again"
            ) from None
        finally:
            text.detach()  # leave the caller's file open
        # On failure the rollback removes anything the writer created.
        self.writer.close()

    def _read(self, text: io.TextIOWrapper) -> None:
        reader, header = read_header(text)
        columns = [normalise_header(h) for h in header]
        self.report.warnings.extend(check_header(columns, header))
        self.columns = frozenset(c for c in columns if c in KNOWN_COLUMNS)
        self.structure = Structure()
        self.parser = RowParser(
            structure=self.structure,
            scope_clp_id=self.scope_clp_id,
            create_branches=self.create_branches,
            today=timezone.localdate(),
        )
        try:
            rows = self._read_rows(reader, columns)
        except csv.Error as exc:
            raise ImportFileError(
                f"line {reader.line_num}: the file is not valid CSV ({exc}); check for an "
                "unclosed quote"
            ) from None
        self._flush()
        self.report.rows = rows
        if self.progress is not None:
            self.progress(rows)
        if rows == 0:
            raise ImportFileError("the file has a header but no member rows")
        # Branches still to create when writing stopped (or never started): would-be.
        self.report.branches_created += sum(
            1 for key in self.parser.branch_names if key not in self.structure.branches
        )

    def _read_rows(self, reader: Any, columns: list[str]) -> int:
        """Parse every record, flushing full batches; the number of (non-blank) rows."""
        width = len(columns)
        # Index -1 reads the "" appended to every record: the value of a missing column.
        values = operator.itemgetter(
            *(columns.index(c) if c in columns else -1 for c in ROW_COLUMNS)
        )
        number_at = columns.index("membership_number")
        line = 2  # first line of the next record
        rows = 0
        for record in reader:
            start = line
            line = reader.line_num + 1
            if len(record) != width:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line
                rows += 1
                number = record[number_at].strip() if len(record) > number_at else ""
                self._error(start, number, [f"has {len(record)} fields but the header has {width}"])
                continue
            rows += 1
            record.append("")
            row_values = [v.strip() for v in values(record)]
            parsed = self.parser.parse(start, row_values)
            if isinstance(parsed, list):
                self._error(start, row_values[0], parsed)
                continue
            self.batch.append(parsed)
            if len(self.batch) >= BATCH_SIZE:
                self._flush()
                if self.progress is not None:
                    self.progress(rows)
        return rows

    def _error(self, line: int, number: str, reasons: list[str]) -> None:
        self.report.errors.append(RowError(line, number, tuple(reasons)))
        if not self.skip_invalid:
            # The import will be rejected: stop writing (validation carries on).
            self.writing = False

    # -- writing ---------------------------------------------------------------------------
    def _flush(self) -> None:
        """Classify a batch against the database (created/updated/unchanged) and, while
        writing, write it."""
        batch, self.batch = self.batch, []
        if not batch:
            return
        existing = {
            row[1]: row for row in self.writer.members([r.membership_number for r in batch])
        }
        if self.scope_clp_id is not None:
            batch = self._only_own_members(batch, existing)
        if self.writing:
            self._create_branches(batch)
        changes = self._classify(batch, existing)
        if self.writing:
            self._write(changes)

    def _only_own_members(
        self, batch: list[MemberRow], existing: dict[str, tuple[Any, ...]]
    ) -> list[MemberRow]:
        """A CLP officer may not take over (or overwrite) another CLP's member."""
        keep = []
        for r in batch:
            old = existing.get(r.membership_number)
            if old is not None and old[7] != self.scope_clp_id:
                clp = self.structure.clp_name.get(old[7], "another constituency party")
                self._error(
                    r.line,
                    r.membership_number,
                    [f"membership_number {r.membership_number} belongs to a member of {clp}"],
                )
            else:
                keep.append(r)
        return keep

    def _classify(self, batch: list[MemberRow], existing: dict[str, tuple[Any, ...]]) -> _Changes:
        """New members, changed fields and changed histories; counts them in the report."""
        old_periods: dict[int, list[tuple[str, dt.date, dt.date | None, str]]] = {}
        if existing:
            for member_id, kind, start, end, reason in self.writer.periods(
                [e[0] for e in existing.values()]
            ):
                old_periods.setdefault(member_id, []).append((kind, start, end, reason))
        changes = _Changes()
        has = {c: c in self.columns for c in (*OPTIONAL_FIELDS, "branch")}
        branches = self.structure.branches
        for r in batch:
            # -1: a branch still to be created (not writing); no real branch has that id.
            branch_id = None if r.branch_key is None else branches.get(r.branch_key, -1)
            old = existing.get(r.membership_number)
            if old is None:
                changes.creates.append(
                    (
                        r.membership_number,
                        r.first_name,
                        r.last_name,
                        r.email,
                        r.address,
                        r.postcode,
                        r.clp_id,
                        branch_id,
                        r.gender,
                        r.date_of_birth,
                    )
                )
                changes.create_periods.append(r.periods)
                continue
            (mid, _, _, _, email, address, postcode, clp_id, old_branch, gender, dob) = old
            if not has["branch"]:  # keep the branch unless the member moved CLP
                branch_id = old_branch if r.clp_id == clp_id else None
            new: MemberValues = (
                r.membership_number,
                r.first_name,
                r.last_name,
                r.email if has["email"] else email,
                r.address if has["address"] else address,
                r.postcode if has["postcode"] else postcode,
                r.clp_id,
                branch_id,
                r.gender if has["gender"] else gender,
                r.date_of_birth if has["date_of_birth"] else dob,
            )
            fields_changed = new[1:] != old[2:]
            history = old_periods.get(mid, [])
            if len(history) > 1:
                history.sort(key=period_sort)
            history_changed = history != history_key(r.periods)
            if fields_changed:
                changes.updates.append((mid, new))
            if history_changed:
                changes.replace_history[mid] = r.periods
            if fields_changed or history_changed:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self.report.created += len(changes.creates)
        return changes

    def _write(self, changes: _Changes) -> None:
        w = self.writer
        replace_history = changes.replace_history
        if changes.updates:
            w.update_members(changes.updates, self.now)
        if replace_history:  # existing members whose history changed
            w.delete_periods(list(replace_history))
        if changes.creates:
            ids = w.insert_members(changes.creates, self.now)
            replace_history.update(zip(ids, changes.create_periods, strict=True))
        if replace_history:
            w.insert_periods(
                [
                    (mid, p.kind, p.start, p.end, p.end_reason)
                    for mid, spans in replace_history.items()
                    for p in spans
                ]
            )

    def _create_branches(self, batch: list[MemberRow]) -> None:
        wanted = {
            r.branch_key
            for r in batch
            if r.branch_key is not None and r.branch_key not in self.structure.branches
        }
        if not wanted:
            return
        names = self.parser.branch_names
        Branch.objects.bulk_create(
            [Branch(clp_id=clp_id, name=names[(clp_id, k)]) for clp_id, k in wanted]
        )
        for bid, clp_id, name in Branch.objects.filter(
            clp_id__in={clp_id for clp_id, _ in wanted}
        ).values_list("id", "clp_id", "name"):
            self.structure.branches[(clp_id, key(name))] = bid
        self.report.branches_created += len(wanted)
