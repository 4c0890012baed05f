"""Benchmark: a national round of selections in all 650 CLPs.

    .venv/bin/python bench/bench_selections.py [--server postgres://postgres@127.0.0.1:5432]
        [--db rankandfile_bench_selections] [--branches 6] [--affiliates 3] [--keep]

1. Creates a scratch PostgreSQL database (dropped first if it exists and again at the end
   unless ``--keep``), migrates it, loads the 650 constituencies with a CLP, ``--branches``
   ward branches and ``--affiliates`` locally affiliated unions each, a sitting MP of the
   party in each, a national admin and a CLP secretary per CLP.
2. Times, through the real services: opening a round of trigger ballots (2018 rule) in all
   650 CLPs (``services.round_open``); recording every branch's and affiliate's decision
   (``trigger_record_branch`` / ``trigger_record_affiliate``, one transaction and audit
   entry each); concluding all 650 trigger ballots.
3. Times the national admin's side-by-side comparison of the four rules for the round
   (``queries.rule_comparisons``, the data of the comparison page) and the page itself,
   against what a developer would write first: a loop over the selections reading each
   one's decisions and their branch or affiliate lazily (N+1 queries).
4. Times the daily reminders command (``services.reminders_send``) over 650 selections.

Prints a Markdown table (median of ``--repeat`` runs where repeated) with query counts.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONSTITUENCIES = ROOT / "src" / "rankandfile" / "membership" / "data" / "constituencies.csv"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default="rankandfile_bench_selections")
    p.add_argument("--branches", type=int, default=6)
    p.add_argument("--affiliates", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--seed", type=int, default=2019)
    return p.parse_args()


def recreate_pg(server: str, name: str, *, create: bool = True) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("RANKANDFILE_ENV", "test")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rankandfile.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(branches_per_clp: int, affiliates_per_clp: int) -> tuple[Any, list[Any]]:
    from django.utils.text import slugify

    from rankandfile.core.models import User
    from rankandfile.membership.models import (
        CLP,
        MP,
        Affiliate,
        AffiliateCLP,
        Branch,
        Constituency,
        Region,
        Role,
    )

    with CONSTITUENCIES.open(newline="") as f:
        rows = list(csv.DictReader(f))
    regions = {
        name: Region.objects.create(name=name, slug=slugify(name))
        for name in sorted({r["region"] for r in rows})
    }
    cons = Constituency.objects.bulk_create(
        Constituency(name=r["name"], ons_code=r["ons_code"], region=regions[r["region"]])
        for r in rows
    )
    clps = CLP.objects.bulk_create(
        CLP(constituency=c, name=c.name, slug=slugify(c.name)) for c in cons
    )
    Branch.objects.bulk_create(
        Branch(clp=clp, name=f"Ward {i + 1}") for clp in clps for i in range(branches_per_clp)
    )
    MP.objects.bulk_create(
        MP(mnis_id=10_000 + i, name=f"MP {i}", constituency=c, party="Labour")
        for i, c in enumerate(cons)
    )
    unions = Affiliate.objects.bulk_create(
        Affiliate(name=f"Union {i}", short_name=f"U{i}", kind="union") for i in range(12)
    )
    AffiliateCLP.objects.bulk_create(
        AffiliateCLP(affiliate=unions[(k + j) % len(unions)], clp=clp)
        for k, clp in enumerate(clps)
        for j in range(affiliates_per_clp)
    )
    admin = User.objects.create_user(email="admin@bench.example", password=None)
    Role.objects.create(user=admin, kind=Role.Kind.NATIONAL_ADMIN, start=dt.date(2000, 1, 1))
    secretaries = User.objects.bulk_create(User(email=f"sec{c.pk}@bench.example") for c in clps)
    Role.objects.bulk_create(
        Role(user=u, kind=Role.Kind.CLP_SECRETARY, clp=c, start=dt.date(2000, 1, 1))
        for u, c in zip(secretaries, clps, strict=True)
    )
    return admin, clps


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, int, Any]:
    """Median seconds, queries of the last run (counted by an execute wrapper: no cap),
    and the last result."""
    from django.db import connection

    times = []
    result = None
    n = 0
    for _ in range(repeat):
        count = [0]

        def counter(
            execute: Any, sql: Any, params: Any, many: Any, context: Any, count: Any = count
        ) -> Any:
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        n = count[0]
    return statistics.median(times), n, result


def naive_comparisons(rnd: Any) -> list[Any]:
    """The first version a developer writes: lazy reads per selection and per decision."""
    from rankandfile.selections import triggers

    out = []
    for selection in rnd.selections.all():
        votes = [
            triggers.UnitVote(
                "branch" if d.branch_id else "affiliate",
                d.branch.name if d.branch_id else d.affiliate.name,
                d.wants_open,
            )
            for d in selection.trigger_decisions.all()
        ]
        if votes:
            out.append((selection.clp.name, triggers.compare_all(votes)))
    return out


def main() -> None:
    args = parse_args()
    url = f"{args.server}/{args.db}"
    recreate_pg(args.server, args.db)
    try:
        setup_django(url)
        run(args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            recreate_pg(args.server, args.db, create=False)


def run(args: argparse.Namespace) -> None:
    from django.test import Client
    from django.utils import timezone

    from rankandfile.membership.models import Affiliate, Branch
    from rankandfile.selections import queries, services

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    admin, clps = load(args.branches, args.affiliates)
    load_s = time.perf_counter() - t0
    today = timezone.localdate()
    rows: list[tuple[str, float, int, str]] = []

    def open_round() -> Any:
        return services.round_open(
            actor=admin, name="Trigger ballots", clps=clps, mode="trigger_2018",
            freeze_date=today, trigger_closes=today + dt.timedelta(days=20),
            applications_open=today + dt.timedelta(days=21),
            applications_close=today + dt.timedelta(days=40),
            ballot_closes_by=today + dt.timedelta(days=120),
        )  # fmt: skip

    secs, n, rnd = timed(open_round)
    rows.append(("open a round in 650 CLPs (`round_open`)", secs, n, "one transaction"))

    selections = list(rnd.selections.select_related("clp"))
    branches: dict[int, list[Any]] = {}
    for b in Branch.objects.all():
        branches.setdefault(b.clp_id, []).append(b)
    affiliates: dict[int, list[Any]] = {}
    for a in Affiliate.objects.prefetch_related("clps"):
        for c in a.clps.all():
            affiliates.setdefault(c.pk, []).append(a)

    def record_all() -> int:
        count = 0
        for s in selections:
            p = rng.choice((0.2, 0.35, 0.5, 0.65))
            for b in branches[s.clp_id]:
                present = rng.randint(5, 40)
                yes = sum(rng.random() < p for _ in range(present))
                services.trigger_record_branch(actor=admin, selection=s, branch=b,
                                               members_present=present, votes_for=yes,
                                               votes_against=present - yes)  # fmt: skip
                count += 1
            for a in affiliates.get(s.clp_id, []):
                services.trigger_record_affiliate(
                    actor=admin, selection=s, affiliate=a,
                    vote="open" if rng.random() < p else "reselect",
                )  # fmt: skip
                count += 1
        return count

    secs, n, decisions = timed(record_all)
    rows.append(
        (f"record {decisions:,} decisions, one service call each", secs, n,
         f"{secs / decisions * 1000:.1f} ms and {n / decisions:.0f} queries per decision")
    )  # fmt: skip

    secs, n, comps = timed(lambda: queries.rule_comparisons(rnd), args.repeat)
    rows.append(("side-by-side of 4 rules × 650 CLPs (`rule_comparisons`)", secs, n,
                 f"{len(comps)} CLPs compared"))  # fmt: skip
    secs, n, _ = timed(lambda: naive_comparisons(rnd), args.repeat)
    rows.append(("the same, naive lazy loop (alternative)", secs, n, "N+1 queries"))
    client = Client()
    client.force_login(admin)
    secs, n, resp = timed(lambda: client.get(f"/selections/rounds/{rnd.pk}/compare/"), args.repeat)
    rows.append(("comparison page, rendered (GET)", secs, n,
                 f"HTTP {resp.status_code}, {len(resp.content) / 1e6:.1f} MB"))  # fmt: skip

    def conclude_all() -> int:
        opened = 0
        for s in selections:
            opened += services.trigger_conclude(actor=admin, selection=s).open_selection
        return opened

    secs, n, opened = timed(conclude_all)
    rows.append(("conclude 650 trigger ballots", secs, n,
                 f"{opened} open selections under the 2018 rule"))  # fmt: skip

    # Reminders: every selection now at applications (or reselected); put the deadline
    # two days away so every open one is due.
    from rankandfile.selections.models import Selection

    due_day = Selection.objects.filter(stage="applications").first()
    day = (due_day.applications_close - dt.timedelta(days=2)) if due_day else today
    secs, n, sent = timed(lambda: services.reminders_send(today=day))
    rows.append(("daily reminders over 650 selections", secs, n, f"{sent} reminders sent"))
    secs, n, sent = timed(lambda: services.reminders_send(today=day))
    rows.append(("the same again (all already sent)", secs, n, f"{sent} sent"))

    print(f"\nMachine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (1 min)")  # fmt: skip
    print(f"Structure loaded in {load_s:.1f} s ({len(clps)} CLPs, {args.branches} branches and "
          f"{args.affiliates} affiliates each)\n")  # fmt: skip
    print("| step | seconds | queries | note |")
    print("|---|---:|---:|---|")
    for name, secs, n, note in rows:
        print(f"| {name} | {secs:.3f} | {n:,} | {note} |")


if __name__ == "__main__":
    main()
