"""CSV of rankings: one column per candidate, the rank in each cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rankandfile.counting.ballots import RankedBallots
from rankandfile.counting.csvio import read_csv, write_csv
from rankandfile.counting.errors import MalformedFileError


def same(a: RankedBallots, b: RankedBallots) -> bool:
    return (
        a.names == b.names
        and np.array_equal(a.rankings, b.rankings)
        and np.array_equal(a.weights, b.weights)
    )


def test_read_plain_rows() -> None:
    b = read_csv("Ann,Bob,Cath\n1,2,\n,1,2\n2,3,1\n,,\n")
    assert b.names == ("Ann", "Bob", "Cath")
    assert sorted(b.iter_ballots()) == [((0, 1), 1), ((1, 2), 1), ((2, 0, 1), 1)]


def test_read_weights_bom_quotes_and_crlf(tmp_path: Path) -> None:
    text = '\ufeffWeight,"Smith, Ann",Bob\r\n3,1,2\r\n0,1,\r\n2,,1\r\n'
    p = tmp_path / "b.csv"
    p.write_bytes(text.encode("utf-8"))
    b = read_csv(p, title="t")
    assert b.names == ("Smith, Ann", "Bob")
    assert sorted(b.iter_ballots()) == [((0, 1), 3), ((1,), 2)]
    assert b.title == "t"
    assert same(read_csv(p.read_bytes()), b)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "empty"),
        ("weight\n1\n", 1, "names no candidates"),
        ("A,,B\n1,,2\n", 1, "column 2 has no candidate name"),
        ("A,B,A\n1,2,3\n", 1, "listed twice"),
        ("A,B\n1,2\n1,1\n", 3, "rank 1 is given to both 'A' and 'B'"),
        ("A,B,C\n1,3,\n", 2, "rank 2 is missing"),
        ("A,B\n1,x\n", 2, "rank for 'B' must be a whole number"),
        ("A,B\n0,1\n", 2, "rank for 'A'"),
        ("A,B\n1,2,3\n", 2, "3 cells but only 2 columns"),
        ("weight,A,B\nmany,1,2\n", 2, "weight must be a whole number"),
        ("weight,A,B\n-1,1,2\n", 2, "weight must be a whole number"),
        ("A,B\n,\n", 2, "no ballots"),
        ('A,B\n"1,2\n', 2, "not valid CSV"),
    ],
)
def test_malformed(text: str, line: int | None, message: str) -> None:
    with pytest.raises(MalformedFileError, match=message) as info:
        read_csv(text if "\n" in text else text.encode())
    assert info.value.line == line


def test_non_utf8_and_missing(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes(b"A,B\n1,2\n\xff,1\n")
    with pytest.raises(MalformedFileError, match="UTF-8") as info:
        read_csv(p)
    assert info.value.line == 3
    with pytest.raises(MalformedFileError, match="cannot read"):
        read_csv(tmp_path / "missing.csv")


def test_write_both_layouts() -> None:
    b = RankedBallots.build(["A", "B", "C"], [[2, 0], [1]], [2, 1])
    assert write_csv(b) == "weight,A,B,C\n1,,1,\n2,2,,1\n"
    assert write_csv(b, weights=False) == "A,B,C\n,1,\n2,,1\n2,,1\n"
    assert same(read_csv(write_csv(b, weights=False)), b)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.permutations(range(n)).flatmap(
                    lambda p: st.integers(1, len(p)).map(lambda k: p[:k])
                ),
                min_size=1,
                max_size=25,
            ),
            st.lists(st.integers(1, 50), min_size=25, max_size=25),
        )
    )
)
def test_round_trip(case: tuple[int, list[list[int]], list[int]]) -> None:
    n, rows, weights = case
    b = RankedBallots.build([f"Cand {i}" for i in range(n)], rows, weights[: len(rows)])
    assert same(read_csv(write_csv(b)), b)
    assert same(read_csv(write_csv(b, weights=False)), b)
