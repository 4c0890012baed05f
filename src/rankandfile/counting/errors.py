"""Errors raised by the counting library.

Every error names the problem in words a returning officer can act on. All derive from
:class:`CountingError` (itself a :class:`ValueError`) so callers can catch one type.
"""

from __future__ import annotations


class CountingError(ValueError):
    """Base class for every error the counting library raises."""


class EmptyBallotSetError(CountingError):
    """There are no ballots (or only ballots of weight zero) to count."""


class UnknownCandidateError(CountingError):
    """A ballot refers to a candidate who is not standing."""


class DuplicateRankingError(CountingError):
    """A ballot ranks the same candidate more than once."""


class InvalidBallotError(CountingError):
    """A ballot is malformed in some other way (gap in preferences, negative weight...)."""


class TooManySeatsError(CountingError):
    """More seats than candidates, or fewer than one seat."""


class QuotaError(CountingError):
    """A group quota cannot be met or is badly specified."""


class MalformedFileError(CountingError):
    """A ballot file (BLT, CSV) cannot be read; ``line`` is 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None, source: str | None = None):
        self.line = line
        self.source = source
        where = ""
        if source is not None:
            where = f"{source}"
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)
