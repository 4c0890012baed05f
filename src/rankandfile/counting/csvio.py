"""Reading and writing ranked ballots as CSV (one column per candidate).

Layout (the shape a spreadsheet or an online form export naturally has)::

    weight,Anne Smith,Bob Jones,Cath Lee
    3,1,2,
    1,,1,2
    2,2,3,1

* The header row names the candidates, one per column, in candidate order.
* Each following row is one ballot (or, with a weight column, that many identical
  ballots): the cell under a candidate holds the rank the voter gave them (``1`` = first
  preference); a blank cell means unranked.
* An optional **first** column headed ``weight`` (any letter case) gives the number of
  identical ballots on the row (a whole number, 0 or more). Without it every row is one
  ballot. (So a candidate cannot be called "weight" in the first column.)
* Ranks on a row must be the whole numbers 1, 2, ... k with no gap and no repeat: a repeated
  rank would be an equal ranking and a gap a skipped preference, and both are rejected.
  A row with no rank at all is an empty ballot and is dropped (``RankedBallots`` ignores
  blank ballots).

Every problem raises :class:`MalformedFileError` naming the 1-based line of the file.
Limits (:mod:`rankandfile.counting.limits`, ``docs/limits.md``): the file's size (before
it is read), the number of candidate columns (on the header row, before any other work),
a cell's length, the ballots held in memory and their total weight.
Withdrawn candidates and seats are not part of this format.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rankandfile.counting import limits
from rankandfile.counting.ballots import PAD, RankedBallots
from rankandfile.counting.errors import CountingError, MalformedFileError

if TYPE_CHECKING:
    from _csv import Reader

__all__ = ["read_csv", "write_csv"]

WEIGHT_HEADER = "weight"
_INT_RE = re.compile(rf"[0-9]{{1,{limits.MAX_NUMBER_DIGITS}}}")
_ErrFactory = Callable[[str, int | None], MalformedFileError]


def read_csv(source: str | bytes | os.PathLike[str], *, title: str = "") -> RankedBallots:
    """Read ranked ballots from CSV: a path, the text itself (a ``str`` containing a
    newline) or its bytes. See the module docstring for the layout."""
    text, name = _load(source)

    def err(msg: str, line: int | None) -> MalformedFileError:
        return MalformedFileError(msg, line=line, source=name)

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        cand_names, weighted = _read_header(reader, err)
        rows, weights, width = _read_rows(reader, cand_names, weighted, err)
    except csv.Error as exc:
        raise err(f"not valid CSV: {exc}", reader.line_num) from exc
    if not rows or sum(weights) == 0:
        raise err("the file holds no ballots", reader.line_num)
    arr = np.full((len(rows), width), PAD, dtype=np.int32)
    for i, row in enumerate(rows):
        arr[i, : len(row)] = row
    try:
        return RankedBallots.build(
            cand_names, arr, np.asarray(weights, dtype=np.int64), title=title
        )
    except CountingError as exc:
        raise err(str(exc), None) from exc


def _load(source: str | bytes | os.PathLike[str]) -> tuple[str, str | None]:
    """The text of ``source`` and the file's name (``None`` for text or bytes given),
    refused above the size limit before it is read."""
    if isinstance(source, bytes):
        if len(source) > limits.MAX_FILE_BYTES:
            raise MalformedFileError(limits.size_message(len(source)))
        return _decode(source, None), None
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        if len(source) > limits.MAX_FILE_BYTES:
            raise MalformedFileError(limits.size_message(len(source)))
        return source.removeprefix("\ufeff"), None
    name = str(source)
    try:
        size = Path(source).stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise MalformedFileError(limits.size_message(size), source=name)
        raw = Path(source).read_bytes()
    except OSError as exc:
        raise MalformedFileError(f"cannot read the file: {exc.strerror}", source=name) from exc
    return _decode(raw, name), name


def _read_header(reader: Reader, err: _ErrFactory) -> tuple[list[str], bool]:
    """The first non-blank row: the candidates' names (checked: some, within the limit,
    none blank or twice) and whether a ``weight`` column comes first."""
    header = next(reader, None)
    while header is not None and not any(h.strip() for h in header):
        header = next(reader, None)
    if header is None:
        raise err("the file is empty: a header row of candidate names is needed", None)
    header_line = reader.line_num
    names = [h.strip() for h in header]
    weighted = bool(names) and names[0].casefold() == WEIGHT_HEADER
    cand_names = names[1:] if weighted else names
    if not cand_names:
        raise err("the header names no candidates", header_line)
    if len(cand_names) > limits.MAX_CANDIDATES:
        raise err(limits.candidates_message(len(cand_names)), header_line)
    seen: set[str] = set()
    for i, nm in enumerate(cand_names):
        if not nm:
            raise err(f"column {i + 1 + weighted} has no candidate name", header_line)
        if nm in seen:
            raise err(f"candidate {nm!r} is listed twice", header_line)
        seen.add(nm)
    return cand_names, weighted


def _read_rows(
    reader: Reader, cand_names: list[str], weighted: bool, err: _ErrFactory
) -> tuple[list[list[int]], list[int], int]:
    """Every ballot row after the header: each ranking (candidate indices, first
    preference first), its weight, and the longest ranking; blank lines are skipped and
    the limits on the total weight and the ballots held are checked as rows come."""
    columns = len(cand_names) + weighted
    rows: list[list[int]] = []
    weights: list[int] = []
    total = 0
    width = 1
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank line
        cells = [c.strip() for c in record]
        if len(cells) > columns and any(cells[columns:]):
            raise err(f"{len(cells)} cells but only {columns} columns", line)
        cells += [""] * (columns - len(cells))
        weight = 1
        if weighted:
            wcell = cells[0]
            if not _INT_RE.fullmatch(wcell):
                raise err(f"weight must be a whole number, found {wcell[:40]!r}", line)
            weight = int(wcell)
            cells = cells[1:]
        ranking = _ranking(cells, cand_names, line, err)
        rows.append(ranking)
        weights.append(weight)
        total += weight
        width = max(width, len(ranking))
        if total > limits.MAX_TOTAL_WEIGHT:
            raise err(limits.total_message(), line)
        if len(rows) * width > limits.MAX_RANKING_CELLS:
            raise err(limits.cells_message(len(rows), width), line)
    return rows, weights, width


def _ranking(cells: list[str], cand_names: list[str], line: int, err: _ErrFactory) -> list[int]:
    """One row's rank cells as the candidates in order of preference; the ranks must be
    whole numbers running 1, 2, 3 ... with no repeat (an equal ranking) and no gap."""
    ranked: dict[int, int] = {}
    for c, cell in enumerate(cells[: len(cand_names)]):
        if not cell:
            continue
        if not _INT_RE.fullmatch(cell) or int(cell) < 1:
            raise err(
                f"rank for {cand_names[c]!r} must be a whole number from 1, found {cell[:40]!r}",
                line,
            )
        r = int(cell)
        if r in ranked:
            other = cand_names[ranked[r]]
            raise err(
                f"rank {r} is given to both {other!r} and {cand_names[c]!r} "
                "(equal rankings are not supported)",
                line,
            )
        ranked[r] = c
    if ranked:
        top = max(ranked)
        if top != len(ranked):
            missing = min(set(range(1, top + 1)) - set(ranked))
            raise err(f"rank {missing} is missing (ranks must run 1, 2, 3 ...)", line)
    return [ranked[r] for r in range(1, len(ranked) + 1)]


def write_csv(ballots: RankedBallots, *, weights: bool = True) -> str:
    """CSV text for ``ballots``: with ``weights`` (the default) one row per group of
    identical ballots and a leading ``weight`` column; otherwise one row per ballot."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    names = list(ballots.names)
    if not weights and names and names[0].casefold() == WEIGHT_HEADER:
        raise CountingError("a first candidate named 'weight' needs the weight column")
    w.writerow([WEIGHT_HEADER, *names] if weights else names)
    n = ballots.n_candidates
    for ranking, count in ballots.iter_ballots():
        cells = [""] * n
        for rank, c in enumerate(ranking, start=1):
            cells[c] = str(rank)
        if weights:
            w.writerow([str(count), *cells])
        else:
            for _ in range(count):
                w.writerow(cells)
    return out.getvalue()


def _decode(raw: bytes, name: str | None) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MalformedFileError("the file is not valid UTF-8", line=line, source=name) from exc
