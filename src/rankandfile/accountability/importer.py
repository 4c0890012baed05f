"""Importing House of Commons divisions (rules I1-I8 in docs/rules/accountability.md).

Three formats, detected from the content:

- ``commons-csv``: the Commons Votes website's CSV export, exactly as downloaded: a header
  block (Division Number, Date, title, Aye Count, Noes Count), then
  ``Member,Party,Constituency,Vote,Proxy Member`` rows; CRLF; ``?`` for non-ASCII
  letters. The file name carries the Commons Votes DivisionId (``Division664.csv``).
- ``commons-json``: the Commons Votes API (``/data/division/{id}.json``): one division
  object, or a list of them.
- ``mnis-csv``: the MNIS-keyed history (``brexit_parliament.csv``), many divisions.

Every division checks itself before anything is written (I2): rows against the published
Aye/No counts (which exclude tellers), tellers on their side and two a side unless the
division was deferred or by ballot (then none), no member twice, proxies only on votes.
A run is atomic (I3): any problem in any file and nothing changes; the problems name the
file and line (or JSON path). Limits (docs/limits.md): a file's size (checked before it is
read), JSON nesting (checked before decoding) and the problems listed per file.
Re-importing the same content changes nothing (I4).
CSV rows carry no MNIS id: they are matched to MPs by constituency and name, and
unmatched rows are reported (I5). The Commons Votes export is authoritative; the MNIS
history fills divisions it does not cover, and disagreements are reported by
``queries.reconciliation`` (I6). Party changes are derived from the party each record
prints (I7). Where a record prints an office in the party column ("Speaker", "Deputy
Speaker"), the MP's party is taken from the MNIS history instead (I8,
:func:`resolve_offices`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rankandfile.accountability import tasks
from rankandfile.accountability.models import (
    Division,
    DivisionSource,
    ImportRun,
    MPVote,
    PackedVotes,
    PartyChange,
    PolicyDivision,
    Source,
)
from rankandfile.accountability.parties import OFFICES, is_office, is_ours, our_party_name
from rankandfile.accountability.scoring import Position
from rankandfile.core import audit, limits
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User
from rankandfile.membership.models import MP, Constituency

CSV_COLUMNS = ["Member", "Party", "Constituency", "Vote", "Proxy Member"]
CSV_VOTES = {
    "Aye": (Position.AYE, False),
    "No": (Position.NO, False),
    "No Vote Recorded": (Position.ABSENT, False),
    "Teller - Ayes": (Position.AYE, True),
    "Teller - Noes": (Position.NO, True),
}
MNIS_COLUMNS = {"vote", "member_id", "vote_title", "vote_uin", "vote_date", "member"}
MNIS_VOTES = {"aye": Position.AYE, "no": Position.NO, "na": Position.ABSENT}
JSON_KEYS = ("DivisionId", "Date", "Title", "AyeCount", "NoCount", "Ayes", "Noes")
TELLERS_A_SIDE = 2
MAX_FILE_BYTES = 256 * 1024 * 1024
"""Largest division file read (the whole 2017-19 MNIS history is some 2 MB)."""
MAX_PROBLEMS_PER_FILE = 100
"""Problems listed per file; the rest are counted in one last line."""


@dataclass(frozen=True)
class Problem:
    """A reason a file cannot be imported: where, and what is wrong."""

    file: str
    where: str  # "line 12", "Ayes[3]", or "" for the whole file
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.where}: {self.message}"
            if self.where
            else (f"{self.file}: {self.message}")
        )


class ImportFailed(DomainError):
    """The run was refused; nothing was written. ``problems`` says exactly why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(
            f"{len(self.problems)} problem(s); nothing was imported:\n"
            + "\n".join(str(p) for p in self.problems)
        )


@dataclass
class ParsedVote:
    where: str
    name: str
    constituency: str
    mnis_id: int | None
    party: str
    position: Position
    teller: bool = False
    proxy: str = ""


@dataclass
class ParsedDivision:
    file: str
    fmt: str
    source: str
    division_id: int
    number: int | None
    date: dt.date
    title: str
    aye_count: int | None
    no_count: int | None
    is_deferred: bool
    votes: list[ParsedVote] = field(default_factory=list)


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # DivisionIds new to the database
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    votes_written: int = 0
    mps_created: int = 0
    party_changes_created: int = 0
    offices: list[str] = field(default_factory=list)  # I8: offices printed as a party
    unmatched: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    linked_changed: list[int] = field(default_factory=list)  # DivisionIds linked to a policy
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.offices)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "votes_written": self.votes_written,
            "mps_created": self.mps_created,
            "party_changes_created": self.party_changes_created,
            "offices": self.offices,
            "unmatched": self.unmatched,
            "warnings": self.warnings,
            "linked_changed": self.linked_changed,
            "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} {len(self.files)} file(s): {len(self.created)} new division(s), "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged; "
            f"{self.votes_written} votes written; {self.mps_created} MP(s) added; "
            f"{self.party_changes_created} party change(s) found; "
            f"{len(self.offices)} office-holder(s) given their party; "
            f"{len(self.unmatched)} unmatched row(s)"
            + (
                f"; {len(self.linked_changed)} division(s) linked to a policy changed"
                if self.linked_changed
                else ""
            )
        )


# --- Reading files ----------------------------------------------------------------------
def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Files named, plus the ``.csv``/``.json`` files in folders named (sorted)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Data-package metadata (datapackage.json) describes the folder; it is no division.
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in (".csv", ".json")
                and p.name != "datapackage.json"
            )
            if not found:
                problems.append(Problem(str(path), "", "folder has no .csv or .json files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "", "no such file or folder"))
    return files, problems


def detect(text: str) -> str | None:
    """The format of a file's content: commons-csv, commons-json, mnis-csv, or None."""
    stripped = text.lstrip("\ufeff \r\n\t")
    if stripped.startswith(("{", "[")):
        return "commons-json"
    if stripped.startswith("Division Number:"):
        return "commons-csv"
    first = stripped.split("\n", 1)[0]
    if {c.strip() for c in first.split(",")} >= MNIS_COLUMNS:
        return "mnis-csv"
    return None


def read_files(paths: Iterable[str | Path]) -> tuple[list[ParsedDivision], list[Problem]]:
    """Parse every file; return the divisions and every problem found (nothing written)."""
    files, problems = expand_paths(paths)
    divisions: list[ParsedDivision] = []
    for path in files:
        name = path.name
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                problems.append(
                    Problem(
                        name,
                        "",
                        f"the file is {size:,} bytes, more than the limit of "
                        f"{MAX_FILE_BYTES // (1024 * 1024)} MiB",
                    )
                )
                continue
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
            continue
        except OSError as exc:
            problems.append(Problem(name, "", f"cannot read the file: {exc.strerror or exc}"))
            continue
        fmt = detect(text)
        parse = {
            "commons-csv": parse_commons_csv,
            "commons-json": parse_commons_json,
            "mnis-csv": parse_mnis_csv,
        }.get(fmt or "")
        if parse is not None:
            try:
                found, errs = parse(name, text)
            except csv.Error as exc:  # a field beyond the csv module's size limit, ...
                found, errs = [], [Problem(name, "", f"not valid CSV: {exc}")]
        else:
            errs = [
                Problem(
                    name,
                    "line 1",
                    "not a Commons Votes CSV export (starts 'Division Number:'), Commons "
                    "Votes API JSON, or MNIS history CSV (columns vote, member_id, "
                    "vote_uin, ...)",
                )
            ]
            found = []
        if len(errs) > MAX_PROBLEMS_PER_FILE:
            more = len(errs) - MAX_PROBLEMS_PER_FILE
            errs = [
                *errs[:MAX_PROBLEMS_PER_FILE],
                Problem(name, "", f"and {more:,} more problem(s) not listed: fix these first"),
            ]
        problems.extend(errs)
        divisions.extend(found)
    seen: dict[tuple[int, str], str] = {}
    for d in divisions:
        key = (d.division_id, d.source)
        if key in seen:
            problems.append(
                Problem(
                    d.file,
                    "",
                    f"division {d.division_id} is also in {seen[key]} "
                    f"(give each division once per source)",
                )
            )
        seen[key] = d.file
    return divisions, problems


def _count_checks(d: ParsedDivision, problems: list[Problem]) -> None:
    """I2: published counts (tellers excluded), tellers, duplicates, proxies."""
    ayes = sum(1 for v in d.votes if v.position == Position.AYE and not v.teller)
    noes = sum(1 for v in d.votes if v.position == Position.NO and not v.teller)
    both = sum(1 for v in d.votes if v.position == Position.BOTH)
    if d.aye_count is not None and ayes + both != d.aye_count:
        problems.append(
            Problem(
                d.file, "", f"{ayes + both} Aye rows but the published Aye count is {d.aye_count}"
            )
        )
    if d.no_count is not None and noes + both != d.no_count:
        problems.append(
            Problem(d.file, "", f"{noes + both} No rows but the published No count is {d.no_count}")
        )
    aye_tellers = sum(1 for v in d.votes if v.teller and v.position == Position.AYE)
    no_tellers = sum(1 for v in d.votes if v.teller and v.position == Position.NO)
    if d.is_deferred:
        if aye_tellers or no_tellers:
            problems.append(
                Problem(d.file, "", "a deferred or ballot-paper division has no tellers")
            )
    elif (aye_tellers, no_tellers) != (TELLERS_A_SIDE, TELLERS_A_SIDE):
        problems.append(
            Problem(
                d.file,
                "",
                f"tellers: {aye_tellers} for the Ayes and {no_tellers} for the Noes "
                f"(expected {TELLERS_A_SIDE} a side, or none for a deferred/ballot division)",
            )
        )
    for v in d.votes:
        if v.proxy and v.position == Position.ABSENT:
            problems.append(
                Problem(d.file, v.where, f"proxy {v.proxy!r} given but no vote recorded")
            )


def _csv_int(value: str, label: str, name: str, line: int, problems: list[Problem]) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        problems.append(Problem(name, f"line {line}", f"{label} is not a number: {value!r}"))
        return None


def parse_commons_csv(name: str, text: str) -> tuple[list[ParsedDivision], list[Problem]]:
    """Parse one Commons Votes CSV export (I1, I2)."""
    problems: list[Problem] = []
    lines = text.splitlines()
    meta, title_lines, header_at = _commons_csv_header_block(name, lines, problems)
    if header_at is None:
        return [], [Problem(name, "", "no 'Member,Party,Constituency,Vote,Proxy Member' header")]
    division_id = _commons_csv_check_header(name, lines, header_at, meta, problems)
    if problems:
        return [], problems
    assert division_id is not None
    votes = _commons_csv_votes(name, lines, header_at, problems)
    division = ParsedDivision(
        file=name,
        fmt="commons-csv",
        source=Source.COMMONS,
        division_id=division_id,
        number=meta["Division Number"],
        date=meta["Division Date"],
        title=" ".join(title_lines)[:500] or f"Division {meta['Division Number']}",
        aye_count=meta["Aye Count"],
        no_count=meta["Noes Count"],
        is_deferred=not any(v.teller for v in votes),
        votes=votes,
    )
    _count_checks(division, problems)
    return ([division] if not problems else []), problems


def _commons_csv_header_block(
    name: str, lines: list[str], problems: list[Problem]
) -> tuple[dict[str, Any], list[str], int | None]:
    """The block above the members: the division's number, date and counts (``meta``),
    the title's lines and the line number of the column header (None: no header)."""
    meta: dict[str, Any] = {}
    title_lines: list[str] = []
    for i, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.replace('"', "").startswith("Member,Party,Constituency"):
            return meta, title_lines, i
        if not line or line == "Members recorded":
            continue
        key, sep, value = line.partition(":")
        if sep and key in ("Division Number", "Aye Count", "Noes Count"):
            meta[key] = _csv_int(value, key, name, i, problems)
        elif sep and key == "Division Date":
            try:
                meta[key] = dt.datetime.strptime(value.strip(), "%d/%m/%Y").date()
            except ValueError:
                problems.append(Problem(name, f"line {i}", f"date is not DD/MM/YYYY: {value!r}"))
        else:
            title_lines.append(line)
    return meta, title_lines, None


def _commons_csv_check_header(
    name: str, lines: list[str], header_at: int, meta: dict[str, Any], problems: list[Problem]
) -> int | None:
    """Check the columns and the header block; the Commons Votes DivisionId, from the
    file's name (None, with a problem, when the name does not give it)."""
    header = next(csv.reader([lines[header_at - 1]]))
    if [h.strip() for h in header] != CSV_COLUMNS:
        problems.append(
            Problem(name, f"line {header_at}", f"columns are {header}, expected {CSV_COLUMNS}")
        )
    for key in ("Division Number", "Division Date", "Aye Count", "Noes Count"):
        if key not in meta:
            problems.append(Problem(name, "", f"header block has no '{key}:' line"))
    match = re.search(r"Division(\d+)", name)
    if match is None:
        problems.append(
            Problem(
                name,
                "",
                "cannot tell the Commons Votes DivisionId: keep the downloaded name "
                "Division<id>.csv",
            )
        )
        return None
    return int(match.group(1))


def _commons_csv_votes(
    name: str, lines: list[str], header_at: int, problems: list[Problem]
) -> list[ParsedVote]:
    """The members' rows below the header: a known vote, a member and constituency, no
    member twice (each bad row is a problem and skipped)."""
    votes: list[ParsedVote] = []
    seen: dict[tuple[str, str], int] = {}
    reader = csv.reader(io.StringIO("\n".join(lines[header_at:])))
    for offset, row in enumerate(reader, start=header_at + 1):
        if not row or all(not c.strip() for c in row):
            continue
        where = f"line {offset}"
        if len(row) != len(CSV_COLUMNS):
            problems.append(Problem(name, where, f"{len(row)} fields, expected 5"))
            continue
        member, party, constituency, vote, proxy = (c.strip() for c in row)
        if vote not in CSV_VOTES:
            problems.append(
                Problem(name, where, f"unknown vote {vote!r} (expected one of {sorted(CSV_VOTES)})")
            )
            continue
        if not member or not constituency:
            problems.append(Problem(name, where, "member or constituency is empty"))
            continue
        who = (member, constituency)
        if who in seen:
            problems.append(
                Problem(name, where, f"{member} ({constituency}) also on line {seen[who]}")
            )
            continue
        seen[who] = offset
        position, teller = CSV_VOTES[vote]
        votes.append(ParsedVote(where, member, constituency, None, party, position, teller, proxy))
    return votes


def parse_commons_json(name: str, text: str) -> tuple[list[ParsedDivision], list[Problem]]:
    """Parse Commons Votes API JSON: one division object or a list of them (I1, I2)."""
    try:
        data = limits.loads(text)
    except json.JSONDecodeError as exc:
        return [], [Problem(name, f"line {exc.lineno}", f"not valid JSON: {exc.msg}")]
    except ValueError as exc:  # nesting beyond the limit, a number beyond Python's digits
        return [], [Problem(name, "", f"not usable JSON: {exc}")]
    items = data if isinstance(data, list) else [data]
    if not items:
        return [], [Problem(name, "", "no divisions in the file (an empty list)")]
    divisions: list[ParsedDivision] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        prefix = f"[{index}]" if isinstance(data, list) else ""
        errs: list[Problem] = []
        division = _json_division(name, prefix, item, errs)
        if division is not None:
            _count_checks(division, errs)
        problems.extend(errs)
        if division is not None and not errs:
            divisions.append(division)
    return divisions, problems


def _json_division(
    name: str, prefix: str, item: Any, problems: list[Problem]
) -> ParsedDivision | None:
    if not isinstance(item, dict):
        problems.append(Problem(name, prefix or "top level", "expected a division object"))
        return None
    missing = [k for k in JSON_KEYS if k not in item]
    if missing:
        problems.append(Problem(name, prefix or "top level", f"missing keys: {', '.join(missing)}"))
        return None
    try:
        division_id = int(item["DivisionId"])
        date = dt.date.fromisoformat(str(item["Date"])[:10])
        aye_count = int(item["AyeCount"])
        no_count = int(item["NoCount"])
        number = int(item["Number"]) if item.get("Number") is not None else None
    except (TypeError, ValueError) as exc:
        problems.append(Problem(name, prefix or "top level", f"bad division field: {exc}"))
        return None
    deferred_flag = bool(item.get("IsDeferred"))
    aye_tellers = item.get("AyeTellers")
    no_tellers = item.get("NoTellers")
    if deferred_flag and (aye_tellers or no_tellers):
        problems.append(Problem(name, f"{prefix}IsDeferred", "a deferred division lists tellers"))
    by_id: dict[int, ParsedVote] = {}
    for key, entries, position, teller in (
        ("Ayes", item.get("Ayes"), Position.AYE, False),
        ("Noes", item.get("Noes"), Position.NO, False),
        ("AyeTellers", aye_tellers, Position.AYE, True),
        ("NoTellers", no_tellers, Position.NO, True),
        ("NoVoteRecorded", item.get("NoVoteRecorded"), Position.ABSENT, False),
    ):
        _json_add_votes(name, f"{prefix}{key}", entries, position, teller, by_id, problems)
    return ParsedDivision(
        file=name,
        fmt="commons-json",
        source=Source.COMMONS,
        division_id=division_id,
        number=number,
        date=date,
        title=str(item.get("Title") or f"Division {division_id}")[:500],
        aye_count=aye_count,
        no_count=no_count,
        is_deferred=deferred_flag or (not aye_tellers and not no_tellers),
        votes=list(by_id.values()),
    )


def _json_add_votes(
    name: str,
    at: str,
    entries: Any,
    position: Position,
    teller: bool,
    by_id: dict[int, ParsedVote],
    problems: list[Problem],
) -> None:
    """Add one list of members (``at``: where it is, as ``[0]Ayes``) to the division's
    votes by member id: a member in both lobbies voted both ways, a teller already listed
    with the same vote is marked a teller, anything else twice is a problem."""
    if entries is None:
        return
    if not isinstance(entries, list):
        problems.append(Problem(name, at, "expected a list of members"))
        return
    for i, entry in enumerate(entries):
        where = f"{at}[{i}]"
        if not isinstance(entry, dict) or entry.get("MemberId") is None:
            problems.append(Problem(name, where, "member entry without a MemberId"))
            continue
        try:
            member_id = int(entry["MemberId"])
        except (TypeError, ValueError):
            problems.append(Problem(name, where, f"MemberId {entry['MemberId']!r} is not a number"))
            continue
        vote = ParsedVote(
            where,
            str(entry.get("Name") or ""),
            str(entry.get("MemberFrom") or ""),
            member_id,
            str(entry.get("Party") or ""),
            position,
            teller,
            str(entry.get("ProxyName") or ""),
        )
        prior = by_id.get(member_id)
        if prior is None:
            by_id[member_id] = vote
        elif {prior.position, position} == {Position.AYE, Position.NO} and not (
            teller or prior.teller
        ):
            prior.position = Position.BOTH  # voted in both lobbies
        elif teller and prior.position == position:
            prior.teller = True
        else:
            problems.append(Problem(name, where, f"member {member_id} is also at {prior.where}"))


UIN = re.compile(r"^CD:(\d{4}-\d{2}-\d{2}):(\d+)$")


def parse_mnis_csv(name: str, text: str) -> tuple[list[ParsedDivision], list[Problem]]:
    """Parse the MNIS-keyed history: one row per MP per division (I1, I2).

    It publishes no totals, so the checks are structural: a known vote, a well-formed
    ``vote_uin`` agreeing with ``vote_date``, one title per division, no MP twice.
    Its party column is the party as at the file's date, not at each division.
    """
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    if not columns >= MNIS_COLUMNS:
        return [], [Problem(name, "line 1", f"missing columns: {sorted(MNIS_COLUMNS - columns)}")]
    found: dict[int, ParsedDivision] = {}
    seen: dict[tuple[int, int], int] = {}
    for line, row in enumerate(reader, start=2):
        where = f"line {line}"
        parsed = _mnis_row(name, where, row, problems)
        if parsed is None:
            continue
        division_id, date, member_id, position = parsed
        d = _mnis_division(name, where, found, division_id, date, row, problems)
        if d is None:
            continue
        if (division_id, member_id) in seen:
            problems.append(
                Problem(
                    name,
                    where,
                    f"member {member_id} voted twice in division {division_id} "
                    f"(also line {seen[division_id, member_id]})",
                )
            )
            continue
        seen[division_id, member_id] = line
        d.votes.append(
            ParsedVote(
                where,
                (row.get("member") or "").strip(),
                (row.get("member_constituency") or "").strip(),
                member_id,
                (row.get("member_party") or "").strip(),
                position,
            )
        )
    if not found and not problems:
        problems.append(Problem(name, "", "no divisions in the file"))
    return ([] if problems else sorted(found.values(), key=lambda d: d.date)), problems


def _mnis_row(
    name: str, where: str, row: dict[str, str], problems: list[Problem]
) -> tuple[int, dt.date, int, Position] | None:
    """One row's division id, date, member id and vote (None, with a problem, when the
    ``vote_uin`` is not CD:<date>:<id>, disagrees with ``vote_date``, or the vote or the
    member id is not one)."""
    match = UIN.match((row.get("vote_uin") or "").strip())
    if match is None:
        problems.append(
            Problem(name, where, f"vote_uin {row.get('vote_uin')!r} is not CD:<date>:<id>")
        )
        return None
    try:
        date = dt.date.fromisoformat(match.group(1))
    except ValueError:
        problems.append(Problem(name, where, f"bad date in vote_uin {row['vote_uin']!r}"))
        return None
    if (row.get("vote_date") or "").strip() not in ("", match.group(1)):
        problems.append(
            Problem(name, where, f"vote_date {row['vote_date']!r} disagrees with vote_uin")
        )
        return None
    vote = (row.get("vote") or "").strip().lower()
    if vote not in MNIS_VOTES:
        problems.append(Problem(name, where, f"unknown vote {row.get('vote')!r} (aye, no, NA)"))
        return None
    try:
        member_id = int((row.get("member_id") or "").strip())
    except ValueError:
        problems.append(Problem(name, where, f"member_id {row.get('member_id')!r} is not a number"))
        return None
    return int(match.group(2)), date, member_id, MNIS_VOTES[vote]


def _mnis_division(
    name: str,
    where: str,
    found: dict[int, ParsedDivision],
    division_id: int,
    date: dt.date,
    row: dict[str, str],
    problems: list[Problem],
) -> ParsedDivision | None:
    """The division a row belongs to, added to ``found`` on its first row (None, with a
    problem, when the row's title differs from the division's)."""
    title = (row.get("vote_title") or "").strip()
    d = found.get(division_id)
    if d is None:
        d = found[division_id] = ParsedDivision(
            file=name,
            fmt="mnis-csv",
            source=Source.MNIS,
            division_id=division_id,
            number=None,
            date=date,
            title=title[:500] or f"Division {division_id}",
            aye_count=None,
            no_count=None,
            is_deferred=False,
        )
    elif d.title != title[:500]:
        problems.append(
            Problem(
                name,
                where,
                f"title {title!r} differs from {d.title!r} for division {division_id}",
            )
        )
        return None
    return d


# --- Matching rows to MPs (I5) ---------------------------------------------------------
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lady", "lord", "rt", "hon"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(
        c if c == "?" or ord(c) < 128 else "\x00" for c in text if not unicodedata.combining(c)
    )
    return text.lower()


def _name_words(name: str) -> list[str]:
    words = re.findall(r"[a-z0-9?\x00]+", _fold(name))
    while words and words[0] in _TITLES:
        words = words[1:]
    return words


def _pattern(words: list[str]) -> re.Pattern[str]:
    # The CSV export prints non-ASCII letters as '?': match any one letter there.
    return re.compile(
        "^" + " ".join(re.escape(w).replace(r"\?", ".").replace("\x00", ".") for w in words) + "$"
    )


def _key(words: list[str]) -> str:
    return " ".join(w.replace("\x00", "?") for w in words)


class MPMatcher:
    """Finds the MP for a row: by MNIS id, or by constituency and name (CSV export)."""

    def __init__(self) -> None:
        self.by_mnis: dict[int, MP] = {}
        self.by_constituency: dict[str, list[MP]] = defaultdict(list)
        self._cache: dict[tuple[str, str], MP | None] = {}
        for mp in MP.objects.select_related("constituency"):
            self.add(mp)
        self.constituencies = {_key(_name_words(c.name)): c for c in Constituency.objects.all()}

    def add(self, mp: MP) -> None:
        self.by_mnis[mp.mnis_id] = mp
        if mp.constituency is not None:
            self.by_constituency[_key(_name_words(mp.constituency.name))].append(mp)

    def constituency(self, name: str) -> Constituency | None:
        return self.constituencies.get(_key(_name_words(name)))

    def match(self, name: str, constituency: str) -> MP | None:
        # The same members appear in every division of a run: match each pair once.
        key = (name, constituency)
        if key not in self._cache:
            self._cache[key] = self._match(name, constituency)
        return self._cache[key]

    def _match(self, name: str, constituency: str) -> MP | None:
        ckey = _key(_name_words(constituency))
        candidates = self.by_constituency.get(ckey)
        if candidates is None and "?" in ckey:
            pattern = _pattern(_name_words(constituency))
            candidates = [
                mp for k, mps in self.by_constituency.items() if pattern.match(k) for mp in mps
            ]
        if not candidates:
            return None
        pattern = _pattern(_name_words(name))
        named = [mp for mp in candidates if pattern.match(_key(_name_words(mp.name)))]
        if len(named) == 1:
            return named[0]
        # Names vary ("Mr Chris Leslie", "Chris Leslie", "Dr Rosena Allin-Khan"):
        # accept the constituency's only MP when the surname agrees.
        if len(candidates) == 1:
            surname = _name_words(name)[-1:]
            theirs = _name_words(candidates[0].name)[-1:]
            if surname and theirs and _pattern(surname).match(theirs[0]):
                return candidates[0]
        return None


# --- Writing (I3, I4) ------------------------------------------------------------------
def _digest(d: ParsedDivision, rows: list[tuple[int, int, bool, str, str]]) -> str:
    payload = {
        "meta": [d.number, d.date.isoformat(), d.title, d.aye_count, d.no_count, d.is_deferred],
        "votes": sorted(rows),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def import_paths(
    *, actor: User | None, paths: Sequence[str | Path], dry_run: bool = False
) -> ImportReport:
    """Import divisions from files or folders (I1-I7). Atomic: raises :class:`ImportFailed`
    with every problem and writes nothing if any file is bad. With ``dry_run``, checks and
    reports what would change, then rolls back. Returns the report; the caller (or the
    ``on_commit`` hook here) schedules the score recompute and alert digests."""
    divisions, problems = read_files(paths)
    if problems:
        raise ImportFailed(problems)
    return import_divisions(
        actor=actor, divisions=divisions, files=[str(p) for p in paths], dry_run=dry_run
    )


@transaction.atomic
def import_divisions(
    *,
    actor: User | None,
    divisions: Sequence[ParsedDivision],
    files: Sequence[str],
    dry_run: bool = False,
) -> ImportReport:
    """Write divisions already parsed and self-checked (I2) by a reader: the files
    (:func:`import_paths`) or the Commons Votes API (``live``). I3-I8 as for files; the
    report's ``linked_changed`` lists divisions already linked to a policy whose content
    changed (their policy officers are told, and scores recompute)."""
    report = ImportReport(files=sorted({d.file for d in divisions}), dry_run=dry_run)
    matcher = MPMatcher()
    now = timezone.now()
    touched_mps: set[int] = set()
    for d in sorted(divisions, key=lambda x: (x.date, x.division_id, x.source)):
        rows = _vote_rows(d, matcher, report)
        digest = _digest(d, rows)
        division = Division.objects.filter(division_id=d.division_id).first()
        existing = (
            DivisionSource.objects.filter(division=division, source=d.source).first()
            if division
            else None
        )
        if existing is not None and existing.digest == digest:
            report.unchanged.append(d.division_id)
            continue
        division = _write_division(d, division, now, report)
        _write_votes(d, division, rows, digest, now)
        report.votes_written += len(rows)
        touched_mps.update(r[0] for r in rows)
    # Before the party changes (I7), which must see parties, not offices.
    report.offices = resolve_offices(mp_ids=touched_mps)
    report.party_changes_created = sync_party_changes(mp_ids=touched_mps)
    report.linked_changed = sorted(
        set(
            PolicyDivision.objects.filter(division__division_id__in=report.updated).values_list(
                "division__division_id", flat=True
            )
        )
    )
    _record_run(actor, files, now, report)
    if dry_run:
        transaction.set_rollback(True)
    elif report.changed:
        _schedule_follow_ups(report)
    return report


def _vote_rows(
    d: ParsedDivision, matcher: MPMatcher, report: ImportReport
) -> list[tuple[int, int, bool, str, str]]:
    """(mp id, position, teller, proxy, party) of each vote whose MP is known (I5);
    unmatched rows are skipped and reported."""
    rows: list[tuple[int, int, bool, str, str]] = []
    for v in d.votes:
        mp = _resolve_mp(v, d, matcher, report)
        if mp is None:
            continue
        rows.append((mp.pk, int(v.position), v.teller, v.proxy[:200], v.party[:100]))
    return rows


def _write_division(
    d: ParsedDivision, division: Division | None, now: dt.datetime, report: ImportReport
) -> Division:
    """Create the division, or update it from a Commons record (the Commons record is
    primary; an MNIS history dated otherwise is a warning)."""
    if division is None:
        division = Division.objects.create(
            division_id=d.division_id,
            number=d.number,
            date=d.date,
            title=d.title,
            aye_count=d.aye_count,
            no_count=d.no_count,
            is_deferred=d.is_deferred,
            primary_source=d.source,
            imported_at=now,
        )
        report.created.append(d.division_id)
        return division
    if d.source == Source.COMMONS:
        if division.date != d.date:
            report.warnings.append(
                f"division {d.division_id}: date {d.date} replaces {division.date}"
            )
        division.number = d.number
        division.date = d.date
        division.title = d.title
        division.aye_count = d.aye_count
        division.no_count = d.no_count
        division.is_deferred = d.is_deferred
        division.primary_source = Source.COMMONS
        division.save()
    elif division.date != d.date:
        report.warnings.append(
            f"{d.file}: division {d.division_id} dated {d.date} in the MNIS history "
            f"but {division.date} in the Commons record"
        )
    report.updated.append(d.division_id)
    return division


def _write_votes(
    d: ParsedDivision,
    division: Division,
    rows: list[tuple[int, int, bool, str, str]],
    digest: str,
    now: dt.datetime,
) -> None:
    """Replace the source's votes in the division (rows and packed copy) and record the
    source with its digest (I3, I4)."""
    MPVote.objects.filter(division=division, source=d.source).delete()
    MPVote.objects.bulk_create(
        [
            MPVote(
                division=division,
                mp_id=mp_id,
                source=d.source,
                position=position,
                teller=teller,
                proxy_name=proxy,
                party=party,
            )
            for mp_id, position, teller, proxy, party in rows
        ],
        batch_size=2000,
    )
    pack_votes(division=division, source=d.source, rows=[(r[0], r[1], r[4]) for r in rows])
    DivisionSource.objects.update_or_create(
        division=division,
        source=d.source,
        defaults={
            "file_format": d.fmt,
            "file_name": d.file[:300],
            "digest": digest,
            "rows": len(rows),
            "imported_at": now,
        },
    )


def _record_run(
    actor: User | None, files: Sequence[str], now: dt.datetime, report: ImportReport
) -> None:
    """The :class:`ImportRun` and its audit entry (unmatched rows counted, not listed)."""
    run = ImportRun.objects.create(actor=actor, at=now, files=list(files), report=report.as_dict())
    audit.record(
        actor=actor,
        action="accountability.import",
        target=run,
        data={k: v for k, v in report.as_dict().items() if k != "unmatched"}
        | {"unmatched": len(report.unmatched)},
        label=report.summary(),
    )


def _schedule_follow_ups(report: ImportReport) -> None:
    """After commit: the score recompute and alert digests, and the notices for divisions
    linked to a policy that changed."""
    new_ids = list(report.created)
    transaction.on_commit(lambda: tasks.after_import(new_ids))
    if report.linked_changed:
        changed = list(report.linked_changed)
        transaction.on_commit(lambda: tasks.after_linked_division_change(changed))


def pack_votes(
    *, division: Division, source: str, rows: Sequence[tuple[int, int, str]]
) -> PackedVotes:
    """Write the packed copy of one source's votes in a division: (mp id, position,
    party as recorded) rows → arrays for the batch (see :class:`PackedVotes`)."""
    ids = np.array([r[0] for r in rows], dtype="<i4")
    positions = np.array([r[1] for r in rows], dtype="i1")
    ours = np.array([is_ours(r[2]) for r in rows], dtype="u1")
    packed, _ = PackedVotes.objects.update_or_create(
        division=division,
        source=source,
        defaults={
            "mp_ids": ids.tobytes(),
            "positions": positions.tobytes(),
            "ours": ours.tobytes(),
        },
    )
    return packed


def resolve_offices(*, mp_ids: Iterable[int]) -> list[str]:
    """I8: give office-holders their party where a record prints the office instead.

    The Commons Votes records print "Speaker" or "Deputy Speaker" in the party column of
    the MPs holding those offices. For each such vote of a source other than the MNIS
    history (which is keyed by member and prints parties), the party becomes the one the
    MNIS history gives the MP: at the same division, else at the nearest division before
    it, else the nearest after; failing any, the party of the MP record (loaded from the
    same MNIS data) — unless that is an office too (the Speaker, who has no party), when
    the office stays. ``office`` keeps what was printed. Examined: votes still printing an
    office unexamined, anywhere (so an import of the MNIS history also settles votes
    imported before it), and the resolved votes of the MPs in ``mp_ids`` (their history
    may have changed). The packed votes of every division changed are rewritten. Returns
    one line per MP whose votes changed, saying what was done.
    """
    touched = set(mp_ids)
    rows = list(
        MPVote.objects.exclude(source=Source.MNIS)
        .filter(Q(party__in=OFFICES, office="") | (Q(mp_id__in=touched) & ~Q(office="")))
        .order_by("mp_id", "division__date", "division_id")
        .values_list("pk", "mp_id", "division_id", "source", "division__date", "party", "office")
    )
    if not rows:
        return []
    holders = {r[1] for r in rows}
    mps = {
        pk: (name, party)
        for pk, name, party in MP.objects.filter(pk__in=holders).values_list("pk", "name", "party")
    }
    history = _mnis_party_history(holders)
    changed: list[MPVote] = []
    repack: set[tuple[int, str]] = set()
    outcome: dict[int, dict[tuple[str, str, str], int]] = defaultdict(lambda: defaultdict(int))
    for pk, mp_id, division_id, source, day, party, office in rows:
        printed = office or party
        resolved, where = _office_holder_party(
            history.get(mp_id, []), mps[mp_id][1], division_id, day
        )
        new_party = resolved or printed
        if (new_party, printed) == (party, office):
            continue
        changed.append(MPVote(pk=pk, party=new_party[:100], office=printed[:100]))
        repack.add((division_id, source))
        outcome[mp_id][(printed, resolved, where)] += 1
    if not changed:
        return []
    MPVote.objects.bulk_update(changed, ["party", "office"], batch_size=2000)
    _repack_votes(repack)
    return _office_lines(outcome, mps)


def _mnis_party_history(holders: set[int]) -> dict[int, list[tuple[dt.date, int, str]]]:
    """Each MP's parties in the MNIS history, (date, division id, party) in date order
    (offices and blanks left out)."""
    history: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
    for mp_id, division_id, date, party in (
        MPVote.objects.filter(mp_id__in=holders, source=Source.MNIS)
        .exclude(party__in=OFFICES)
        .exclude(party="")
        .order_by("division__date", "division_id")
        .values_list("mp_id", "division_id", "division__date", "party")
    ):
        history[mp_id].append((date, division_id, party))
    return history


def _office_holder_party(
    entries: list[tuple[dt.date, int, str]], recorded: str, division_id: int, day: dt.date
) -> tuple[str, str]:
    """(party, where it came from) for an office-holder's vote: the MNIS history at the
    division, else the nearest before, else the nearest after; else the MP record's
    party unless that is an office; else ("", "")."""
    for _, div, party in entries:
        if div == division_id:
            return party, "the MNIS history"
    before = [party for date, _, party in entries if date <= day]
    after = [party for date, _, party in entries if date > day]
    if before or after:
        return (before[-1] if before else after[0]), "the MNIS history"
    recorded = recorded.strip()
    if recorded and not is_office(recorded):
        return recorded, "the MP record"
    return "", ""


def _repack_votes(repack: set[tuple[int, str]]) -> None:
    """Rewrite the packed votes of each (division, source) whose rows changed."""
    divisions = Division.objects.in_bulk({d for d, _ in repack})
    votes: dict[tuple[int, str], list[tuple[int, int, str]]] = defaultdict(list)
    for division_id, source, mp_id, position, party in (
        MPVote.objects.filter(division_id__in=divisions)
        .order_by("division_id", "source", "pk")
        .values_list("division_id", "source", "mp_id", "position", "party")
    ):
        if (division_id, source) in repack:
            votes[(division_id, source)].append((mp_id, position, party))
    for division_id, source in sorted(repack):
        pack_votes(
            division=divisions[division_id], source=source, rows=votes[(division_id, source)]
        )


def _office_lines(
    outcome: dict[int, dict[tuple[str, str, str], int]], mps: dict[int, tuple[str, str]]
) -> list[str]:
    """One line per MP and office printed, saying what was done, by MP name."""
    lines = []
    for mp_id, results in sorted(outcome.items(), key=lambda kv: mps[kv[0]][0]):
        for (printed, resolved, where), n in sorted(results.items()):
            said = f"{mps[mp_id][0]}: printed {printed!r} in {n} vote(s)"
            lines.append(
                f"{said}; party {resolved} from {where}"
                if resolved
                else f"{said}; no party in the MNIS history or the MP record, left as {printed!r}"
            )
    return lines


def _resolve_mp(
    v: ParsedVote, d: ParsedDivision, matcher: MPMatcher, report: ImportReport
) -> MP | None:
    if v.mnis_id is not None:
        mp = matcher.by_mnis.get(v.mnis_id)
        if mp is None:
            # An MP not in the structure (e.g. one who has since left the House).
            mp = MP.objects.create(
                mnis_id=v.mnis_id,
                name=v.name[:200] or f"MP {v.mnis_id}",
                constituency=matcher.constituency(v.constituency),
                party=v.party[:100],
                in_office=False,
            )
            matcher.add(mp)
            report.mps_created += 1
        return mp
    mp = matcher.match(v.name, v.constituency)
    if mp is None:
        report.unmatched.append(
            f"{d.file}: {v.where}: no MP matches {v.name!r} ({v.constituency}); row skipped"
        )
    return mp


def sync_party_changes(*, mp_ids: Iterable[int]) -> int:
    """I7: record party changes for these MPs. From the party records (``MP.left_party_on``,
    kind "left_party") and from the Commons records (the party printed at consecutive
    divisions differs and no recorded change explains it). Returns how many were added."""
    ids = set(mp_ids) | set(
        MP.objects.filter(left_party_on__isnull=False).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    existing: dict[int, list[PartyChange]] = defaultdict(list)
    for change in PartyChange.objects.filter(mp_id__in=ids):
        existing[change.mp_id].append(change)
    created: list[PartyChange] = []
    ours = our_party_name()
    for mp in MP.objects.filter(pk__in=ids, left_party_on__isnull=False):
        assert mp.left_party_on is not None
        if not any(c.date == mp.left_party_on for c in existing[mp.pk]):
            change = PartyChange(
                mp=mp,
                date=mp.left_party_on,
                kind=PartyChange.Kind.LEFT_PARTY,
                from_party=ours,
                to_party=mp.party if not is_ours(mp.party) else "Independent",
                note=mp.left_party_note,
                origin=PartyChange.Origin.MEMBERSHIP,
            )
            created.append(change)
            existing[mp.pk].append(change)
    rows = (
        MPVote.objects.filter(mp_id__in=ids, source=Source.COMMONS)
        .order_by("mp_id", "division__date", "division__division_id")
        .values_list("mp_id", "division__date", "party")
    )
    prev: dict[int, tuple[dt.date, str]] = {}
    for mp_id, date, party in rows:
        before = prev.get(mp_id)
        prev[mp_id] = (date, party)
        if before is None or _same_party(before[1], party):
            continue
        if any(before[0] < c.date <= date for c in existing[mp_id]):
            continue  # explained by a recorded change
        if is_ours(before[1]):
            kind = PartyChange.Kind.LEFT_PARTY
        elif is_ours(party):
            kind = PartyChange.Kind.REGAINED_WHIP
        else:
            kind = PartyChange.Kind.CHANGED_PARTY
        change = PartyChange(
            mp_id=mp_id,
            date=date,
            kind=kind,
            from_party=before[1],
            to_party=party,
            note=f"party in the Commons records changed between {before[0]} and {date}",
            origin=PartyChange.Origin.RECORD,
        )
        created.append(change)
        existing[mp_id].append(change)
    PartyChange.objects.bulk_create(created)
    return len(created)


def _same_party(a: str, b: str) -> bool:
    return a == b or (is_ours(a) and is_ours(b))
