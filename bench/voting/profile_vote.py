"""Profile casting votes in-process: the production profile, PostgreSQL, Django's test
client (no HTTP server), ``cProfile`` over ``--votes`` votes, and the SQL each vote runs.

    .venv/bin/python bench/voting/profile_vote.py [--votes 300] [--members 20000] [--keep]
        [--via wsgi|client]

``--via wsgi`` (the default) calls the production WSGI application (``rankandfile.wsgi``,
whose fast path answers token votes); ``--via client`` goes through Django's test client
(the full middleware stack and ninja), as before the fast path.

Creates (and drops, unless ``--keep``) the scratch database ``rankandfile_bench_prof``
with the generator of ``bench_eligibility.py``, opens one AV ballot, issues tokens as
``bench_voting.py`` does, then casts the votes one after another. Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import secrets
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))

import bench_eligibility as be  # noqa: E402
import bench_voting as bv  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default="rankandfile_bench_prof")
    p.add_argument("--members", type=int, default=20_000)
    p.add_argument("--votes", type=int, default=300)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--top", type=int, default=40)
    p.add_argument(
        "--via",
        choices=["wsgi", "client"],
        default="wsgi",
        help="wsgi: the production WSGI application (fast vote path); client: the test "
        "client (Django's full stack and ninja)",
    )
    args = p.parse_args()
    os.environ.update(bv.server_env(f"{args.server}/{args.db}", secrets.token_urlsafe(50)))
    os.environ["SHARED_CACHE"] = "1"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"  # the test client's host
    ns = argparse.Namespace(
        server=args.server, db=args.db, members=args.members, reuse=False, seed=1
    )
    try:
        bv.prepare(ns)
        from django.db import connection, reset_queries
        from django.test import Client, RequestFactory
        from django.test.utils import CaptureQueriesContext

        ballot, _ = bv.open_ballot(bv.create_ballot("Profile ballot"))
        _, tokens, _ = bv.issue_tokens(ballot, args.votes + 5, 7)
        rng = random.Random(3)
        path = f"/api/v1/ballots/{ballot.pk}/vote"

        factory = RequestFactory()

        def vote_client(token: str) -> int:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            body = json.dumps({"choice": bv.random_ranking(rng)})
            return client.post(path, body, content_type="application/json").status_code

        def vote_wsgi(token: str) -> int:
            body = json.dumps({"choice": bv.random_ranking(rng)})
            environ = factory.post(
                path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
            ).environ
            status: list[str] = []
            result = application(environ, lambda s, h, e=None: status.append(s))
            b"".join(result)
            return int(status[0].split()[0])

        from rankandfile.wsgi import application

        vote = vote_wsgi if args.via == "wsgi" else vote_client

        for token in tokens[:5]:  # warm up (URLconf, first connection)
            assert vote(token) == 201
        with CaptureQueriesContext(connection) as queries:
            assert vote(tokens[5]) == 201
        print(f"# SQL statements for one vote: {len(queries)}")
        for q in queries:
            print("#  ", q["sql"][:160])
        reset_queries()
        rest = tokens[6:]
        half = len(rest) // 2
        from voting.server import cpu_seconds

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        pg0 = cpu_seconds([backend]).get(backend, 0.0)
        t0 = time.process_time()
        plain = [vote(t) for t in rest[half:]]
        app_ms = 1000 * (time.process_time() - t0) / len(plain)
        pg_ms = 1000 * (cpu_seconds([backend]).get(backend, 0.0) - pg0) / len(plain)
        print(
            f"# {len(plain)} votes unprofiled: {app_ms:.2f} ms CPU a vote in this process, "
            f"{pg_ms:.2f} ms in its PostgreSQL backend "
            f"(clock ticks: +-{1000 / len(plain) * 0.01:.2f})"
        )
        rest = rest[:half]
        profile = cProfile.Profile(time.process_time)  # CPU, not waits
        t0 = time.process_time()
        w0 = time.perf_counter()
        profile.enable()
        statuses = [vote(t) for t in rest]
        profile.disable()
        cpu = time.process_time() - t0
        wall = time.perf_counter() - w0
        print(
            f"# {len(statuses)} votes ({statuses.count(201)} x 201, {statuses.count(409)} x 409):"
            f" {1000 * cpu / len(statuses):.2f} ms CPU and {1000 * wall / len(statuses):.2f} ms"
            " wall a vote (profiled)"
        )
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            be.drop_pg(args.server, args.db)


if __name__ == "__main__":
    main()
