"""``rankandfile membership_import``: output, exit status, options."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import Member
from tests.membership.factories import (
    BranchFactory,
    CLPFactory,
    ConstituencyFactory,
    national_admin,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "membership"


@pytest.fixture
def party() -> None:
    streatham = CLPFactory(
        constituency=ConstituencyFactory(name="Streatham", ons_code="E14000978"),
        name="Streatham CLP",
        slug="streatham",
    )
    stockport = CLPFactory(
        constituency=ConstituencyFactory(name="Stockport", ons_code="E14000969"),
        name="Stockport CLP",
        slug="stockport",
    )
    BranchFactory(clp=streatham, name="Brixton Hill")
    BranchFactory(clp=streatham, name="Streatham Wells")
    BranchFactory(clp=stockport, name="Heaton Moor")


def command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("membership_import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_a_good_file(party: None) -> None:
    out, _ = command(str(FIXTURES / "good.csv"))
    assert "Imported. 7 rows: 7 created, 0 updated, 0 unchanged, 0 rejected" in out
    assert Member.objects.count() == 7
    assert AuditEntry.objects.get().channel in {"system", "cli"}

    out, _ = command(str(FIXTURES / "good.csv"))
    assert "0 created, 0 updated, 7 unchanged" in out


def test_bad_rows_are_listed_and_the_exit_status_is_one(
    party: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("membership_import", str(FIXTURES / "bad_rows.csv"), stdout=out)
    assert excinfo.value.returncode == 1
    assert "Rejected: nothing was imported because 10 rows could not be imported" in str(
        excinfo.value
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "line 3: postcode 'XYZ' is not a UK postcode"
    assert len(lines) == 10
    assert Member.objects.count() == 0


def test_skip_invalid_imports_good_rows_and_exits_two(party: None, tmp_path: Path) -> None:
    errors = tmp_path / "errors.csv"
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "membership_import",
            str(FIXTURES / "bad_rows.csv"),
            "--skip-invalid",
            "--errors-csv",
            str(errors),
            stdout=out,
        )
    assert excinfo.value.returncode == 2
    assert "Imported. 12 rows: 2 created" in out.getvalue()
    assert Member.objects.count() == 2
    rows = list(csv.reader(errors.open()))
    assert rows[0] == ["line", "membership_number", "reason"]
    assert rows[1] == ["3", "L0000102", "postcode 'XYZ' is not a UK postcode"]
    assert len(rows) == 11


def test_dry_run_writes_nothing(party: None) -> None:
    out, _ = command(str(FIXTURES / "good.csv"), "--dry-run")
    assert out.startswith("Dry run: nothing was written. The file would give 7 rows: 7 created")
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_unusable_file_says_why(party: None, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match=r"empty\.csv: nothing imported: the file is empty"):
        command(str(empty))
    with pytest.raises(CommandError, match="missing required columns"):
        command(str(FIXTURES / "missing_columns.csv"))
    with pytest.raises(CommandError, match="no such file"):
        command(str(tmp_path / "absent.csv"))


def test_clp_option_rejects_rows_for_other_clps(party: None) -> None:
    with pytest.raises(CommandError) as excinfo:
        command(str(FIXTURES / "good.csv"), "--clp", "streatham")
    assert "4 rows could not be imported" in str(excinfo.value)
    with pytest.raises(CommandError, match="no constituency party with the slug 'nope'"):
        command(str(FIXTURES / "good.csv"), "--clp", "nope")


def test_actor_is_recorded_and_checked(party: None) -> None:
    admin = national_admin()
    command(str(FIXTURES / "good.csv"), "--actor", admin.email)
    assert AuditEntry.objects.get().actor == admin
    with pytest.raises(CommandError, match="no login with the email"):
        command(str(FIXTURES / "good.csv"), "--actor", "nobody@example.org")


def test_create_branches_option(party: None, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "membership_number,first_name,last_name,constituency,branch,joined\n"
        "L1,Ada,Lovelace,Streatham,Tulse Hill,2015-01-01\n"
    )
    with pytest.raises(CommandError):
        command(str(path))
    out, _ = command(str(path), "--create-branches")
    assert "1 branch created" in out


def test_progress_is_shown_for_big_files(party: None, tmp_path: Path, monkeypatch: Any) -> None:
    from rankandfile.membership import importer
    from rankandfile.membership.management.commands import membership_import

    monkeypatch.setattr(importer, "BATCH_SIZE", 10)
    monkeypatch.setattr(membership_import, "PROGRESS_EVERY", 20)
    path = tmp_path / "m.csv"
    path.write_text(
        "membership_number,first_name,last_name,constituency,joined\n"
        + "".join(f"L{n},Ada,Lovelace,Streatham,2015-01-01\n" for n in range(45))
    )
    _, err = command(str(path))
    assert "20 rows read" in err and "40 rows read" in err
    _, err = command(str(path), "-v", "0")
    assert err == ""


def test_dry_run_of_a_bad_file_exits_one(party: None) -> None:
    with pytest.raises(CommandError) as excinfo:
        command(str(FIXTURES / "bad_rows.csv"), "--dry-run")
    assert excinfo.value.returncode == 1
    assert "as it stands the whole file would be rejected" in str(excinfo.value)
