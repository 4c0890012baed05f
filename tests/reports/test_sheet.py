"""The returning officer's result sheet (text and CSV) and the charts."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from rankandfile.counting import count, count_av, count_meek, count_scottish_stv, parse_blt
from rankandfile.counting.result import RankedResult
from rankandfile.reports.charts import chart_png, save_chart
from rankandfile.reports.sheet import (
    build_sheet,
    format_number,
    render_csv,
    render_text,
    short_name,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_result(path: Path) -> RankedResult:
    e = parse_blt(path)
    return count_scottish_stv(e.ballots, e.seats, seed=5)


def test_text_sheet_of_a_small_election(small_blt: Path) -> None:
    text = render_text(small_result(small_blt), title="Small test", width=200)
    lines = text.splitlines()
    assert lines[:2] == ["Small test", "=========="]
    assert "Method: Single transferable vote (Scottish rules)" in text
    assert "Seats: 3   Valid votes: 100.00000   Quota: 26.00000" in text
    header = next(ln for ln in lines if "Stage 1" in ln)
    for k in range(1, 6):  # width 200: all five stages side by side
        assert f"Stage {k}" in header
    assert [c.heading for c in build_sheet(small_result(small_blt)).columns] == [
        "First prefs",
        "Surplus of Anne Smith",
        "Surplus of Bob Jones",
        "Exclusion of Eve Ng",
        "Exclusion of Cath Lee",
    ]
    headings = " ".join(ln for ln in lines if "First prefs" in ln or "Lee" in ln)
    assert "Surplus of Anne Smith" in headings and "Exclusion of Cath" in headings
    row = {ln.split("  ")[0]: ln for ln in lines if "|" in ln}
    # transfers and totals, stage by stage
    assert row["Anne Smith"].split("|")[1:3] == ["  40.00000 * ", " -14.00000  26.00000   "]
    dev = [c.split() for c in row["Dev Patel"].split("|")[1:]]
    assert dev == [
        ["14.00000"],
        ["14.00000"],
        ["+1.99976", "15.99976"],
        ["+6.00000", "21.99976"],
        ["21.99976", "*"],
    ]
    assert "Elected 3" in row["Dev Patel"]
    assert "Excl. s4" in row["Eve Ng"] and "Excl. s5" in row["Cath Lee"]
    assert [c.split() for c in row["Eve Ng"].split("|")[4:]] == [["-9.00000", "-"], []]
    assert row["Non-transferable"].split("|")[-1].split() == ["+9.00000", "26.00000"]
    assert row["Residual"].split("|")[3].split() == ["+0.00024", "0.00024"]
    assert all(c.split() == ["100.00000"] for c in row["Total"].split("|")[1:])
    assert "* elected at this stage" in text
    assert "Elected, in order of election:\n  1. Anne Smith\n  2. Bob Jones\n  3. Dev Patel" in text
    assert "stage 4: Cath Lee, Eve Ng tied (exclude); Eve Ng chosen by lot (seed 5)" in text
    assert "quota 26 = floor(100 / 4) + 1 (rule 46)" in text


def test_wide_sheets_wrap_into_blocks(ward_blt: Path) -> None:
    e = parse_blt(ward_blt)
    result = count_scottish_stv(e.ballots, e.seats)
    for width in (80, 100, 132):
        text = render_text(result, width=width)
        table = [ln for ln in text.splitlines() if "|" in ln or set(ln) <= {"-", "+"}]
        assert max(len(ln) for ln in table) <= width, width
        assert text.count("Candidate ") > 1  # the names repeat in each block
        for k in range(1, len(result.stages) + 1):
            assert re.search(rf"\| +Stage {k}\b", text), (width, k)
    one_block = render_text(result, width=0)
    assert one_block.count("Candidate ") == 1
    # long names are abbreviated: the party description becomes its short form
    assert "Gill AL-SAMARAI (SNP)" in one_block
    assert 'AL-SAMARAI "Scottish' not in one_block.split("Elected, in order")[0]


def test_meek_and_av_sheets_show_the_changing_quota(ward_blt: Path) -> None:
    e = parse_blt(ward_blt)
    meek = render_text(count_meek(e.ballots, e.seats), width=0)
    quota_row = next(ln for ln in meek.splitlines() if ln.startswith("Quota "))
    assert "1319.600000001" in quota_row and "1317.209375262" in quota_row
    headings = [c.heading for c in build_sheet(count_meek(e.ballots, e.seats)).columns]
    assert headings[:2] == ["First prefs", "Election of Gill AL-SAMARAI (SNP)"]
    assert headings[-1] == "End of count"
    assert "Election of Gill" in meek
    av = render_text(count_av(e.ballots), width=0)
    assert any(ln.startswith("Majority ") for ln in av.splitlines())
    assert "Quota:" not in av
    sheet = build_sheet(count_av(e.ballots))
    assert sheet.quota_varies and sheet.quota_label == "Majority"


def test_one_stage_methods_render(small_blt: Path) -> None:
    e = parse_blt(small_blt)
    schulze = render_text(count("schulze", e.ballots, seats=2, seed=1))
    assert "Pairwise" in schulze
    assert "Pairwise contests (ballots preferring row to column)" in schulze
    assert "Strongest paths" in schulze and "Condorcet winner: none" in schulze
    assert "Ranking: Bob Jones, Dev Patel, Anne Smith" in schulze
    approval = render_text(count("approval", e.ballots, seats=2))
    assert "Method: Approval vote" in approval and "Votes" in approval
    block = render_text(count("block", e.ballots, seats=2))
    assert "Method: Block vote" in block


def test_quota_sheet_names_the_quota_actions(small_blt: Path) -> None:
    e = parse_blt(small_blt)
    r = count("scottish-stv", e.ballots, seats=3, quotas={"woman": 2}, seed=5)
    text = render_text(r, width=0)
    assert "Single transferable vote (Scottish rules), with quota" in text
    assert "Exclusion of Dev Patel (by quota)" in [c.heading for c in build_sheet(r).columns]
    assert "Exclusion of Dev" in text
    assert "group minimums by gender: at least 2 woman" in text


def test_csv_one_row_per_candidate_one_column_per_stage(small_blt: Path) -> None:
    result = small_result(small_blt)
    rows = list(csv.reader(io.StringIO(render_csv(result))))
    assert rows[0] == [
        "Candidate",
        "Result",
        "Stage 1: First prefs",
        "Stage 2: Surplus of Anne Smith",
        "Stage 3: Surplus of Bob Jones",
        "Stage 4: Exclusion of Eve Ng",
        "Stage 5: Exclusion of Cath Lee",
    ]
    body = {r[0]: r[1:] for r in rows[1:]}
    assert body["Dev Patel"] == [
        "Elected 3",
        "14.00000",
        "14.00000",
        "15.99976",
        "21.99976",
        "21.99976",
    ]
    assert body["Eve Ng"] == ["Excluded", "9.00000", "9.00000", "9.00000", "0", ""]
    assert body["Residual"][-1] == "0.00024"
    assert body["Total"][1:] == ["100.00000"] * 5
    assert body["Quota"][1:] == ["26.00000"] * 5
    assert len(rows) == 1 + 5 + 4
    # every stage adds up: candidates + non-transferable + residual == total
    for k in range(2, 7):
        col = [Decimal(r[k]) for r in rows[1:8] if r[k]]
        assert sum(col) == Decimal(body["Total"][k - 1])


def test_formatting_helpers() -> None:
    assert format_number(Decimal("12.50000"), signed=True) == "+12.50000"
    assert format_number(-3) == "-3"
    assert format_number(None) == ""
    assert short_name('Gill AL-SAMARAI "Scottish National Party (SNP)"') == "Gill AL-SAMARAI (SNP)"
    assert short_name("A very long name indeed, far too long", 12) == "A very long…"
    assert short_name("Plain Name") == "Plain Name"


def test_chart_is_a_png(small_blt: Path, tmp_path: Path) -> None:
    result = small_result(small_blt)
    png = chart_png(result, title="Small test")
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    out = tmp_path / "rounds.svg"
    save_chart(count_meek(parse_blt(small_blt).ballots, 3), out)
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
