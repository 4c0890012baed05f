"""Reading and writing BLT ballot files (the format of OpenSTV, Droop, ERS and eSTV).

Layout, one item per line::

    4 2                      number of candidates, number of seats
    -3                       optional: withdrawn candidates, as negative numbers
    [tie 3 2 1]              optional Droop-style options: [withdrawn ...], [tie ...], [nick ...]
    [gender woman man - man] optional (this project): a candidate attribute, one value per
                             candidate in order ("-" for none); [gender ...] and [group ...]
    3 1 2 4 0                ballot lines: weight, preferences (candidate numbers from 1), 0
    (b17) 1 2 0              ... optionally preceded by a ballot id in parentheses
    0                        end of ballots
    "Anne Smith"             one name per candidate, in order, quoted; a quote inside a
    "Bob ""B"" Jones"        quoted name is doubled
    "Election title"         title, quoted (an unquoted title line is accepted too)

A UTF-8 byte-order mark is ignored. Equal rankings (``2=3``), skipped preferences (``-``)
and fractional weights are not supported and raise :class:`MalformedFileError`, as does
every other malformed input; the error names the 1-based line.

Limits (:mod:`rankandfile.counting.limits`, ``docs/limits.md``): the file's size, the
number of candidates and seats (checked on the header line, before anything else is
read), the ballot matrix held in memory (checked before it is allocated), the total
weight and the length of numbers. Each is refused with a :class:`MalformedFileError`
naming the limit.

Reading is vectorised: when the ballot section holds only digits and white space (the usual
case) it is parsed as one byte array with NumPy -- tokens, their lines and values without a
per-token Python loop -- so a million-ballot file reads in well under a second. Ballot ids
are taken off the lines by one regular expression first, so a file of published papers
(an id on every line) takes the same path. Nicknames and anything unusual go through a
line-by-line reader with the same rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rankandfile.counting import limits
from rankandfile.counting.ballots import PAD, Candidate, IntArray, RankArray, RankedBallots
from rankandfile.counting.errors import CountingError, InvalidBallotError, MalformedFileError

__all__ = ["BltElection", "parse_blt", "read_blt", "write_blt"]

Source = str | bytes | os.PathLike[str]
_ErrFactory = Callable[[str, int | None], MalformedFileError]

_END_RE = re.compile(r"\n[ \t]*0[ \t]*(?=\r?\n|\r?$)")
_NUMERIC_RE = re.compile(r"[0-9 \t\r\n]*")
_QUOTED_RE = re.compile(r'\s*"((?:[^"]|"")*)"')
_INT_RE = re.compile(rf"[0-9]{{1,{limits.MAX_NUMBER_DIGITS}}}")
# A ballot id at the start of a line that goes on after it (an id alone on its line is
# left for the line reader to report).
_ID_RE = re.compile(r"^[ \t]*\(([^)\n]*)\)(?=[ \t]*[^ \t\r\n])", re.MULTILINE)

ATTRIBUTE_OPTIONS = ("gender", "group")
"""Option lines giving each candidate an attribute, one value per candidate in order."""


@dataclass(frozen=True)
class BltElection:
    """Everything a BLT file says: the ballots, the seats and the Droop options."""

    ballots: RankedBallots
    seats: int
    tie_order: tuple[int, ...] | None = None
    """``[tie ...]`` option: candidate indices (0-based) in tie-breaking (lot) order."""
    options: tuple[str, ...] = ()
    """Every ``[...]`` option line, verbatim."""
    ballot_ids: tuple[str, ...] = ()
    """Ids given in parentheses on ballot lines, in file order (empty if none)."""


def read_blt(source: Source) -> RankedBallots:
    """Read a BLT file (a path, or the text itself when it contains a newline)."""
    return parse_blt(source).ballots


def parse_blt(
    source: Source, *, group: bool = True, on_phase: Callable[[str], None] | None = None
) -> BltElection:
    """Read a BLT file with its seats and options. See the module docstring for the format.

    ``source`` is a path (``str`` without a newline, or ``PathLike``), the file's text
    (``str`` containing a newline) or its bytes. ``group`` merges identical ballots.
    ``on_phase`` (for progress displays) is called with a description of each phase as it
    starts: reading is under way when ``parse_blt`` is called; then ``"grouping N ballots"``.
    """
    text, name = _load(source)
    return _parse(text, name, group, on_phase)


# ---------------------------------------------------------------------------- loading
def _load(source: Source) -> tuple[str, str | None]:
    name: str | None = None
    if isinstance(source, bytes):
        raw = source
        if len(raw) > limits.MAX_FILE_BYTES:
            raise MalformedFileError(limits.size_message(len(raw)))
    elif isinstance(source, str) and ("\n" in source or "\r" in source):
        if len(source) > limits.MAX_FILE_BYTES:
            raise MalformedFileError(limits.size_message(len(source)))
        return source.removeprefix("\ufeff"), None
    else:
        path = Path(source)
        name = str(path)
        try:
            size = path.stat().st_size
            if size > limits.MAX_FILE_BYTES:
                raise MalformedFileError(limits.size_message(size), source=name)
            raw = path.read_bytes()
        except OSError as exc:
            raise MalformedFileError(f"cannot read the file: {exc.strerror}", source=name) from exc
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MalformedFileError("the file is not valid UTF-8", line=line, source=name) from exc


# ---------------------------------------------------------------------------- parsing
class _Lines:
    """Walks the header lines, keeping 1-based line numbers and character offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 0  # number of the line last returned
        self._last_start = 0

    def next(self) -> tuple[str, int] | None:
        """Next non-blank line (stripped) and its number, or None at end of text."""
        while self.pos < len(self.text):
            end = self.text.find("\n", self.pos)
            if end < 0:
                end = len(self.text)
            raw = self.text[self.pos : end]
            start = self.pos
            self.pos = end + 1
            self.line += 1
            if raw.strip():
                self._last_start = start
                return raw.strip(), self.line
        return None

    def push_back(self) -> None:
        """Un-read the line last returned."""
        self.pos = self._last_start
        self.line -= 1


@dataclass
class _Header:
    """What the lines before the ballots say: the numbers of candidates and seats, then
    the withdrawn candidates and the ``[...]`` options."""

    n: int
    seats: int
    withdrawn: set[int] = field(default_factory=set)
    tie_order: tuple[int, ...] | None = None
    nicks: dict[str, int] | None = None
    options: list[str] = field(default_factory=list)
    attributes: dict[str, list[str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class _BallotSection:
    """The ballots read from the lines up to the closing ``0`` line."""

    rankings: RankArray
    weights: IntArray
    ids: list[str]
    line_no: IntArray | None  # each ballot's line (fast reader only), to find a duplicate
    end_line: int  # the closing "0" line
    end: int  # offset in the text just after the closing "0"


def _parse(
    text: str, name: str | None, group: bool, on_phase: Callable[[str], None] | None = None
) -> BltElection:
    """The file in four steps: the header line, the options, the ballots, then the names
    and title."""

    def err(msg: str, line: int | None) -> MalformedFileError:
        return MalformedFileError(msg, line=line, source=name)

    lines = _Lines(text)
    head = _read_counts(lines, err)
    _read_options(lines, head, err)
    section = _read_ballots(text, lines, head, err)
    cands, title = _read_names(text[section.end :], section.end_line, head, err)
    rankings, weights = section.rankings, section.weights
    if on_phase is not None:
        on_phase(f"{'grouping' if group else 'checking'} {int(weights.sum()):,} ballots")
    try:
        ballots = RankedBallots.build(
            cands, rankings, weights, title=title, withdrawn=head.withdrawn, group=group
        )
    except CountingError as exc:
        # The fast reader leaves repeated candidates to RankedBallots; find the line.
        if section.line_no is not None:
            _check_duplicates(rankings, section.line_no, err)
        raise err(str(exc), None) from exc  # pragma: no cover - safety net
    return BltElection(
        ballots=ballots,
        seats=head.seats,
        tie_order=head.tie_order,
        options=tuple(head.options),
        ballot_ids=tuple(section.ids),
    )


def _read_counts(lines: _Lines, err: _ErrFactory) -> _Header:
    """The first line, ``candidates seats``, checked against the limits before anything
    else is read."""
    head = lines.next()
    if head is None:
        raise err("the file is empty", None)
    hline, hno = head
    parts = hline.split()
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
        raise err(f"the first line must be 'candidates seats', found {hline!r}", hno)
    if any(len(p) > limits.MAX_NUMBER_DIGITS for p in parts):
        raise err("number too large on the 'candidates seats' line", hno)
    n, seats = int(parts[0]), int(parts[1])
    if n < 1:
        raise err("the number of candidates must be at least 1", hno)
    if n > limits.MAX_CANDIDATES:
        raise err(limits.candidates_message(n), hno)
    if seats < 1:
        raise err("the number of seats must be at least 1", hno)
    if seats > limits.MAX_SEATS:
        raise err(f"{seats:,} seats is more than the limit of {limits.MAX_SEATS:,}", hno)
    return _Header(n, seats)


def _cand_number(tok: str, lno: int, n: int, err: _ErrFactory) -> int:
    """A candidate number (1 to ``n``) on an option or withdrawn line, as an index."""
    if not _INT_RE.fullmatch(tok) or not 1 <= int(tok) <= n:
        raise err(f"{tok!r} is not a candidate number between 1 and {n}", lno)
    return int(tok) - 1


def _read_options(lines: _Lines, head: _Header, err: _ErrFactory) -> None:
    """The withdrawn line(s) and ``[...]`` options into ``head``, up to the first ballot."""
    n = head.n
    while True:
        item = lines.next()
        if item is None:
            raise err("the file ends before the ballots' closing 0 line", lines.line)
        line, lno = item
        if line.startswith("-"):
            for tok in line.split():
                if not tok.startswith("-"):
                    raise err(f"withdrawn candidates must all be negative numbers: {tok!r}", lno)
                head.withdrawn.add(_cand_number(tok[1:], lno, n, err))
            continue
        if line.startswith("["):
            _read_option(line, lno, head, err)
            continue
        lines.push_back()
        return


def _read_option(line: str, lno: int, head: _Header, err: _ErrFactory) -> None:
    """One ``[...]`` option line: withdrawn, tie, nick or a candidate attribute (any
    other option is kept verbatim only)."""
    n = head.n
    if not line.endswith("]"):
        raise err(f"option line is not closed by ']': {line!r}", lno)
    head.options.append(line)
    words = line[1:-1].split()
    if not words:
        raise err("empty option line '[]'", lno)
    key, args = words[0].lower(), words[1:]
    if key == "withdrawn":
        head.withdrawn.update(_cand_number(t, lno, n, err) for t in args)
    elif key == "tie":
        order = [_cand_number(t, lno, n, err) for t in args]
        if len(set(order)) != len(order):
            raise err("the [tie] option lists a candidate twice", lno)
        head.tie_order = tuple(order)
    elif key == "nick":
        if len(args) != n or len(set(args)) != n:
            raise err(f"the [nick] option needs {n} different nicknames", lno)
        head.nicks = {a: i for i, a in enumerate(args)}
    elif key in ATTRIBUTE_OPTIONS:
        if len(args) != n:
            raise err(f"the [{key}] option needs {n} values, one per candidate", lno)
        head.attributes[key] = [None if a == "-" else a for a in args]


def _read_ballots(text: str, lines: _Lines, head: _Header, err: _ErrFactory) -> _BallotSection:
    """The ballots, up to the closing ``0`` line: by the vectorised reader when the section
    is only digits and white space (once any ballot ids are taken off), else line by line."""
    n, nicks = head.n, head.nicks
    start_pos, first_line = lines.pos, lines.line + 1
    m = _END_RE.search(text, start_pos - 1)  # start_pos - 1 is the previous line's "\n"
    if m is None:
        last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
        raise err("no closing '0' line after the ballots", last_line)
    section = text[start_pos : m.start() + 1]
    end_line = first_line + section.count("\n")
    ids: list[str] = []
    line_no: IntArray | None = None
    numeric: str | None = section if nicks is None else None
    if numeric is not None and "(" in section:
        # Ballot ids (``(CODE) 1 2 3 0``, as published ballots carry): taken off each line
        # by one regex, keeping the line breaks, so the numeric reader still applies.
        ids = [i.strip() for i in _ID_RE.findall(section)]
        numeric = _ID_RE.sub(" ", section)
    if numeric is not None and _NUMERIC_RE.fullmatch(numeric):
        rankings, weights, line_no = _parse_numeric(numeric, n, first_line, err)
    else:
        rankings, weights, ids = _parse_lines(section, n, first_line, nicks, err)
    if weights.size and float(weights.sum(dtype=np.float64)) > limits.MAX_TOTAL_WEIGHT:
        raise err(limits.total_message(), end_line)
    if rankings.shape[0] == 0 or int(weights.sum()) == 0:
        raise err("the file holds no ballots", end_line)
    return _BallotSection(rankings, weights, ids, line_no, end_line, m.end())


def _read_names(
    rest: str, end_line: int, head: _Header, err: _ErrFactory
) -> tuple[list[Candidate], str]:
    """The candidates' names (one line each, with the attributes the options gave them)
    and the title, from ``rest``, the text after the closing ``0`` line."""
    n = head.n
    items = _string_lines(rest, end_line, err)
    if len(items) < n:
        got = len(items)
        raise err(f"{n} candidate names expected after the ballots, found {got}", end_line)
    cands: list[Candidate] = []
    seen_names: set[str] = set()
    for i, (strings, lno, _q) in enumerate(items[:n]):
        if not strings:
            raise err(f"candidate {i + 1} has no name", lno)
        cname = strings[0]
        if not cname.strip():
            raise err(f"candidate {i + 1} has an empty name", lno)
        if cname in seen_names:
            raise err(f"candidate name {cname!r} is listed twice", lno)
        seen_names.add(cname)
        attrs = {"description": " ".join(strings[1:])} if len(strings) > 1 else {}
        for key, values in head.attributes.items():
            value = values[i]
            if value is not None:
                attrs[key] = value
        cands.append(Candidate(cname, attrs))
    title = items[n][0][0] if len(items) > n else ""
    # Anything after the title (Droop's "source" and "comment" strings, or notes such as
    # those at the end of the ERS test files) is ignored, as Droop ignores it.
    return cands, title


def _parse_numeric(
    section: str, n: int, first_line: int, err: _ErrFactory
) -> tuple[RankArray, IntArray, IntArray]:
    """Vectorised parse of a ballot section made only of digits and white space.

    Works on the bytes: token boundaries from a digit mask, token values one digit position
    at a time, lines from the newline positions, then the rankings matrix one preference
    column at a time. No Python loop runs per ballot or per token.
    """
    b = np.frombuffer(section.encode("ascii"), dtype=np.uint8)
    empty = (
        np.empty((0, 1), dtype=np.int32),
        np.empty(0, dtype=np.int64),
        np.empty(0, dtype=np.int64),
    )
    digit = (b - np.uint8(48)) < 10  # uint8 wrap-around: one comparison
    edges = np.diff(digit.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    if starts.size == 0:
        return empty
    lengths = np.flatnonzero(edges == -1) - starts
    del edges, digit
    # Lines: index of the first token at or after each line start.
    line_starts = np.concatenate(([0], np.flatnonzero(b == 10) + 1))
    tok_at = np.searchsorted(starts, line_starts)
    counts_all = np.diff(np.append(tok_at, starts.size))
    used = np.flatnonzero(counts_all)
    line_first = tok_at[used]
    counts = counts_all[used]
    line_no = first_line + used.astype(np.int64)

    max_len = int(lengths.max())
    if max_len > 15:
        t = int(np.argmax(lengths > 15))
        bad_line = int(np.searchsorted(line_starts, starts[t], side="right")) - 1
        raise err("number too large", first_line + bad_line)
    # Token values, one digit position at a time (tokens are short).
    tokens = (b[starts] - np.uint8(48)).astype(np.int64)
    for k in range(1, max_len):
        longer = np.flatnonzero(lengths > k)
        tokens[longer] = tokens[longer] * 10 + (b[starts[longer] + k] - np.uint8(48))

    bad = counts < 2
    if bad.any():
        raise err("a ballot line needs a weight and a closing 0", int(line_no[np.argmax(bad)]))
    bad = tokens[line_first + counts - 1] != 0
    if bad.any():
        raise err("a ballot line must end with 0", int(line_no[np.argmax(bad)]))
    weights = tokens[line_first]
    n_prefs = counts - 2
    width = max(int(n_prefs.max()), 1)
    if width > n:
        # A ranking longer than the candidates repeats one or names a non-candidate: the
        # line reader finds which on that line, before the matrix is allocated.
        r = int(np.argmax(n_prefs > n))
        index = int(line_no[r]) - first_line
        line = section.split("\n")[index]
        _parse_lines(line, n, int(line_no[r]), None, err)
        raise err("a ballot ranks the same candidate twice", int(line_no[r]))  # pragma: no cover
    if line_first.size * width > limits.MAX_RANKING_CELLS:
        raise err(limits.cells_message(int(line_first.size), width), None)
    rankings = np.empty((line_first.size, width), dtype=np.int32)
    last = tokens.size - 1
    for j in range(width):
        has = n_prefs > j
        vals = tokens[np.minimum(line_first + (1 + j), last)] - 1
        bad = has & ((vals < 0) | (vals >= n))
        if bad.any():
            r = int(np.argmax(bad))
            v = int(vals[r]) + 1
            what = "0 before the end of a ballot" if v == 0 else f"candidate number {v}"
            raise err(f"{what}: preferences must be candidate numbers 1 to {n}", int(line_no[r]))
        rankings[:, j] = np.where(has, vals, PAD)
    return rankings, weights, line_no


def _check_duplicates(
    rankings: RankArray, line_no: npt.NDArray[np.int64], err: _ErrFactory
) -> None:
    if rankings.shape[1] < 2:
        return
    pad = rankings == PAD
    if rankings.shape[1] <= 62 and int(rankings.max()) <= 62:
        # A row repeats a candidate iff the sum of its candidates' bits differs from the OR.
        bit = np.left_shift(np.int64(1), np.maximum(rankings, 0), dtype=np.int64)
        bit[pad] = 0
        dup = bit.sum(axis=1) != np.bitwise_or.reduce(bit, axis=1)
    else:
        s = np.sort(rankings, axis=1)
        dup = ((s[:, 1:] == s[:, :-1]) & (s[:, 1:] != PAD)).any(axis=1)
    if dup.any():
        r = int(np.argmax(dup))
        raise err("a ballot ranks the same candidate twice", int(line_no[r]))


def _parse_lines(
    section: str, n: int, first_line: int, nicks: dict[str, int] | None, err: _ErrFactory
) -> tuple[RankArray, IntArray, list[str]]:
    """Line-by-line parse (ballot ids, nicknames, and precise errors for odd input)."""
    rows: list[list[int]] = []
    weights: list[int] = []
    line_nos: list[int] = []
    ids: list[str] = []
    for k, raw in enumerate(section.split("\n")):
        lno = first_line + k
        line = raw.strip()
        if not line:
            continue
        if line.startswith("("):
            close = line.find(")")
            if close < 0:
                raise err("ballot id is not closed by ')'", lno)
            ids.append(line[1:close].strip())
            line = line[close + 1 :].strip()
        toks = line.split()
        if len(toks) < 2:
            raise err("a ballot line needs a weight and a closing 0", lno)
        if not _INT_RE.fullmatch(toks[0]):
            if re.fullmatch(r"\d*\.\d+", toks[0]):
                raise err(f"fractional ballot weight {toks[0]!r} is not supported", lno)
            if toks[0].isascii() and toks[0].isdigit():
                raise err("number too large", lno)
            raise err(f"ballot weight must be a whole number, found {toks[0]!r}", lno)
        if toks[-1] != "0":
            raise err("a ballot line must end with 0", lno)
        row: list[int] = []
        in_row: set[int] = set()
        for tok in toks[1:-1]:
            if "=" in tok:
                raise err(f"equal rankings ({tok!r}) are not supported", lno)
            if tok == "-":
                raise err("skipped preferences ('-') are not supported", lno)
            if nicks is not None and tok in nicks:
                c = nicks[tok]
            elif _INT_RE.fullmatch(tok) and 1 <= int(tok) <= n:
                c = int(tok) - 1
            elif tok == "0":
                raise err("0 before the end of a ballot", lno)
            else:
                raise err(f"{tok!r} is not a candidate (numbers 1 to {n})", lno)
            if c in in_row:
                raise err("a ballot ranks the same candidate twice", lno)
            row.append(c)
            in_row.add(c)
        rows.append(row)
        weights.append(int(toks[0]))
        line_nos.append(lno)
    width = max((len(r) for r in rows), default=1) or 1
    if len(rows) * width > limits.MAX_RANKING_CELLS:
        raise err(limits.cells_message(len(rows), width), None)
    arr = np.full((len(rows), width), PAD, dtype=np.int32)
    for i, r in enumerate(rows):
        arr[i, : len(r)] = r
    return arr, np.asarray(weights, dtype=np.int64), ids


def _string_lines(rest: str, end_line: int, err: _ErrFactory) -> list[tuple[list[str], int, bool]]:
    """Each non-blank line after the ballots: its quoted strings (or the whole line when it
    is not quoted), its line number and whether it was quoted. ``rest`` starts at the end
    of the ``0`` line."""
    out: list[tuple[list[str], int, bool]] = []
    for k, raw in enumerate(rest.split("\n")):
        lno = end_line + k
        line = raw.strip()
        if not line:
            continue
        if not line.startswith('"'):
            out.append(([line], lno, False))
            continue
        strings: list[str] = []
        pos = 0
        while pos < len(line):
            mq = _QUOTED_RE.match(line, pos)
            if mq is None:
                if line[pos:].strip():
                    raise err(f"badly quoted name: {line!r}", lno)
                break
            strings.append(mq.group(1).replace('""', '"'))
            pos = mq.end()
        out.append((strings, lno, True))
    return out


# ---------------------------------------------------------------------------- writing
def write_blt(
    ballots: RankedBallots,
    *,
    seats: int = 1,
    tie_order: Sequence[int] | None = None,
) -> str:
    """The BLT text for ``ballots`` (grouped rows, one line per group).

    Withdrawn candidates are written as a ``-n`` line; ``tie_order`` as a ``[tie ...]``
    option; candidates' ``gender`` and ``group`` attributes as ``[gender ...]`` and
    ``[group ...]`` options. Names and title are quoted with inner quotes doubled.
    """
    if seats < 1:
        raise CountingError("a BLT file needs at least one seat")
    out = [f"{ballots.n_candidates} {seats}"]
    if ballots.withdrawn:
        out.append(" ".join(f"-{i + 1}" for i in sorted(ballots.withdrawn)))
    if tie_order is not None:
        out.append("[tie " + " ".join(str(int(i) + 1) for i in tie_order) + "]")
    for key in ATTRIBUTE_OPTIONS:
        values = [c.attribute(key) for c in ballots.candidates]
        if any(v is not None for v in values):
            if any(v is not None and (not v or any(ch.isspace() for ch in v)) for v in values):
                raise InvalidBallotError(f"a BLT [{key}] value cannot be empty or contain spaces")
            out.append(f"[{key} " + " ".join("-" if v is None else v for v in values) + "]")
    plus1 = ballots.rankings.astype(np.int64) + 1
    for row, w in zip(plus1.tolist(), ballots.weights.tolist(), strict=True):
        prefs = " ".join(str(c) for c in row if c)
        out.append(f"{w} {prefs} 0" if prefs else f"{w} 0")
    out.append("0")
    for c in ballots.candidates:
        out.append(_quote(c.name))
    out.append(_quote(ballots.title))
    return "\n".join(out) + "\n"


def _quote(s: str) -> str:
    if "\n" in s or "\r" in s:
        raise InvalidBallotError(f"a name or title cannot contain a line break: {s!r}")
    return '"' + s.replace('"', '""') + '"'
