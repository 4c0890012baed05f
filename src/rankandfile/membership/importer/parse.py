"""One row of a membership export into a :class:`MemberRow`, or every reason it is bad.

The row's structure (constituency, CLP, branch) is resolved against dictionaries loaded
once (:class:`Structure`); its history is read from the ``history`` column or the simple
columns and judged by the one history rule, :func:`membership.periods.normalise_history`
(docs/rules/membership.md).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from rankandfile.membership import periods
from rankandfile.membership.importer.columns import (
    BRANCH_MAX,
    GENDERS,
    KIND_WORDS,
    MAX_LENGTHS,
    MEMBERSHIP_NUMBER,
    POSTCODE,
    SIMPLE_HISTORY_COLUMNS,
    STATUS_ENDED,
    STATUS_OPEN,
    STATUSES,
)
from rankandfile.membership.models import CLP, Branch, Constituency
from rankandfile.membership.periods import DEFAULT_END, END_REASONS, MEMBERSHIP

_EARLIEST = dt.date(1900, 1, 1)
_email_validator = EmailValidator()


class PeriodRow(NamedTuple):
    kind: str
    start: dt.date
    end: dt.date | None
    end_reason: str


class MemberRow(NamedTuple):
    line: int
    membership_number: str
    first_name: str
    last_name: str
    email: str
    address: str
    postcode: str
    clp_id: int
    branch_key: tuple[int, str] | None  # (clp_id, branch name as written) or None
    gender: str
    date_of_birth: dt.date | None
    periods: tuple[PeriodRow, ...]


class Structure:
    """Constituencies, CLPs and branches, loaded once into dictionaries."""

    def __init__(self) -> None:
        self.by_constituency: dict[str, tuple[int | None, str]] = {}
        for name, ons, clp_id in Constituency.objects.values_list("name", "ons_code", "clp__id"):
            self.by_constituency[key(name)] = (clp_id, name)
            self.by_constituency[ons.upper()] = (clp_id, name)
        self.clp_by_slug: dict[str, int] = {}
        self.clp_name: dict[int, str] = {}
        for clp_id, slug, name in CLP.objects.values_list("id", "slug", "name"):
            self.clp_by_slug[slug.lower()] = clp_id
            self.clp_name[clp_id] = name
        self.branches: dict[tuple[int, str], int] = {
            (clp_id, key(name)): bid
            for bid, clp_id, name in Branch.objects.values_list("id", "clp_id", "name")
        }


def key(name: str) -> str:
    return " ".join(name.split()).casefold()


_FAST_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z"
)


def _check_names(first_name: str, last_name: str, errors: list[str]) -> None:
    if not first_name:
        errors.append("first_name is empty")
    elif len(first_name) > MAX_LENGTHS["first_name"]:
        errors.append(f"first_name is longer than {MAX_LENGTHS['first_name']} characters")
    if not last_name:
        errors.append("last_name is empty")
    elif len(last_name) > MAX_LENGTHS["last_name"]:
        errors.append(f"last_name is longer than {MAX_LENGTHS['last_name']} characters")


def _check_contact(email: str, postcode: str, errors: list[str]) -> str:
    """Check the email address and the postcode; the postcode written the standard way."""
    if email:
        if len(email) > MAX_LENGTHS["email"]:
            errors.append("email is too long")
        elif not _is_email(email):
            errors.append(f"email {email!r} is not an email address")
    if postcode:
        compact = "".join(postcode.split()).upper()
        if POSTCODE.match(compact):
            return f"{compact[:-3]} {compact[-3:]}"
        errors.append(f"postcode {postcode!r} is not a UK postcode")
    return postcode


def _is_email(value: str) -> bool:
    """Django's email validation, with a fast path for the plain addresses most rows have."""
    if _FAST_EMAIL.match(value):
        return True
    try:
        _email_validator(value)
    except ValidationError:
        return False
    return True


class RowParser:
    """Reads rows one by one; remembers the numbers seen and each spelling of a place."""

    def __init__(
        self,
        *,
        structure: Structure,
        scope_clp_id: int | None,
        create_branches: bool,
        today: dt.date,
    ) -> None:
        self.structure = structure
        self.scope_clp_id = scope_clp_id
        self.create_branches = create_branches
        self.today = today
        self.seen: dict[str, int] = {}  # membership number -> line first seen
        # Branches named in the file that do not exist yet (with create_branches).
        self.branch_names: dict[tuple[int, str], str] = {}
        # Constituency/CLP/branch cells repeat endlessly: resolve each spelling once.
        self._where: dict[tuple[str, str], int | str] = {}
        self._branch: dict[tuple[int, str], tuple[int, str] | str] = {}

    def parse(self, line: int, v: list[str]) -> MemberRow | list[str]:
        """The row read from ``v`` (values in :data:`ROW_COLUMNS` order), or every reason
        it is bad, checked column group by column group."""
        (
            number,
            first_name,
            last_name,
            email,
            address,
            postcode,
            constituency,
            clp_slug,
            branch,
            gender_raw,
            dob_raw,
            joined,
            lapsed,
            status,
            status_since,
            history,
        ) = v
        errors: list[str] = []
        self._check_number(line, number, errors)
        _check_names(first_name, last_name, errors)
        postcode = _check_contact(email, postcode, errors)
        clp_id, branch_key = self._place(constituency, clp_slug, branch, errors)
        gender, dob = self._person(gender_raw, dob_raw, errors)
        periods = self._history(history, (joined, lapsed, status, status_since), errors)
        if errors:
            return errors
        assert clp_id is not None and gender is not None and periods is not None
        return MemberRow(
            line,
            number,
            first_name,
            last_name,
            email,
            address,
            postcode,
            clp_id,
            branch_key,
            gender,
            dob,
            periods,
        )

    def _check_number(self, line: int, number: str, errors: list[str]) -> None:
        """Present, well-formed, and not on an earlier line of the file."""
        if not number:
            errors.append("membership_number is empty")
        elif len(number) > MAX_LENGTHS["membership_number"] or not MEMBERSHIP_NUMBER.match(number):
            errors.append(
                f"membership_number {number!r} is not valid (up to 20 letters, digits, "
                "'-', '/', '.' or '_')"
            )
        elif (first_line := self.seen.get(number)) is not None:
            errors.append(f"membership_number {number} is also on line {first_line}")
        else:
            self.seen[number] = line

    def _place(
        self, constituency: str, clp_slug: str, branch: str, errors: list[str]
    ) -> tuple[int | None, tuple[int, str] | None]:
        """The CLP's id and the branch's key (each spelling resolved once per import)."""
        where = self._where.get((constituency, clp_slug))
        if where is None:
            where = self._where[(constituency, clp_slug)] = self._resolve_clp(
                constituency, clp_slug
            )
        if isinstance(where, str):
            errors.append(where)
            return None, None
        if not branch:
            return where, None
        found = self._branch.get((where, branch))
        if found is None:
            found = self._branch[(where, branch)] = self._resolve_branch(where, branch)
        if isinstance(found, str):
            errors.append(found)
            return where, None
        return where, found

    def _person(
        self, gender_raw: str, dob_raw: str, errors: list[str]
    ) -> tuple[str | None, dt.date | None]:
        """Gender (the documented words) and date of birth (not in the future)."""
        gender = GENDERS.get(gender_raw.lower())
        if gender is None:
            errors.append(
                f"gender {gender_raw!r} is not one of woman, man, non_binary, other or blank"
            )
        dob = None
        if dob_raw:
            dob = _date(dob_raw, "date_of_birth", errors)
            if dob is not None and dob > self.today:
                errors.append(f"date_of_birth {dob_raw} is in the future")
        return gender, dob

    def _history(
        self, history: str, simple: tuple[str, str, str, str], errors: list[str]
    ) -> tuple[PeriodRow, ...] | None:
        """The ``history`` column or the simple columns, kept by the history rule."""
        if history:
            if any(simple):
                used = ", ".join(c for c, s in zip(SIMPLE_HISTORY_COLUMNS, simple) if s)  # noqa: B905 - same length
                errors.append(f"give either history or {used}, not both")
                return None
            return _check_history(_parse_history(history, errors), self.today, errors)
        if simple[0]:
            return _check_history(self._simple_history(*simple, errors), self.today, errors)
        errors.append("no membership history: joined (or history) is empty")
        return None

    def _resolve_clp(self, constituency: str, clp_slug: str) -> int | str:
        """The CLP's id, or why the row cannot name it."""
        s = self.structure
        clp_id: int | None = None
        if constituency:
            found = s.by_constituency.get(key(constituency)) or s.by_constituency.get(
                constituency.upper()
            )
            if found is None:
                return f"constituency {constituency!r} is not a known constituency"
            clp_id, name = found
            if clp_id is None:
                return f"constituency {name} has no constituency party set up"
        if clp_slug:
            by_slug = s.clp_by_slug.get(clp_slug.lower())
            if by_slug is None:
                return f"clp {clp_slug!r} is not a known constituency party"
            if clp_id is not None and by_slug != clp_id:
                return f"clp {clp_slug!r} is not the party of constituency {constituency!r}"
            clp_id = by_slug
        if clp_id is None:
            return "constituency and clp are both empty"
        if self.scope_clp_id is not None and clp_id != self.scope_clp_id:
            return (
                f"{s.clp_name[clp_id]} is not {s.clp_name[self.scope_clp_id]}: this import "
                "may only contain its members"
            )
        return clp_id

    def _resolve_branch(self, clp_id: int, branch: str) -> tuple[int, str] | str:
        wanted = (clp_id, key(branch))
        if len(branch) > BRANCH_MAX:
            return f"branch is longer than {BRANCH_MAX} characters"
        if wanted in self.structure.branches:
            return wanted
        if self.create_branches:
            self.branch_names.setdefault(wanted, " ".join(branch.split()))
            return wanted
        return (
            f"branch {branch!r} does not exist in {self.structure.clp_name[clp_id]} "
            "(create it first, or import with the create-branches option)"
        )

    def _simple_history(
        self, joined_raw: str, lapsed_raw: str, status_raw: str, since_raw: str, errors: list[str]
    ) -> list[PeriodRow] | None:
        n = len(errors)
        joined = _date(joined_raw, "joined", errors)
        lapsed = _date(lapsed_raw, "lapsed", errors) if lapsed_raw else None
        since = _date(since_raw, "status_since", errors) if since_raw else None
        status = " ".join(status_raw.lower().split())
        if status and status not in STATUSES:
            errors.append(f"status {status_raw!r} is not one of {', '.join(STATUSES)}")
        if len(errors) > n or joined is None:
            return None
        if status in STATUS_OPEN:
            if lapsed is not None:
                errors.append(f"status {status} contradicts a lapsed date")
                return None
            if since is None:
                errors.append(f"status {status} needs status_since (the date it began)")
                return None
            return [
                PeriodRow(MEMBERSHIP, joined, None, ""),
                PeriodRow(STATUS_OPEN[status], since, None, ""),
            ]
        if since is not None:
            errors.append("status_since is only for status suspended or arrears")
            return None
        if status in STATUS_ENDED:
            if lapsed is None:
                errors.append(
                    f"status {status} needs the date membership ended in the lapsed column"
                )
                return None
            return [PeriodRow(MEMBERSHIP, joined, lapsed, STATUS_ENDED[status])]
        if lapsed is not None and status and lapsed <= self.today:
            errors.append(f"status {status} contradicts lapsed {lapsed_raw} (in the past)")
            return None
        return [PeriodRow(MEMBERSHIP, joined, lapsed, "lapsed" if lapsed else "")]


# --- Dates and histories ------------------------------------------------------------------------
def _date(value: str, column: str, errors: list[str]) -> dt.date | None:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY`` (UK order; never US month-first)."""
    try:
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            day = dt.date.fromisoformat(value)
        else:
            d, m, y = value.split("/")
            if len(y) != 4 or not (1 <= len(d) <= 2 and 1 <= len(m) <= 2):
                raise ValueError(value)
            day = dt.date(int(y), int(m), int(d))
    except ValueError:
        errors.append(f"{column} {value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
        return None
    if day < _EARLIEST:
        errors.append(f"{column} {value} is before 1900")
        return None
    return day


def _parse_history(text: str, errors: list[str]) -> list[PeriodRow] | None:
    """``[kind] START..[END] [reason]`` entries separated by ``;`` (docs/membership-import.md)."""
    if len(text) in (12, 22) and text[10:12] == "..":  # the common "START.." / "START..END"
        try:
            first = dt.date.fromisoformat(text[:10])
            last = dt.date.fromisoformat(text[12:]) if len(text) == 22 else None
        except ValueError:
            pass  # the general path below says what is wrong
        else:
            if first >= _EARLIEST and (last is None or last >= _EARLIEST):
                return [PeriodRow(MEMBERSHIP, first, last, "lapsed" if last else "")]
    out: list[PeriodRow] = []
    n = len(errors)
    for entry in text.split(";"):
        words = entry.split()
        if not words:
            continue
        shown = " ".join(words)
        kind = MEMBERSHIP
        if words[0].lower() in KIND_WORDS:
            kind = KIND_WORDS[words.pop(0).lower()]
        if not words or ".." not in words[0] or len(words) > 2:
            errors.append(
                f"history entry {shown!r} is not '[suspended|arrears] START..[END] [reason]'"
            )
            continue
        start_raw, end_raw = words[0].split("..", 1)
        start = _date(start_raw, "history start", errors)
        end = _date(end_raw, "history end", errors) if end_raw else None
        reason = words[1].lower() if len(words) == 2 else ""
        if reason and reason not in END_REASONS[kind]:
            errors.append(
                f"history entry {shown!r}: {reason!r} is not a way a {kind} "
                f"ends ({', '.join(sorted(END_REASONS[kind]))})"
            )
            continue
        if reason and not end_raw:
            errors.append(f"history entry {shown!r} gives a reason but no end date")
            continue
        if start is None or (end_raw and end is None):
            continue
        out.append(PeriodRow(kind, start, end, reason or (DEFAULT_END[kind] if end else "")))
    if len(errors) > n:
        return None
    if not out:
        errors.append("history is empty")
        return None
    return out


def _check_history(
    spans: list[PeriodRow] | None, today: dt.date, errors: list[str]
) -> tuple[PeriodRow, ...] | None:
    """The history kept by the one history rule (``membership.periods``), or ``None`` with
    every problem added to ``errors``."""
    if spans is None:
        return None
    try:
        kept = periods.normalise_history((periods.Entry(*p) for p in spans), today=today)
    except periods.HistoryError as exc:
        errors.extend(exc.problems)
        return None
    return tuple(PeriodRow(e.kind, e.start, e.end, e.end_reason) for e in kept)
