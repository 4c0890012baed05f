"""Fixtures for counting tests: the reference elections in the repository (data/)."""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE_DATA = Path(__file__).resolve().parents[2] / "data"
DROOP = REFERENCE_DATA / "elections" / "droop-reference"
SCOTLAND_2022 = REFERENCE_DATA / "elections" / "scotland-2022"


@pytest.fixture(scope="session")
def droop_dir() -> Path:
    # Reference data is part of the test contract: missing data must fail, never skip.
    assert DROOP.is_dir(), f"reference data missing at {DROOP} (data/README.md)"
    return DROOP


@pytest.fixture(scope="session")
def scotland_2022_dir() -> Path:
    assert SCOTLAND_2022.is_dir(), f"reference data missing at {SCOTLAND_2022}"
    return SCOTLAND_2022
