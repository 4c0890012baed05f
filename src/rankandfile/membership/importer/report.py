"""What an import did: the rejected rows, the counts, the one-sentence summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from rankandfile.core.errors import DomainError


class ImportFileError(DomainError):
    """The file cannot be imported at all (nothing was imported); the message says why."""


@dataclass(frozen=True)
class RowError:
    """A rejected row: its first line in the file and every reason it was rejected."""

    line: int
    membership_number: str
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or a rejected file, would have done).

    ``created``/``updated``/``unchanged`` count the valid rows; when the import was not
    committed (dry run, or rejected because of bad rows) they say what it would have done.
    """

    filename: str
    sha256: str
    dry_run: bool
    skip_invalid: bool
    scope: str = ""  # the CLP's name for a scoped import
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    branches_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed: bool = False

    @property
    def rejected(self) -> int:
        return len(self.errors)

    @property
    def outcome(self) -> str:
        """``imported``, ``dry_run``, or ``rejected`` (bad rows and no ``skip_invalid``)."""
        if self.committed:
            return "imported"
        if self.dry_run:
            return "dry_run"
        return "rejected"

    @property
    def would_reject_file(self) -> bool:
        """Bad rows and no ``skip_invalid``: the file is (or, dry, would be) refused whole."""
        return bool(self.errors) and not self.skip_invalid

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "branches_created": self.branches_created,
        }

    def summary(self) -> str:
        """One sentence for the command line and the page."""
        c = (
            f"{self.rows:,} rows: {self.created:,} created, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.rejected:,} rejected"
        )
        if self.branches_created:
            n = self.branches_created
            c += f", {n:,} branch{'es' if n != 1 else ''} created"
        if self.outcome == "imported":
            return f"Imported. {c}."
        if self.outcome == "rejected":
            return (
                f"Rejected: nothing was imported because {self.rejected:,} "
                f"row{'s' if self.rejected != 1 else ''} could not be imported. Fix them, "
                f"or import only the good rows with the skip-invalid option. "
                f"The file would have given {c}."
            )
        if self.would_reject_file:
            return (
                f"Dry run: nothing was written. {self.rejected:,} "
                f"row{'s' if self.rejected != 1 else ''} could not be imported, so as it "
                f"stands the whole file would be rejected. The good rows would give {c}."
            )
        return f"Dry run: nothing was written. The file would give {c}."


Progress = Callable[[int], None]
"""Called with the number of rows read after every batch."""


def iter_errors_csv(report: ImportReport) -> Iterator[list[str]]:
    """The rejected rows as CSV rows (line, membership_number, reason)."""
    yield ["line", "membership_number", "reason"]
    for e in report.errors:
        yield [str(e.line), e.membership_number, e.message]
