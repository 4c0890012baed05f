"""Electors who are not members: the elections app's supporters, as ballots sees them.

``ballots`` must not import ``elections`` (it is the layer below), yet a supporter on a
ballot's electorate (``Elector.supporter_id``, decision 0025) needs an address for their
invitation and, to vote signed in or with an API token, to be found from their login.
The elections app registers a :class:`Directory` when it starts
(``elections.apps``); without one, no elector is a supporter and nothing here finds any.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Contact:
    """What an invitation needs of a supporter (``first_name`` as a member's)."""

    first_name: str
    email: str


class Directory(Protocol):
    def contacts(self, ids: Iterable[int]) -> dict[int, Contact]:
        """The contact of each supporter id (erased or unknown ids are left out)."""
        ...

    def ids_for_user(self, user_id: int) -> list[int]:
        """The supporter ids whose voting login is ``user_id``."""
        ...


_directory: Directory | None = None


def register(directory: Directory | None) -> None:
    global _directory  # one directory per process, set at start-up
    _directory = directory


def contacts(ids: Iterable[int]) -> dict[int, Contact]:
    wanted = [i for i in ids if i is not None]
    if _directory is None or not wanted:
        return {}
    return _directory.contacts(wanted)


def ids_for_user(user_id: int | None) -> list[int]:
    if _directory is None or not user_id:
        return []
    return _directory.ids_for_user(int(user_id))
