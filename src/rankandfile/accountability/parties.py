"""Which party names are "ours" (the party running this software), and an MP's party at a
date from their recorded changes — no database access here.

``settings.ACCOUNTABILITY_PARTY`` (default "Labour") is the party's name as the Commons
records print it; ``settings.ACCOUNTABILITY_PARTY_ALIASES`` adds other printed forms
(default "Labour (Co-op)": Labour and Co-operative MPs take the Labour whip).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings


def our_party_name() -> str:
    return str(getattr(settings, "ACCOUNTABILITY_PARTY", "Labour"))


def our_party_names() -> frozenset[str]:
    aliases = getattr(settings, "ACCOUNTABILITY_PARTY_ALIASES", ("Labour (Co-op)",))
    return frozenset({our_party_name(), *aliases})


def is_ours(party: str) -> bool:
    return party.strip() in our_party_names()


# Offices the Commons Votes records print in the party column for the MPs who hold them
# (rule I8): the Speaker and the three Deputy Speakers (the Chairman of Ways and Means and
# the two Deputy Chairmen are all printed "Deputy Speaker").
OFFICES = frozenset({"Speaker", "Deputy Speaker"})


def is_office(party: str) -> bool:
    """True when a record's party column names a Commons office, not a party (I8)."""
    return party.strip() in OFFICES


def canonical(party: str) -> str:
    """One name per party for comparisons (aliases fold into our party's name)."""
    return our_party_name() if is_ours(party) else party.strip()


class Change(Protocol):
    date: dt.date
    from_party: str
    to_party: str


def party_on(recorded: str, day: dt.date, changes: Sequence[Change]) -> str:
    """The MP's party on ``day`` (rule A7). Recorded changes take precedence over the
    party a record prints (the MNIS history prints April 2019's party for January's
    votes; a record may lag a lost whip): the ``to_party`` of the latest change on or
    before the day, else the ``from_party`` of the first change; with no changes, the
    record's party. ``changes`` sorted by date."""
    if not changes:
        return recorded
    party = changes[0].from_party
    for change in changes:
        if change.date <= day:
            party = change.to_party
        else:
            break
    return party
