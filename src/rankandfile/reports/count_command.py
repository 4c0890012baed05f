"""``rankandfile count FILE``: count a ballot file and print the result sheet.

Usage::

    rankandfile count FILE [--method scottish-stv] [--seats N]
        [--quota women:2 ...] [--quota-attribute gender] [--genders FILE.csv]
        [--format text|json|csv] [--output OUT] [--chart out.png]
        [--tiebreak backwards|forwards|lot|order] [--seed N] [--width N] [--progress]

``FILE`` is a BLT file, or a CSV of rankings when its name ends in ``.csv`` (see
:mod:`rankandfile.counting.csvio`). The seats default to the BLT header (1 for CSV); a
method that fills one seat (av, plurality) refuses a BLT header asking for more unless
``--seats 1`` is given -- never silently one seat. Every file reader enforces the limits
of :mod:`rankandfile.counting.limits` (``docs/limits.md``). ``--quota GROUP:MIN`` asks for
at least MIN elected whose ``--quota-attribute`` (default ``gender``) is GROUP;
``women``/``woman`` and ``men``/``man`` are understood, other values are taken as written.
Candidates get their attribute from ``--genders FILE.csv`` (rows ``name,gender``; an
optional header ``name,<attribute>...`` gives several attributes) or from a
``[gender woman man ...]`` line in the BLT file.

Runs without Django: the ``rankandfile`` entry point dispatches ``count`` here before
Django starts. Every user error (missing or malformed file, unknown method, impossible
quota...) exits with status 2 and a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TextIO

from rankandfile.counting.ballots import Candidate, RankedBallots
from rankandfile.counting.blt import parse_blt
from rankandfile.counting.csvio import read_csv
from rankandfile.counting.errors import CountingError, QuotaError
from rankandfile.counting.methods import METHODS, AnyResult, count, method_info, parse_quota
from rankandfile.counting.tiebreak import TIEBREAK_METHODS

__all__ = ["UsageError", "main"]

PROG = "rankandfile count"
LARGE_FILE = 1_000_000
"""Files at least this many bytes show progress when stderr is a terminal."""


class UsageError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{PROG} --help')")


def build_parser() -> argparse.ArgumentParser:
    methods = "; ".join(f"{m.name}: {m.label}" for m in METHODS.values())
    p = _Parser(
        prog=PROG,
        description="Count a BLT (or CSV) ballot file and print the result sheet.",
        epilog=f"Methods: {methods}.",
    )
    p.add_argument("file", metavar="FILE", help="BLT ballot file, or CSV of rankings (*.csv)")
    p.add_argument(
        "--method", default="scottish-stv", help="counting method (default: scottish-stv)"
    )
    p.add_argument("--seats", type=int, help="seats to fill (default: the BLT header)")
    p.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="GROUP:MIN",
        help="at least MIN elected from GROUP, e.g. women:2 (repeatable)",
    )
    p.add_argument(
        "--quota-attribute",
        default="gender",
        metavar="ATTR",
        help="candidate attribute the quotas are about (default: gender)",
    )
    p.add_argument(
        "--genders",
        "--attributes",
        dest="attributes",
        metavar="FILE.csv",
        help="candidate attributes: rows 'name,value' (or a header 'name,attr1,attr2')",
    )
    p.add_argument("--format", choices=("text", "json", "csv"), default="text")
    p.add_argument("-o", "--output", metavar="OUT", help="write the result here, not stdout")
    p.add_argument("--chart", metavar="OUT.png", help="also draw the stages as a chart")
    p.add_argument(
        "--tiebreak",
        default="backwards",
        choices=(*TIEBREAK_METHODS, "order"),
        help="tie-break rule (default: backwards; 'order' is Meek's fixed order)",
    )
    p.add_argument("--seed", type=int, help="seed for ties decided by lot")
    p.add_argument(
        "--width",
        type=int,
        help="wrap the text sheet to this width (default: the terminal's, or 100; 0: no wrap)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: for large files when stderr is a terminal)",
    )
    return p


class Progress:
    """Phase timings on stderr: ``reading ward.blt (5.1 MB)... 0.42 s``.

    :meth:`start` ends the phase under way (printing its time) and begins the next;
    :meth:`done` ends the last one.
    """

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._since: float | None = None

    def say(self, text: str) -> None:
        self.done()
        if self.enabled:
            print(text, file=self.stream, flush=True)

    def start(self, text: str) -> None:
        self.done()
        if self.enabled:
            print(f"{text}...", end="", file=self.stream, flush=True)
            self._since = time.perf_counter()

    def done(self, outcome: str = "") -> None:
        if self._since is not None:
            took = time.perf_counter() - self._since
            print(f" {outcome or f'{took:.2f} s'}", file=self.stream, flush=True)
            self._since = None

    @contextmanager
    def phase(self, text: str) -> Iterator[None]:
        self.start(text)
        try:
            yield
        except BaseException:
            self.done("failed")
            raise
        self.done()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``rankandfile count``; return the exit status (0, or 2 for a user error)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args_list)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, CountingError) as exc:
        print(f"{PROG}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    info = method_info(args.method)  # unknown method: a one-line error naming the valid ones
    path = Path(args.file)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a ballot file")
    size = path.stat().st_size
    enabled = (
        args.progress if args.progress is not None else (sys.stderr.isatty() and size >= LARGE_FILE)
    )
    progress = Progress(sys.stderr, enabled)

    # ---- read (and group)
    seats_in_file: int | None = None
    lot_order: tuple[int, ...] | None = None
    is_csv = path.suffix.lower() == ".csv"
    with progress.phase(f"reading {path.name} ({_size(size)})"):
        if is_csv:
            ballots = read_csv(path)
        else:
            election = parse_blt(path, on_phase=progress.start)
            ballots, seats_in_file, lot_order = (
                election.ballots,
                election.seats,
                election.tie_order,
            )
    progress.say(
        f"{ballots.total:,} ballots, {ballots.rankings.shape[0]:,} distinct, "
        f"{ballots.n_candidates} candidates"
    )

    if args.attributes:
        ballots = with_attributes(ballots, Path(args.attributes), args.quota_attribute)

    # ---- seats, quotas, tie-break
    if args.seats is not None:
        seats = args.seats
    elif not info.multi_seat:
        if seats_in_file not in (None, 1):
            # Never silently one seat: the file asks for more than this method fills.
            raise UsageError(
                f"{path.name} asks for {seats_in_file} seats but {info.name} fills exactly "
                "one: count it with a method for several seats (--method av-multi, "
                "scottish-stv, meek, block) or pass --seats 1 to fill one seat"
            )
        seats = 1
    else:
        seats = seats_in_file or 1
    quotas = quotas_from_args(ballots, args.quota, args.quota_attribute)
    if args.seed is not None:
        lot_order = None  # an explicit seed replaces the file's [tie] order

    # ---- count
    with progress.phase(f"counting ({info.name}, {seats} seat{'s' if seats != 1 else ''})"):
        result = count(
            info.name,
            ballots,
            seats=seats,
            quotas=quotas or None,
            quota_attribute=args.quota_attribute,
            tiebreak=args.tiebreak,
            seed=args.seed,
            lot_order=lot_order if info.stages else None,
        )

    # ---- output
    text = render(result, args.format, title=ballots.title, width=_width(args.width))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if args.chart:
        with progress.phase(f"drawing {args.chart}"):
            from rankandfile.reports.charts import save_chart  # matplotlib only when asked

            save_chart(result, args.chart, title=ballots.title)
    return 0


def render(result: AnyResult, fmt: str, *, title: str = "", width: int = 100) -> str:
    """The result in ``fmt`` (``text``, ``json`` or ``csv``)."""
    from rankandfile.reports.sheet import render_csv, render_text

    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return render_csv(result)
    return render_text(result, width=width, title=title)


def quotas_from_args(
    ballots: RankedBallots, specs: Sequence[str], attribute: str
) -> dict[str, int]:
    """``["women:2"]`` -> ``{"woman": 2}``, checked against the candidates' attributes."""
    if not specs:
        return {}
    values = [c.attribute(attribute) for c in ballots.candidates]
    if all(v is None for v in values):
        raise QuotaError(
            f"no candidate has a {attribute}: give --genders FILE.csv (rows name,{attribute}) "
            f"or a [{attribute} ...] line in the BLT file"
        )
    out: dict[str, int] = {}
    for spec in specs:
        group, minimum = parse_quota(spec, values)
        if group in out:
            raise QuotaError(f"two quotas for {attribute} {group!r}")
        out[group] = minimum
    return out


MAX_ATTRIBUTE_FILE_BYTES = 1024 * 1024
"""Largest ``--genders``/``--attributes`` file (a line per candidate; docs/limits.md)."""
MAX_ATTRIBUTE_COLUMNS = 50
"""Most columns of that file (the name and the attributes)."""


def with_attributes(ballots: RankedBallots, path: Path, attribute: str) -> RankedBallots:
    """Candidates with attributes from a CSV file (see the module docstring).

    Names match exactly, or by the part before a quoted party description (BLT files from
    Scottish councils name candidates ``Anne SMITH "Party (P)"``), ignoring letter case.
    """
    try:
        size = path.stat().st_size
        if size > MAX_ATTRIBUTE_FILE_BYTES:
            raise UsageError(
                f"{path}: {size:,} bytes, more than the limit of {MAX_ATTRIBUTE_FILE_BYTES:,} "
                "for a file of candidates' attributes"
            )
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not valid UTF-8") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise UsageError(f"{path}: not valid CSV ({exc})") from None
    header = [h.strip() for h in rows[0]] if rows else []
    if len(header) > MAX_ATTRIBUTE_COLUMNS:
        raise UsageError(
            f"{path}:1: {len(header):,} columns, more than the limit of {MAX_ATTRIBUTE_COLUMNS}"
        )
    if header and header[0].casefold() in ("name", "candidate"):
        keys = [h or attribute for h in header[1:]]
        body = list(enumerate(rows[1:], start=2))
    else:
        keys = [attribute]
        body = list(enumerate(rows, start=1))
    if not keys:
        raise UsageError(f"{path}:1: expected columns name,{attribute}")

    def key(name: str) -> str:
        return " ".join(name.split('"', 1)[0].split()).casefold()

    exact = {c.name: i for i, c in enumerate(ballots.candidates)}
    loose: dict[str, int] = {}
    for i, c in enumerate(ballots.candidates):
        loose.setdefault(key(c.name), i)
    attrs: list[dict[str, str]] = [dict(c.attributes) for c in ballots.candidates]
    for line, row in body:
        if not row or not any(cell.strip() for cell in row):
            continue
        name = row[0].strip()
        idx = exact.get(name, loose.get(key(name)))
        if idx is None:
            raise UsageError(f"{path}:{line}: {name!r} is not a candidate in the ballot file")
        values = [v.strip() for v in row[1 : 1 + len(keys)]]
        if len(values) < len(keys) or not all(values):
            raise UsageError(f"{path}:{line}: expected {1 + len(keys)} columns with values")
        for k, v in zip(keys, values, strict=True):
            attrs[idx][k] = v
    cands = tuple(Candidate(c.name, a) for c, a in zip(ballots.candidates, attrs, strict=True))
    return dataclasses.replace(ballots, candidates=cands)


def _width(requested: int | None) -> int:
    if requested is not None:
        return requested
    if sys.stdout.isatty():
        return shutil.get_terminal_size((100, 24)).columns
    return 100


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1000:
        return f"{n / 1000:.0f} kB"
    return f"{n} bytes"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
