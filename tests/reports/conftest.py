"""A small election whose count exercises every row of the sheet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.counting.conftest import SCOTLAND_2022

# 100 ballots, 3 seats, quota 26. Stage 1: Anne (40) and Bob (28) elected. Stage 2: Anne's
# surplus of 14 is non-transferable (her voters' next choice, Bob, is elected). Stage 3:
# Bob's surplus of 2 goes to Dev at 0.07142 a ballot (0.00024 lost: residual). Stage 4:
# Cath and Eve tie on 9 at every stage, so one is excluded by lot. Stage 5: the other is
# excluded and Dev takes the last seat (rule 52).
SMALL_BLT = """5 3
[gender woman man woman man woman]
40 1 2 0
28 2 4 0
14 4 2 3 0
6 3 1 0
6 5 4 0
3 3 0
3 5 0
0
"Anne Smith"
"Bob Jones"
"Cath Lee"
"Dev Patel"
"Eve Ng"
"Small test"
"""


@pytest.fixture
def small_blt(tmp_path: Path) -> Path:
    path = tmp_path / "small.blt"
    path.write_text(SMALL_BLT, encoding="utf-8")
    return path


@pytest.fixture
def ward_blt() -> Path:
    """A real 2022 ward (8 candidates, 4 seats, names with quoted party descriptions)."""
    path = SCOTLAND_2022 / "aberdeen_2022_ward1.blt"
    assert path.is_file(), f"reference data missing at {path}"
    return path
