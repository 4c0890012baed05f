"""Loading regions, constituencies, CLPs and MPs (membership/structure.py)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rankandfile.core import audit
from rankandfile.core.models import AuditEntry
from rankandfile.membership import structure
from rankandfile.membership.models import CLP, MP, Constituency, Region

pytestmark = pytest.mark.django_db

REGION_COUNTS = {
    "London": 73,
    "South East": 84,
    "North West": 75,
    "East of England": 58,
    "West Midlands": 59,
    "South West": 55,
    "Yorkshire and The Humber": 54,
    "East Midlands": 46,
    "North East": 29,
    "Scotland": 59,
    "Wales": 40,
    "Northern Ireland": 18,
}
# The seven Labour MPs who left on 18 February 2019 (docs/domain.md), by MNIS id.
TIG = {
    "Streatham": ("Chuka Umunna", 4128),
    "Liverpool, Wavertree": ("Luciana Berger", 4036),
    "Nottingham East": ("Mr Chris Leslie", 422),
    "Penistone and Stocksbridge": ("Angela Smith", 1564),
    "Ilford South": ("Mike Gapes", 184),
    "Luton South": ("Mr Gavin Shuker", 4013),
    "Stockport": ("Ann Coffey", 458),
}


@pytest.fixture
def mps_csv() -> Path:
    path = structure.default_mps_path()
    # Reference data is part of the test contract: missing data must fail, never skip.
    assert path.exists(), f"Commons reference data missing at {path}"
    return path


def test_load_creates_the_650_constituencies_in_12_regions(mps_csv: Path) -> None:
    result = structure.structure_load(actor=None)

    assert result.changed and not result.warnings
    assert Region.objects.count() == 12
    assert Constituency.objects.count() == 650
    assert CLP.objects.count() == 650
    counts = {r.name: r.constituencies.count() for r in Region.objects.all()}
    assert counts == REGION_COUNTS
    assert Region.objects.get(name="Yorkshire and The Humber").slug == "yorkshire-and-the-humber"


def test_every_constituency_has_one_clp_named_after_it(mps_csv: Path) -> None:
    structure.structure_load(actor=None)

    assert not Constituency.objects.filter(clp__isnull=True).exists()
    wavertree = CLP.objects.select_related("constituency").get(slug="liverpool-wavertree")
    assert wavertree.name == "Liverpool, Wavertree CLP"
    assert wavertree.constituency.ons_code == "E14000795"
    assert CLP.objects.get(constituency__name="Ynys Môn").slug == "ynys-mon"


def test_mps_of_april_2019_linked_to_their_constituencies(mps_csv: Path) -> None:
    structure.structure_load(actor=None)

    assert MP.objects.count() == 650
    assert not MP.objects.filter(constituency__isnull=True).exists()
    assert MP.objects.filter(party="Labour").count() == 213
    assert MP.objects.filter(party="Labour (Co-op)").count() == 33
    assert MP.objects.filter(party="Conservative").count() == 313
    assert MP.objects.get(constituency__name="Brighton, Pavilion").party == "Green Party"


def test_the_seven_who_left_on_18_february_2019_are_flagged(mps_csv: Path) -> None:
    structure.structure_load(actor=None)

    flagged = MP.objects.filter(left_party_on__isnull=False).select_related("constituency")
    assert {str(m.constituency): (m.name, m.mnis_id) for m in flagged} == TIG
    for mp in flagged:
        assert mp.left_party_on == dt.date(2019, 2, 18)
        assert mp.left_party_note == "left to form The Independent Group"
        assert mp.party == "Independent"
    # Other Independents (e.g. Frank Field) are not among the seven.
    assert MP.objects.get(mnis_id=478).left_party_on is None


def test_rerun_changes_nothing_and_writes_one_audit_entry_in_all(mps_csv: Path) -> None:
    structure.structure_load(actor=None)
    entries = list(AuditEntry.objects.filter(action="membership.structure.load"))
    assert len(entries) == 1
    assert entries[0].data["clps_created"] == 650
    assert entries[0].data["mps_created"] == 650

    again = structure.structure_load(actor=None)

    assert not again.changed
    assert again.summary()["clps_created"] == 0
    assert AuditEntry.objects.filter(action="membership.structure.load").count() == 1
    assert (Region.objects.count(), CLP.objects.count(), MP.objects.count()) == (12, 650, 650)
    assert audit.verify().ok


def test_rerun_repairs_a_changed_mp_and_keeps_a_renamed_clp(mps_csv: Path) -> None:
    structure.structure_load(actor=None)
    MP.objects.filter(mnis_id=4128).update(party="Labour", left_party_on=None)
    CLP.objects.filter(slug="streatham").update(name="Streatham Labour Party")

    result = structure.structure_load(actor=None)

    assert result.mps_updated == 1
    umunna = MP.objects.get(mnis_id=4128)
    assert (umunna.party, umunna.left_party_on) == ("Independent", dt.date(2019, 2, 18))
    assert CLP.objects.get(slug="streatham").name == "Streatham Labour Party"


def test_missing_shared_data_skips_mps_with_a_warning(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.REFERENCE_DATA_DIR = tmp_path

    result = structure.structure_load(actor=None)

    assert result.mps_skipped
    assert "MPs skipped" in result.warnings[0]
    assert CLP.objects.count() == 650
    assert MP.objects.count() == 0


def test_malformed_constituency_file_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "constituencies.csv"
    bad.write_text("name,code\nStreatham,E14000978\n", encoding="utf-8")

    with pytest.raises(structure.StructureError, match="missing column"):
        structure.structure_load(actor=None, constituencies_path=bad)

    assert not Region.objects.exists()
    assert not AuditEntry.objects.exists()


def test_bad_rows_in_the_mp_file_are_reported(tmp_path: Path) -> None:
    mps = tmp_path / "mps.csv"
    mps.write_text(
        "constituency,mp_name,mp_member_id,mp_party\n"
        "Streatham,Chuka Umunna,4128,Independent\n"
        "Atlantis,Nobody,1,Labour\n"
        "Stockport,Ann Coffey,x,Independent\n",
        encoding="utf-8",
    )

    result = structure.structure_load(actor=None, mps_path=mps, require_mps=True)

    assert result.mps_created == 2
    assert any("line 3: unknown constituency 'Atlantis'" in w for w in result.warnings)
    assert any("line 4: bad MNIS id 'x'" in w for w in result.warnings)
    assert MP.objects.get(mnis_id=1).constituency is None


def test_command_loads_then_reports_nothing_to_do(mps_csv: Path) -> None:
    out = StringIO()
    call_command("membership_load_structure", stdout=out)
    assert "12 regions, 650 constituencies" in out.getvalue()
    assert "650 CLPs, 650 MPs" in out.getvalue()

    out = StringIO()
    call_command("membership_load_structure", "--mps", str(mps_csv), stdout=out)
    assert "nothing changed" in out.getvalue()


def test_command_with_a_missing_mp_file_fails(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="MP file not found"):
        call_command("membership_load_structure", "--mps", str(tmp_path / "none.csv"))
    assert not Region.objects.exists()
