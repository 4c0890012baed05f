"""Loading the party's structure: regions, the 650 constituencies, their CLPs and the MPs.

Sources:

- ``membership/data/constituencies.csv`` (shipped with the code): the 650 Westminster
  constituencies on the 2010-2024 boundaries with their ONS code and region (see the
  README beside it for provenance);
- the Commons data set ``commons/constituencies-2019.csv`` under
  ``settings.REFERENCE_DATA_DIR``: each constituency's MP as at April 2019, with the MNIS id
  the Parliament APIs use. It is optional: without it the structure loads and MPs are
  skipped with a warning.

The party is Labour-like: it organises a constituency party (CLP) in every constituency,
and records the MPs of every party so members can see who represents them. The seven
Labour MPs who left the party on 18 February 2019 to form The Independent Group are
recorded with ``left_party_on`` and a note (docs/domain.md, "When an MP leaves the
party").
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext

from rankandfile.core import audit
from rankandfile.core.models import User
from rankandfile.membership.models import CLP, MP, Constituency, Region

CONSTITUENCIES_CSV = Path(__file__).resolve().parent / "data" / "constituencies.csv"

TIG_DATE = dt.date(2019, 2, 18)
TIG_NOTE = "left to form The Independent Group"
# Constituency names spelled as in the Commons data (and constituencies.csv).
TIG_CONSTITUENCIES = frozenset(
    {
        "Streatham",
        "Liverpool, Wavertree",
        "Nottingham East",
        "Penistone and Stocksbridge",
        "Ilford South",
        "Luton South",
        "Stockport",
    }
)


# The audit log is a record, not a message: its label stays English whatever the language.
AUDIT_LABEL = "party structure"


class StructureError(Exception):
    """The structure data cannot be loaded (missing or malformed file); nothing was written."""


def default_mps_path() -> Path:
    return Path(settings.REFERENCE_DATA_DIR) / "commons" / "constituencies-2019.csv"


def clp_name(constituency_name: str) -> str:
    return f"{constituency_name} CLP"


def clp_slug(constituency_name: str) -> str:
    """URL slug of a CLP: from the constituency's name (``liverpool-wavertree``)."""
    return slugify(constituency_name)


@dataclass
class StructureResult:
    regions_created: int = 0
    constituencies_created: int = 0
    constituencies_updated: int = 0
    clps_created: int = 0
    mps_created: int = 0
    mps_updated: int = 0
    mps_skipped: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.regions_created,
                self.constituencies_created,
                self.constituencies_updated,
                self.clps_created,
                self.mps_created,
                self.mps_updated,
            )
        )

    def summary(self) -> dict[str, int | bool]:
        return {
            "regions_created": self.regions_created,
            "constituencies_created": self.constituencies_created,
            "constituencies_updated": self.constituencies_updated,
            "clps_created": self.clps_created,
            "mps_created": self.mps_created,
            "mps_updated": self.mps_updated,
            "mps_skipped": self.mps_skipped,
        }


def _read_csv(path: Path, required: set[str]) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = required - set(reader.fieldnames or ())
            if missing:
                raise StructureError(
                    gettext("%(path)s: missing column(s) %(columns)s")
                    % {"path": path, "columns": ", ".join(sorted(missing))}
                )
            return [{k: (v or "").strip() for k, v in row.items()} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise StructureError(
            gettext("cannot read %(path)s: %(problem)s") % {"path": path, "problem": exc}
        ) from exc


@transaction.atomic
def structure_load(
    *,
    actor: User | None,
    mps_path: Path | None = None,
    require_mps: bool = False,
    constituencies_path: Path = CONSTITUENCIES_CSV,
) -> StructureResult:
    """Create or update regions, constituencies, CLPs and MPs from the data files.

    Idempotent: existing rows are matched (regions by name, constituencies by ONS code,
    CLPs by constituency, MPs by MNIS id) and only missing or changed rows are written;
    an existing CLP's name and slug are left alone (officers may have renamed it).

    ``mps_path`` defaults to the Commons data shipped in the package; if that file is absent MPs are
    skipped with a warning, unless ``require_mps`` (an explicitly named file must exist).

    Side effects: one audit entry ``membership.structure.load`` with the counts, written
    only when something changed (a re-run that changes nothing leaves no trace). Raises
    :class:`StructureError` (nothing written) for an unreadable or malformed file.
    """
    result = apply_structure(
        mps_path=mps_path, require_mps=require_mps, constituencies_path=constituencies_path
    )
    if result.changed:
        audit.record(
            actor=actor,
            action="membership.structure.load",
            data=result.summary(),
            label=AUDIT_LABEL,
        )
    return result


def apply_structure(
    *,
    mps_path: Path | None = None,
    require_mps: bool = False,
    constituencies_path: Path = CONSTITUENCIES_CSV,
) -> StructureResult:
    """The writes of :func:`structure_load` without its transaction and audit entry.

    For services that load the structure as one step of a larger audited action (the demo
    seed); they must call it inside their transaction and record the result themselves.
    """
    result = StructureResult()
    rows = _read_csv(constituencies_path, {"name", "ons_code", "region"})

    regions = {r.name: r for r in Region.objects.all()}
    new_regions = []
    for name in sorted({row["region"] for row in rows}):
        if name not in regions:
            region = Region(name=name, slug=slugify(name))
            new_regions.append(region)
            regions[name] = region
    Region.objects.bulk_create(new_regions)
    result.regions_created = len(new_regions)

    existing = {c.ons_code: c for c in Constituency.objects.all()}
    to_create: list[Constituency] = []
    to_update: list[Constituency] = []
    for row in rows:
        region = regions[row["region"]]
        con = existing.get(row["ons_code"])
        if con is None:
            to_create.append(
                Constituency(name=row["name"], ons_code=row["ons_code"], region_id=region.pk)
            )
        elif con.name != row["name"] or con.region_id != region.pk:
            con.name = row["name"]
            con.region = region
            to_update.append(con)
    Constituency.objects.bulk_update(to_update, ["name", "region"])
    Constituency.objects.bulk_create(to_create)
    result.constituencies_created = len(to_create)
    result.constituencies_updated = len(to_update)

    by_name = {c.name: c for c in Constituency.objects.all()}
    with_clp = set(CLP.objects.values_list("constituency_id", flat=True))
    new_clps = [
        CLP(constituency_id=con.pk, name=clp_name(con.name), slug=clp_slug(con.name))
        for con in sorted(by_name.values(), key=lambda c: c.name)
        if con.pk not in with_clp
    ]
    CLP.objects.bulk_create(new_clps)
    result.clps_created = len(new_clps)

    path = mps_path if mps_path is not None else default_mps_path()
    if path.exists():
        _load_mps(path, by_name, result)
    elif require_mps:
        raise StructureError(gettext("MP file not found: %(path)s") % {"path": path})
    else:
        result.mps_skipped = True
        result.warnings.append(f"MP data not found at {path}: MPs skipped")
    return result


def _load_mps(path: Path, by_name: dict[str, Constituency], result: StructureResult) -> None:
    rows = _read_csv(path, {"constituency", "mp_name", "mp_member_id", "mp_party"})
    existing = {m.mnis_id: m for m in MP.objects.all()}
    fields = ("name", "constituency_id", "party", "in_office", "left_party_on", "left_party_note")
    to_create: list[MP] = []
    to_update: list[MP] = []
    for line, row in enumerate(rows, start=2):
        try:
            mnis_id = int(row["mp_member_id"])
        except ValueError:
            result.warnings.append(f"{path.name} line {line}: bad MNIS id {row['mp_member_id']!r}")
            continue
        con = by_name.get(row["constituency"])
        if con is None:
            result.warnings.append(
                f"{path.name} line {line}: unknown constituency {row['constituency']!r}"
            )
        left = row["constituency"] in TIG_CONSTITUENCIES
        wanted = {
            "name": row["mp_name"],
            "constituency_id": con.pk if con else None,
            "party": row["mp_party"],
            "in_office": True,
            "left_party_on": TIG_DATE if left else None,
            "left_party_note": TIG_NOTE if left else "",
        }
        mp = existing.get(mnis_id)
        if mp is None:
            to_create.append(MP(mnis_id=mnis_id, **wanted))
        elif any(getattr(mp, f) != wanted[f] for f in fields):
            for f in fields:
                setattr(mp, f, wanted[f])
            to_update.append(mp)
    MP.objects.bulk_create(to_create)
    MP.objects.bulk_update(to_update, list(fields))
    result.mps_created = len(to_create)
    result.mps_updated = len(to_update)
