"""The limits every ballot file reader enforces (``docs/limits.md``).

They are checked as early as the file allows -- the BLT header line, the CSV header row,
the file's size before it is read -- so a hostile or broken file is refused with a
:class:`~rankandfile.counting.errors.MalformedFileError` naming the limit, before any work
that grows faster than the file. Every limit is far above a real party election (the
largest real count in ``data/elections`` has 25 candidates).
"""

from __future__ import annotations

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest ballot file read (BLT or CSV): 512 MiB, some 20 million ballot lines."""

MAX_CANDIDATES = 1000
"""Most candidates (BLT header; CSV header columns)."""

MAX_SEATS = MAX_CANDIDATES
"""Most seats a BLT header may ask for."""

MAX_RANKING_CELLS = 100_000_000
"""Most cells of the distinct-ballot matrix (ballot lines x longest ranking) held in
memory while a file is read: 400 MB of 32-bit candidate numbers."""

MAX_TOTAL_WEIGHT = 10**15
"""Most ballots in one file (the sum of the weights): counts stay exact in 64-bit
integers."""

MAX_NUMBER_DIGITS = 15
"""Longest number (weight, rank, candidate number) in a file."""


def size_message(size: int) -> str:
    return (
        f"the file is {size:,} bytes, more than the limit of {MAX_FILE_BYTES:,} bytes "
        f"({MAX_FILE_BYTES // (1024 * 1024)} MiB)"
    )


def candidates_message(n: int) -> str:
    return f"{n:,} candidates is more than the limit of {MAX_CANDIDATES:,}"


def cells_message(rows: int, width: int) -> str:
    return (
        f"{rows:,} ballot lines ranking up to {width:,} candidates is more than the "
        f"limit of {MAX_RANKING_CELLS:,} preferences held at once"
    )


def total_message() -> str:
    return f"the ballots' weights add up to more than the limit of {MAX_TOTAL_WEIGHT:,}"
