"""The repository stands alone: nothing reads a path beside it (a clone has nothing there).

Two checks. A search of every tracked text file for a path that climbs out of the
repository; and the real data loaders (the MPs, the Commons divisions, the reference
elections) run under a Python audit hook that records every file opened, asserting that
none lies beside the repository.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[1]
OUTSIDE = REPO.parent

# A path that climbs out of the repository to a sibling folder (dot-dot, a parent join).
CLIMBS = re.compile(
    r"\.\./shared|/ ?\"shared\"|'shared' ?/|parents\[\d\]\.parent|PROJECT_DIR\.parent"
)


def _tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [REPO / name for name in out.split("\0") if name]


def test_no_tracked_file_names_a_path_beside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        if path.suffix not in {".py", ".md", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".txt"} and (
            path.name not in {"Makefile", "run", "Dockerfile", "Caddyfile"}
        ):
            continue
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if CLIMBS.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []


def test_reference_data_lives_inside_the_repository() -> None:
    data = Path(settings.REFERENCE_DATA_DIR).resolve()
    assert data.is_relative_to(REPO)
    assert (data / "commons" / "constituencies-2019.csv").is_file()
    assert (REPO / "data" / "elections" / "droop-reference" / "blt").is_dir()


class _OpenedFiles:
    """Every path opened while active (audit events ``open``); the hook stays installed
    for the process, so it is switched off rather than removed."""

    def __init__(self) -> None:
        self.active = False
        self.paths: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[object, ...]) -> None:
        if self.active and event == "open" and args and isinstance(args[0], str | bytes):
            name = args[0].decode() if isinstance(args[0], bytes) else args[0]
            self.paths.append(name)

    def beside_repository(self) -> list[str]:
        found = []
        for name in self.paths:
            resolved = Path(name).resolve()
            if resolved.is_relative_to(OUTSIDE) and not resolved.is_relative_to(REPO):
                found.append(name)
        return found


_OPENED: _OpenedFiles | None = None


@pytest.fixture
def opened() -> Iterator[_OpenedFiles]:
    global _OPENED
    if _OPENED is None:
        _OPENED = _OpenedFiles()
    _OPENED.paths = []
    _OPENED.active = True
    try:
        yield _OPENED
    finally:
        _OPENED.active = False


@pytest.mark.django_db
def test_data_loaders_open_nothing_beside_the_repository(opened: _OpenedFiles) -> None:
    from rankandfile.accountability import importer
    from rankandfile.counting import parse_blt
    from rankandfile.membership import structure

    result = structure.structure_load(actor=None)
    assert not result.mps_skipped and result.warnings == []

    commons = Path(settings.REFERENCE_DATA_DIR) / "commons"
    report = importer.import_paths(
        actor=None,
        paths=[commons / "commons-votes-csv-2019", commons / "brexit-parliament-2019"],
    )
    assert len(report.created) == 23  # the 13 CSV exports are among the 23 MNIS divisions

    blt = REPO / "data" / "elections" / "droop-reference" / "blt" / "42.blt"
    assert parse_blt(blt).seats == 2

    assert any("constituencies-2019.csv" in p for p in opened.paths), "the hook saw nothing"
    assert opened.beside_repository() == []
