"""Importing the real 2019 divisions (CSV export, MNIS history, API JSON): self-checks,
atomicity, idempotence, matching, reconciliation, party changes (rules I1-I7)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rankandfile.accountability import importer, queries
from rankandfile.accountability.models import Division, DivisionSource, MPVote, PartyChange
from rankandfile.accountability.scoring import Position
from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import MP
from tests.accountability.conftest import FIXTURES, division_json, member_entry, write_json

pytestmark = pytest.mark.django_db


def csv_dir(commons: Path) -> Path:
    return commons / "commons-votes-csv-2019"


def test_csv_export_imports_every_row_with_tellers_and_ballot_divisions(commons: Path) -> None:
    report = importer.import_paths(actor=None, paths=[csv_dir(commons)])

    assert len(report.created) == 13 and not report.unmatched
    assert Division.objects.count() == 13
    mv3 = Division.objects.get(division_id=664)
    assert (mv3.number, mv3.aye_count, mv3.no_count) == (395, 286, 344)
    assert mv3.is_deferred is False
    tellers = MPVote.objects.filter(division=mv3, teller=True)
    assert tellers.count() == 4
    assert sorted(tellers.values_list("position", flat=True)) == [1, 1, 2, 2]
    # Counts exclude tellers; tellers vote on their side (A4).
    assert MPVote.objects.filter(division=mv3, position=Position.AYE).count() == 286 + 2
    assert MPVote.objects.filter(division=mv3).count() == 649
    # The indicative votes were by ballot paper: no tellers.
    beckett = Division.objects.get(division_id=661)
    assert beckett.is_deferred is True
    assert beckett.title == "Margaret Beckett's motion M (Confirmatory public vote)"
    assert MPVote.objects.filter(division=beckett, position=Position.AYE).count() == 268


def test_csv_question_marks_match_non_ascii_names(commons: Path) -> None:
    importer.import_paths(actor=None, paths=[csv_dir(commons) / "Division655.csv"])
    owen = MP.objects.get(name="Albert Owen")  # "Ynys M?n" in the export
    coffey = MP.objects.get(mnis_id=4098)  # "Th?r?se Coffey"
    assert MPVote.objects.filter(mp=owen, position=Position.NO).exists()
    assert MPVote.objects.filter(mp=coffey, position=Position.ABSENT).exists()


def test_reimport_changes_nothing(commons: Path) -> None:
    importer.import_paths(actor=None, paths=[csv_dir(commons)])
    votes = list(MPVote.objects.order_by("pk").values_list("pk", flat=True))
    again = importer.import_paths(actor=None, paths=[csv_dir(commons)])
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 13
    assert list(MPVote.objects.order_by("pk").values_list("pk", flat=True)) == votes


def test_api_json_agrees_with_the_csv_export(commons: Path) -> None:
    importer.import_paths(actor=None, paths=[csv_dir(commons) / "Division664.csv"])
    report = importer.import_paths(actor=None, paths=[FIXTURES / "Division664.json"])
    # Same division, same votes, same tellers: the JSON changes nothing.
    assert report.unchanged == [664]


def test_api_json_alone(commons: Path) -> None:
    report = importer.import_paths(actor=None, paths=[FIXTURES / "Division664.json"])
    assert report.created == [664]
    assert MPVote.objects.filter(division__division_id=664, teller=True).count() == 4


def test_mnis_history_and_reconciliation(commons: Path) -> None:
    report = importer.import_paths(
        actor=None, paths=[csv_dir(commons), commons / "brexit-parliament-2019"]
    )
    assert Division.objects.count() == 23
    assert DivisionSource.objects.count() == 13 + 23
    assert Division.objects.get(division_id=562).primary_source == "mnis"
    assert Division.objects.get(division_id=664).primary_source == "commons"
    assert report.mps_created == 0
    rec = queries.reconciliation()
    assert rec.divisions_compared == 13
    pairs = {(d.division.division_id, d.mp.mnis_id): (d.commons, d.mnis) for d in rec.disagreements}
    # The four tellers of division 664 show as absent in the MNIS history.
    assert pairs[664, 4433] == ("no", "absent")  # Thangam Debbonaire, teller for the Noes
    assert pairs[664, 3940] == ("aye", "absent")  # Craig Whittaker, teller for the Ayes
    # Paul Flynn (Newport West) died in February 2019: not in the Commons record.
    assert pairs[664, 545] == ("missing", "absent")
    assert len(rec.disagreements) == 20


def test_party_changes_of_the_seven(commons: Path) -> None:
    importer.import_paths(actor=None, paths=[csv_dir(commons)])
    umunna = MP.objects.get(mnis_id=4128)
    changes = queries.party_changes(umunna)
    assert len(changes) == 1
    change = changes[0]
    assert (change.date.isoformat(), change.kind) == ("2019-02-18", "left_party")
    assert (change.from_party, change.to_party) == ("Labour", "Independent")
    assert PartyChange.objects.filter(kind="left_party").count() == 7


def test_party_change_derived_from_records(party: Any, tmp_path: Path) -> None:
    mp = party.mp  # Labour
    one = division_json(9001, date="2026-10-01", ayes=[member_entry(mp)])
    two = division_json(9002, date="2026-10-08", ayes=[member_entry(mp, party="Independent")])
    importer.import_paths(actor=None, paths=[write_json(tmp_path, "d.json", [one, two])])
    (change,) = queries.party_changes(mp)
    assert change.kind == "left_party"
    assert change.date.isoformat() == "2026-10-08"
    assert (change.from_party, change.to_party) == ("Labour", "Independent")


# --- Bad input: precise problems, nothing written ----------------------------------------
def _copy_with(commons: Path, tmp_path: Path, name: str, old: str, new: str) -> Path:
    src = csv_dir(commons) / name
    data = src.read_bytes().replace(old.encode(), new.encode(), 1)
    dest = tmp_path / name
    dest.write_bytes(data)
    return dest


def _refused(paths: list[Path]) -> list[str]:
    before = (Division.objects.count(), MPVote.objects.count(), AuditEntry.objects.count())
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_paths(actor=None, paths=paths)
    after = (Division.objects.count(), MPVote.objects.count(), AuditEntry.objects.count())
    assert after == before
    return [str(p) for p in info.value.problems]


def test_count_mismatch_refuses_the_whole_run(commons: Path, tmp_path: Path) -> None:
    bad = _copy_with(commons, tmp_path, "Division655.csv", "Aye Count: 160", "Aye Count: 161")
    good = csv_dir(commons) / "Division656.csv"
    problems = _refused([good, bad])
    assert problems == ["Division655.csv: 160 Aye rows but the published Aye count is 161"]


def test_unknown_vote_names_the_line(commons: Path, tmp_path: Path) -> None:
    bad = _copy_with(
        commons,
        tmp_path,
        "Division655.csv",
        '"Nigel Adams","Conservative","Selby and Ainsty","No Vote Recorded"',
        '"Nigel Adams","Conservative","Selby and Ainsty","Maybe"',
    )
    (problem,) = _refused([bad])
    assert problem.startswith("Division655.csv: line 13: unknown vote 'Maybe'")


def test_tellers_on_one_side_only(commons: Path, tmp_path: Path) -> None:
    text = (csv_dir(commons) / "Division664.csv").read_text(encoding="utf-8")
    text = text.replace("Teller - Noes", "No", 1).replace("Noes Count: 344", "Noes Count: 345")
    bad = tmp_path / "Division664.csv"
    bad.write_text(text, encoding="utf-8", newline="")
    (problem,) = _refused([bad])
    assert "tellers: 2 for the Ayes and 1 for the Noes" in problem


def test_proxy_without_a_vote(party: Any, tmp_path: Path) -> None:
    data = division_json(9003, absent=[member_entry(party.mp, proxy="Someone Else")])
    (problem,) = _refused([write_json(tmp_path, "p.json", data)])
    assert problem == "p.json: NoVoteRecorded[0]: proxy 'Someone Else' given but no vote recorded"


def test_proxy_vote_is_recorded(party: Any, tmp_path: Path) -> None:
    data = division_json(9004, ayes=[member_entry(party.mp, proxy="Chief Whip")])
    importer.import_paths(actor=None, paths=[write_json(tmp_path, "p.json", data)])
    vote = MPVote.objects.get(mp=party.mp)
    assert (vote.position, vote.proxy_name) == (Position.AYE, "Chief Whip")


def test_deferred_division_with_tellers_and_json_count(party: Any, tmp_path: Path) -> None:
    data = division_json(9005, AyeCount=1)
    data["AyeTellers"] = [member_entry(party.mp)]
    problems = _refused([write_json(tmp_path, "x.json", data)])
    assert problems == [
        "x.json: IsDeferred: a deferred division lists tellers",
        "x.json: 0 Aye rows but the published Aye count is 1",
        "x.json: a deferred or ballot-paper division has no tellers",
    ]


def test_both_lobbies_is_an_abstention(party: Any, tmp_path: Path) -> None:
    e = member_entry(party.mp)
    data = division_json(9006, ayes=[e], noes=[e])
    importer.import_paths(actor=None, paths=[write_json(tmp_path, "b.json", data)])
    assert MPVote.objects.get(mp=party.mp).position == Position.BOTH


def test_missing_keys_bad_json_and_unknown_format(db: None, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"DivisionId": 1}', encoding="utf-8")
    (tmp_path / "b.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "c.csv").write_text("name,age\nx,1\n", encoding="utf-8")
    problems = _refused([tmp_path])
    assert problems[0].startswith("a.json: top level: missing keys: Date, Title")
    assert (
        problems[1]
        == "b.json: line 1: not valid JSON: Expecting property name enclosed in double quotes"
    )
    assert problems[2].startswith("c.csv: line 1: not a Commons Votes CSV export")


def test_mnis_bad_rows(db: None, tmp_path: Path) -> None:
    header = (
        "vote,vote_id,member_id,vote_title,vote_uin,vote_date,vote_type,member,"
        "member_constituency,member_party\n"
    )
    rows = (
        "aye,1,1601,T,CD:2019-01-15:562,2019-01-15,m,A,B,Conservative\n"
        "maybe,1,1602,T,CD:2019-01-15:562,2019-01-15,m,A,B,Conservative\n"
        "aye,1,1601,T,CD:2019-01-15:562,2019-01-15,m,A,B,Conservative\n"
        "aye,1,1603,T,562,2019-01-15,m,A,B,Conservative\n"
    )
    (tmp_path / "m.csv").write_text(header + rows, encoding="utf-8")
    problems = _refused([tmp_path / "m.csv"])
    assert problems == [
        "m.csv: line 3: unknown vote 'maybe' (aye, no, NA)",
        "m.csv: line 4: member 1601 voted twice in division 562 (also line 2)",
        "m.csv: line 5: vote_uin '562' is not CD:<date>:<id>",
    ]


def test_csv_rows_without_a_matching_mp_are_reported(commons: Path) -> None:
    MP.objects.filter(constituency__name="Hackney North and Stoke Newington").delete()
    report = importer.import_paths(actor=None, paths=[csv_dir(commons) / "Division655.csv"])
    assert report.unmatched == [
        "Division655.csv: line 11: no MP matches 'Diane Abbott' "
        "(Hackney North and Stoke Newington); row skipped"
    ]


def test_command_reports_and_exits_nonzero(commons: Path, tmp_path: Path, capsys: Any) -> None:
    bad = _copy_with(commons, tmp_path, "Division655.csv", "Noes Count: 400", "Noes Count: 4")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("accountability_import", str(bad))
    assert "400 No rows but the published No count is 4" in capsys.readouterr().err
    folder = tmp_path / "ok"
    folder.mkdir()
    shutil.copy(csv_dir(commons) / "Division655.csv", folder)
    call_command("accountability_import", str(folder), "--reconcile")
    out = capsys.readouterr().out
    assert "1 new division(s)" in out and "reconciliation: 0 division(s)" in out
    # Offices printed as parties (I8) are listed, one line per office-holder.
    assert "office: Sir Lindsay Hoyle: printed 'Deputy Speaker' in 1 vote(s)" in out
    assert "4 office-holder(s) given their party" in out


def test_dry_run_writes_nothing(commons: Path) -> None:
    report = importer.import_paths(actor=None, paths=[csv_dir(commons)], dry_run=True)
    assert len(report.created) == 13
    assert Division.objects.count() == 0
