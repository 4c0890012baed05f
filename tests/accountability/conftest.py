"""Fixtures: the real 2019 Commons data (structure + imports) and small hand-made divisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

# Browser fixtures for tests/accountability/test_browser_*.py.
from tests.browser.conftest import browser, new_page, page  # noqa: F401 - fixtures

FIXTURES = Path(__file__).parent / "fixtures"


def commons_dir() -> Path:
    path = Path(settings.REFERENCE_DATA_DIR) / "commons"
    assert path.exists(), f"Commons reference data missing at {path}"
    return path


@pytest.fixture
def commons(db: None) -> Path:
    """The 650 constituencies, CLPs and April 2019 MPs (the seven who left flagged)."""
    from rankandfile.membership import structure

    structure.structure_load(actor=None)
    return commons_dir()


@pytest.fixture
def imported(commons: Path, django_capture_on_commit_callbacks: Any) -> Path:
    """The 13 CSV divisions and the 23-division MNIS history, imported (tasks run)."""
    from rankandfile.accountability import importer

    with django_capture_on_commit_callbacks(execute=True):
        importer.import_paths(
            actor=None,
            paths=[commons / "commons-votes-csv-2019", commons / "brexit-parliament-2019"],
        )
    return commons


def member_entry(mp: Any, party: str | None = None, proxy: str | None = None) -> dict[str, Any]:
    return {
        "MemberId": mp.mnis_id,
        "Name": mp.name,
        "Party": party or mp.party,
        "SubParty": None,
        "PartyAbbreviation": "",
        "MemberFrom": mp.constituency.name if mp.constituency else "",
        "ProxyName": proxy,
    }


def division_json(
    division_id: int,
    *,
    date: str = "2026-11-20",
    ayes: list[dict[str, Any]] | None = None,
    noes: list[dict[str, Any]] | None = None,
    absent: list[dict[str, Any]] | None = None,
    aye_tellers: list[dict[str, Any]] | None = None,
    no_tellers: list[dict[str, Any]] | None = None,
    deferred: bool = True,
    title: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    ayes, noes = ayes or [], noes or []
    data = {
        "DivisionId": division_id,
        "Date": f"{date}T00:00:00",
        "Number": division_id % 1000,
        "IsDeferred": deferred,
        "Title": title or f"Test division {division_id}",
        "AyeCount": len(ayes),
        "NoCount": len(noes),
        "AyeTellers": aye_tellers if not deferred else None,
        "NoTellers": no_tellers if not deferred else None,
        "Ayes": ayes,
        "Noes": noes,
        "NoVoteRecorded": absent or [],
    }
    data.update(overrides)
    return data


def write_json(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
