"""Benchmark: importing a 500,000-member export into PostgreSQL.

    .venv/bin/python bench/bench_import.py [--rows 500000] [--sample 20000]
        [--server postgres://postgres@127.0.0.1:5432] [--db rankandfile_bench_import] [--keep]
        [--sqlite] [--reuse] [--no-alternatives]

1. Generates a realistic export (names, emails, addresses, UK postcodes, the 650 real
   constituencies and their branches, membership histories with lapses, rejoins,
   suspensions, arrears, expulsions) into ``bench/out/`` (gitignored), and a second
   version of it with about 10% of the rows changed.
2. Creates a scratch database (dropped first if it exists, dropped again at the end unless
   ``--keep``), migrates it and loads the 650 constituencies, their CLPs and 5 branches
   each.
3. Times ``membership.importer.import_members`` (what ``rankandfile membership_import``
   runs): the first import (all created), the same file again (all unchanged), and the
   changed file (updates and replaced histories).
4. For comparison, times on a ``--sample``-row slice what a user would otherwise do, and
   extrapolates linearly to the full file: a naive per-row ORM loop
   (``update_or_create`` + replace the member's periods) and Django's ``loaddata`` of the
   same rows as a JSON fixture (which cannot even update by membership number).

Prints a Markdown table for bench/RESULTS.md. Timings are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CONSTITUENCIES = ROOT / "src" / "rankandfile" / "membership" / "data" / "constituencies.csv"
BRANCHES_PER_CLP = 5
WARD_WORDS = [
    "Central", "North", "South", "East", "West", "Park", "Hill", "Green", "Bridge",
    "Castle", "Abbey", "Valley", "Moor", "Vale", "Heath", "Riverside", "Cathedral",
]  # fmt: skip
STREETS = [
    "High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
    "Manor Road", "Park Avenue", "Queens Road", "New Street", "Mill Lane", "Chapel Street",
]  # fmt: skip
POSTCODE_AREAS = [
    "SW", "SE", "N", "E", "W", "NW", "M", "B", "LS", "SK", "L", "S", "NE", "CF", "EH",
    "G", "BT", "BS", "NG", "LE", "CV", "OX", "BN", "PL", "EX", "DH", "HU", "YO",
]  # fmt: skip
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
HEADER = [
    "membership_number", "first_name", "last_name", "email", "address", "postcode",
    "constituency", "branch", "gender", "date_of_birth", "history",
]  # fmt: skip


# --- Data -----------------------------------------------------------------------------
def constituencies() -> list[tuple[str, str, str]]:
    with CONSTITUENCIES.open(encoding="utf-8") as f:
        return [(r["name"], r["ons_code"], r["region"]) for r in csv.DictReader(f)]


def branch_names(constituency: str) -> list[str]:
    town = constituency.split(",")[0].split(" and ")[0].split()[0]
    return [f"{town} {w}" for w in WARD_WORDS[:BRANCHES_PER_CLP]]


def name_pools(rng: random.Random) -> tuple[list[str], list[str], list[str]]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(rng.randrange(1 << 30))
    women = sorted({fake.first_name_female() for _ in range(3000)})
    men = sorted({fake.first_name_male() for _ in range(3000)})
    last = sorted({fake.last_name() for _ in range(6000)})
    return women, men, last


def d(day: dt.date) -> str:
    return day.isoformat()


def random_history(rng: random.Random, today: dt.date) -> str:
    """A membership history in the export's notation (docs/membership-import.md)."""
    joined = dt.date(1985, 1, 1) + dt.timedelta(days=rng.randrange(0, (today.year - 1985) * 365))
    joined = min(joined, today - dt.timedelta(days=30))
    left = (today - joined).days
    roll = rng.random()
    if roll < 0.55 or left < 400:
        return f"{d(joined)}.."
    lapse = joined + dt.timedelta(days=rng.randrange(200, left))
    if roll < 0.70:
        return f"{d(joined)}..{d(lapse)}"
    if roll < 0.82:  # lapsed and rejoined
        if (today - lapse).days < 60:
            return f"{d(joined)}..{d(lapse)}"
        rejoin = lapse + dt.timedelta(days=rng.randrange(30, (today - lapse).days))
        return f"{d(joined)}..{d(lapse)}; {d(rejoin)}.."
    if roll < 0.88:  # currently suspended
        return f"{d(joined)}..; suspended {d(lapse)}.."
    if roll < 0.94:  # in arrears now, after an earlier suspension that was lifted
        mid = joined + dt.timedelta(days=(lapse - joined).days // 2)
        suspended = joined + dt.timedelta(days=30)
        return f"{d(joined)}..; suspended {d(suspended)}..{d(mid)}; arrears {d(lapse)}.."
    if roll < 0.97:
        suspended = joined + dt.timedelta(days=100)
        return f"{d(joined)}..{d(lapse)} expelled; suspended {d(suspended)}..{d(lapse)} expelled"
    return f"{d(joined)}..{d(lapse)} resigned"


def postcode(rng: random.Random) -> str:
    return (
        f"{rng.choice(POSTCODE_AREAS)}{rng.randrange(1, 20)} "
        f"{rng.randrange(0, 10)}{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}"
    )


def generate_rows(n: int, seed: int = 2019) -> Iterator[list[str]]:
    rng = random.Random(seed)
    women, men, last_names = name_pools(rng)
    places = constituencies()
    today = dt.date.today()
    for i in range(n):
        name, _, _ = rng.choice(places)
        roll = rng.random()
        gender = (
            "woman"
            if roll < 0.47
            else "man"
            if roll < 0.92
            else rng.choice(["non_binary", "other", ""])
        )
        first = rng.choice(women if gender == "woman" else men)
        last = rng.choice(last_names)
        dob = (
            d(dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 78)))
            if rng.random() < 0.85
            else ""
        )
        yield [
            f"L{1000000 + i:07d}",
            first,
            last,
            f"{first}.{last}{i}@example.org".lower().replace(" ", "").replace("'", ""),
            f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, {name.split(',')[0]}",
            postcode(rng),
            name,
            rng.choice(branch_names(name)) if rng.random() < 0.9 else "",
            gender,
            dob,
            random_history(rng, today),
        ]


def write_csv(path: Path, rows: Iterator[list[str]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for row in rows:
            w.writerow(row)
            count += 1
    return count


def changed(rows: Iterator[list[str]], seed: int = 2024) -> Iterator[list[str]]:
    """About 10% of rows changed: 7% new email or address, 3% a new lapse in the history."""
    rng = random.Random(seed)
    for row in rows:
        roll = rng.random()
        if roll < 0.04:
            row[3] = row[3].replace("@example.org", "@example.net")
        elif roll < 0.07:
            row[4] = f"Flat {rng.randrange(1, 40)}, {row[4]}"
        elif roll < 0.10 and row[10].endswith("..") and ";" not in row[10]:
            start = dt.date.fromisoformat(row[10][:10])
            if (dt.date.today() - start).days > 10:
                row[10] = f"{row[10]}{d(start + dt.timedelta(days=5))}"
        yield row


def read_rows(path: Path, limit: int) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return [row for _, row in zip(range(limit), reader, strict=False)]


# --- Database -------------------------------------------------------------------------
def recreate_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_structure() -> None:
    from django.utils.text import slugify

    from rankandfile.membership.models import CLP, Branch, Constituency, Region

    places = constituencies()
    regions = {
        r: Region.objects.get_or_create(name=r, defaults={"slug": slugify(r)})[0]
        for r in sorted({p[2] for p in places})
    }
    Constituency.objects.bulk_create(
        Constituency(name=n, ons_code=code, region=regions[r]) for n, code, r in places
    )
    CLP.objects.bulk_create(
        CLP(constituency=c, name=f"{c.name} CLP", slug=slugify(c.name))
        for c in Constituency.objects.all()
    )
    Branch.objects.bulk_create(
        Branch(clp=clp, name=b)
        for clp in CLP.objects.select_related("constituency")
        for b in branch_names(clp.constituency.name)
    )


def reset_members() -> None:
    from django.db import connection

    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("TRUNCATE membership_period, membership_member RESTART IDENTITY CASCADE")
        else:
            c.execute("DELETE FROM membership_period")
            c.execute("DELETE FROM membership_member")


# --- The alternatives -----------------------------------------------------------------
def naive_orm_loop(rows: list[list[str]]) -> None:
    """What a quick script would do: one update_or_create and a history rewrite per row."""
    from django.db import transaction

    from rankandfile.membership.models import CLP, Branch, Member, Period

    with transaction.atomic():
        for row in rows:
            clp = CLP.objects.get(constituency__name=row[6])
            branch = Branch.objects.filter(clp=clp, name=row[7]).first() if row[7] else None
            member, _ = Member.objects.update_or_create(
                membership_number=row[0],
                defaults={
                    "first_name": row[1],
                    "last_name": row[2],
                    "email": row[3],
                    "address": row[4],
                    "postcode": row[5],
                    "clp": clp,
                    "branch": branch,
                    "gender": row[8],
                    "date_of_birth": row[9] or None,
                },
            )
            member.periods.all().delete()
            for kind, start, end in parse_history_simply(row[10]):
                Period.objects.create(member=member, kind=kind, start=start, end=end)


def parse_history_simply(text: str) -> list[tuple[str, str, str | None]]:
    out = []
    for entry in text.split(";"):
        words = entry.split()
        kind = "membership"
        if words[0] in {"suspended", "arrears"}:
            kind = "suspension" if words.pop(0) == "suspended" else "arrears"
        start, end = words[0].split("..")
        out.append((kind, start, end or None))
    return out


def loaddata_fixture(rows: list[list[str]], path: Path) -> None:
    """The same rows as a Django JSON fixture (explicit primary keys; no update by number)."""
    from rankandfile.membership.models import CLP, Branch

    clps = dict(CLP.objects.values_list("constituency__name", "id"))
    branches = {(c, n): i for i, c, n in Branch.objects.values_list("id", "clp_id", "name")}
    objects: list[dict[str, Any]] = []
    pk = 0
    for i, row in enumerate(rows, start=1):
        clp = clps[row[6]]
        objects.append(
            {
                "model": "membership.member",
                "pk": i,
                "fields": {
                    "membership_number": row[0],
                    "first_name": row[1],
                    "last_name": row[2],
                    "email": row[3],
                    "address": row[4],
                    "postcode": row[5],
                    "clp": clp,
                    "branch": branches.get((clp, row[7])),
                    "gender": row[8],
                    "date_of_birth": row[9] or None,
                    "updated_at": "2025-01-01T00:00:00Z",
                },
            }
        )
        for kind, start, end in parse_history_simply(row[10]):
            pk += 1
            objects.append(
                {
                    "model": "membership.period",
                    "pk": pk,
                    "fields": {"member": i, "kind": kind, "start": start, "end": end},
                }
            )
    path.write_text(json.dumps(objects))


# --- Running --------------------------------------------------------------------------
BACKEND_PID: int | None = None  # the PostgreSQL server process serving this benchmark


def backend_cpu() -> float:
    """CPU seconds used so far by our PostgreSQL backend (local server only; else 0)."""
    if BACKEND_PID is None:
        return 0.0
    try:
        fields = Path(f"/proc/{BACKEND_PID}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall-clock seconds, CPU seconds (this process + its database backend), and what
    ``fn`` returned. On a busy machine the CPU figure is the steadier one."""
    print(f"-- {label} ...", file=sys.stderr, flush=True)
    t, c, b = time.perf_counter(), time.process_time(), backend_cpu()
    result = fn()
    elapsed = time.perf_counter() - t
    py, db = time.process_time() - c, backend_cpu() - b
    load = os.getloadavg()[0]
    print(
        f"   {elapsed:.1f} s (CPU: Python {py:.1f} s + database {db:.1f} s; load {load:.1f})",
        file=sys.stderr,
        flush=True,
    )
    CPU_SPLIT[label] = (py, db)
    return elapsed, py + db, result


CPU_SPLIT: dict[str, tuple[float, float]] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="rankandfile_bench_import")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--sqlite",
        action="store_true",
        help="use a scratch SQLite file in bench/out/ instead of PostgreSQL",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the CSV files in bench/out/ if present"
    )
    parser.add_argument(
        "--no-alternatives", action="store_true", help="skip the ORM-loop and loaddata runs"
    )
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    full = OUT / f"members-{args.rows}.csv"
    updated = OUT / f"members-{args.rows}-changed.csv"
    sample = OUT / f"members-{args.sample}-sample.csv"
    t_gen = 0.0
    if not (args.reuse and full.exists() and updated.exists()):
        t_gen, _, _ = timed(
            f"generate {args.rows:,} rows", lambda: write_csv(full, generate_rows(args.rows))
        )
        write_csv(updated, changed(generate_rows(args.rows)))
    sample_rows = read_rows(full, args.sample)
    write_csv(sample, iter(sample_rows))

    sqlite_path = OUT / "bench_import.sqlite3"
    if args.sqlite:
        sqlite_path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_path}"
    else:
        recreate_database(args.server, args.db)
        os.environ["DATABASE_URL"] = f"{args.server}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rankandfile.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from rankandfile.membership.importer import import_members
    from rankandfile.membership.models import Member, Period

    try:
        call_command("migrate", verbosity=0)
        load_structure()
        if args.sqlite:
            import sqlite3

            db_version = f"SQLite {sqlite3.sqlite_version} (in-process: CPU is all Python's)"
        else:
            global BACKEND_PID
            with connection.cursor() as c:
                c.execute("SELECT version(), pg_backend_pid()")
                version, BACKEND_PID = c.fetchone()
                db_version = version.split(",")[0]

        results: list[tuple[str, int, float, float, str]] = []

        def importer_run(path: Path, **kwargs: Any) -> Any:
            return import_members(actor=None, source=path, **kwargs)

        t, cpu, report = timed("import (all new)", lambda: importer_run(full))
        assert report.committed and report.created == args.rows, report.summary()
        members, periods = Member.objects.count(), Period.objects.count()
        results.append(
            ("importer: first import (all created)", args.rows, t, cpu, report.summary())
        )
        t, cpu, report = timed("re-import, same file", lambda: importer_run(full))
        assert report.unchanged == args.rows, report.summary()
        results.append(
            ("importer: same file again (all unchanged)", args.rows, t, cpu, report.summary())
        )
        t, cpu, report = timed("re-import, ~10% changed", lambda: importer_run(updated))
        assert report.committed, report.summary()
        results.append(("importer: changed file (updates)", args.rows, t, cpu, report.summary()))
        t, cpu, report = timed(
            "dry run of the original file", lambda: importer_run(full, dry_run=True)
        )
        results.append(("importer: dry run (check only)", args.rows, t, cpu, report.summary()))

        if not args.no_alternatives:
            # The alternatives, on a sample into an empty members table, extrapolated.
            reset_members()
            t, cpu, report = timed(
                f"importer on the {args.sample:,}-row sample", lambda: importer_run(sample)
            )
            results.append(
                (f"importer: {args.sample:,}-row sample", args.sample, t, cpu, report.summary())
            )
            reset_members()
            t, cpu, _ = timed(
                f"naive ORM loop on {args.sample:,} rows", lambda: naive_orm_loop(sample_rows)
            )
            results.append(
                ("naive per-row ORM loop (update_or_create)", args.sample, t, cpu, "extrapolated")
            )
            reset_members()
            fixture = OUT / f"members-{args.sample}-sample.json"
            loaddata_fixture(sample_rows, fixture)
            t, cpu, _ = timed(
                f"loaddata on {args.sample:,} rows",
                lambda: call_command("loaddata", str(fixture), verbosity=0),
            )
            results.append(
                (
                    "Django loaddata (JSON fixture, creates only)",
                    args.sample,
                    t,
                    cpu,
                    "extrapolated",
                )
            )
    finally:
        connection.close()
        if not args.keep:
            if args.sqlite:
                sqlite_path.unlink(missing_ok=True)
            else:
                drop_database(args.server, args.db)

    size_mb = full.stat().st_size / 1e6
    print(
        f"\n{args.rows:,} rows ({size_mb:.0f} MB) -> {members:,} members, {periods:,} periods; "
        f"{db_version}; Python {platform.python_version()}; {os.cpu_count()} CPUs; "
        f"generation {t_gen:.0f} s\n"
    )
    print(
        f"| What | Rows timed | Wall time | CPU (Python + database) | Rows/s (wall) | "
        f"Wall for {args.rows:,} rows | CPU for {args.rows:,} rows |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, n, secs, cpu, _ in results:
        scale = args.rows / n
        note = "" if n == args.rows else " (extrapolated)"
        print(
            f"| {label} | {n:,} | {secs:.1f} s | {cpu:.1f} s | {n / secs:,.0f} | "
            f"{_fmt(secs * scale)}{note} | {_fmt(cpu * scale)}{note} |"
        )
    print()
    for label, _, _, _, summary in results:
        if summary != "extrapolated":
            print(f"- {label}: {summary}")


def _fmt(secs: float) -> str:
    return f"{secs:.0f} s" if secs < 120 else f"{secs / 60:.0f} min"


if __name__ == "__main__":
    main()
