"""docs/domain.md carries every section the code and docs cite.

Citations take the form ``domain.md, "Heading"`` or ``domain.md ("Heading")``; a heading
written ``"Part: Sub-part"`` names a section and a heading inside it. Each must be a
heading of docs/domain.md, so a reader following a docstring lands on the right text.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOMAIN = REPO / "docs" / "domain.md"

# domain.md, then optional punctuation and an opening parenthesis, then a quoted title.
CITATION = re.compile(r"domain\.md`?[\s,]*\(?\s*\"([^\"]{1,100})\"")


def _headings() -> set[str]:
    return {
        line.lstrip("#").strip().lower()
        for line in DOMAIN.read_text().splitlines()
        if line.startswith("#")
    }


def _citations() -> list[tuple[str, str]]:
    names = subprocess.run(
        ["git", "ls-files", "-z", "src", "tests", "docs", "bench", "README.md"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    found = []
    for name in filter(None, names.split("\0")):
        path = REPO / name
        if path.suffix not in {".py", ".md", ".html", ".txt"} or path == Path(__file__):
            continue
        # Docstrings wrap titles over lines (and a "#" comment may continue one).
        text = re.sub(r"\s*\n\s*#?\s*", " ", path.read_text(errors="replace"))
        found += [(name, title) for title in CITATION.findall(text)]
    return found


def test_the_domain_document_exists_inside_the_repository() -> None:
    assert DOMAIN.is_file()
    assert "shared" not in DOMAIN.read_text().lower()


def test_citations_are_found() -> None:
    cited = {title for _, title in _citations()}
    # The sections the brief names, among others: the search must see them.
    assert {
        "Accountability of MPs",
        "When an MP leaves the party",
        "Selecting parliamentary candidates",
        "Only divisions during the MP's membership count",
        "Structure",
    } <= cited


def test_every_cited_section_is_a_heading() -> None:
    headings = _headings()
    missing = [
        f"{name}: {title!r}"
        for name, title in _citations()
        if not all(part.strip().lower() in headings for part in title.split(": "))
    ]
    assert missing == []


def test_a_missing_heading_is_reported() -> None:
    headings = _headings()
    assert "accountability of mps" in headings
    assert "no such section" not in headings
