"""Benchmark: casting votes over HTTP, killing the server mid-load, freezing and counting.

    .venv/bin/python bench/bench_voting.py load    [--rate 300] [--duration 60] ...
    .venv/bin/python bench/bench_voting.py kill    [--kill-at 25] ...
    .venv/bin/python bench/bench_voting.py timings [--members 1400000] [--papers 500000]

``load`` and ``kill``:

1. Create a scratch PostgreSQL database (``--db`` on ``--server``; dropped first, and at
   the end unless ``--keep``; ``--reuse`` keeps an existing one and its members), migrate
   it, ``createcachetable``, and bulk-load ``--members`` members with realistic histories
   (the generator of ``bench_eligibility.py``, by COPY).
2. Create one party-wide AV ballot with 8 candidates and open it with
   ``services.ballot_open`` (freezing the electorate: about 500,000 of 700,000 members).
3. Give ``--voters`` random electors a login and a personal API token with a known
   secret (COPY; only the SHA-256 of the secret is stored, as ``core.tokens`` does).
4. Start gunicorn (``-k gthread``; ``--workers``/``--threads``) with the production
   profile (``RANKANDFILE_ENV=production``, a random ``SECRET_KEY``,
   ``ALLOWED_HOSTS=127.0.0.1``, ``SECURE_SSL_REDIRECT=0``: no TLS on loopback) on a free
   port of 127.0.0.1, and warm it up. ``rankandfile.wsgi:application`` is what production
   serves: token votes take its lean path (``ballots.fastvote``), everything else Django.
5. Send ``--rate`` votes a second for ``--duration`` seconds, each a different member's
   first vote (``POST /api/v1/ballots/{id}/vote`` with the member's token, a random
   ranking), plus about ``--dup-rate`` duplicate submissions: retries of an acknowledged
   vote and simultaneous pairs by one member. Open loop: requests are sent on schedule
   whether or not earlier ones have been answered.
6. ``kill`` only: at ``--kill-at`` seconds, SIGKILL the gunicorn master and all its
   workers at once, start a new gunicorn at once, and carry on with the schedule.
7. Afterwards every member whose vote failed (no answer) retries once: the answer must be
   201 (the first attempt was never committed) or 409 (it was committed but the answer
   was lost: "unacknowledged but counted").
8. Verify in the database: every acknowledged tracking code is a paper, exactly once;
   papers == vote records == acknowledged + unacknowledged-but-counted; the members
   with a vote record are exactly those acknowledged or unacknowledged-but-counted;
   every duplicate got 409 and each simultaneous pair exactly one 201.

``timings``: a scratch database of ``--members`` members (about 1,000,000 eligible),
times ``services.ballot_open`` (freezing the electorate) on a party-wide ballot, loads
``--papers`` random AV papers by COPY and times ``tally.ballot_close`` (shuffle, publish
BLT and CSV, digest, count) and ``tally.ballot_recount``.

Prints Markdown for bench/RESULTS.md. Only 127.0.0.1 is ever contacted. The load
generator runs on the same machine as the server and PostgreSQL and competes with them
for its cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import secrets
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

import bench_eligibility as be  # noqa: E402 - bench/ is put on the path just above
from voting.loadgen import Job, Outcome, Run, Voter, percentile, schedule  # noqa: E402
from voting.server import Gunicorn, cpu_seconds, free_port  # noqa: E402
from voting.webjourney import WebRun  # noqa: E402

CANDIDATES = ["Ash", "Bell", "Carr", "Dunn", "Ekwe", "Ford", "Gill", "Hale"]
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("mode", choices=["load", "kill", "web", "timings"])
    p.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default=None, help="default rankandfile_bench_vote[_1m]")
    p.add_argument("--members", type=int, default=None, help="default 700,000 (1,400,000)")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p.add_argument("--reuse", action="store_true", help="reuse the scratch database's members")
    p.add_argument("--seed", type=int, default=2019)
    # load / kill
    p.add_argument("--rate", type=float, default=300.0, help="first votes a second")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    p.add_argument("--dup-rate", type=float, default=0.01, help="duplicates per vote")
    p.add_argument("--twin-share", type=float, default=0.2, help="share of simultaneous pairs")
    p.add_argument("--voters", type=int, default=None, help="default rate x duration x 1.1")
    p.add_argument("--connections", type=int, default=64, help="client connections")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--worker-class", default="gthread")
    p.add_argument("--no-preload", action="store_true")
    p.add_argument("--kill-at", type=float, default=None, help="kill mode: default duration/2")
    # timings
    p.add_argument("--papers", type=int, default=500_000)
    args = p.parse_args()
    big = args.mode == "timings"
    args.db = args.db or ("rankandfile_bench_vote_1m" if big else "rankandfile_bench_vote")
    args.members = args.members or (1_400_000 if big else 700_000)
    args.voters = args.voters or int(args.rate * args.duration * 1.1) + 200
    if args.kill_at is None:
        args.kill_at = args.duration / 2
    if args.duration > 600 or args.rate > 5000:
        p.error("keep the benchmark bounded: at most 600 s and 5,000 votes a second")
    return args


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


# --- database -----------------------------------------------------------------------------
def database_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        return row is not None


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("RANKANDFILE_ENV", "test")
    os.environ["SHARED_CACHE"] = "1"  # the database cache table the production profile uses
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rankandfile.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def prepare(args: argparse.Namespace) -> tuple[str, float]:
    """The scratch database with its members; returns its URL and the load time."""
    url = f"{args.server}/{args.db}"
    reuse = args.reuse and database_exists(args.server, args.db)
    if not reuse:
        be.recreate_pg(args.server, args.db)
    t0 = time.perf_counter()
    setup_django(url)
    from rankandfile.membership.models import Member

    if not reuse or not Member.objects.exists():
        clps, branches, _ = be.load_structure()
        n_periods = be.load_members(args.members, clps, branches, args.seed)
        log(f"loaded {args.members:,} members, {n_periods:,} periods")
    return url, time.perf_counter() - t0


def admin_user() -> Any:
    from rankandfile.core.models import User
    from rankandfile.membership.models import Role

    user, created = User.objects.get_or_create(email="returning-officer@bench.invalid")
    if created:
        Role.objects.create(user=user, kind=Role.Kind.NATIONAL_ADMIN, start=dt.date(2000, 1, 1))
    return user


def create_ballot(title: str, hours_open: float = 6.0) -> Any:
    from django.utils import timezone

    from rankandfile.ballots import services

    now = timezone.now()
    return services.ballot_create(
        actor=admin_user(),
        title=title,
        method="av",
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(hours=hours_open),
        freeze_date=be.FREEZE,
        scope_kind="party",
        options=[services.OptionSpec(name) for name in CANDIDATES],
    )


def open_ballot(ballot: Any) -> tuple[Any, float]:
    from rankandfile.ballots import services

    t0 = time.perf_counter()
    ballot = services.ballot_open(actor=admin_user(), ballot=ballot)
    return ballot, time.perf_counter() - t0


class CpuClock:
    """CPU seconds of this process and of its PostgreSQL backend (Django's connection)
    since ``start()``: figures that other work on the machine does not inflate much, unlike
    the wall-clock time."""

    def start(self) -> CpuClock:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend = cursor.fetchone()[0]
        self.app0 = time.process_time()
        self.db0 = cpu_seconds([self.backend]).get(self.backend, 0.0)
        return self

    def read(self) -> tuple[float, float]:
        app = time.process_time() - self.app0
        return app, cpu_seconds([self.backend]).get(self.backend, 0.0) - self.db0


def issue_tokens(ballot: Any, n: int, seed: int) -> tuple[list[int], list[str], str]:
    """``n`` random electors without a login get one, with an API token; returns their
    member ids, token strings (``rf_<prefix>_<secret>``, as core.tokens issues) and the
    tag that marks this batch's logins."""
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.member_id FROM ballots_elector e JOIN membership_member m "
            "ON m.id = e.member_id WHERE e.ballot_id = %s AND m.user_id IS NULL",
            [ballot.pk],
        )
        candidates = [r[0] for r in cursor.fetchall()]
    members = rng.sample(candidates, n)
    now = timezone.now()
    tag = secrets.token_hex(3)
    emails = [f"voter-{tag}-{i}@bench.invalid" for i in range(n)]
    secrets_ = [secrets.token_urlsafe(32) for _ in range(n)]
    prefixes = [f"{tag}v{i}"[:12] for i in range(n)]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY core_user (password, is_superuser, email, full_name, is_staff, is_active, "
            "date_joined) FROM STDIN"
        ) as copy:
            for email in emails:
                copy.write_row(("!", False, email, "Bench Voter", False, True, now))
        cursor.execute(
            "SELECT id, email FROM core_user WHERE email LIKE %s", [f"voter-{tag}-%@bench.invalid"]
        )
        user_of = {email: uid for uid, email in cursor.fetchall()}
        user_ids = [user_of[e] for e in emails]
        cursor.execute("CREATE TEMP TABLE bench_link (member_id bigint, user_id bigint)")
        with raw.copy("COPY bench_link (member_id, user_id) FROM STDIN") as copy:
            for mid, uid in zip(members, user_ids, strict=True):
                copy.write_row((mid, uid))
        cursor.execute(
            "UPDATE membership_member m SET user_id = l.user_id FROM bench_link l "
            "WHERE m.id = l.member_id"
        )
        cursor.execute("DROP TABLE bench_link")
        with raw.copy(
            "COPY core_apitoken (user_id, name, prefix, digest, created_at, scopes, expires_at) "
            "FROM STDIN"
        ) as copy:
            # Scoped and expiring like every token (core.tokens): voting needs "write".
            expires = now + dt.timedelta(days=30)
            for uid, prefix, secret in zip(user_ids, prefixes, secrets_, strict=True):
                digest = hashlib.sha256(secret.encode()).hexdigest()
                copy.write_row((uid, "bench", prefix, digest, now, "read write", expires))
        cursor.execute("ANALYZE core_user, core_apitoken, membership_member")
    tokens = [f"rf_{p}_{s}" for p, s in zip(prefixes, secrets_, strict=True)]
    return members, tokens, tag


def random_ranking(rng: random.Random) -> list[int]:
    ranking = list(range(len(CANDIDATES)))
    rng.shuffle(ranking)
    return ranking[: rng.choice([1, 2, 3, 3, 4, 4, 5, 8])]


# --- load ---------------------------------------------------------------------------------
def server_env(url: str, secret_key: str) -> dict[str, str]:
    """The production profile. The mixing task runs in the request that completes a batch
    (the immediate task backend): no separate worker process is started."""
    env = dict(os.environ)
    env.update(
        RANKANDFILE_ENV="production",
        SECRET_KEY=secret_key,
        TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
        AUDIT_HMAC_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        # Production refuses to start without it (links in emails start from it).
        RANKANDFILE_BASE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=url,
        DATABASE_CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        DEBUG="0",
    )
    env.pop("SHARED_CACHE", None)
    env.pop("PYTEST_VERSION", None)
    return env


def warm_up(run: Run, probe_tokens: list[str], ballot_id: int, n: int = 400) -> None:
    """GET the ballot ``n`` times over several connections, so every worker thread has
    loaded the URLconf and opened its database connection before the clock starts."""
    import http.client
    import threading

    def hammer(k: int) -> None:
        conn = http.client.HTTPConnection(run.host, run.port, timeout=30)
        for i in range(n // 16):
            token = probe_tokens[(k + i) % len(probe_tokens)]
            conn.request(
                "GET", f"/api/v1/ballots/{ballot_id}", headers={"Authorization": f"Bearer {token}"}
            )
            conn.getresponse().read()
        conn.close()

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def retry_failed(run: Run, outcomes: list[Outcome]) -> list[Outcome]:
    """Each member whose vote got no answer (and no later 201) tries once more."""
    acked = {o.voter for o in outcomes if o.status == 201}
    failed = sorted({o.voter for o in outcomes if o.error and o.job.kind != "retry"} - acked)
    import http.client

    conn = http.client.HTTPConnection(run.host, run.port, timeout=30)
    retries = []
    for voter in failed:
        out = run.send(conn, Job(0.0, voter, "vote"), voter)
        if out.error:
            conn.close()
            conn = http.client.HTTPConnection(run.host, run.port, timeout=30)
        retries.append(out)
    conn.close()
    return retries


def summarise_latency(outcomes: list[Outcome]) -> dict[str, float]:
    ok = [o for o in outcomes if o.status in (201, 409)]
    service = sorted(1000 * (o.done - o.sent) for o in ok)
    response = sorted(1000 * (o.done - o.job.at) for o in ok)
    return {
        "p50": percentile(service, 50),
        "p95": percentile(service, 95),
        "p99": percentile(service, 99),
        "max": service[-1] if service else 0.0,
        "r_p50": percentile(response, 50),
        "r_p95": percentile(response, 95),
        "r_p99": percentile(response, 99),
        "r_max": response[-1] if response else 0.0,
    }


def per_second(outcomes: list[Outcome], duration: float) -> list[int]:
    buckets = Counter(int(o.done) for o in outcomes if o.status == 201)
    return [buckets.get(s, 0) for s in range(int(duration))]


def run_load(args: argparse.Namespace) -> None:
    url, load_s = prepare(args)
    from django.conf import settings
    from django.db import connections

    from rankandfile.ballots.models import Ballot, Paper, VoteRecord

    # The server's secret, here too: the close (in this process) opens the sealed papers.
    secret_key = secrets.token_urlsafe(50)
    settings.SECRET_KEY = secret_key
    settings.BALLOT_SECRECY_KEY = ""
    reusable = (
        Ballot.objects.filter(state=Ballot.State.OPEN, title__startswith="Bench ballot")
        .order_by("-pk")
        .first()
        if args.reuse
        else None
    )
    if reusable is not None:  # --reuse: its electors who have no login yet vote this time
        ballot, open_s = reusable, float("nan")
    else:
        ballot, open_s = open_ballot(create_ballot(f"Bench ballot ({args.mode})"))
    log(f"ballot {ballot.pk} opened: {ballot.electorate_size:,} electors in {open_s:.1f} s")
    n_probe = 100
    _members, tokens, tag = issue_tokens(ballot, args.voters + n_probe, args.seed + ballot.pk)
    probe_tokens = tokens[args.voters :]
    rng = random.Random(args.seed)
    if args.mode == "web":
        sessions = issue_sessions(tag, args.voters)
        voters = [Voter(token=key, body=form_body(random_ranking(rng))) for key in sessions]
    else:
        voters = [
            Voter(token=t, body=json.dumps({"choice": random_ranking(rng)}).encode())
            for t in tokens[: args.voters]
        ]
    n_votes = int(args.rate * args.duration)
    jobs = schedule(n_votes, args.rate, args.dup_rate, args.twin_share, rng)
    if n_votes > len(voters):
        raise SystemExit("not enough voters for the rate and duration: raise --voters")
    before = {
        "papers": Paper.objects.filter(ballot=ballot).count(),
        "records": VoteRecord.objects.filter(ballot=ballot).count(),
    }
    connections.close_all()

    OUT.mkdir(parents=True, exist_ok=True)
    server_log = OUT / f"bench_voting_{args.mode}_gunicorn.log"
    server_log.unlink(missing_ok=True)
    port = args.port or free_port()
    server = Gunicorn(
        gunicorn=str(Path(sys.executable).with_name("gunicorn")),
        port=port,
        env=server_env(url, secret_key),
        log=server_log,
        workers=args.workers,
        threads=args.threads,
        worker_class=args.worker_class,
        preload=not args.no_preload,
    )
    if args.mode == "web":  # the production profile serves static files by their manifest
        import subprocess

        rankandfile = str(Path(sys.executable).with_name("rankandfile"))
        subprocess.run(
            [rankandfile, "collectstatic", "--no-input", "-v", "0"],
            env=server_env(url, secret_key),
            check=True,
        )
    probe = f"/api/v1/ballots/{ballot.pk}"
    run_class = WebRun if args.mode == "web" else Run
    run = run_class(
        host="127.0.0.1",
        port=port,
        path=(
            f"/ballots/{ballot.pk}/vote/"
            if args.mode == "web"
            else f"/api/v1/ballots/{ballot.pk}/vote"
        ),
        voters=voters,
        jobs=jobs,
        connections=args.connections,
        deadline=args.duration + max(30.0, args.duration / 2),
    )
    if isinstance(run, WebRun):
        run.timings = {}
    kill: dict[str, float] = {}

    def killer(t0: float) -> None:
        time.sleep(max(0.0, t0 + args.kill_at - time.perf_counter()))
        kill["at"] = time.perf_counter() - t0
        kill["processes"] = server.kill_hard()
        server.start()
        kill["ready_after"] = server.wait_ready(probe, probe_tokens[0])
        kill["back_at"] = time.perf_counter() - t0

    server.start()
    try:
        boot_s = server.wait_ready(probe, probe_tokens[0])
        warm_up(run, probe_tokens, ballot.pk)
        log(f"gunicorn ready in {boot_s:.1f} s on port {port}; {len(jobs):,} requests to send")
        cpu_before = cpu_snapshot(server, args.server, args.db)
        run.run(during=killer if args.mode == "kill" else None)
        cpu = cpu_used(cpu_before, cpu_snapshot(server, args.server, args.db))
        wall = max(o.done for o in run.outcomes)
        retries = retry_failed(run, run.outcomes)
    finally:
        server.stop()
    report_load(args, ballot, run, retries, kill, wall, load_s, open_s, boot_s, cpu, before, tag)


def pg_backends(server: str, db: str) -> list[int]:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [db],
        ).fetchall()
    return [r[0] for r in rows]


def cpu_snapshot(server: Gunicorn, pg_server: str, db: str) -> dict[str, Any]:
    """CPU seconds so far of gunicorn (master and workers), of the benchmark database's
    PostgreSQL backends, of this process (the load generator), and of the whole machine."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return {
        "server": cpu_seconds(server.pids()),
        "database": cpu_seconds(pg_backends(pg_server, db)),
        "generator": time.process_time(),
        "machine_busy": (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"),
    }


def cpu_used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """CPU seconds used between two snapshots (processes that died in between are lost:
    meaningful for ``load``, not for ``kill``)."""
    out = {}
    for key in ("server", "database"):
        out[key] = sum(v - before[key].get(pid, 0.0) for pid, v in after[key].items())
    out["generator"] = after["generator"] - before["generator"]
    out["machine_busy"] = after["machine_busy"] - before["machine_busy"]
    return out


def report_load(
    args: argparse.Namespace,
    ballot: Any,
    run: Run,
    retries: list[Outcome],
    kill: dict[str, float],
    wall: float,
    load_s: float,
    open_s: float,
    boot_s: float,
    cpu: dict[str, float],
    before: dict[str, int],
    tag: str,
) -> None:
    from django.db import connection

    from rankandfile.ballots.models import Paper, VoteRecord

    outcomes = run.outcomes
    firsts = [o for o in outcomes if o.job.kind == "vote"]
    dups = [o for o in outcomes if o.job.kind == "retry"]
    twins = [o for o in outcomes if o.job.kind == "twin"]
    acked = [o for o in outcomes + retries if o.status == 201]
    codes = [o.code for o in acked]
    acked_voters = {o.voter for o in acked}
    in_flight = [o for o in outcomes if o.error == "in_flight"]
    not_sent = [o for o in outcomes if o.error == "not_sent"]
    retry_409 = {o.voter for o in retries if o.status == 409}
    retry_201 = [o for o in retries if o.status == 201]
    retry_other = [o for o in retries if o.status not in (201, 409)]
    unacked_counted = retry_409 - acked_voters
    in_flight_voters = {o.voter for o in in_flight}
    other = Counter(o.status for o in outcomes if o.status not in (201, 409, None))

    sealed = secrecy_while_open(ballot)
    close_s = close_now(ballot)
    after_close = secrecy_after_close(ballot)
    papers = set(Paper.objects.filter(ballot=ballot).values_list("tracking_code", flat=True))
    # With --reuse the ballot may hold earlier runs' votes: count only this run's.
    n_papers = Paper.objects.filter(ballot=ballot).count() - before["papers"]
    n_records = VoteRecord.objects.filter(ballot=ballot).count() - before["records"]
    member_of_voter = issued_members(tag, len(run.voters))
    recorded = set(
        VoteRecord.objects.filter(
            ballot=ballot, member_id__in=list(member_of_voter.values())
        ).values_list("member_id", flat=True)
    )
    expected_members = {member_of_voter[v] for v in acked_voters | unacked_counted}
    before_kill = [o for o in outcomes if o.status == 201 and o.done < kill.get("at", 1e9)]

    pairs: dict[int, list[int | None]] = {}
    for o in twins:
        pairs.setdefault(o.voter, []).append(o.status)
    pairs_ok = sum(1 for s in pairs.values() if sorted(s, key=str) == [201, 409])
    checks = {
        "every acknowledged code is a paper": all(c in papers for c in codes),
        "no code acknowledged twice": len(codes) == len(set(codes)),
        "papers == vote records": n_papers == n_records,
        "papers == acknowledged + unacknowledged-but-counted": n_papers
        == len(acked) + len(unacked_counted),
        "members with a vote record == acknowledged or counted-unacknowledged": recorded
        == expected_members,
        "every retry of an acknowledged vote got 409": all(
            o.status == 409 for o in dups if not o.error
        ),
        "each simultaneous pair got one 201 and one 409": pairs_ok
        == sum(1 for s in pairs.values() if len(s) == 2 and None not in s),
        "every vote acknowledged before the kill is counted": all(
            o.code in papers for o in before_kill
        ),
        "unacknowledged-but-counted only for requests in flight": unacked_counted
        <= in_flight_voters,
        "no unexpected statuses": not other and not retry_other,
        "while open: no paper in the clear": sealed["clear"] == 0,
        "while open: no mixed paper shares a transaction id with a vote record": sealed[
            "mixed_links"
        ]
        == 0,
        "while open: every mixer transaction moved at least 50 papers": sealed["min_batch"] >= 50
        or sealed["mixed"] == 0,
        "after the close: the xmin join links no paper to a vote record or an elector": (
            after_close["links"] == 0
        ),
        "after the close: every paper written by one transaction, the close's": after_close["xmins"]
        <= 1,
        "after the close: no sealed paper left": after_close["sealed"] == 0,
    }

    lat = summarise_latency([o for o in firsts + dups + twins if not o.error])
    vote_lat = summarise_latency([o for o in firsts if o.status == 201])
    secs = per_second(outcomes, args.duration)
    steady = secs[2:-2] if len(secs) > 6 else secs
    throughput = sum(1 for o in outcomes if o.status == 201) / wall
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    load1, _, _ = os.getloadavg()
    frozen = "ballot reused" if open_s != open_s else f"frozen in {open_s:.1f} s"  # nan: reused

    print()
    print(
        f"**{args.mode}** — PostgreSQL {pg}; gunicorn {args.worker_class} "
        f"{args.workers} workers x {args.threads} threads "
        f"({'preloaded' if not args.no_preload else 'no preload'}), production profile; "
        f"{platform.machine()}, {os.cpu_count()} cores shared by server, database and load "
        f"generator ({args.connections} keep-alive connections, open loop); load average "
        f"{load1:.1f} at the end. Electorate {ballot.electorate_size:,} of "
        f"{args.members:,} members ({frozen}); data loaded in {load_s:.0f} s."
    )
    print()
    print("| | target | measured |")
    print("|---|---:|---:|")
    print(f"| scheduled rate (first votes) | {args.rate:.0f}/s | {args.rate:.0f}/s |")
    print(f"| duration | {args.duration:.0f} s | {wall:.1f} s to the last answer |")
    print(
        f"| votes acknowledged (201) | {len(firsts):,} | "
        f"{sum(1 for o in outcomes if o.status == 201):,} "
        f"(+{len(retry_201)} on retry) |"
    )
    print(f"| throughput (201 a second) | >= {args.rate:.0f}/s | {throughput:.0f}/s |")
    if steady:
        print(
            f"| votes a second, steady state (min / median / max) | | "
            f"{min(steady)} / {statistics.median(steady):.0f} / {max(steady)} |"
        )
    print(
        f"| service latency p50 / p95 / p99 / max (all answers) | p99 < 250 ms | "
        f"{lat['p50']:.0f} / {lat['p95']:.0f} / {lat['p99']:.0f} / {lat['max']:.0f} ms |"
    )
    print(
        f"| service latency p50 / p95 / p99 (201 votes) | | "
        f"{vote_lat['p50']:.0f} / {vote_lat['p95']:.0f} / {vote_lat['p99']:.0f} ms |"
    )
    print(
        f"| response time from schedule p50 / p95 / p99 / max | | "
        f"{lat['r_p50']:.0f} / {lat['r_p95']:.0f} / {lat['r_p99']:.0f} / {lat['r_max']:.0f} ms |"
    )
    print(
        f"| duplicates: retries of an acknowledged vote | ~{args.dup_rate:.0%} | "
        f"{len(dups)} sent, {sum(1 for o in dups if o.status == 409)} got 409 |"
    )
    print(
        f"| duplicates: simultaneous pairs | | {len(pairs)} pairs, {pairs_ok} got one 201 "
        f"+ one 409 |"
    )
    n_answers = sum(1 for o in outcomes if o.status is not None)
    if n_answers and args.mode in ("load", "web"):
        per = {k: 1000 * v / n_answers for k, v in cpu.items()}
        own = per["server"] + per["database"] + per["generator"]
        print(
            f"| CPU a request: gunicorn / PostgreSQL backends / load generator | | "
            f"{per['server']:.1f} / {per['database']:.1f} / {per['generator']:.1f} ms "
            f"(sum {own:.1f} ms: at most {os.cpu_count() or 1:d} x 1000 / {own:.1f} = "
            f"{(os.cpu_count() or 1) * 1000 / own:.0f} requests/s on idle cores) |"
        )
        others = cpu["machine_busy"] - cpu["server"] - cpu["database"] - cpu["generator"]
        print(
            f"| CPU used by other work on the machine during the run | 0 | "
            f"{others:.0f} core-seconds of {(os.cpu_count() or 1) * wall:.0f} available |"
        )
    if isinstance(run, WebRun) and run.timings:
        journeys = [o for o in firsts if o.status == 201 and id(o) in run.timings]
        gets = sorted(run.timings[id(o)][0] for o in journeys)
        posts = sorted(run.timings[id(o)][1] for o in journeys)
        print(
            f"| web journey: GET ballot page p50 / p95 / p99 (201 votes) | | "
            f"{percentile(gets, 50):.0f} / {percentile(gets, 95):.0f} / "
            f"{percentile(gets, 99):.0f} ms |"
        )
        print(
            f"| web journey: POST cast p50 / p95 / p99 (201 votes) | | "
            f"{percentile(posts, 50):.0f} / {percentile(posts, 95):.0f} / "
            f"{percentile(posts, 99):.0f} ms |"
        )
    print(
        f"| sealed papers when the load ended: pending / in the sealed box (mixer "
        f"transactions, smallest batch) | | {sealed['pending']:,} / {sealed['mixed']:,} "
        f"({sealed['batches']}, {sealed['min_batch']}) |"
    )
    print(
        f"| close: open {sealed['pending'] + sealed['mixed']:,} sealed papers into the box, "
        f"count, publish (+ VACUUM) | | {close_s:.1f} s |"
    )
    print(f"| papers / vote records in the database | | {n_papers:,} / {n_records:,} |")
    if run.skipped:
        print(
            f"| requests never sent: the server fell behind and the generator stopped at "
            f"{run.deadline:.0f} s | 0 | {len(run.skipped):,} |"
        )
    if kill:
        print(
            f"| kill | at {args.kill_at:.0f} s | SIGKILL of {kill['processes']:.0f} processes "
            f"at {kill['at']:.1f} s; serving again after {kill['ready_after']:.1f} s |"
        )
        print(f"| acknowledged before the kill | | {len(before_kill):,}, all counted |")
    print(
        f"| failed requests: never sent / in flight | 0 / 0 without a kill | "
        f"{len(not_sent)} / {len(in_flight)} |"
    )
    print(
        f"| their retries: 201 / 409 (unacknowledged but counted) | | "
        f"{len(retry_201)} / {len(unacked_counted)} |"
    )
    if other:
        print(f"| other statuses | none | {dict(other)} |")
    print()
    for name, ok in checks.items():
        print(f"- {'PASS' if ok else 'FAIL'}: {name}")
    met = throughput >= args.rate * 0.99 and lat["p99"] < 250
    print(f"- targets (>= {args.rate:.0f} votes/s, p99 < 250 ms): {'met' if met else 'NOT met'}")
    if not all(checks.values()):
        sys.exit(1)


def form_body(ranking: list[int]) -> bytes:
    """The ballot page's form for a ranking: ``pref_<position>=<preference>``."""
    return "&".join(f"pref_{p}={rank}" for rank, p in enumerate(ranking, start=1)).encode()


def issue_sessions(tag: str, n: int) -> list[str]:
    """A logged-in session (the database session backend, as production) for each of the
    first ``n`` logins of this batch, in their order; their session keys."""
    import datetime as dt_

    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.utils import timezone

    from rankandfile.core.models import User

    password = make_password(None)  # unusable; the session hash covers the stored value
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_user SET password = %s WHERE email LIKE %s",
            [password, f"voter-{tag}-%@bench.invalid"],
        )
        cursor.execute(
            "SELECT id, email FROM core_user WHERE email LIKE %s", [f"voter-{tag}-%@bench.invalid"]
        )
        user_of = {email: uid for uid, email in cursor.fetchall()}
    auth_hash = User(password=password).get_session_auth_hash()
    store = SessionStore()
    expires = timezone.now() + dt_.timedelta(days=1)
    keys = [secrets.token_hex(16) for _ in range(n)]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY django_session (session_key, session_data, expire_date) FROM STDIN"
        ) as copy,
    ):
        for i, key in enumerate(keys):
            data = {
                "_auth_user_id": str(user_of[f"voter-{tag}-{i}@bench.invalid"]),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": auth_hash,
            }
            copy.write_row((key, store.encode(data), expires))
    return keys


def secrecy_while_open(ballot: Any) -> dict[str, int]:
    """What a copy of the database taken when the load ended shows of the ballot's papers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ballots_paper WHERE ballot_id = %s", [ballot.pk])
        clear = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FILTER (WHERE NOT mixed), COUNT(*) FILTER (WHERE mixed) "
            "FROM ballots_sealedpaper WHERE ballot_id = %s",
            [ballot.pk],
        )
        pending, mixed = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*) FROM ballots_sealedpaper s JOIN ballots_voterecord v "
            "ON s.xmin = v.xmin AND s.ballot_id = v.ballot_id WHERE s.ballot_id = %s AND s.mixed",
            [ballot.pk],
        )
        mixed_links = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*), COALESCE(MIN(n), 0) FROM (SELECT COUNT(*) AS n FROM "
            "ballots_sealedpaper WHERE ballot_id = %s AND mixed GROUP BY xmin::text) b",
            [ballot.pk],
        )
        batches, min_batch = cursor.fetchone()
    return {
        "clear": clear,
        "pending": pending,
        "mixed": mixed,
        "mixed_links": mixed_links,
        "batches": batches,
        "min_batch": min_batch,
    }


def close_now(ballot: Any) -> float:
    """Move the ballot's closing time to now and close it (open the sealed papers, count,
    publish); the seconds it took."""
    from django.utils import timezone

    from rankandfile.ballots import tally
    from rankandfile.ballots.models import Ballot

    Ballot.objects.filter(pk=ballot.pk).update(closes_at=timezone.now())
    started = time.perf_counter()
    tally.ballot_close(actor=None, ballot=Ballot.objects.get(pk=ballot.pk))
    return time.perf_counter() - started


def secrecy_after_close(ballot: Any) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM ballots_paper p JOIN ballots_voterecord v "
            "ON p.xmin = v.xmin AND p.ballot_id = v.ballot_id WHERE p.ballot_id = %s) + "
            "(SELECT COUNT(*) FROM ballots_paper p JOIN ballots_elector e "
            "ON p.xmin = e.xmin AND p.ballot_id = e.ballot_id WHERE p.ballot_id = %s)",
            [ballot.pk, ballot.pk],
        )
        links = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(DISTINCT xmin::text) FROM ballots_paper WHERE ballot_id = %s",
            [ballot.pk],
        )
        xmins = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM ballots_sealedpaper WHERE ballot_id = %s", [ballot.pk])
        sealed = cursor.fetchone()[0]
    return {"links": links, "xmins": xmins, "sealed": sealed}


def issued_members(batch: str, n: int) -> dict[int, int]:
    """Voter index -> member id, read back from the logins issue_tokens created."""
    from rankandfile.membership.models import Member

    tag = f"voter-{batch}-"
    out = {}
    for mid, email in Member.objects.filter(user__email__startswith=tag).values_list(
        "pk", "user__email"
    ):
        index = int(email[len(tag) :].split("@")[0])
        if index < n:
            out[index] = mid
    return out


# --- timings ------------------------------------------------------------------------------
def freeze_breakdown(opened: Any) -> dict[str, float]:
    """Where freezing spends its time: the eligibility query with the ids and digest (what
    ``ballot_open`` needs before writing), and, for comparison, writing the same electors
    with one ``INSERT ... SELECT`` in the database instead of ORM objects in batches
    (on a second draft ballot, rolled back)."""
    from django.db import connection, transaction

    from rankandfile.ballots.services import rule_for
    from rankandfile.membership.eligibility import electorate, electorate_digest

    rule = rule_for(opened)
    t0 = time.perf_counter()
    ids = list(electorate(rule).order_by("pk").values_list("pk", flat=True))
    electorate_digest(ids)
    ids_s = time.perf_counter() - t0
    draft = create_ballot("Bench: freeze by INSERT ... SELECT", hours_open=1)
    sql, params = electorate(rule).values("pk").query.sql_with_params()
    t0 = time.perf_counter()
    columns = "ballot_id, member_id, send_attempts, last_send_error"
    insert = f"INSERT INTO ballots_elector ({columns}) SELECT %s, e.m, 0, '' FROM ({sql}) e(m)"  # noqa: S608 - the ORM's own SQL
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(insert, [draft.pk, *params])
        rows = cursor.rowcount
        insert_s = time.perf_counter() - t0
        transaction.set_rollback(True)
    return {"ids_and_digest": ids_s, "insert_select": insert_s, "rows": rows}


def run_timings(args: argparse.Namespace) -> None:
    _, load_s = prepare(args)
    from django.db import connection
    from django.utils import timezone

    from rankandfile.ballots import tally
    from rankandfile.ballots.models import Ballot

    ballot = create_ballot("Bench: freeze and count", hours_open=1)
    clock = CpuClock().start()
    ballot, open_s = open_ballot(ballot)
    open_cpu = clock.read()
    log(f"froze {ballot.electorate_size:,} electors in {open_s:.1f} s (CPU {open_cpu})")
    parts = freeze_breakdown(ballot)
    log(f"breakdown: {parts}")

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    codes: set[str] = set()
    while len(codes) < args.papers:
        codes.add("".join(rng.choice(CODE_ALPHABET) for _ in range(10)))
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY ballots_paper (id, ballot_id, tracking_code, choice) FROM STDIN"
        ) as copy:
            for code in codes:
                copy.write_row((uuid.uuid4(), ballot.pk, code, json.dumps(random_ranking(rng))))
        cursor.execute("ANALYZE ballots_paper")
    papers_s = time.perf_counter() - t0
    log(f"loaded {args.papers:,} papers in {papers_s:.1f} s")

    clock = CpuClock().start()
    t0 = time.perf_counter()
    ballot = tally.ballot_close(
        actor=None, ballot=ballot, now=ballot.closes_at + dt.timedelta(seconds=1)
    )
    close_s = time.perf_counter() - t0
    close_cpu = clock.read()
    clock = CpuClock().start()
    t0 = time.perf_counter()
    recount = tally.ballot_recount(actor=None, ballot=ballot)
    recount_s = time.perf_counter() - t0
    recount_cpu = clock.read()
    load1, _, _ = os.getloadavg()
    ballot = Ballot.objects.get(pk=ballot.pk)
    result = ballot.result or {}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    print()
    print(
        f"PostgreSQL {pg}; {args.members:,} members; {platform.machine()}, "
        f"{os.cpu_count()} cores; data loaded in {load_s:.0f} s; {timezone.now():%Y-%m-%d}; "
        f"load average {load1:.1f} after the recount. CPU: this process (Python) + its "
        "PostgreSQL backend, in seconds; the wall-clock time grows with other work on the "
        "machine, the CPU much less."
    )
    print()
    print("| operation | size | time | CPU: Python + PostgreSQL |")
    print("|---|---:|---:|---:|")

    def cpu(pair: tuple[float, float]) -> str:
        return f"{pair[0]:.1f} + {pair[1]:.1f} s"

    print(
        f"| `services.ballot_open` (freeze the electorate: eligibility query, "
        f"INSERT ... SELECT of the electors, digest) | {ballot.electorate_size:,} electors | "
        f"{open_s:.1f} s | {cpu(open_cpu)} |"
    )
    print(
        f"| of which: the eligibility query, fetching the ids and their digest | | "
        f"{parts['ids_and_digest']:.1f} s | |"
    )
    print(
        f"| for comparison: the same electors written by one `INSERT ... SELECT` (sketch "
        f"in this script, not the service) | {parts['rows']:,} electors | "
        f"{parts['insert_select']:.1f} s | |"
    )
    print(
        f"| `tally.ballot_close` (load, shuffle, publish BLT + CSV, SHA-256, parse, AV count) "
        f"| {ballot.turnout:,} papers, {len(result.get('stages', []))} stages | {close_s:.1f} s "
        f"| {cpu(close_cpu)} |"
    )
    print(
        f"| `tally.ballot_recount` (count the published BLT again, compare) | "
        f"{ballot.turnout:,} papers | {recount_s:.1f} s | {cpu(recount_cpu)} |"
    )
    print()
    print(
        f"Elected: {', '.join(result.get('elected', []))}; recount matches: "
        f"{recount.matches}, digest matches: {recount.digest_matches}; "
        f"BLT {len(ballot.papers_blt) / 1e6:.1f} MB."
    )
    if not (recount.matches and recount.digest_matches):
        sys.exit(1)


def main() -> None:
    args = parse_args()
    try:
        if args.mode == "timings":
            run_timings(args)
        else:
            run_load(args)
    finally:
        if not args.keep:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            be.drop_pg(args.server, args.db)


if __name__ == "__main__":
    main()
