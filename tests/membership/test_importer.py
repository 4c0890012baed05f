"""membership.importer: the CSV columns, every rejection reason, unusable files,
atomicity, re-import by membership number, history replacement, scope and the audit entry."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from rankandfile.core.errors import PermissionDenied
from rankandfile.core.models import AuditEntry
from rankandfile.membership import importer
from rankandfile.membership.importer import ImportFileError, ImportReport, import_members
from rankandfile.membership.models import CLP, Branch, Member, Period
from tests.membership.factories import (
    BranchFactory,
    CLPFactory,
    ConstituencyFactory,
    MemberFactory,
    RegionFactory,
    UserFactory,
    clp_officer,
    national_admin,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "membership"
D = dt.date

HEADER = [
    "membership_number",
    "first_name",
    "last_name",
    "email",
    "address",
    "postcode",
    "constituency",
    "clp",
    "branch",
    "gender",
    "date_of_birth",
    "joined",
    "lapsed",
    "status",
    "status_since",
    "history",
]
GOOD_ROW = {
    "membership_number": "L0000900",
    "first_name": "Good",
    "last_name": "Row",
    "email": "good@example.org",
    "postcode": "SW2 1AA",
    "constituency": "Streatham",
    "joined": "2015-01-01",
}


@pytest.fixture
def party() -> dict[str, Any]:
    """Three constituency parties (one with no CLP set up) and a few branches."""
    london = RegionFactory(name="London", slug="london")
    north_west = RegionFactory(name="North West", slug="north-west")
    streatham = CLPFactory(
        constituency=ConstituencyFactory(name="Streatham", ons_code="E14000978", region=london),
        name="Streatham CLP",
        slug="streatham",
    )
    stockport = CLPFactory(
        constituency=ConstituencyFactory(name="Stockport", ons_code="E14000969", region=north_west),
        name="Stockport CLP",
        slug="stockport",
    )
    ConstituencyFactory(name="Nowhere Without A Party", ons_code="E14999999", region=london)
    BranchFactory(clp=streatham, name="Brixton Hill")
    BranchFactory(clp=streatham, name="Streatham Wells")
    BranchFactory(clp=stockport, name="Heaton Moor")
    return {"streatham": streatham, "stockport": stockport}


def csv_bytes(rows: list[dict[str, str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    return out.getvalue().encode()


def run(data: bytes | Path, **kwargs: Any) -> ImportReport:
    source = data if isinstance(data, Path) else io.BytesIO(data)
    kwargs.setdefault("actor", None)
    return import_members(source=source, **kwargs)


def history(number: str) -> list[tuple[str, dt.date, dt.date | None, str]]:
    return list(
        Period.objects.filter(member__membership_number=number)
        .order_by("kind", "start")
        .values_list("kind", "start", "end", "end_reason")
    )


def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    members = list(
        Member.objects.order_by("pk").values_list(
            "pk", "membership_number", "first_name", "last_name", "email", "postcode",
            "clp_id", "branch_id", "gender", "date_of_birth", "updated_at",
        )
    )  # fmt: skip
    periods = list(Period.objects.order_by("pk").values_list("member_id", "kind", "start", "end"))
    return members, periods


# --- A good file --------------------------------------------------------------------------------
def test_good_file_creates_every_member_with_fields_and_history(party: dict[str, Any]) -> None:
    report = run(FIXTURES / "good.csv")

    assert report.outcome == "imported"
    assert report.errors == []
    assert report.counts() == {
        "rows": 7,
        "created": 7,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "branches_created": 0,
    }
    ada = Member.objects.get(membership_number="L0000001")
    assert (ada.first_name, ada.last_name, ada.email) == ("Ada", "Lovelace", "ada@example.org")
    assert ada.address == "1 Example Street\nLondon"
    assert ada.postcode == "SW2 1AA"  # normalised: upper case, one space
    assert ada.clp == party["streatham"]
    assert ada.branch is not None and ada.branch.name == "Brixton Hill"
    assert (ada.gender, ada.date_of_birth) == ("woman", D(1990, 12, 10))
    assert history("L0000001") == [("membership", D(2015, 3, 1), None, "")]

    keir = Member.objects.get(membership_number="L0000002")
    assert keir.clp == party["stockport"]  # by slug
    assert keir.postcode == "SK1 3XE"
    assert (keir.gender, keir.date_of_birth) == ("man", D(1956, 6, 1))  # DD/MM/YYYY
    assert history("L0000002") == [("membership", D(2010, 1, 15), D(2019, 1, 15), "lapsed")]

    assert history("L0000003") == [
        ("membership", D(2012, 5, 1), D(2016, 5, 1), "lapsed"),
        ("membership", D(2017, 1, 1), None, ""),
        ("suspension", D(2020, 2, 1), D(2020, 8, 1), "lifted"),
    ]
    assert history("L0000004") == [
        ("membership", D(2001, 2, 3), None, ""),
        ("suspension", D(2021, 6, 1), None, ""),
    ]
    barbara = Member.objects.get(membership_number="L0000005")
    assert barbara.clp == party["stockport"]  # constituency name, any case
    assert barbara.branch is None and barbara.gender == "woman"
    assert history("L0000005") == [
        ("arrears", D(2023, 1, 1), None, ""),
        ("membership", D(2018, 4, 1), None, ""),
    ]
    sam = Member.objects.get(membership_number="L0000006")
    assert sam.clp == party["stockport"]  # constituency by ONS code
    assert sam.gender == "non_binary"
    assert history("L0000006") == [
        ("membership", D(2005, 1, 1), D(2019, 2, 18), "expelled"),
        ("suspension", D(2018, 6, 1), D(2019, 2, 18), "expelled"),
    ]
    # Rejoined on the day of the lapse: one continuous membership.
    assert history("L0000007") == [("membership", D(2019, 1, 1), None, "")]


def test_semicolon_delimited_file_with_bom_and_spreadsheet_headers(party: dict[str, Any]) -> None:
    report = run(FIXTURES / "semicolon_bom.csv")

    assert report.outcome == "imported", report.errors
    assert report.created == 2
    assert history("L0000201") == [("membership", D(2015, 3, 1), None, "")]
    assert history("L0000202") == [("membership", D(2010, 1, 15), D(2019, 1, 15), "lapsed")]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(lambda b: io.BytesIO(b), id="bytes"),
        pytest.param(lambda b: io.StringIO(b.decode()), id="text"),
        pytest.param(lambda b: SimpleUploadedFile("m.csv", b, "text/csv"), id="upload"),
    ],
)
def test_file_like_sources(party: dict[str, Any], source: Any) -> None:
    report = import_members(actor=None, source=source(csv_bytes([GOOD_ROW])))
    assert report.created == 1
    assert report.filename.endswith(".csv")


def test_unknown_columns_are_ignored_with_a_warning(party: dict[str, Any]) -> None:
    report = run(csv_bytes([{**GOOD_ROW, "phone": "0123"}], header=[*HEADER, "phone"]))
    assert report.created == 1
    assert report.warnings == ["ignored columns not in the documented set: 'phone'"]


def test_rows_are_written_in_batches(party: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    seen: list[int] = []
    report = run(FIXTURES / "good.csv", progress=seen.append)
    assert report.created == 7
    assert seen == [2, 4, 6, 7]
    assert Period.objects.count() == 12


def test_query_count_does_not_grow_with_rows(
    party: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    rows = [
        {**GOOD_ROW, "membership_number": f"L{n:07d}", "branch": "Brixton Hill"} for n in range(300)
    ]
    with django_assert_max_num_queries(40):
        assert run(csv_bytes(rows)).created == 300
    with django_assert_max_num_queries(40):  # updates
        rows = [{**r, "last_name": "Changed"} for r in rows]
        assert run(csv_bytes(rows)).updated == 300


# --- Bad rows: every reason --------------------------------------------------------------------
BAD_ROWS = [
    ({"membership_number": ""}, "membership_number is empty"),
    ({"membership_number": "L 123"}, "membership_number 'L 123' is not valid"),
    ({"membership_number": "L" * 21}, "is not valid (up to 20"),
    ({"first_name": ""}, "first_name is empty"),
    ({"last_name": " "}, "last_name is empty"),
    ({"last_name": "x" * 101}, "last_name is longer than 100 characters"),
    ({"email": "not-an-email"}, "email 'not-an-email' is not an email address"),
    ({"postcode": "XYZ"}, "postcode 'XYZ' is not a UK postcode"),
    ({"postcode": "SW2 1A"}, "postcode 'SW2 1A' is not a UK postcode"),
    ({"constituency": "Atlantis"}, "constituency 'Atlantis' is not a known constituency"),
    ({"constituency": "", "clp": "atlantis"}, "clp 'atlantis' is not a known constituency party"),
    ({"constituency": ""}, "constituency and clp are both empty"),
    ({"clp": "stockport"}, "clp 'stockport' is not the party of constituency 'Streatham'"),
    (
        {"constituency": "Nowhere Without A Party"},
        "constituency Nowhere Without A Party has no constituency party set up",
    ),
    ({"branch": "Atlantis Ward"}, "branch 'Atlantis Ward' does not exist in Streatham CLP"),
    ({"branch": "Heaton Moor"}, "branch 'Heaton Moor' does not exist in Streatham CLP"),
    ({"gender": "robot"}, "gender 'robot' is not one of woman, man, non_binary, other or blank"),
    ({"date_of_birth": "1990-13-01"}, "date_of_birth '1990-13-01' is not a date"),
    ({"date_of_birth": "12/31/1990"}, "date_of_birth '12/31/1990' is not a date"),
    ({"date_of_birth": "1850-01-01"}, "date_of_birth 1850-01-01 is before 1900"),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth 2999-01-01 is in the future"),
    ({"joined": "yesterday"}, "joined 'yesterday' is not a date"),
    ({"joined": "2999-01-01"}, "membership 2999-01-01.. starts in the future"),
    ({"joined": ""}, "no membership history: joined (or history) is empty"),
    ({"lapsed": "2014-01-01"}, "membership 2015-01-01..2014-01-01 ends on or before it starts"),
    ({"status": "sleeping"}, "status 'sleeping' is not one of"),
    ({"status": "expelled"}, "status expelled needs the date membership ended in the lapsed"),
    ({"status": "suspended"}, "status suspended needs status_since"),
    (
        {"status": "suspended", "status_since": "2016-01-01", "lapsed": "2017-01-01"},
        "status suspended contradicts a lapsed date",
    ),
    ({"status_since": "2016-01-01"}, "status_since is only for status suspended or arrears"),
    (
        {"status": "member", "lapsed": "2016-01-01"},
        "status member contradicts lapsed 2016-01-01 (in the past)",
    ),
    (
        {"status": "arrears", "status_since": "2010-01-01"},
        "arrears 2010-01-01.. is not inside a membership period",
    ),
    ({"history": "2015-01-01.."}, "give either history or joined, not both"),
    ({"joined": "", "history": "2015-01-01"}, "history entry '2015-01-01' is not"),
    ({"joined": "", "history": "holiday 2015-01-01.."}, "history entry 'holiday 2015-01-01..'"),
    (
        {"joined": "", "history": "2015-01-01..2016-01-01 sacked"},
        "'sacked' is not a way a membership ends",
    ),
    ({"joined": "", "history": "2015-01-01.. lapsed"}, "gives a reason but no end date"),
    ({"joined": "", "history": "2015-02-30.."}, "history start '2015-02-30' is not a date"),
    ({"joined": "", "history": ";"}, "history is empty"),
    (
        {"joined": "", "history": "2015-01-01..2017-01-01; 2016-01-01.."},
        "membership 2015-01-01..2017-01-01 and membership 2016-01-01.. overlap",
    ),
    (
        {"joined": "", "history": "2015-01-01..2016-01-01; suspended 2015-06-01.."},
        "suspension 2015-06-01.. is not inside a membership period",
    ),
    (
        {"joined": "", "history": "arrears 2015-06-01..2016-01-01"},
        "history has suspension or arrears but no membership",
    ),
]


@pytest.mark.parametrize(("change", "reason"), BAD_ROWS, ids=[r for _, r in BAD_ROWS])
def test_each_bad_row_reason(party: dict[str, Any], change: dict[str, str], reason: str) -> None:
    good = {**GOOD_ROW, "membership_number": "L0000001"}
    bad = {**GOOD_ROW, **change}
    report = run(csv_bytes([good, bad]))

    assert report.outcome == "rejected"
    assert len(report.errors) == 1
    error = report.errors[0]
    assert error.line == 3
    assert reason in error.message, error.message
    assert str(error).startswith("line 3: ")
    assert Member.objects.count() == 0  # the good row was not imported either


def test_one_row_reports_every_reason(party: dict[str, Any]) -> None:
    bad = {**GOOD_ROW, "postcode": "XYZ", "email": "nope", "gender": "robot"}
    [error] = run(csv_bytes([bad])).errors
    assert error.reasons == (
        "email 'nope' is not an email address",
        "postcode 'XYZ' is not a UK postcode",
        "gender 'robot' is not one of woman, man, non_binary, other or blank",
    )


def test_status_member_with_a_lapse_date_still_to_come_is_fine(party: dict[str, Any]) -> None:
    with time_machine.travel(dt.datetime(2016, 6, 1, 12, tzinfo=dt.UTC)):
        report = run(csv_bytes([{**GOOD_ROW, "status": "member", "lapsed": "2017-01-01"}]))
    assert report.created == 1
    assert history(GOOD_ROW["membership_number"]) == [
        ("membership", D(2015, 1, 1), D(2017, 1, 1), "lapsed")
    ]


def test_every_bad_row_in_a_file_is_reported_with_its_line(party: dict[str, Any]) -> None:
    report = run(FIXTURES / "bad_rows.csv")

    assert report.outcome == "rejected"
    assert [str(e) for e in report.errors] == [
        "line 3: postcode 'XYZ' is not a UK postcode",
        "line 4: constituency 'Atlantis' is not a known constituency",
        "line 5: first_name is empty",
        "line 6: joined '31/02/2015' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
        "line 7: membership_number L0000101 is also on line 2",
        "line 9: branch 'Nowhere Ward' does not exist in Stockport CLP (create it first, or "
        "import with the create-branches option)",
        "line 10: email 'not-an-email' is not an email address",
        "line 11: gender 'robot' is not one of woman, man, non_binary, other or blank",
        "line 12: status expelled needs the date membership ended in the lapsed column",
        "line 13: has 4 fields but the header has 12",
    ]
    assert report.rows == 12
    assert report.created == 2  # what the good rows would have done
    assert not report.committed
    assert Member.objects.count() == 0
    assert "nothing was imported" in report.summary()


def test_line_numbers_count_physical_lines_of_multiline_addresses(party: dict[str, Any]) -> None:
    rows = [
        {**GOOD_ROW, "membership_number": "L1", "address": "1 Long Road\nFlat 2\nLondon"},
        {**GOOD_ROW, "membership_number": "L2", "postcode": "nope"},
    ]
    [error] = run(csv_bytes(rows)).errors
    assert error.line == 5


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(party: dict[str, Any]) -> None:
    report = run(FIXTURES / "bad_rows.csv", skip_invalid=True)

    assert report.outcome == "imported"
    assert (report.created, report.rejected) == (2, 10)
    assert set(Member.objects.values_list("membership_number", flat=True)) == {
        "L0000101",
        "L0000106",
    }
    assert Member.objects.get(membership_number="L0000101").first_name == "Good"


def test_create_branches_creates_each_new_branch_once(party: dict[str, Any]) -> None:
    rows = [
        {**GOOD_ROW, "membership_number": "L1", "branch": "Tulse  Hill"},
        {**GOOD_ROW, "membership_number": "L2", "branch": "tulse hill"},
    ]
    dry = run(csv_bytes(rows), create_branches=True, dry_run=True)
    assert dry.branches_created == 1
    assert not Branch.objects.filter(name="Tulse Hill").exists()

    report = run(csv_bytes(rows), create_branches=True)
    assert report.branches_created == 1
    branch = Branch.objects.get(clp=party["streatham"], name="Tulse Hill")
    assert set(branch.members.values_list("membership_number", flat=True)) == {"L1", "L2"}


# --- Unusable files ------------------------------------------------------------------------------
UNUSABLE = [
    (b"", "the file is empty"),
    (b"\r\n\r\n  \n", "the file is empty"),
    (b"\xef\xbb\xbf", "the file is empty"),
    (",,,\n", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is binary"),
    (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet workbook or a zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel (.xls) workbook"),
    ("membership_number,first_name\n".encode("utf-16"), "the file is UTF-16"),
    (
        b"membership_number,first_name,last_name,constituency,joined\n"
        b"L1,Ada,Lovelace,Streatham,2015-01-01\n"
        b"L2,Zo\xe9,Smith,Streatham,2015-01-01\n",
        "the file is not UTF-8 text (the first bad character is on line 3)",
    ),
    (
        (FIXTURES / "missing_columns.csv").read_bytes(),
        "the header is missing required columns: membership_number, first_name, last_name, "
        "constituency or clp, history or joined (found: number, name, postcode)",
    ),
    (
        b"membership_number,first_name,last_name,constituency\nL1,A,B,Streatham\n",
        "missing required columns: history or joined",
    ),
    (
        b"membership_number,first_name,last_name,constituency,joined,Joined\n",
        "the header repeats columns: joined",
    ),
    (
        b"membership_number,first_name,last_name,constituency,joined\n",
        "the file has a header but no member rows",
    ),
    (
        b'membership_number,first_name,last_name,constituency,joined\nL1,"Ada,B,Streatham,2015-01-01\n',
        "the file is not valid CSV",
    ),
    ("just some prose, not a table\n", "the header is missing required columns"),
]


@pytest.mark.parametrize(("data", "reason"), UNUSABLE, ids=[r for _, r in UNUSABLE])
def test_unusable_file_imports_nothing_and_says_why(
    party: dict[str, Any], data: bytes | str, reason: str
) -> None:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(ImportFileError) as excinfo:
        run(raw)
    assert reason in str(excinfo.value)
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_unusable_file_after_valid_batches_rolls_back(
    party: dict[str, Any], monkeypatch: Any
) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    rows = [{**GOOD_ROW, "membership_number": f"L{n}"} for n in range(6)]
    data = csv_bytes(rows) + b"L99,Zo\xe9,Smith,,,,Streatham,,,,,2015-01-01,,,,\n"
    with pytest.raises(ImportFileError, match="line 8"):
        run(data)
    assert Member.objects.count() == 0


def test_missing_path_is_an_unusable_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        run(tmp_path / "nope.csv")


# --- Atomicity ---------------------------------------------------------------------------------
def test_a_rejected_import_leaves_the_database_unchanged(
    party: dict[str, Any], monkeypatch: Any
) -> None:
    run(FIXTURES / "good.csv")
    before = snapshot()
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)  # some batches are written before the bad row
    rows = [
        {**GOOD_ROW, "membership_number": "L0000001", "first_name": "Changed"},
        {**GOOD_ROW, "membership_number": "L0000003", "joined": "", "history": "2000-01-01.."},
        *({**GOOD_ROW, "membership_number": f"N{n}"} for n in range(5)),
        {**GOOD_ROW, "membership_number": "BAD", "postcode": "XYZ"},
        {**GOOD_ROW, "membership_number": "N99"},
    ]
    report = run(csv_bytes(rows))

    assert report.outcome == "rejected"
    assert [e.line for e in report.errors] == [9]
    assert (report.created, report.updated) == (6, 2)  # would have
    assert snapshot() == before
    assert AuditEntry.objects.count() == 1  # only the first import's


def test_dry_run_counts_but_writes_nothing(party: dict[str, Any]) -> None:
    run(FIXTURES / "good.csv")
    before = snapshot()
    rows = [
        {**GOOD_ROW, "membership_number": "L0000001", "first_name": "Changed"},
        {**GOOD_ROW, "membership_number": "NEW"},
    ]
    report = run(csv_bytes(rows), dry_run=True)

    assert report.outcome == "dry_run"
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert snapshot() == before
    assert AuditEntry.objects.count() == 1
    assert report.summary().startswith("Dry run: nothing was written.")


# --- Re-import --------------------------------------------------------------------------------
def test_reimport_is_idempotent(party: dict[str, Any]) -> None:
    run(FIXTURES / "good.csv")
    before = snapshot()

    report = run(FIXTURES / "good.csv")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 7)
    assert snapshot() == before  # same rows, same ids, not even updated_at touched


def test_reimport_updates_by_membership_number(party: dict[str, Any]) -> None:
    run(FIXTURES / "good.csv")
    ada = Member.objects.get(membership_number="L0000001")
    data = (
        (FIXTURES / "good.csv")
        .read_bytes()
        .replace(b"Lovelace", b"King")
        .replace(b"sw2  1aa", b"sw16 2ab")
    )

    report = run(data)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 6)
    assert Member.objects.count() == 7
    ada.refresh_from_db()
    assert (ada.last_name, ada.postcode) == ("King", "SW16 2AB")


def test_reimport_replaces_the_history_with_the_files(party: dict[str, Any]) -> None:
    row = {**GOOD_ROW, "joined": "", "history": "2010-01-01..2012-01-01; 2013-01-01.."}
    run(csv_bytes([row]))
    member = Member.objects.get()
    Period.objects.filter(member=member, start=D(2013, 1, 1)).update(note="kept if unchanged")

    report = run(csv_bytes([{**row, "history": "2010-01-01..2012-01-01;2013-01-01.."}]))
    assert report.unchanged == 1  # same spans written differently
    assert Period.objects.filter(note="kept if unchanged").exists()

    new = "2011-01-01..2014-01-01 resigned; suspended 2012-01-01..2013-01-01"
    report = run(csv_bytes([{**row, "history": new}]))

    assert report.updated == 1
    assert history(GOOD_ROW["membership_number"]) == [
        ("membership", D(2011, 1, 1), D(2014, 1, 1), "resigned"),
        ("suspension", D(2012, 1, 1), D(2013, 1, 1), "lifted"),
    ]
    assert Member.objects.get().pk == member.pk


def test_a_column_missing_from_the_file_leaves_its_field_alone(party: dict[str, Any]) -> None:
    run(csv_bytes([{**GOOD_ROW, "gender": "woman", "branch": "Brixton Hill"}]))
    narrow = ["membership_number", "first_name", "last_name", "constituency", "joined"]

    report = run(csv_bytes([GOOD_ROW], header=narrow))

    assert report.unchanged == 1
    member = Member.objects.get()
    assert (member.email, member.postcode, member.gender) == (
        "good@example.org",
        "SW2 1AA",
        "woman",
    )
    assert member.branch is not None and member.branch.name == "Brixton Hill"

    # A present but empty column clears the field.
    report = run(csv_bytes([{**GOOD_ROW, "email": ""}], header=[*narrow, "email"]))
    assert report.updated == 1
    assert Member.objects.get().email == ""


def test_moving_clp_without_a_branch_column_clears_the_old_branch(
    party: dict[str, Any],
) -> None:
    run(csv_bytes([{**GOOD_ROW, "branch": "Brixton Hill"}]))
    narrow = ["membership_number", "first_name", "last_name", "constituency", "joined"]
    run(csv_bytes([{**GOOD_ROW, "constituency": "Stockport"}], header=narrow))
    member = Member.objects.get()
    assert (member.clp, member.branch) == (party["stockport"], None)


def test_existing_members_are_found_across_batches(party: dict[str, Any], monkeypatch: Any) -> None:
    MemberFactory(membership_number="L0000004", clp=party["stockport"], first_name="Old")
    monkeypatch.setattr(importer, "BATCH_SIZE", 3)
    report = run(FIXTURES / "good.csv")
    assert (report.created, report.updated) == (6, 1)
    assert Member.objects.filter(membership_number="L0000004").get().first_name == "Tony"


# --- Audit ---------------------------------------------------------------------------------------
def test_one_audit_entry_per_import_with_counts_and_sha256(party: dict[str, Any]) -> None:
    admin = national_admin()
    path = FIXTURES / "good.csv"

    run(path, actor=admin)

    entry = AuditEntry.objects.get()
    assert entry.action == "membership.import"
    assert entry.actor == admin
    assert entry.data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry.data["file"] == "good.csv"
    assert entry.data["scope"] == "party"
    assert (entry.data["created"], entry.data["rejected"]) == (7, 0)

    run(path, actor=admin)
    assert AuditEntry.objects.count() == 2
    assert AuditEntry.objects.last().data["unchanged"] == 7  # type: ignore[union-attr]


# --- Scope and permission ------------------------------------------------------------------------
def test_scoped_import_rejects_other_clps_rows_and_members(party: dict[str, Any]) -> None:
    streatham = party["streatham"]
    MemberFactory(membership_number="TAKEN", clp=party["stockport"])
    secretary = clp_officer(streatham)
    rows = [
        {**GOOD_ROW, "membership_number": "OURS"},
        {**GOOD_ROW, "membership_number": "THEIRS", "constituency": "Stockport"},
        {**GOOD_ROW, "membership_number": "TAKEN"},  # claims another CLP's member
    ]

    report = run(csv_bytes(rows), actor=secretary, scope_clp=streatham, skip_invalid=True)

    assert [str(e) for e in report.errors] == [
        "line 3: Stockport CLP is not Streatham CLP: this import may only contain its members",
        "line 4: membership_number TAKEN belongs to a member of Stockport CLP",
    ]
    assert report.created == 1
    assert Member.objects.get(membership_number="OURS").clp == streatham
    assert Member.objects.get(membership_number="TAKEN").clp == party["stockport"]
    entry = AuditEntry.objects.get()
    assert (entry.data["scope"], entry.object_id) == ("streatham", str(streatham.pk))


@pytest.mark.parametrize("who", ["nobody", "secretary_elsewhere", "secretary_unscoped"])
def test_actor_who_may_not_import_is_refused(party: dict[str, Any], who: str) -> None:
    streatham: CLP = party["streatham"]
    if who == "nobody":
        actor, scope = UserFactory(), streatham
    elif who == "secretary_elsewhere":
        actor, scope = clp_officer(party["stockport"]), streatham
    else:
        actor, scope = clp_officer(streatham), None
    with pytest.raises(PermissionDenied):
        run(csv_bytes([GOOD_ROW]), actor=actor, scope_clp=scope)
    assert Member.objects.count() == 0
