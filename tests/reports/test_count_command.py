"""``rankandfile count``: every output format, the quota path and every error path."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rankandfile.counting import RankedResult, count_scottish_stv, parse_blt
from rankandfile.reports.count_command import main

from .conftest import SMALL_BLT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- outputs
def test_text_sheet(capsys: pytest.CaptureFixture[str], small_blt: Path) -> None:
    code, out, err = run(capsys, small_blt, "--seed", "5")
    assert code == 0 and err == ""
    assert out.startswith("Small test\n==========\n")
    assert "Seats: 3   Valid votes: 100.00000   Quota: 26.00000" in out  # seats from the header
    assert "Elected, in order of election:\n  1. Anne Smith\n  2. Bob Jones\n  3. Dev Patel" in out
    assert "chosen by lot (seed 5)" in out


def test_json_round_trip(capsys: pytest.CaptureFixture[str], small_blt: Path) -> None:
    code, out, _ = run(capsys, small_blt, "--format", "json", "--seed", "5")
    assert code == 0
    data = json.loads(out)
    expected = count_scottish_stv(parse_blt(small_blt).ballots, 3, seed=5)
    assert data == json.loads(json.dumps(expected.to_dict()))
    assert RankedResult.from_dict(data) == expected
    assert data["stages"][2]["residual"] == "0.00024"
    assert data["elected"] == ["Anne Smith", "Bob Jones", "Dev Patel"]


def test_csv_output_to_a_file(
    capsys: pytest.CaptureFixture[str], small_blt: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    code, out, _ = run(capsys, small_blt, "--format", "csv", "--seed", "5", "-o", target)
    assert code == 0 and out == ""
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["Candidate", "Result", "Stage 1: First prefs"]
    assert [r[0] for r in rows[1:6]] == [
        "Anne Smith",
        "Bob Jones",
        "Cath Lee",
        "Dev Patel",
        "Eve Ng",
    ]
    assert len(rows[0]) == 2 + 5


def test_chart(capsys: pytest.CaptureFixture[str], small_blt: Path, tmp_path: Path) -> None:
    chart = tmp_path / "rounds.png"
    code, out, _ = run(capsys, small_blt, "--chart", chart, "--seed", "5")
    assert code == 0 and "Small test" in out
    assert chart.read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    ("method", "winners"),
    [
        ("meek", "1. Anne Smith"),
        ("av", "1. Anne Smith"),
        ("schulze", "Pairwise contests"),
        ("approval", "Method: Approval vote"),
        ("plurality", "1. Anne Smith"),
        ("block", "3. Anne Smith"),
        ("av-multi", "Preferential block"),
    ],
)
def test_other_methods(
    capsys: pytest.CaptureFixture[str], small_blt: Path, method: str, winners: str
) -> None:
    single = method in ("av", "plurality")
    extra = ("--seats", "1") if single else ()
    code, out, err = run(capsys, small_blt, "--method", method, "--seed", "1", *extra)
    assert code == 0, err
    assert winners in out


@pytest.mark.parametrize("method", ["av", "plurality"])
def test_a_single_seat_method_refuses_a_file_asking_for_several_seats(
    capsys: pytest.CaptureFixture[str], small_blt: Path, method: str
) -> None:
    """Issue 12: AV used to count one seat of a "3 seats" file with only a note."""
    code, out, err = run(capsys, small_blt, "--method", method)
    assert code == 2 and out == ""
    assert f"asks for 3 seats but {method} fills exactly one" in err
    assert "--method av-multi" in err and "--seats 1" in err
    code, _, err = run(capsys, small_blt, "--method", method, "--seats", "3")
    assert code == 2 and "fills exactly one seat" in err


def test_seats_option_and_csv_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ballots = tmp_path / "ballots.csv"
    ballots.write_text("weight,Ann,Bob,Cy\n5,1,2,\n3,,1,2\n2,2,,1\n", encoding="utf-8")
    code, out, _ = run(capsys, ballots)
    assert code == 0 and "Seats: 1" in out and "1. Ann" in out  # CSV: one seat by default
    code, out, _ = run(capsys, ballots, "--seats", "2", "--format", "json")
    assert code == 0 and json.loads(out)["elected"] == ["Ann", "Bob"]


def test_progress_on_request_only(capsys: pytest.CaptureFixture[str], small_blt: Path) -> None:
    code, _, err = run(capsys, small_blt, "--progress")
    assert code == 0
    assert "reading small.blt (" in err
    assert "grouping 100 ballots..." in err
    assert "100 ballots, 7 distinct, 5 candidates" in err
    assert "counting (scottish-stv, 3 seats)..." in err
    code, _, err = run(capsys, small_blt)  # stderr is not a terminal here
    assert err == ""


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "--quota GROUP:MIN" in out and "scottish-stv" in out


# --------------------------------------------------------------------------- quotas
def test_quota_from_the_blt_gender_line(
    capsys: pytest.CaptureFixture[str], small_blt: Path
) -> None:
    code, out, _ = run(capsys, small_blt, "--quota", "women:2", "--format", "json", "--seed", "5")
    assert code == 0
    data = json.loads(out)
    assert data["method"] == "scottish-stv+quota"
    assert data["elected"] == ["Anne Smith", "Bob Jones", "Cath Lee"]
    assert "group minimums by gender: at least 2 woman" in data["notes"]
    code, text, _ = run(capsys, small_blt, "--quota", "woman:2", "--width", "0", "--seed", "5")
    assert "Exclusion of Dev" in text and "(by quota)" in text


def test_quota_with_a_genders_file(
    capsys: pytest.CaptureFixture[str], ward_blt: Path, tmp_path: Path
) -> None:
    genders = tmp_path / "genders.csv"
    # names as people write them (no party description), any letter case, no header
    genders.write_text(
        "Gill AL-SAMARAI,woman\nWilliam Ball,man\nBarney CROCKETT,man\n"
        "Peter John HEALD,man\nNeil MACGREGOR,man\nAvril MACKENZIE,woman\n"
        "Braiden SMITH,man\nAmy-Marie STRATTON,woman\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, ward_blt, "--format", "json")
    plain = json.loads(out)["elected"]
    assert sum("CROCKETT" in n or "MACGREGOR" in n for n in plain) == 2  # two men won
    code, out, err = run(
        capsys, ward_blt, "--genders", genders, "--quota", "women:3", "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    women = [c["name"] for c in data["candidates"] if c["attributes"].get("gender") == "woman"]
    assert len(set(data["elected"]) & set(women)) == 3
    # a header row names the attribute columns
    with_header = tmp_path / "attrs.csv"
    with_header.write_text(
        "name,sex\n"
        + genders.read_text(encoding="utf-8").replace(",woman", ",F").replace(",man", ",M"),
        encoding="utf-8",
    )
    code, out, err = run(
        capsys,
        ward_blt,
        "--attributes",
        with_header,
        "--quota-attribute",
        "sex",
        "--quota",
        "F:3",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["elected"] == data["elected"]


# --------------------------------------------------------------------------- errors
def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err  # one line
    assert err.startswith("rankandfile count: error: ")
    assert "Traceback" not in err
    return err


def test_error_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "no such file" in _error(capsys, tmp_path / "nope.blt")
    assert "is a directory" in _error(capsys, tmp_path)


def test_error_malformed_file_names_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.blt"
    bad.write_text(SMALL_BLT.replace("6 3 1 0", "6 3 9 0"), encoding="utf-8")
    err = _error(capsys, bad)
    assert f"{bad}:6:" in err and "candidate number 9" in err
    bad.write_text("not a blt file\n", encoding="utf-8")
    assert f"{bad}:1:" in _error(capsys, bad)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("Ann,Bob\n1,1\n", encoding="utf-8")
    assert f"{bad_csv}:2" in _error(capsys, bad_csv)


def test_error_unknown_method(capsys: pytest.CaptureFixture[str], small_blt: Path) -> None:
    err = _error(capsys, small_blt, "--method", "borda")
    assert "unknown counting method 'borda'" in err and "scottish-stv" in err and "meek" in err


def test_error_bad_options(capsys: pytest.CaptureFixture[str], small_blt: Path) -> None:
    assert "unrecognized arguments: --bogus" in _error(capsys, small_blt, "--bogus")
    assert "invalid choice: 'coin'" in _error(capsys, small_blt, "--tiebreak", "coin")
    assert "invalid int value" in _error(capsys, small_blt, "--seats", "three")
    assert "6 seats to fill but only 5" in _error(capsys, small_blt, "--seats", "6")
    assert "exactly one seat" in _error(capsys, small_blt, "--method", "av", "--seats", "2")
    assert "unknown tie-break 'order'" in _error(capsys, small_blt, "--tiebreak", "order")
    assert "the following arguments are required: FILE" in _error(capsys)


def test_error_quotas(
    capsys: pytest.CaptureFixture[str], small_blt: Path, ward_blt: Path, tmp_path: Path
) -> None:
    assert "GROUP:MINIMUM" in _error(capsys, small_blt, "--quota", "women")
    assert "add up to 4 but only 3 seats" in _error(capsys, small_blt, "--quota", "women:4")
    assert "only 3 such candidates" in _error(
        capsys, small_blt, "--quota", "women:4", "--seats", "4"
    )
    assert "does not support quotas" in _error(
        capsys, small_blt, "--method", "schulze", "--quota", "women:1"
    )
    assert "no candidate has a gender: give --genders" in _error(
        capsys, ward_blt, "--quota", "women:2"
    )
    genders = tmp_path / "g.csv"
    genders.write_text("Nobody Here,woman\n", encoding="utf-8")
    err = _error(capsys, ward_blt, "--genders", genders, "--quota", "women:1")
    assert f"{genders}:1: 'Nobody Here' is not a candidate" in err
    assert "no such file" in _error(capsys, ward_blt, "--genders", tmp_path / "none.csv")


# --------------------------------------------------------------------------- entry point
def test_installed_entry_point(small_blt: Path) -> None:
    exe = Path(sys.executable).with_name("rankandfile")
    assert exe.exists(), f"the rankandfile script is not installed beside {sys.executable}"
    ok = subprocess.run(
        [str(exe), "count", str(small_blt), "--seed", "5", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["elected"] == ["Anne Smith", "Bob Jones", "Dev Patel"]
    bad = subprocess.run(
        [str(exe), "count", str(small_blt), "--method", "borda"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("rankandfile count: error: unknown counting method 'borda'")
    assert "Traceback" not in bad.stderr
