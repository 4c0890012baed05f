"""BLT reading and writing: real files, round trips, every malformed input, speed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rankandfile.counting.ballots import PAD, RankedBallots
from rankandfile.counting.blt import parse_blt, read_blt, write_blt
from rankandfile.counting.errors import MalformedFileError

SIMPLE = """3 2
4 1 2 0
2 3 0
0
"Castor"
"Pollux"
"Helen"
"Pollux and Helen should tie"
"""


def same(a: RankedBallots, b: RankedBallots) -> bool:
    return (
        a.names == b.names
        and a.title == b.title
        and a.withdrawn == b.withdrawn
        and np.array_equal(a.rankings, b.rankings)
        and np.array_equal(a.weights, b.weights)
    )


def test_simple_text() -> None:
    e = parse_blt(SIMPLE)
    b = e.ballots
    assert e.seats == 2
    assert b.names == ("Castor", "Pollux", "Helen")
    assert b.title == "Pollux and Helen should tie"
    assert b.total == 6
    assert sorted(b.iter_ballots()) == [((0, 1), 4), ((2,), 2)]


def test_path_bytes_and_text_agree(tmp_path: Path) -> None:
    p = tmp_path / "e.blt"
    p.write_text(SIMPLE, encoding="utf-8")
    assert same(read_blt(p), read_blt(SIMPLE))
    assert same(read_blt(str(p)), read_blt(SIMPLE.encode()))


def test_doubled_quotes_and_description(scotland_2022_dir: Path) -> None:
    b = read_blt(scotland_2022_dir / "aberdeen_2022_ward1.blt")
    assert b.names[0] == 'Gill AL-SAMARAI "Scottish National Party (SNP)"'
    assert b.title == "Dyce-Bucksburn-Danestone Ward"  # unquoted title, no final newline
    b = read_blt(scotland_2022_dir / "aberdeenshire_2022_ward10.blt")
    # Two quoted strings on a candidate line: the name, then a description (the party).
    assert b.candidates[2].name == "Sebastian LESLIE"
    assert b.candidates[2].attribute("description") == "Independent"


def test_all_scotland_2022_files_read(scotland_2022_dir: Path) -> None:
    files = sorted(scotland_2022_dir.glob("*.blt"))
    assert len(files) == 347
    elections = [parse_blt(f) for f in files]
    assert all(3 <= e.ballots.n_candidates <= 14 for e in elections)
    assert all(1 <= e.seats <= 5 for e in elections)


def test_droop_reference_files(droop_dir: Path) -> None:
    blt = droop_dir / "blt"
    e = parse_blt(blt / "42t.blt")
    assert e.tie_order == (2, 1, 0)
    assert e.options == ("[tie 3 2 1 ]",)
    assert parse_blt(blt / "SCw.blt").ballots.withdrawn == frozenset({3})
    wopt = parse_blt(blt / "SCwopt.blt")
    assert wopt.ballots.withdrawn == frozenset({3})
    assert same(wopt.ballots, parse_blt(blt / "SCw.blt").ballots)
    # UTF-8 names, with and without a byte-order mark.
    assert read_blt(blt / "42u.blt").names[1] == "Pøllüx"
    assert same(read_blt(blt / "42u.blt"), read_blt(blt / "42ubom.blt"))
    # M135 has unquoted notes after the title: ignored, as Droop ignores them.
    assert parse_blt(blt / "M135.blt").ballots.n_candidates == 25


@pytest.mark.parametrize("name", ["eq1.blt", "eq2.blt"])
def test_equal_rankings_are_rejected(droop_dir: Path, name: str) -> None:
    with pytest.raises(MalformedFileError, match="equal rankings") as info:
        read_blt(droop_dir / "blt" / name)
    assert info.value.line is not None
    assert name in str(info.value)


def test_ballot_ids_and_nicknames() -> None:
    text = '3 1\n[nick a b c]\n(x1) 2 a b 0\n(x2) 1 c 0\n0\n"A"\n"B"\n"C"\n"T"\n'
    e = parse_blt(text)
    assert e.ballot_ids == ("x1", "x2")
    assert sorted(e.ballots.iter_ballots()) == [((0, 1), 2), ((2,), 1)]
    text = '2 1\n(1) 3 1 2 0\n(2) 1 2 0\n0\n"A"\n"B"\n'
    e = parse_blt(text)
    assert e.ballot_ids == ("1", "2") and e.ballots.total == 4 and e.ballots.title == ""


def test_crlf_and_blank_lines() -> None:
    text = SIMPLE.replace("\n", "\r\n").replace("2 3 0", "\r\n2 3 0")
    assert same(read_blt(text), read_blt(SIMPLE))


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "empty"),
        ("3\n1 1 0\n0\n", 1, "candidates seats"),
        ("x 2\n", 1, "candidates seats"),
        ("0 1\n1 1 0\n0\n", 1, "at least 1"),
        ("2 0\n1 1 0\n0\n", 1, "seats must be at least 1"),
        ('2 1\n-3\n1 1 0\n0\n"A"\n"B"\n', 2, "candidate number between 1 and 2"),
        ('2 1\n-1 2\n1 1 0\n0\n"A"\n"B"\n', 2, "negative"),
        ('2 1\n[tie 1 1]\n1 1 0\n0\n"A"\n"B"\n', 2, "twice"),
        ('2 1\n[tie 1\n1 1 0\n0\n"A"\n"B"\n', 2, "not closed"),
        ('2 1\n[]\n1 1 0\n0\n"A"\n"B"\n', 2, "empty option"),
        ("2 1\n1 1 0\n", 2, "no closing '0'"),
        ('2 1\n1 1 0\n1 3 0\n0\n"A"\n"B"\n', 3, "candidate number 3"),
        ('2 1\n1 1 0\n1 1 1 0\n0\n"A"\n"B"\n', 3, "same candidate twice"),
        ('2 1\n1 1 2\n0\n"A"\n"B"\n', 2, "must end with 0"),
        ('2 1\n\n\n1 1 0 2 0\n0\n"A"\n"B"\n', 4, "0 before the end"),
        ('2 1\n7\n0\n"A"\n"B"\n', 2, "weight and a closing 0"),
        ('2 1\n1.5 1 0\n0\n"A"\n"B"\n', 2, "fractional"),
        ('2 1\nx 1 0\n0\n"A"\n"B"\n', 2, "whole number"),
        ('2 1\n1 1=2 0\n0\n"A"\n"B"\n', 2, "equal rankings"),
        ('2 1\n1 1 - 2 0\n0\n"A"\n"B"\n', 2, "skipped"),
        ('2 1\n1 1 9 0\n0\n"A"\n"B"\n', 2, "candidate number 9"),
        ('2 1\n1 a 0\n0\n"A"\n"B"\n', 2, "'a' is not a candidate"),
        ('2 1\n1 1 0\n(b 1 2 0\n0\n"A"\n"B"\n', 3, "not closed"),
        ('2 1\n1 1 2 2 0\n0\n"A"\n"B"\n', 2, "same candidate twice"),
        ('2 1\n0 1 0\n0\n"A"\n"B"\n', 3, "no ballots"),
        ('2 1\n1 1 0\n0\n"A"\n', 3, "2 candidate names expected"),
        ('2 1\n1 1 0\n0\n"A"\n"A"\n', 5, "listed twice"),
        ('2 1\n1 1 0\n0\n"A"\n""\n', 5, "empty name"),
        ('2 1\n1 1 0\n0\n"A"\n"B" x\n', 5, "badly quoted"),
        ('2 1\n1 1 0\n0\n"A"\n"B\n', 5, "badly quoted"),
        ('2 1\n1 1 0\n1 12345678901234567 0\n0\n"A"\n"B"\n', 3, "too large"),
    ],
)
def test_malformed(text: str, line: int | None, message: str) -> None:
    with pytest.raises(MalformedFileError, match=message) as info:
        read_blt(text if "\n" in text else text.encode())
    assert info.value.line == line


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError, match="cannot read"):
        read_blt(tmp_path / "nope.blt")
    p = tmp_path / "latin1.blt"
    p.write_bytes(b'1 1\n1 1 0\n0\n"Caf\xe9"\n')
    with pytest.raises(MalformedFileError, match="UTF-8") as info:
        read_blt(p)
    assert info.value.line == 4 and str(p) in str(info.value)


def test_write_simple_and_quotes() -> None:
    b = RankedBallots.build(
        ['Ann "The Axe" Smith', "Bob"], [[0, 1], [1]], [3, 1], title='Say "hi"', withdrawn=[1]
    )
    text = write_blt(b, seats=1, tie_order=[1, 0])
    assert text.splitlines()[:3] == ["2 1", "-2", "[tie 2 1]"]
    assert '"Ann ""The Axe"" Smith"' in text
    back = parse_blt(text)
    assert same(back.ballots, b) and back.tie_order == (1, 0) and back.seats == 1


def test_round_trip_real_files(droop_dir: Path, scotland_2022_dir: Path) -> None:
    for path in [
        droop_dir / "blt" / "Hillhead-2007.blt",
        droop_dir / "blt" / "SCw.blt",
        scotland_2022_dir / "glasgow_2022_ward1.blt",
    ]:
        e = parse_blt(path)
        again = parse_blt(write_blt(e.ballots, seats=e.seats))
        assert same(again.ballots, e.ballots), path.name
        assert again.seats == e.seats


names_st = st.lists(
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12
    ).filter(lambda s: s.strip() == s and s and not s.startswith(" ")),
    min_size=1,
    max_size=7,
    unique=True,
)


@st.composite
def ballot_sets(draw: st.DrawFn) -> tuple[RankedBallots, int]:
    names = draw(names_st)
    n = len(names)
    rows = draw(
        st.lists(
            st.permutations(range(n)).flatmap(
                lambda p: st.integers(1, len(p)).map(lambda k: p[:k])
            ),
            min_size=1,
            max_size=30,
        )
    )
    weights = draw(st.lists(st.integers(1, 1000), min_size=len(rows), max_size=len(rows)))
    withdrawn = draw(st.sets(st.integers(0, n - 1), max_size=n - 1))
    title = draw(
        st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20).filter(
            lambda s: s.strip() == s
        )
    )
    b = RankedBallots.build(names, rows, weights, title=title, withdrawn=withdrawn)
    return b, draw(st.integers(1, n))


@settings(max_examples=60, deadline=None)
@given(ballot_sets())
def test_round_trip_property(case: tuple[RankedBallots, int]) -> None:
    b, seats = case
    e = parse_blt(write_blt(b, seats=seats))
    assert same(e.ballots, b)
    assert e.seats == seats


@settings(max_examples=40, deadline=None)
@given(ballot_sets())
def test_fast_and_line_readers_agree(case: tuple[RankedBallots, int]) -> None:
    b, seats = case
    text = write_blt(b, seats=seats)
    # A ballot id on the first line must not change what the section parses to.
    lines = text.split("\n")
    k = 1 + (1 if b.withdrawn else 0)
    lines[k] = "(id) " + lines[k]
    assert same(parse_blt("\n".join(lines)).ballots, parse_blt(text).ballots)


def test_one_million_ballots() -> None:
    rng = np.random.default_rng(5)
    arr = np.argsort(rng.random((100_000, 10)), axis=1).astype(np.int32)
    lengths = rng.integers(1, 11, 100_000)
    arr[np.arange(10)[None, :] >= lengths[:, None]] = PAD
    b = RankedBallots.build([f"C{i}" for i in range(10)], arr, group=False)
    head, rest = write_blt(b, seats=3).split("\n", 1)
    section, tail = rest.split("\n0\n", 1)
    text = head + "\n" + "\n".join([section] * 10) + "\n0\n" + tail  # 1,000,000 lines
    back = read_blt(text)  # speed is measured in bench/, never asserted here
    assert back.total == 1_000_000
    expected = RankedBallots.build(b.names, arr)
    assert np.array_equal(back.rankings, expected.rankings)
    assert np.array_equal(back.weights, expected.weights * 10)


def test_gender_and_group_options_give_candidates_attributes() -> None:
    text = (
        "3 2\n[gender woman man -]\n[group CLP CLP affiliate]\n"
        '1 1 2 0\n1 3 0\n0\n"A"\n"B"\n"C"\n"t"\n'
    )
    e = parse_blt(text)
    a, b, c = e.ballots.candidates
    assert (a.attribute("gender"), b.attribute("gender"), c.attribute("gender")) == (
        "woman",
        "man",
        None,
    )
    assert c.attribute("group") == "affiliate"
    assert "[gender woman man -]" in e.options
    again = parse_blt(write_blt(e.ballots, seats=2))
    assert again.ballots.candidates == e.ballots.candidates


def test_attribute_option_needs_one_value_per_candidate() -> None:
    with pytest.raises(MalformedFileError, match="needs 3 values") as info:
        parse_blt('3 1\n[gender woman man]\n1 1 0\n0\n"A"\n"B"\n"C"\n"t"\n')
    assert info.value.line == 2
