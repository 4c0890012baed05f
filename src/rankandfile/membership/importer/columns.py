"""The columns of a membership export and the words allowed in them
(docs/membership-import.md, "Columns")."""

from __future__ import annotations

import collections
import re

from rankandfile.membership.importer.report import ImportFileError
from rankandfile.membership.models import Branch, Gender
from rankandfile.membership.periods import ARREARS, MEMBERSHIP, SUSPENSION

REQUIRED_COLUMNS = ("membership_number", "first_name", "last_name")
WHERE_COLUMNS = ("constituency", "clp")  # at least one
HISTORY_COLUMNS = ("history", "joined")  # at least one
SIMPLE_HISTORY_COLUMNS = ("joined", "lapsed", "status", "status_since")
OPTIONAL_COLUMNS = ("email", "address", "postcode", "branch", "gender", "date_of_birth")
KNOWN_COLUMNS = frozenset(
    REQUIRED_COLUMNS + WHERE_COLUMNS + HISTORY_COLUMNS + SIMPLE_HISTORY_COLUMNS + OPTIONAL_COLUMNS
)
# Member fields an import may set; a column missing from the file leaves its field alone.
OPTIONAL_FIELDS = ("email", "address", "postcode", "gender", "date_of_birth")

MAX_LENGTHS = {"membership_number": 20, "first_name": 100, "last_name": 100, "email": 254}
BRANCH_MAX = Branch._meta.get_field("name").max_length or 120
MEMBERSHIP_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]*\Z")
# The UK postcode format (BS 7666), on the postcode with its spaces removed.
POSTCODE = re.compile(
    r"(GIR0AA|[A-PR-UWYZ]([0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)[0-9][ABD-HJLNP-UW-Z]{2})\Z"
)

GENDERS: dict[str, str] = {
    "woman": Gender.WOMAN,
    "female": Gender.WOMAN,
    "f": Gender.WOMAN,
    "w": Gender.WOMAN,
    "man": Gender.MAN,
    "male": Gender.MAN,
    "m": Gender.MAN,
    "non_binary": Gender.NON_BINARY,
    "non-binary": Gender.NON_BINARY,
    "nonbinary": Gender.NON_BINARY,
    "other": Gender.SELF_DESCRIBED,
    "self-described": Gender.SELF_DESCRIBED,
    "self_described": Gender.SELF_DESCRIBED,
    "": Gender.UNDISCLOSED,
    "prefer not to say": Gender.UNDISCLOSED,
    "not given": Gender.UNDISCLOSED,
}

KIND_WORDS = {
    "membership": MEMBERSHIP,
    "member": MEMBERSHIP,
    "suspension": SUSPENSION,
    "suspended": SUSPENSION,
    "arrears": ARREARS,
}

# status column (simple form) -> how the membership ends, or the open period it adds.
STATUS_CURRENT = frozenset({"member", "current", "active"})
STATUS_ENDED = {
    "lapsed": "lapsed",
    "resigned": "resigned",
    "expelled": "expelled",
    "died": "died",
    "deceased": "died",
}
STATUS_OPEN = {"suspended": SUSPENSION, "arrears": ARREARS, "in arrears": ARREARS}
STATUSES = tuple(sorted(STATUS_CURRENT | set(STATUS_ENDED) | set(STATUS_OPEN)))


# The order in which a row's values are read; a column missing from the file reads "".
ROW_COLUMNS = (
    "membership_number",
    "first_name",
    "last_name",
    "email",
    "address",
    "postcode",
    "constituency",
    "clp",
    "branch",
    "gender",
    "date_of_birth",
    "joined",
    "lapsed",
    "status",
    "status_since",
    "history",
)


def normalise_header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def check_header(columns: list[str], header: list[str]) -> list[str]:
    """Refuse a header without the required columns or with a column twice; return the
    warnings for columns that are not documented (they are ignored)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if not any(c in columns for c in WHERE_COLUMNS):
        missing.append("constituency or clp")
    if not any(c in columns for c in HISTORY_COLUMNS):
        missing.append("history or joined")
    if missing:
        found = ", ".join(h.strip() for h in header if h.strip()) or "nothing"
        raise ImportFileError(
            f"the header is missing required columns: {', '.join(missing)} "
            f"(found: {found}). See the documented columns."
        )
    counted = collections.Counter(columns)
    duplicates = sorted(c for c, k in counted.items() if c and k > 1)
    if duplicates:
        raise ImportFileError(f"the header repeats columns: {', '.join(duplicates)}")
    ignored = [h.strip() for h, c in zip(header, columns, strict=True) if c not in KNOWN_COLUMNS]
    if any(ignored):
        return [
            "ignored columns not in the documented set: " + ", ".join(repr(h) for h in ignored if h)
        ]
    return []
