"""Past nomination rounds shipped for "what the rules would have done" (issue 18.4).

The figures are *modelled* on real contests — the 2015 and 2020 leadership nominations as
reported at the time — rounded and simplified, with illustrative affiliates and sizes;
they are not the official record and every page that shows them says so. Loaded by
``rankandfile elections_load_past`` and by the demo.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

MODELLED_2015 = (
    "Figures modelled on the 2015 leadership nominations as reported at the time: MPs' "
    "nominations rounded, MEPs left out of both the nominations and the base, CLP "
    "supporting nominations approximate, affiliates and their sizes illustrative. Not the "
    "official record."
)
MODELLED_2020 = (
    "Figures modelled on the 2020 leadership nominations as reported at the time: MPs' and "
    "MEPs' nominations and CLP nominations approximate, affiliates and their affiliated "
    "membership illustrative. Not the official record."
)


def _aff(name: str, union: bool, members: int) -> dict[str, object]:
    return {"name": name, "is_union": union, "members": members}


ROUNDS: tuple[dict[str, Any], ...] = (
    {
        "title": "Leadership election 2015 (modelled)",
        "office": "leader",
        "kind": "vacancy",
        "held_on": dt.date(2015, 6, 15),
        "field_mps": 232,
        "field_meps": 0,
        "field_clps": 650,
        "field_affiliated_membership": 2_800_000,
        "source": MODELLED_2015,
        "candidates": [
            {"name": "Andy Burnham", "mps": 68, "clps": 111,
             "affiliates": [_aff("GMB", True, 400_000), _aff("UCATT", True, 60_000),
                            _aff("Community", True, 25_000)]},
            {"name": "Yvette Cooper", "mps": 59, "clps": 106,
             "affiliates": [_aff("Labour Women's Network", False, 2_000)]},
            {"name": "Liz Kendall", "mps": 41, "clps": 18, "affiliates": []},
            {"name": "Jeremy Corbyn", "mps": 36, "clps": 152,
             "affiliates": [_aff("Unite", True, 1_000_000), _aff("UNISON", True, 600_000),
                            _aff("CWU", True, 180_000), _aff("ASLEF", True, 18_000)]},
            {"name": "Mary Creagh", "mps": 11, "clps": 0, "affiliates": []},
        ],
    },
    {
        "title": "Leadership election 2020 (modelled)",
        "office": "leader",
        "kind": "vacancy",
        "held_on": dt.date(2020, 1, 13),
        "field_mps": 202,
        "field_meps": 10,
        "field_clps": 645,
        "field_affiliated_membership": 2_700_000,
        "source": MODELLED_2020,
        "candidates": [
            {"name": "Keir Starmer", "mps": 88, "clps": 374,
             "affiliates": [_aff("UNISON", True, 600_000), _aff("Usdaw", True, 350_000),
                            _aff("SERA", False, 1_000)]},
            {"name": "Rebecca Long-Bailey", "mps": 33, "clps": 164,
             "affiliates": [_aff("Unite", True, 1_000_000), _aff("CWU", True, 180_000),
                            _aff("FBU", True, 28_000), _aff("BFAWU", True, 18_000)]},
            {"name": "Lisa Nandy", "mps": 31, "clps": 72,
             "affiliates": [_aff("GMB", True, 400_000), _aff("NUM", True, 1_000),
                            _aff("Chinese for Labour", False, 500)]},
            {"name": "Emily Thornberry", "mps": 31, "clps": 31, "affiliates": []},
            {"name": "Jess Phillips", "mps": 23, "clps": 0, "affiliates": []},
        ],
    },
)  # fmt: skip
