"""Benchmark: computing a 1,000,000-member electorate.

    .venv/bin/python bench/bench_eligibility.py [--members 1000000] [--sample 20000]
        [--server postgres://postgres@127.0.0.1:5432] [--db rankandfile_bench_eligibility]
        [--lazy-sample 5000] [--sqlite] [--keep] [--repeat 3] [--explain]

1. Creates a scratch database (PostgreSQL: ``--db`` on ``--server``, dropped first if it
   exists and dropped again at the end unless ``--keep``; with ``--sqlite`` a file under
   ``bench/out/``), migrates it, and loads the 650 real constituencies (12 regions and
   nations), a CLP for each and 5 ward branches each.
2. Generates ``--members`` members with realistic histories (joins skewed to the 2015-17
   surge, about a fifth lapsed, a third of those rejoined, some on the lapse day; arrears,
   suspensions, a few expulsions; dates of birth for most) straight into the tables:
   ``COPY`` on PostgreSQL, batched ``executemany`` on SQLite. Histories obey the
   invariants of ``membership.services`` (membership periods never touch or overlap).
3. Times ``membership.eligibility.electorate(rule)`` (one SQL query) for the six-month
   rule at a freeze date, party-wide, for the largest region and for one CLP: the count,
   and fetching every eligible id plus its ``electorate_digest`` (what a ballot needs).
4. For comparison, times what a user would otherwise run: the per-member Python check
   (``is_eligible`` over each member's history loaded by the ORM) on a random
   sample of members, (a) the naive loop (lazy foreign keys: several queries per member)
   on ``--lazy-sample`` members and (b) the same with ``select_related`` and
   ``prefetch_related`` in chunks of 2,000 on ``--sample`` members, and extrapolates both
   linearly to all members. It also checks that the Python
   answer on the sample equals the SQL electorate restricted to the sample.

Prints a Markdown table for bench/RESULTS.md. Timings are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CONSTITUENCIES = ROOT / "src" / "rankandfile" / "membership" / "data" / "constituencies.csv"
BRANCHES_PER_CLP = 5
FREEZE = dt.date(2019, 7, 31)  # a selection freeze date in the summer of 2019
TODAY = dt.date(2019, 9, 1)
FIRST = ["Alex", "Sam", "Jo", "Chris", "Pat", "Ruth", "Ade", "Priya", "Liam", "Siobhan"]
LAST = ["Smith", "Jones", "Khan", "Williams", "Evans", "O'Brien", "Patel", "Taylor", "Brown"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--members", type=int, default=1_000_000)
    p.add_argument("--sample", type=int, default=20_000, help="members for the Python check")
    p.add_argument(
        "--lazy-sample", type=int, default=5_000, help="members for the naive lazy ORM loop"
    )
    p.add_argument("--explain", action="store_true", help="print each query plan to stderr")
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default="rankandfile_bench_eligibility")
    p.add_argument("--sqlite", action="store_true", help="use an SQLite file instead")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per query (median shown)")
    p.add_argument("--seed", type=int, default=2019)
    return p.parse_args()


# --- scratch database ---------------------------------------------------------------------
def recreate_pg(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("RANKANDFILE_ENV", "test")
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rankandfile.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- data ---------------------------------------------------------------------------------
def load_structure() -> tuple[list[int], dict[int, list[int]], dict[int, int]]:
    """Regions, the 650 constituencies with a CLP each, 5 branches per CLP.

    Returns CLP ids, branch ids by CLP id, and region id by CLP id.
    """
    from django.utils.text import slugify

    from rankandfile.membership.models import CLP, Branch, Constituency, Region

    with CONSTITUENCIES.open(newline="") as f:
        rows = list(csv.DictReader(f))
    regions = {
        name: Region.objects.create(name=name, slug=slugify(name))
        for name in sorted({r["region"] for r in rows})
    }
    constituencies = Constituency.objects.bulk_create(
        Constituency(name=r["name"], ons_code=r["ons_code"], region=regions[r["region"]])
        for r in rows
    )
    clps = CLP.objects.bulk_create(
        CLP(constituency=c, name=c.name, slug=slugify(c.name)) for c in constituencies
    )
    Branch.objects.bulk_create(
        Branch(clp=clp, name=f"Ward {i + 1}") for clp in clps for i in range(BRANCHES_PER_CLP)
    )
    branches: dict[int, list[int]] = {}
    for bid, cid in Branch.objects.values_list("pk", "clp_id"):
        branches.setdefault(cid, []).append(bid)
    region_of = dict(CLP.objects.values_list("pk", "constituency__region_id"))
    return [c.pk for c in clps], branches, region_of


def join_date(rng: random.Random) -> dt.date:
    # Most of the 2019 membership joined in the 2015-17 surges; a long tail before.
    r = rng.random()
    if r < 0.55:
        lo, hi = dt.date(2015, 5, 1), dt.date(2017, 12, 31)
    elif r < 0.75:
        lo, hi = dt.date(1980, 1, 1), dt.date(2015, 4, 30)
    else:
        lo, hi = dt.date(2018, 1, 1), TODAY
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def history(rng: random.Random) -> list[tuple[str, dt.date, dt.date | None, str]]:
    """One member's periods (kind, start, end, end_reason), obeying the services' rules."""
    start = join_date(rng)
    out: list[tuple[str, dt.date, dt.date | None, str]] = []
    end: dt.date | None = None
    reason = ""
    if rng.random() < 0.2 and (TODAY - start).days > 40:
        end = start + dt.timedelta(days=rng.randrange(30, (TODAY - start).days))
        reason = "expelled" if rng.random() < 0.01 else "lapsed"
    if end is not None and reason == "lapsed" and rng.random() < 0.35 and (TODAY - end).days > 1:
        if rng.random() < 0.1:
            end, reason = None, ""  # rejoined on the lapse day: one continuous period
        else:
            out.append(("membership", start, end, reason))
            start = end + dt.timedelta(days=rng.randrange(1, max(2, (TODAY - end).days)))
            end, reason = None, ""
    out.append(("membership", start, end, reason))
    m_start, m_end = out[-1][1], out[-1][2]
    room = ((m_end or TODAY) - m_start).days
    if room > 20:
        r = rng.random()
        if r < 0.04:  # arrears, half of them paid
            s = m_start + dt.timedelta(days=rng.randrange(room - 10))
            e = s + dt.timedelta(days=rng.randrange(5, 400)) if rng.random() < 0.5 else None
            if m_end is not None and (e is None or e > m_end):
                e = m_end
            out.append(("arrears", s, e, "paid" if e else ""))
        elif r < 0.047:  # suspended, some lifted
            s = m_start + dt.timedelta(days=rng.randrange(room - 10))
            e = s + dt.timedelta(days=rng.randrange(30, 700)) if rng.random() < 0.4 else None
            if m_end is not None and (e is None or e > m_end):
                e = m_end
            out.append(("suspension", s, e, "lifted" if e else ""))
    return out


def date_of_birth(rng: random.Random) -> dt.date | None:
    if rng.random() < 0.15:
        return None
    age_days = rng.randrange(15 * 365, 90 * 365)
    if rng.random() < 0.15:  # a youth wing
        age_days = rng.randrange(15 * 365, 27 * 365)
    return TODAY - dt.timedelta(days=age_days)


MEMBER_COLS = [
    "id", "membership_number", "first_name", "last_name", "email", "address", "postcode",
    "clp_id", "branch_id", "gender", "date_of_birth", "updated_at",
]  # fmt: skip
PERIOD_COLS = ["member_id", "kind", "start", "end", "end_reason", "note"]


def generate(
    n: int, clps: list[int], branches: dict[int, list[int]], seed: int
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    rng = random.Random(seed)
    now = dt.datetime(2019, 9, 1, 12, tzinfo=dt.UTC)
    # CLP sizes vary (a few very large urban CLPs): weight by a skewed random factor.
    weights = [rng.paretovariate(2.5) for _ in clps]
    clp_choice = rng.choices(clps, weights=weights, k=n)
    genders = ["woman", "man", "woman", "man", "", "non_binary"]
    for i in range(1, n + 1):
        clp = clp_choice[i - 1]
        branch = rng.choice(branches[clp]) if rng.random() < 0.97 else None
        number = f"L{i:08d}"
        member = (
            i, number, rng.choice(FIRST), rng.choice(LAST), f"{number.lower()}@example.org",
            "1 High Street", "SW1A 1AA", clp, branch, rng.choice(genders),
            date_of_birth(rng), now,
        )  # fmt: skip
        periods = [(i, k, s, e, r, "") for k, s, e, r in history(rng)]
        yield member, periods


def load_members(n: int, clps: list[int], branches: dict[int, list[int]], seed: int) -> int:
    """Insert members and periods; returns the number of periods."""
    from django.db import connection

    n_periods = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            # The generator keeps referential integrity itself: skip the per-row foreign
            # key triggers for the load (needs a superuser, as on a scratch server).
            cursor.execute("SET session_replication_role = replica")
            member_rows: list[tuple[Any, ...]] = []
            period_rows: list[tuple[Any, ...]] = []
            for member, periods in generate(n, clps, branches, seed):
                member_rows.append(member)
                period_rows.extend(periods)
            cols = ", ".join(f'"{c}"' for c in MEMBER_COLS)
            with raw.copy(f"COPY membership_member ({cols}) FROM STDIN") as copy:
                for row in member_rows:
                    copy.write_row(row)
            cols = ", ".join(f'"{c}"' for c in PERIOD_COLS)
            with raw.copy(f"COPY membership_period ({cols}) FROM STDIN") as copy:
                for row in period_rows:
                    copy.write_row(row)
            n_periods = len(period_rows)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('membership_member', 'id'), %s)", [n]
            )
            cursor.execute("SET session_replication_role = DEFAULT")
        # A steady-state database: statistics gathered and the visibility map set, as
        # autovacuum leaves it (index-only scans need the latter).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        # Column names are the constants above, not input.
        m_sql = "INSERT INTO membership_member ({}) VALUES ({})".format(  # noqa: S608
            ", ".join(f'"{c}"' for c in MEMBER_COLS), ", ".join(["%s"] * len(MEMBER_COLS))
        )
        p_sql = "INSERT INTO membership_period ({}) VALUES ({})".format(  # noqa: S608
            ", ".join(f'"{c}"' for c in PERIOD_COLS), ", ".join(["%s"] * len(PERIOD_COLS))
        )
        from django.db import transaction

        batch_m: list[tuple[Any, ...]] = []
        batch_p: list[tuple[Any, ...]] = []
        with transaction.atomic(), connection.cursor() as cursor:
            for member, periods in generate(n, clps, branches, seed):
                batch_m.append(member)
                batch_p.extend(periods)
                if len(batch_m) >= 20_000:
                    cursor.executemany(m_sql, batch_m)
                    cursor.executemany(p_sql, batch_p)
                    n_periods += len(batch_p)
                    batch_m, batch_p = [], []
            cursor.executemany(m_sql, batch_m)
            cursor.executemany(p_sql, batch_p)
            n_periods += len(batch_p)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return n_periods


# --- timing -------------------------------------------------------------------------------
def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def naive_lazy(sample: list[int], rule: Any) -> set[int]:
    """What a user would write first: iterate members, build each history lazily."""
    from rankandfile.membership.eligibility import history_of, is_eligible
    from rankandfile.membership.models import Member

    out = set()
    for m in Member.objects.filter(pk__in=sample):
        if is_eligible(history_of(m), rule).eligible:
            out.add(m.pk)
    return out


def naive_prefetched(sample: list[int], rule: Any) -> set[int]:
    """The careful Python version: chunks of 2,000 with select/prefetch_related."""
    from rankandfile.membership.eligibility import history_of, is_eligible
    from rankandfile.membership.models import Member

    out = set()
    for i in range(0, len(sample), 2000):
        chunk = sample[i : i + 2000]
        qs = (
            Member.objects.filter(pk__in=chunk)
            .select_related("clp__constituency__region", "branch")
            .prefetch_related("periods")
        )
        for m in qs:
            if is_eligible(history_of(m, m.periods.all()), rule).eligible:
                out.add(m.pk)
    return out


def main() -> None:
    args = parse_args()
    if args.sqlite:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "bench_eligibility.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        recreate_pg(args.server, args.db)
        url = f"{args.server}/{args.db}"
    try:
        run(args, url)
    finally:
        if args.sqlite and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                (OUT / f"bench_eligibility.sqlite3{suffix}").unlink(missing_ok=True)
        elif not args.sqlite and not args.keep:
            from django.db import connections

            connections.close_all()
            drop_pg(args.server, args.db)


def run(args: argparse.Namespace, url: str) -> None:
    t0 = time.perf_counter()
    setup_django(url)
    from django.db import connection

    from rankandfile.membership.eligibility import (
        EligibilityRule,
        electorate,
        electorate_digest,
    )
    from rankandfile.membership.models import CLP, Member

    print(f"# migrated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    t0 = time.perf_counter()
    clps, branches, region_of = load_structure()
    n_periods = load_members(args.members, clps, branches, args.seed)
    load_s = time.perf_counter() - t0
    print(
        f"# loaded {args.members} members, {n_periods} periods in {load_s:.1f} s", file=sys.stderr
    )

    # The largest region, and a CLP of median size.
    sizes: dict[int, int] = {}
    for cid, count in (
        Member.objects.order_by()
        .values_list("clp_id")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("pk"))
    ):
        sizes[cid] = count
    by_region: dict[int, int] = {}
    for cid, count in sizes.items():
        by_region[region_of[cid]] = by_region.get(region_of[cid], 0) + count
    region_id = max(by_region, key=lambda r: by_region[r])
    clp_id = sorted(sizes, key=lambda c: sizes[c])[len(sizes) // 2]
    from rankandfile.membership.models import Region

    region_name = Region.objects.get(pk=region_id).name
    clp_name = CLP.objects.get(pk=clp_id).name

    rules = [
        ("party-wide", EligibilityRule(freeze_date=FREEZE, months=6), args.members),
        (
            f"region ({region_name})",
            EligibilityRule(freeze_date=FREEZE, scope_kind="region", scope_id=region_id),
            by_region[region_id],
        ),
        (
            f"CLP ({clp_name})",
            EligibilityRule(freeze_date=FREEZE, scope_kind="clp", scope_id=clp_id),
            sizes[clp_id],
        ),
    ]
    rows = []
    for label, rule, members_in_scope in rules:
        count_s, count = timed(lambda rule=rule: electorate(rule).count(), args.repeat)

        def ids_and_digest(rule: EligibilityRule = rule) -> tuple[list[int], str]:
            ids = list(electorate(rule).values_list("pk", flat=True))
            return ids, electorate_digest(ids)

        ids_s, (ids, _digest) = timed(ids_and_digest, args.repeat)
        assert len(ids) == count
        rows.append((label, members_in_scope, count, count_s, ids_s))
        if args.explain and connection.vendor == "postgresql":
            print(
                electorate(rule).values("pk").explain(analyze=True, buffers=True), file=sys.stderr
            )
        print(f"# {label}: {count} eligible, {count_s:.3f} s / {ids_s:.3f} s", file=sys.stderr)

    # The per-member Python alternative, on a random sample, extrapolated.
    rng = random.Random(args.seed + 1)
    sample = sorted(rng.sample(range(1, args.members + 1), min(args.sample, args.members)))
    party_rule = rules[0][1]
    lazy_sample = sample[: args.lazy_sample]
    lazy_s, lazy_set = timed(lambda: naive_lazy(lazy_sample, party_rule), 1)
    pre_s, pre_set = timed(lambda: naive_prefetched(sample, party_rule), 1)
    sql_set = set(electorate(party_rule).filter(pk__in=sample).values_list("pk", flat=True))
    agree = lazy_set == pre_set & set(lazy_sample) and pre_set == sql_set

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            engine = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        else:
            import sqlite3

            engine = f"SQLite {sqlite3.sqlite_version}"

    party_ids_s = rows[0][4]
    print()
    print(
        f"{engine}; {args.members:,} members, {n_periods:,} periods; freeze date "
        f"{FREEZE.isoformat()}, six months' continuous membership, not suspended, not in "
        f"arrears; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; median of {args.repeat} runs; data loaded in "
        f"{load_s:.0f} s."
    )
    print()
    print("| scope | members in scope | eligible | `electorate(rule).count()` | ids + digest |")
    print("|---|---:|---:|---:|---:|")
    for label, in_scope, count, count_s, ids_s in rows:
        print(f"| {label} | {in_scope:,} | {count:,} | {count_s:.2f} s | {ids_s:.2f} s |")
    print()
    print("Per-member Python check (`is_eligible` over ORM-loaded histories), party-wide,")
    print("timed on random members and extrapolated linearly to all members:")
    print()
    print("| method | sample | time on sample | extrapolated | vs SQL ids + digest |")
    print("|---|---:|---:|---:|---:|")
    for label, n, secs in [
        ("naive ORM loop (lazy foreign keys, 5 queries a member)", len(lazy_sample), lazy_s),
        ("ORM loop, select_related + prefetch_related, chunks of 2,000", len(sample), pre_s),
    ]:
        total = secs * args.members / n
        print(
            f"| {label} | {n:,} | {secs:.1f} s | {total:,.0f} s ({total / 60:.1f} min) | "
            f"{total / party_ids_s:,.0f}x slower |"
        )
    print()
    print(f"Python and SQL agree on the sample: {'yes' if agree else 'NO'}")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
