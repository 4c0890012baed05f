"""Hostile ballot files: every reader (BLT, CSV) either reads the file or raises a
:class:`MalformedFileError` naming the problem, never another exception, and the limits
of ``counting.limits`` (docs/limits.md) are enforced before work that grows faster than
the file. Work is bounded by those limits; no timing is asserted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankandfile.counting import limits, parse_blt, read_csv
from rankandfile.counting.errors import MalformedFileError
from rankandfile.reports.count_command import main as count_main

SMALL = '3 1\n2 1 2 0\n1 3 0\n0\n"A"\n"B"\n"C"\n"Title"\n'


# --- the cases of issue 12 -------------------------------------------------------------------
def test_a_200000_candidate_blt_is_refused_on_its_first_line() -> None:
    names = "".join(f'"C{i}"\n' for i in range(200_000))
    text = f'200000 1\n1 1 2 3 0\n0\n{names}"T"\n'
    with pytest.raises(
        MalformedFileError, match=r"line 1: 200,000 candidates is more than the limit of 1,000"
    ):
        parse_blt(text)


def test_a_200000_column_csv_header_is_refused() -> None:
    header = ",".join(f"C{i}" for i in range(200_000))
    with pytest.raises(
        MalformedFileError, match=r"line 1: 200,000 candidates is more than the limit"
    ):
        read_csv(header + "\n" + "1\n")


def test_the_candidate_limit_itself_is_accepted() -> None:
    n = limits.MAX_CANDIDATES
    names = "".join(f'"C{i}"\n' for i in range(n))
    election = parse_blt(f'{n} 1\n1 1 2 3 0\n0\n{names}"T"\n')
    assert election.ballots.n_candidates == n
    header = ",".join(f"C{i}" for i in range(n))
    assert read_csv(header + "\n1,2\n").n_candidates == n


def test_a_ranking_longer_than_the_candidates_is_refused_before_allocation() -> None:
    prefs = " ".join(["1", "2"] * 500_000)
    with pytest.raises(MalformedFileError, match="line 2: a ballot ranks the same candidate twice"):
        parse_blt(f'2 1\n1 {prefs} 0\n0\n"A"\n"B"\n')


def test_the_ballot_matrix_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_RANKING_CELLS", 10)
    lines = "1 1 2 3 0\n" * 4
    with pytest.raises(MalformedFileError, match="more than the limit of 10 preferences"):
        parse_blt(f'3 1\n{lines}0\n"A"\n"B"\n"C"\n')
    rows = "1,2,3\n" * 4
    with pytest.raises(MalformedFileError, match="more than the limit of 10 preferences"):
        read_csv(f"A,B,C\n{rows}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1000000000000000000 1\n", "number too large"),
        ("3 1001\n1 1 0\n0\n", "1,001 seats is more than the limit of 1,000"),
        ("3 1\n" + "999999999999999 1 0\n" * 2 + '0\n"A"\n"B"\n"C"\n', "add up to more than"),
        ("3 1\n(x) 1" + "0" * 5000 + ' 1 0\n0\n"A"\n"B"\n"C"\n', "number too large"),
        ("3 1\n\u00b2 1 0\n0\n", "the first line must be|ballot weight must be a whole"),
        ("3 1\n[nick a b c]\n1 a \u00b2 0\n0\n", "not a candidate"),
    ],
)
def test_numbers_and_seats_are_bounded(text: str, message: str) -> None:
    with pytest.raises(MalformedFileError, match=message):
        parse_blt(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weight,A,B\n" + "9" * 5000 + ",1,2\n", "weight must be a whole number"),
        ("A,B\n" + "1" * 5000 + ",2\n", "must be a whole number from 1"),
        ("A,B\n\u00b2,1\n", "must be a whole number from 1"),
        ("weight,A\n" + "999999999999999,1\n" * 2, "add up to more than"),
    ],
)
def test_csv_numbers_are_bounded(text: str, message: str) -> None:
    with pytest.raises(MalformedFileError, match=message):
        read_csv(text)


def test_a_file_beyond_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 20)
    path = tmp_path / "big.blt"
    path.write_text(SMALL, encoding="utf-8")
    with pytest.raises(MalformedFileError, match="more than the limit of 20 bytes"):
        parse_blt(path)
    with pytest.raises(MalformedFileError, match="more than the limit of 20 bytes"):
        read_csv(tmp_path / "big.blt")
    with pytest.raises(MalformedFileError, match="more than the limit of 20 bytes"):
        parse_blt(SMALL.encode())


# --- property tests: random and hostile files -------------------------------------------------
TOKENS = st.sampled_from(
    [
        "0",
        "1",
        "2",
        "3",
        "4",
        "-1",
        "-",
        "2=3",
        "1.5",
        "(b1)",
        "[tie 1 2 3]",
        "[nick a b c]",
        "[gender w m -]",
        "[",
        "]",
        '"A"',
        '"B"',
        '"C"',
        '""',
        '"',
        "a",
        "b",
        "\u00b2",
        "\u0663",
        "99999999999999999",
        "\ufeff",
        "\t",
        "\r",
    ]
)
blt_lines = st.lists(st.lists(TOKENS, max_size=8).map(" ".join), max_size=20)
blt_texts = st.one_of(
    blt_lines.map(lambda lines: "3 1\n" + "\n".join(lines) + "\n"),
    blt_lines.map(lambda lines: "\n".join(lines) + "\n"),
    st.tuples(st.integers(0, 2000), st.integers(0, 2000), blt_lines).map(
        lambda t: f"{t[0]} {t[1]}\n" + "\n".join(t[2]) + '\n0\n"A"\n"B"\n"C"\n'
    ),
    st.text(max_size=400).map(lambda t: t + "\n"),
)


def _read_or_error(read: Callable[[str | bytes], object], data: str | bytes) -> None:
    """Read ``data``; the only exception allowed is a file error with a message."""
    message = None
    try:
        read(data)
    except MalformedFileError as exc:
        message = str(exc)
    assert message is None or message.strip()


def _read_blt_or_error(data: str | bytes) -> None:
    _read_or_error(parse_blt, data)


@settings(max_examples=300, deadline=None)
@given(text=blt_texts)
def test_any_blt_text_is_read_or_refused_with_a_file_error(text: str) -> None:
    _read_blt_or_error(text)


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=600))
def test_any_blt_bytes_are_read_or_refused_with_a_file_error(raw: bytes) -> None:
    _read_blt_or_error(raw + b"\n")


CELLS = st.sampled_from(
    ["", "1", "2", "3", "0", "-1", "x", "1.0", "\u00b2", '"', '""', "weight", " 2 "]
)
csv_texts = st.one_of(
    st.lists(st.lists(CELLS, max_size=6).map(",".join), max_size=12).map(
        lambda rows: "\n".join(["weight,A,B,C", *rows]) + "\n"
    ),
    st.lists(st.lists(CELLS, max_size=6).map(",".join), max_size=12).map(
        lambda rows: "\n".join(rows) + "\n"
    ),
    st.text(max_size=300).map(lambda t: t + "\n"),
)


@settings(max_examples=300, deadline=None)
@given(text=csv_texts)
def test_any_csv_text_is_read_or_refused_with_a_file_error(text: str) -> None:
    _read_or_error(read_csv, text)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=400))
def test_any_csv_bytes_are_read_or_refused_with_a_file_error(raw: bytes) -> None:
    _read_or_error(read_csv, raw)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=blt_texts, method=st.sampled_from(["av", "scottish-stv", "meek", "plurality", "schulze"])
)
def test_the_count_command_answers_any_file_with_a_result_or_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, method: str
) -> None:
    path = tmp_path / "hostile.blt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    code = count_main([str(path), "--method", method, "--seed", "1"])
    _, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        assert err.startswith("rankandfile count: error: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'name,gender\n"' + b"x" * 200_000 + b'",woman\n', "not valid CSV"),
        (
            ("name," + ",".join(f"a{i}" for i in range(60)) + "\n").encode(),
            "61 columns, more than the limit of 50",
        ),
        (b"A,woman\n" * 140_000, "more than the limit of 1,048,576"),
        (b"\xff\xfe", "not valid UTF-8"),
    ],
)
def test_the_attributes_file_is_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    ballots = tmp_path / "small.blt"
    ballots.write_text(SMALL, encoding="utf-8")
    genders = tmp_path / "genders.csv"
    genders.write_bytes(content)
    code = count_main([str(ballots), "--genders", str(genders)])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and err.count("\n") == 1
