"""Hostile membership files: the importer refuses them with an :class:`ImportFileError`
naming the problem (or reports bad rows), never another exception, and checks its limits
(docs/limits.md) before any per-column work. Work is bounded by the limits; no timing is
asserted.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankandfile.membership import importer
from rankandfile.membership.importer import ImportFileError, import_members
from rankandfile.membership.models import Member
from tests.membership import test_importer as base

pytestmark = pytest.mark.django_db
party = base.party  # the fixture: three constituency parties

BASIC = "membership_number,first_name,last_name,constituency,joined"


def run(raw: bytes) -> Any:
    return import_members(actor=None, source=io.BytesIO(raw))


def test_a_200000_column_header_is_refused_on_line_1(party: dict[str, Any]) -> None:
    """Issue 12: the duplicate-column check was quadratic in the columns."""
    header = BASIC + "," + ",".join(f"extra{i}" for i in range(200_000))
    raw = (header + "\nL1,Ada,Lovelace,Streatham,2015-01-01\n").encode()
    with pytest.raises(ImportFileError, match="line 1: the header is longer than 64 KiB"):
        run(raw)
    header = BASIC + "," * 5000  # short enough, too many columns
    with pytest.raises(
        ImportFileError, match="line 1: the header has 5,005 columns, more than the limit of 200"
    ):
        run((header + "\nL1\n").encode())
    assert not Member.objects.exists()


def test_a_header_at_the_column_limit_is_read(party: dict[str, Any]) -> None:
    extra = importer.MAX_COLUMNS - 5
    header = BASIC + "," + ",".join(f"extra{i}" for i in range(extra))
    row = "L1,Ada,Lovelace,Streatham,2015-01-01" + "," * extra
    report = run(f"{header}\n{row}\n".encode())
    assert report.committed and report.created == 1
    assert "ignored columns" in report.warnings[0]


def test_a_header_line_beyond_the_length_limit_is_refused(party: dict[str, Any]) -> None:
    header = BASIC + ",x" + "y" * importer.MAX_HEADER_BYTES
    with pytest.raises(ImportFileError, match="line 1: the header is longer than 64 KiB"):
        run(f"{header}\nL1,Ada,Lovelace,Streatham,2015-01-01,z\n".encode())


def test_a_quoted_header_spanning_lines_is_counted_too(party: dict[str, Any]) -> None:
    cols = ",".join(f"c{i}" for i in range(300))
    header = BASIC + ',"a\nb",' + cols  # the first line has 6 columns, the record 306
    with pytest.raises(ImportFileError, match="more than the limit of 200"):
        run(f"{header}\nL1\n".encode())


def test_a_row_with_200000_fields_is_a_bad_row(party: dict[str, Any]) -> None:
    raw = f"{BASIC}\nL1,Ada,Lovelace,Streatham,2015-01-01{',' * 200_000}\n".encode()
    report = run(raw)
    assert not report.committed
    assert "has 200,005 fields" in str(report.errors[0]) or "200005 fields" in str(report.errors[0])


CELLS = st.sampled_from(
    [
        "",
        "L1",
        "L2",
        "Ada",
        "Streatham",
        "Stockport",
        "2015-01-01",
        "1999-13-40",
        '"',
        "\u00e9",
        "a,b",
        "\x00",
        "member 2015-01-01 -",
        "x" * 300,
    ]
)
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=7).map(",".join), max_size=8)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=st.one_of(
        ROWS.map(lambda rows: "\n".join([BASIC, *rows]).encode()),
        st.binary(max_size=500),
        st.text(max_size=300).map(lambda t: (BASIC + "\n" + t).encode("utf-8", "surrogatepass")),
        st.integers(150, 400).map(
            lambda n: (BASIC + "," + ",".join(f"c{i}" for i in range(n)) + "\nL1\n").encode()
        ),
    )
)
def test_any_file_is_imported_reported_or_refused_with_a_reason(
    party: dict[str, Any], raw: bytes
) -> None:
    try:
        report = run(raw)
    except ImportFileError as exc:
        message = str(exc)
    else:
        message = None
    if message is not None:
        assert message.strip()
        return
    for error in report.errors:
        assert error.reasons and all(r.strip() for r in error.reasons)
