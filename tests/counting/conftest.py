"""Shared fixtures for counting tests: the reference data beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DROOP = SHARED_DATA / "elections" / "droop-reference"
SCOTLAND_2022 = SHARED_DATA / "elections" / "scotland-2022"


@pytest.fixture(scope="session")
def droop_dir() -> Path:
    # Reference data is part of the test contract: missing data must fail, never skip.
    assert DROOP.is_dir(), f"reference data missing at {DROOP} (shared/ must sit beside the repo)"
    return DROOP


@pytest.fixture(scope="session")
def scotland_2022_dir() -> Path:
    assert SCOTLAND_2022.is_dir(), f"reference data missing at {SCOTLAND_2022}"
    return SCOTLAND_2022
