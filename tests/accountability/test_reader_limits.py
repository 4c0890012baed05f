"""Hostile division files: ``importer.read_files`` turns every one into divisions or
:class:`Problem` lines naming the file, never another exception; its limits (file size,
JSON nesting, problems listed per file; docs/limits.md) hold. Parsing touches no
database.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankandfile.accountability import importer
from rankandfile.core import limits

CSV_HEAD = (
    "Division Number: 1\nDivision Date: 01/02/2019\nAye Count: 1\nNoes Count: 0\n"
    "Title\nMember,Party,Constituency,Vote,Proxy Member\n"
)
MNIS_HEAD = "vote,member_id,vote_title,vote_uin,vote_date,member\n"


def read(tmp_path: Path, name: str, data: bytes) -> list[importer.Problem]:
    path = tmp_path / name
    path.write_bytes(data)
    _, problems = importer.read_files([path])
    return problems


def test_deeply_nested_json_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    problems = read(tmp_path, "deep.json", b"[" * 100_000 + b"]" * 100_000)
    assert [p.message for p in problems] == [f"not usable JSON: {limits.depth_message()}"]


def test_a_number_beyond_python_s_digits_is_a_problem(tmp_path: Path) -> None:
    problems = read(tmp_path, "big.json", b'{"DivisionId": ' + b"9" * 5000 + b"}")
    assert len(problems) == 1 and "not usable JSON" in problems[0].message


def test_a_csv_field_beyond_the_csv_module_limit_is_a_problem(tmp_path: Path) -> None:
    data = (CSV_HEAD + 'Ann,Lab,"' + "x" * 200_000 + '",Aye,\n').encode()
    problems = read(tmp_path, "Division1.csv", data)
    assert len(problems) == 1 and problems[0].message.startswith("not valid CSV")


def test_a_file_beyond_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 10)
    problems = read(tmp_path, "Division1.csv", CSV_HEAD.encode())
    assert [p.message for p in problems] == [
        f"the file is {len(CSV_HEAD):,} bytes, more than the limit of 0 MiB"
    ]


def test_problems_per_file_are_capped_with_a_count(tmp_path: Path) -> None:
    rows = "".join(f"bad,{i},t,CD:2019-02-01:1,2019-02-01,Ann\n" for i in range(500))
    problems = read(tmp_path, "history.csv", (MNIS_HEAD + rows).encode())
    assert len(problems) == importer.MAX_PROBLEMS_PER_FILE + 1
    assert problems[-1].message == "and 400 more problem(s) not listed: fix these first"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "DivisionId",
                    "Date",
                    "Title",
                    "AyeCount",
                    "NoCount",
                    "Ayes",
                    "Noes",
                    "AyeTellers",
                    "NoTellers",
                    "MemberId",
                    "Number",
                    "IsDeferred",
                    "x",
                ]
            ),
            children,
            max_size=8,
        )
    ),
    max_leaves=25,
)
csv_cells = st.sampled_from(["Ann", "Lab", "Aye", "No", "Teller - Ayes", "", '"', "a,b", "\x00"])
files = st.one_of(
    st.tuples(st.just("any.json"), json_values.map(lambda v: json.dumps(v).encode())),
    st.tuples(st.just("any.json"), st.integers(0, 5000).map(lambda d: b"[" * d + b"{" * d)),
    st.tuples(
        st.just("Division7.csv"),
        st.lists(st.lists(csv_cells, max_size=7).map(",".join), max_size=10).map(
            lambda rows: (CSV_HEAD + "\n".join(rows)).encode()
        ),
    ),
    st.tuples(
        st.just("history.csv"),
        st.lists(st.text(max_size=60), max_size=10).map(
            lambda rows: (MNIS_HEAD + "\n".join(rows)).encode("utf-8", "surrogatepass")
        ),
    ),
    st.tuples(st.sampled_from(["Division9.csv", "x.json", "h.csv"]), st.binary(max_size=400)),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(file=files)
def test_any_file_is_read_or_refused_with_named_problems(
    tmp_path: Path, file: tuple[str, bytes]
) -> None:
    name, data = file
    path = tmp_path / name
    path.write_bytes(data)
    divisions, problems = importer.read_files([path])
    for problem in problems:
        assert problem.file == name and problem.message.strip()
    assert divisions or problems
