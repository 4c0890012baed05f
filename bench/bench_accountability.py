"""Benchmark: recomputing every MP's score on every policy, and the MP page.

    .venv/bin/python bench/bench_accountability.py [--mps 650] [--divisions 10000]
        [--policies 300] [--links-per-policy 34] [--server postgres://postgres@127.0.0.1:5432]
        [--db rankandfile_bench_accountability] [--repeat 3] [--pages 200] [--keep]
        [--naive-sample 2000]

1. Creates a scratch PostgreSQL database (``--db`` on ``--server``; dropped first if it
   exists and again at the end unless ``--keep``), migrates it, and loads the 650 real
   constituencies with a CLP each and ``--mps`` MPs (parties in realistic shares; 20 MPs
   with a recorded change of party).
2. Generates ``--divisions`` divisions with a vote row for every MP in each (votes follow
   party lines with rebels and absentees; ~10% absent), written with ``COPY`` into
   ``MPVote``, plus the packed copy the importer writes (``importer.pack_votes``' format).
3. Creates ``--policies`` policies with ``--links-per-policy`` links each (distinct
   divisions per policy, 70% strong), so the links cover ~all divisions.
4. Times ``batch.recompute_scores()`` (wall clock around the call, COMMIT included) —
   read the votes, score both methods and the party comparison, compare with the stored
   rows, write the differences — from scratch (empty table: every row inserted), then
   ``--repeat`` reruns with nothing changed (median), then twice after flipping every
   link's direction (every row updated); and the pure ``scoring.score_matrix`` alone on
   the same arrays. Per-phase timings go to stderr.
5. For comparison, times what one would otherwise write: a Python loop calling
   ``scoring.score_votes`` per (MP, policy) over the votes already in memory, on
   ``--naive-sample`` pairs, extrapolated linearly to every pair.
6. Times the MP page (``/accountability/mps/<mnis_id>/``) through Django's test client
   (in process: URL routing, middleware, queries, template; no network) for ``--pages``
   random MPs after a warm-up: p50, p95, max.

Prints a Markdown table for bench/RESULTS.md (section "Accountability").
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONSTITUENCIES = ROOT / "src" / "rankandfile" / "membership" / "data" / "constituencies.csv"
PARTIES = [("Conservative", 0.48), ("Labour", 0.40), ("Scottish National Party", 0.055),
           ("Liberal Democrat", 0.02), ("Democratic Unionist Party", 0.015),
           ("Independent", 0.03)]  # fmt: skip


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mps", type=int, default=650)
    p.add_argument("--divisions", type=int, default=10_000)
    p.add_argument("--policies", type=int, default=300)
    p.add_argument("--links-per-policy", type=int, default=34)
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default="rankandfile_bench_accountability")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--pages", type=int, default=200)
    p.add_argument("--naive-sample", type=int, default=2000)
    p.add_argument("--keep", action="store_true")
    p.add_argument(
        "--no-vote-rows",
        action="store_true",
        help="skip the MPVote rows (the recompute and the MP page read only the packed votes)",
    )
    p.add_argument("--seed", type=int, default=2019)
    return p.parse_args()


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


def copy_rows(table: str, columns: list[str], rows: Any) -> None:
    from django.db import connection

    buffer = io.StringIO()
    for r in rows:
        buffer.write("\t".join(str(v) for v in r))
        buffer.write("\n")
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(buffer.getvalue())


def load(args: argparse.Namespace) -> dict[str, Any]:
    import datetime as dt

    import numpy as np
    from django.db import transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from rankandfile.accountability.models import (
        Division,
        MPVote,
        PackedVotes,
        PartyChange,
        Policy,
        PolicyDivision,
    )
    from rankandfile.accountability.parties import is_ours
    from rankandfile.membership.models import CLP, MP, Constituency, Region

    rng = np.random.default_rng(args.seed)
    with CONSTITUENCIES.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    regions = {
        n: Region.objects.create(name=n, slug=slugify(n)) for n in {r["region"] for r in rows}
    }
    cons = Constituency.objects.bulk_create(
        Constituency(name=r["name"], ons_code=r["ons_code"], region=regions[r["region"]])
        for r in rows
    )
    CLP.objects.bulk_create(CLP(constituency=c, name=c.name, slug=slugify(c.name)) for c in cons)
    names = [p for p, _ in PARTIES]
    shares = np.array([s for _, s in PARTIES])
    party_idx = rng.choice(len(names), size=args.mps, p=shares / shares.sum())
    mps = MP.objects.bulk_create(
        MP(mnis_id=10000 + i, name=f"MP {i}", constituency=cons[i % len(cons)],
           party=names[party_idx[i]])
        for i in range(args.mps)
    )  # fmt: skip
    mp_ids = np.array([m.pk for m in mps], dtype=np.int64)
    now = timezone.now()
    start = dt.date(2010, 5, 25)
    divs = Division.objects.bulk_create(
        Division(division_id=100000 + k, number=k % 450 + 1, date=start + dt.timedelta(days=k // 4),
                 title=f"Division {k}", aye_count=0, no_count=0, primary_source="commons",
                 imported_at=now)
        for k in range(args.divisions)
    )  # fmt: skip
    # Votes: each party has a line per division; 8% of MPs rebel, 10% are absent.
    line = rng.integers(1, 3, size=(len(names), args.divisions))  # 1 aye / 2 no
    pos = line[party_idx]  # (MPs, divisions)
    rebel = rng.random(pos.shape) < 0.08
    pos = np.where(rebel, 3 - pos, pos)
    pos = np.where(rng.random(pos.shape) < 0.10, 4, pos).astype(np.int8)
    party_of = [names[i] for i in party_idx]
    ours_flags = np.array([is_ours(p) for p in party_of], dtype=np.uint8)
    t0 = time.perf_counter()
    with transaction.atomic():
        for k0 in range(0, 0 if args.no_vote_rows else args.divisions, 1000):
            copy_rows(
                MPVote._meta.db_table,
                ["division_id", "mp_id", "source", "position", "teller", "proxy_name", "party"],
                (
                    (divs[k].pk, mp_ids[i], "commons", int(pos[i, k]), "f", "", party_of[i])
                    for k in range(k0, min(k0 + 1000, args.divisions))
                    for i in range(args.mps)
                ),
            )
        packed_ids = mp_ids.astype("<i4").tobytes()
        ours_bytes = ours_flags.tobytes()
        PackedVotes.objects.bulk_create(
            (
                PackedVotes(division=divs[k], source="commons", mp_ids=packed_ids,
                            positions=pos[:, k].astype("i1").tobytes(), ours=ours_bytes)
                for k in range(args.divisions)
            ),
            batch_size=1000,
        )  # fmt: skip
        labour = [m for m, p in zip(mps, party_of, strict=True) if p == "Labour"][:20]
        PartyChange.objects.bulk_create(
            PartyChange(mp=m, date=start + dt.timedelta(days=1000 + 37 * n), kind="left_party",
                        from_party="Labour", to_party="Independent", origin="officer")
            for n, m in enumerate(labour)
        )  # fmt: skip
        policies = Policy.objects.bulk_create(
            Policy(title=f"Policy {p}", slug=f"policy-{p}") for p in range(args.policies)
        )
        order = rng.permutation(args.divisions)
        links = []
        for p, policy in enumerate(policies):
            chosen = {int(order[(p * args.links_per_policy + n) % args.divisions])
                      for n in range(args.links_per_policy)}  # fmt: skip
            for k in chosen:
                links.append(
                    PolicyDivision(policy=policy, division=divs[k],
                                   aye_supports=bool(rng.integers(2)),
                                   strength="strong" if rng.random() < 0.7 else "weak",
                                   justification="Synthetic benchmark link.", alerted_at=now)
                )  # fmt: skip
        PolicyDivision.objects.bulk_create(links, batch_size=5000)
    load_s = time.perf_counter() - t0
    return {"pos": pos, "links": links, "divs": divs, "mps": mps, "load_s": load_s,
            "policies": policies}  # fmt: skip


def main() -> None:
    args = parse_args()
    recreate_pg(args.server, args.db)
    try:
        run(args, f"{args.server}/{args.db}")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_pg(args.server, args.db)


def run(args: argparse.Namespace, url: str) -> None:
    setup_django(url)
    import numpy as np
    from django.test import Client

    from rankandfile.accountability import batch, scoring
    from rankandfile.accountability.models import Score

    data = load(args)
    print(f"# loaded in {data['load_s']:.1f} s", file=sys.stderr)

    from django.db import connection

    def timed(label: str) -> tuple[float, float, Any]:
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = batch.recompute_scores(reason="bench")  # atomic: includes the COMMIT
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        phases = ", ".join(f"{k} {v:.2f}" for k, v in result.phases.items())
        print(f"# {label}: {wall:.2f} s wall, {cpu:.2f} s CPU, {result.scores} scores, "
              f"written {result.written}; {phases}", file=sys.stderr)  # fmt: skip
        return wall, cpu, result

    # 1. From scratch: the Score table is empty, every row is inserted.
    scratch = timed("from scratch")
    # 2. Reruns with nothing changed (the usual case after an import: few rows change).
    full = []
    full_cpu = []
    for _ in range(args.repeat):
        wall, cpu, _ = timed("rerun")
        full.append(wall)
        full_cpu.append(cpu)
    # 3. Every score changed: flip the direction of every link, recompute; flip back.
    flipped = []
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accountability_policydivision SET aye_supports = NOT aye_supports"
            )
        flipped.append(timed("every link flipped"))
    n_scores = Score.objects.count()

    pos = data["pos"]
    div_col = {d.pk: k for k, d in enumerate(data["divs"])}
    pol_col = {p.pk: j for j, p in enumerate(data["policies"])}
    links = data["links"]
    ld = [div_col[lk.division_id] for lk in links]
    lp = [pol_col[lk.policy_id] for lk in links]
    la = [lk.aye_supports for lk in links]
    ls = [lk.strength == "strong" for lk in links]
    pure = []
    pure_cpu = []
    for _ in range(args.repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        scoring.score_matrix(pos, ld, lp, la, ls, len(data["policies"]), [0] * len(pos), "twfy")
        scoring.score_matrix(pos, ld, lp, la, ls, len(data["policies"]), None, "publicwhip")
        pure.append(time.perf_counter() - t0)
        pure_cpu.append(time.process_time() - c0)

    # The alternative: a Python loop over (MP, policy) pairs with score_votes.
    by_policy: dict[int, list[int]] = {}
    for n, j in enumerate(lp):
        by_policy.setdefault(j, []).append(n)
    rng = random.Random(args.seed)
    pairs = [
        (rng.randrange(len(pos)), rng.randrange(len(data["policies"])))
        for _ in range(args.naive_sample)
    ]
    t0 = time.perf_counter()
    for i, j in pairs:
        for method in scoring.METHODS:
            scoring.score_votes(
                (scoring.Vote(int(pos[i, ld[n]]), la[n], ls[n]) for n in by_policy.get(j, [])),
                method,
            )
    naive = (time.perf_counter() - t0) / len(pairs) * len(pos) * len(data["policies"])
    print(f"# pure {statistics.median(pure):.2f} s, naive {naive:.1f} s", file=sys.stderr)

    client = Client()
    ids = [m.mnis_id for m in data["mps"]]
    for mnis in ids[:5]:
        client.get(f"/accountability/mps/{mnis}/")
    times = []
    cpu_times = []
    for _ in range(args.pages):
        mnis = rng.choice(ids)
        c0 = time.process_time()
        t0 = time.perf_counter()
        response = client.get(f"/accountability/mps/{mnis}/")
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    cpu_times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    cpu_p95 = cpu_times[int(0.95 * (len(cpu_times) - 1))]

    avg = os.getloadavg()
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {avg[0]:.1f} / {avg[1]:.1f} / {avg[2]:.1f}; PostgreSQL; "
          f"Python {platform.python_version()}")  # fmt: skip
    print()
    rows = args.mps * args.divisions
    loaded = "not loaded (--no-vote-rows)" if args.no_vote_rows else "loaded"
    print(f"{args.mps} MPs × {args.divisions:,} divisions ({rows:,} votes, packed; "
          f"MPVote rows {loaded}) "
          f"× {args.policies} policies, {len(links):,} links; "
          f"{n_scores:,} score rows written.")  # fmt: skip
    print()
    print("| what | wall clock | CPU of this process |")
    print("|---|---|---|")
    print(f"| full recompute from scratch (empty `Score` table: read packed votes, both methods, "
          f"party comparison, compare, insert all {scratch[2].scores:,} rows with COPY) | "
          f"{scratch[0]:.2f} s | {scratch[1]:.2f} s (+ PostgreSQL's COPY) |")  # fmt: skip
    print(f"| full recompute, nothing changed (reads, scores and compares everything; writes "
          f"nothing), median of {args.repeat} | {statistics.median(full):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in full)}) | "
          f"{statistics.median(full_cpu):.2f} s |")  # fmt: skip
    print(f"| full recompute after flipping every link's direction (every row changed: more "
          f"than half, so all are deleted and re-inserted with COPY), 2 runs | "
          f"{', '.join(f'{f[0]:.2f}' for f in flipped)} s | "
          f"{', '.join(f'{f[1]:.2f}' for f in flipped)} s "
          f"(+ PostgreSQL's DELETE and COPY) |")  # fmt: skip
    print(
        f"| pure `scoring.score_matrix`, both methods, median | {statistics.median(pure):.2f} s "
        f"| {statistics.median(pure_cpu):.2f} s |"
    )
    print(f"| alternative: Python loop of `score_votes` per (MP, policy), extrapolated from "
          f"{args.naive_sample} pairs | {naive:.1f} s | |")  # fmt: skip
    print(f"| MP page via the test client, {args.pages} random MPs: p50 / p95 / max | "
          f"{statistics.median(times):.1f} / {p95:.1f} / {times[-1]:.1f} ms | "
          f"{statistics.median(cpu_times):.1f} / {cpu_p95:.1f} / {cpu_times[-1]:.1f} ms "
          f"(+ PostgreSQL's query time) |")  # fmt: skip
    _ = np


if __name__ == "__main__":
    main()
