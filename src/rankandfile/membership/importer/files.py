"""Opening an uploaded or named file and refusing, as a whole, what is not a UTF-8 CSV."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from rankandfile.membership.importer.report import ImportFileError

MAX_COLUMNS = 200
"""Most columns a file may have (16 are documented; the rest are reported and ignored).
Checked on the header line before any per-column work (docs/limits.md)."""
MAX_HEADER_BYTES = 64 * 1024
"""Longest header line read (docs/limits.md)."""


def open_binary(
    source: str | os.PathLike[str] | IO[bytes] | IO[str], stack: ExitStack
) -> tuple[IO[bytes], str]:
    """A seekable binary stream of the file and a name for it."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ImportFileError(f"{path}: no such file")
        return stack.enter_context(path.open("rb")), path.name
    name = Path(str(getattr(source, "name", "") or "upload.csv")).name
    raw: Any = getattr(source, "file", source)  # Django's UploadedFile wraps the real file
    if isinstance(raw, io.TextIOBase):
        # Text already decoded (tests, callers holding a string): treat it as UTF-8.
        raw.seek(0)
        return io.BytesIO(raw.read().encode("utf-8")), name
    if not (hasattr(raw, "seekable") and raw.seekable()):
        spool = stack.enter_context(
            tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 - the ExitStack closes it
        )
        shutil.copyfileobj(raw, spool)
        raw = spool
    raw.seek(0)
    return raw, name


def sha256_of(binary: IO[bytes]) -> str:
    digest = hashlib.sha256()
    binary.seek(0)
    for chunk in iter(lambda: binary.read(1024 * 1024), b""):
        digest.update(chunk)
    binary.seek(0)
    return digest.hexdigest()


def check_start(head: bytes) -> None:
    """Reject what is plainly not a UTF-8 CSV file, by its first bytes."""
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError("the file is empty")
    if head.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "this is a spreadsheet workbook or a zip archive, not a CSV file: open it in "
            "your spreadsheet program and save it as 'CSV UTF-8'"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "this is an old Excel (.xls) workbook, not a CSV file: save it as 'CSV UTF-8'"
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError("the file is UTF-16 text: save it as 'CSV UTF-8' and try again")
    if b"\x00" in head:
        raise ImportFileError("the file is binary, not CSV text: export it as 'CSV UTF-8'")


def first_bad_utf8_line(binary: IO[bytes]) -> int:
    binary.seek(0)
    for number, raw_line in enumerate(binary, start=1):
        try:
            raw_line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 0


def delimiter(header_line: str) -> str:
    """Comma, unless the header has none and has semicolons (European Excel) or tabs."""
    if "," in header_line:
        return ","
    if ";" in header_line:
        return ";"
    if "\t" in header_line:
        return "\t"
    return ","


def read_header(text: io.TextIOWrapper) -> tuple[Any, list[str]]:
    """The CSV reader (``csv.reader``) positioned after the header, and the header.

    Refuses a header longer than :data:`MAX_HEADER_BYTES` or with more than
    :data:`MAX_COLUMNS` columns before splitting it, an empty file and a header that is
    not valid CSV.
    """
    first = text.readline(MAX_HEADER_BYTES + 1)
    if len(first) > MAX_HEADER_BYTES and not first.endswith("\n"):
        raise ImportFileError(
            f"line 1: the header is longer than {MAX_HEADER_BYTES // 1024} KiB (the "
            "limit): is this a membership export?"
        )
    separator = delimiter(first)
    if first.count(separator) >= MAX_COLUMNS:
        raise ImportFileError(
            f"line 1: the header has {first.count(separator) + 1:,} columns, more than "
            f"the limit of {MAX_COLUMNS}; see the documented columns"
        )
    text.seek(0)
    reader = csv.reader(text, delimiter=separator, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportFileError(f"line 1: the header is not valid CSV ({exc})") from None
    if not header or not any(h.strip() for h in header):
        raise ImportFileError("the file is empty")
    if len(header) > MAX_COLUMNS:  # a quoted header running over several lines
        raise ImportFileError(
            f"line 1: the header has {len(header):,} columns, more than the limit of "
            f"{MAX_COLUMNS}; see the documented columns"
        )
    return reader, header
