"""Benchmark: inviting a national electorate by email, with a worker killed mid-run.

    .venv/bin/python bench/bench_invitations.py [--members 700000] [--workers 4]
        [--rate 40] [--kill-at 0.4] [--timeout 5400]

1. A scratch PostgreSQL database (``--db`` on ``--server``, dropped first and at the end
   unless ``--keep``): migrate, ``createcachetable``, ``--members`` members with realistic
   histories by COPY (the generator of ``bench_eligibility.py``; 700,000 members give
   about 500,000 electors on the freeze date).
2. A party-wide ballot, opened with ``services.ballot_open`` (freezing the electorate).
3. A local SMTP sink (aiosmtpd on 127.0.0.1, in this process) that counts every message
   it accepts by recipient and by Message-ID.
4. ``--workers`` task workers (``rankandfile task_worker``, as production runs them) with
   the production profile
   (database task queue, SMTP backend pointed at the sink, ``BALLOT_EMAILS_PER_SECOND``
   = ``--rate`` per worker), and a stand-in for the scheduler that runs
   ``ballots_resume_sends`` every ``--resume-every`` seconds.
5. ``invitations.ballot_invite`` for the whole electorate (the clock starts here).
6. When ``--kill-at`` of the electorate has been delivered, SIGKILL one worker in the
   middle of its batch and start a new one at once.
7. Wait until no elector is owed an email, then check: every elector with an address
   received exactly one message (duplicates and losses are counted, never assumed),
   every delivered link's digest is the elector's, and ``invited_at`` is set for all.

Prints Markdown for bench/RESULTS.md. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

import bench_eligibility as be  # noqa: E402 - bench/ is put on the path just above

LINK = re.compile(rb"/ballots/vote/([A-Za-z0-9_-]{43})/")
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default="rankandfile_bench_invite")
    p.add_argument("--members", type=int, default=700_000)
    p.add_argument("--workers", type=int, default=4, help="task_worker processes")
    p.add_argument("--rate", type=float, default=40.0, help="BALLOT_EMAILS_PER_SECOND each")
    p.add_argument("--batch", type=int, default=200, help="BALLOT_INVITATION_BATCH_SIZE")
    p.add_argument("--lease", type=float, default=60.0, help="BALLOT_EMAIL_LEASE_SECONDS")
    p.add_argument("--kill-at", type=float, default=0.4, help="share delivered at the kill")
    p.add_argument("--resume-every", type=float, default=20.0, help="scheduler stand-in")
    p.add_argument("--timeout", type=float, default=5400.0)
    p.add_argument("--port", type=int, default=0, help="SMTP sink port (0: a free one)")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--seed", type=int, default=2019)
    return p.parse_args()


def log(msg: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


# --- the SMTP sink ----------------------------------------------------------------------------
class Sink:
    """Counts what it accepts: messages by recipient, Message-IDs by recipient, links."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_rcpt: Counter[str] = Counter()
        self.ids: dict[str, set[str]] = defaultdict(set)
        self.links: dict[str, str] = {}
        self.total = 0
        self.first: float | None = None
        self.last: float | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.content
        found = MESSAGE_ID.search(content)
        mid = found.group(1).decode() if found else ""
        link = LINK.search(content)
        now = time.perf_counter()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.by_rcpt[rcpt] += 1
                self.ids[rcpt].add(mid)
                if link:
                    self.links[rcpt] = link.group(1).decode()
            self.total += 1
            self.first = self.first or now
            self.last = now
        return "250 Message accepted for delivery"

    def delivered(self) -> int:
        with self.lock:
            return len(self.by_rcpt)


def start_sink(port: int) -> tuple[Any, Sink, int]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
    controller = Controller(sink, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    return controller, sink, port


# --- processes ------------------------------------------------------------------------------
def worker_env(url: str, smtp_port: int, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RANKANDFILE_ENV="production",
        SECRET_KEY=SECRET_KEY,
        AUDIT_HMAC_KEY=AUDIT_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=url,
        DATABASE_CONN_MAX_AGE="600",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        DEFAULT_FROM_EMAIL="Returning Officer <ballots@party.example.org>",
        RANKANDFILE_BASE_URL="https://party.example.org",
        BALLOT_EMAILS_PER_SECOND=str(args.rate),
        BALLOT_INVITATION_BATCH_SIZE=str(args.batch),
        BALLOT_EMAIL_LEASE_SECONDS=str(args.lease),
        LOG_LEVEL="WARNING",
        DEBUG="0",
    )
    env.pop("SHARED_CACHE", None)
    env.pop("PYTEST_VERSION", None)
    env.pop("TASKS_BACKEND", None)
    return env


SECRET_KEY = secrets.token_urlsafe(50)
AUDIT_KEY = secrets.token_urlsafe(50)  # production refuses to start without an audit key
RF = str(ROOT / ".venv" / "bin" / "rankandfile")


def start_worker(env: dict[str, str], n: int, logf: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [RF, "task_worker", "--interval", "0.5", "--worker-id", f"bench-{n}"],
        env=env,
        stdout=logf,
        stderr=subprocess.STDOUT,
    )


RESUME_LOOP = (
    "import time\n"
    "from rankandfile.ballots import invitations\n"
    "from rankandfile.core import audit\n"
    "while True:\n"
    "    with audit.context('cli'):\n"
    "        q = invitations.resume_stalled()\n"
    "    if q: print('resumed', q, flush=True)\n"
    "    time.sleep({every})\n"
)


def start_scheduler(env: dict[str, str], every: float, logf: Any) -> subprocess.Popen[bytes]:
    """The stand-in for ``rankandfile scheduler``: ``ballots_resume_sends`` in a loop."""
    return subprocess.Popen(
        [RF, "shell", "-c", RESUME_LOOP.format(every=every)],
        env=env,
        stdout=logf,
        stderr=subprocess.STDOUT,
    )


def cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the live processes ``pids``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def backend_pids(db: str) -> list[int]:
    """PostgreSQL server processes serving ``db`` (the server runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [db])
        return [int(r[0]) for r in cursor.fetchall()]


def sample_backends(db: str, first: dict[int, float], last: dict[int, float]) -> None:
    """CPU seconds of each backend: when first seen, and the latest reading."""
    for pid in backend_pids(db):
        used = cpu_of([pid])
        first.setdefault(pid, used)
        last[pid] = max(used, last.get(pid, 0.0))


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the run --------------------------------------------------------------------------------
def main() -> None:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    url = f"{args.server}/{args.db}"
    load_before = os.getloadavg()
    be.recreate_pg(args.server, args.db)
    os.environ["DATABASE_URL"] = url
    os.environ["RANKANDFILE_ENV"] = "test"
    os.environ["SHARED_CACHE"] = "1"
    os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["BALLOT_INVITATION_BATCH_SIZE"] = str(args.batch)
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rankandfile.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.BALLOT_INVITATION_BATCH_SIZE = args.batch
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    t0 = time.perf_counter()
    clps, branches, _ = be.load_structure()
    be.load_members(args.members, clps, branches, args.seed)
    log(f"loaded {args.members:,} members in {time.perf_counter() - t0:.0f} s")

    from django.utils import timezone

    from rankandfile.ballots import invitations, services
    from rankandfile.ballots.models import Elector
    from rankandfile.core.models import User
    from rankandfile.membership.models import Role

    actor = User.objects.create(email="returning-officer@bench.invalid")
    Role.objects.create(user=actor, kind=Role.Kind.NATIONAL_ADMIN, start=dt.date(2000, 1, 1))
    now = timezone.now()
    ballot = services.ballot_create(
        actor=actor,
        title="Leadership election",
        method="av",
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(days=14),
        freeze_date=be.FREEZE,
        scope_kind="party",
        options=[services.OptionSpec(n) for n in ("Ash", "Bell", "Carr", "Dunn")],
    )
    t0 = time.perf_counter()
    ballot = services.ballot_open(actor=actor, ballot=ballot)
    log(f"froze {ballot.electorate_size:,} electors in {time.perf_counter() - t0:.1f} s")
    expected = set(
        Elector.objects.filter(ballot=ballot)
        .exclude(member__email="")
        .values_list("member__email", flat=True)
    )

    controller, sink, port = start_sink(args.port)
    env = worker_env(url, port, args)
    logf = (OUT / "invitations-workers.log").open("ab")
    workers = [start_worker(env, n, logf) for n in range(args.workers)]
    scheduler = start_scheduler(env, args.resume_every, logf)
    killed: dict[str, Any] = {}
    try:
        time.sleep(8)  # workers import Django and connect before the clock starts
        from django.db import connection

        connection.close()
        load_start = os.getloadavg()
        dead_cpu = 0.0
        pg_first: dict[int, float] = {}
        pg_cpu: dict[int, float] = {}
        sample_backends(args.db, pg_first, pg_cpu)
        own_cpu_start = cpu_of([os.getpid()])
        worker_cpu_start = cpu_of([w.pid for w in workers])
        start = time.perf_counter()
        run = invitations.ballot_invite(actor=actor, ballot=ballot)
        queued_in = time.perf_counter() - start
        log(f"queued {run.queued:,} invitations in {run.batches:,} tasks ({queued_in:.1f} s)")
        kill_at = int(len(expected) * args.kill_at)
        done_at: float | None = None
        next_report = 0.0
        while time.perf_counter() - start < args.timeout:
            time.sleep(1)
            delivered = sink.delivered()
            elapsed = time.perf_counter() - start
            if not killed and delivered >= kill_at:
                victim = workers[0]
                dead_cpu += cpu_of([victim.pid])
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
                leased = Elector.objects.filter(ballot=ballot).exclude(send_lease="").count()
                workers[0] = start_worker(env, args.workers, logf)
                killed = {"at": elapsed, "delivered": delivered, "leased": leased}
                log(f"SIGKILLed a worker at {elapsed:.0f} s ({delivered:,} delivered)")
            if elapsed >= next_report:
                log(f"{delivered:,}/{len(expected):,} delivered, {elapsed:.0f} s")
                next_report = elapsed + 30
            if delivered >= len(expected):
                owed = Elector.objects.filter(ballot=ballot, send_queued_at__isnull=False).count()
                if owed == 0:
                    done_at = time.perf_counter()
                    break
            sample_backends(args.db, pg_first, pg_cpu)
        load_end = os.getloadavg()
        worker_cpu = dead_cpu + cpu_of([w.pid for w in workers])
        sample_backends(args.db, pg_first, pg_cpu)
        pg_used = sum(pg_cpu[pid] - pg_first[pid] for pid in pg_cpu)
        sink_cpu = cpu_of([os.getpid()]) - own_cpu_start
    finally:
        for w in workers:
            stop(w)
        stop(scheduler)
        controller.stop()
        logf.close()

    # --- verification ----------------------------------------------------------------------
    total_time = ((sink.last or start) - start) if done_at else float("nan")
    received = set(sink.by_rcpt)
    lost = expected - received
    stray = received - expected
    dup_rcpts = {r: c for r, c in sink.by_rcpt.items() if c > 1}
    dup_same_id = sum(1 for r in dup_rcpts if len(sink.ids[r]) == 1)
    digests = dict(
        Elector.objects.filter(ballot=ballot).values_list("member__email", "token_digest")
    )
    bad_links = sum(
        1
        for r, secret in sink.links.items()
        if digests.get(r) != hashlib.sha256(secret.encode()).hexdigest()
    )
    invited = Elector.objects.filter(ballot=ballot, invited_at__isnull=False).count()
    from django_tasks_db.models import DBTaskResult

    resumed = sum(
        int((r.return_value or {}).get("resumed", 0))
        for r in DBTaskResult.objects.filter(status="SUCCESSFUL").only("return_value")
    )
    stuck = DBTaskResult.objects.filter(status="RUNNING").count()
    n = len(expected)
    per_min = n / total_time * 60 if done_at else 0.0
    lines = [
        f"### Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Command: `.venv/bin/python bench/bench_invitations.py --members {args.members} "
        f"--workers {args.workers} --rate {args.rate:g} --batch {args.batch} "
        f"--lease {args.lease:g} --kill-at {args.kill_at:g}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average (1, 5, 15 min) before setup "
        f"{_load(load_before)}, at the start {_load(load_start)}, at the end {_load(load_end)}.",
        "",
        "| | |",
        "|---|---|",
        f"| electors with an address | {n:,} |",
        f"| workers × throttle | {args.workers} × {args.rate:g}/s "
        f"(ceiling {args.workers * args.rate:g}/s) |",
        f"| all delivered | {'yes' if done_at else 'NO (timed out)'} |",
        f"| time to the last message | {total_time:,.0f} s ({total_time / 60:.1f} min) |",
        f"| throughput | {per_min:,.0f} messages/min ({per_min / 60:.0f}/s) |",
        f"| extrapolated to 500,000 | {500_000 / per_min if per_min else float('nan'):.0f} min |",
        f"| messages accepted by the sink | {sink.total:,} |",
        f"| electors sent more than one | {len(dup_rcpts)} "
        f"({dup_same_id} of them the identical message, same Message-ID) |",
        f"| electors sent none (lost) | {len(lost)} |",
        f"| messages to addresses not on the electorate | {len(stray)} |",
        f"| links not matching the elector's stored digest | {bad_links} |",
        f"| electors marked invited | {invited:,} |",
        f"| worker SIGKILLed | at {killed.get('at', float('nan')):.0f} s, "
        f"{killed.get('delivered', 0):,} delivered, {killed.get('leased', 0)} electors leased |",
        f"| in-flight sends resumed (identical resend) | {resumed} |",
        f"| task rows left RUNNING (killed or stopped mid-task) | {stuck} |",
        f"| CPU: task workers | {worker_cpu - worker_cpu_start:,.0f} s "
        f"({(worker_cpu - worker_cpu_start) / max(n, 1) * 1000:.1f} ms a message) |",
        f"| CPU: PostgreSQL backends (sampled each second) | {pg_used:,.0f} s "
        f"({pg_used / max(n, 1) * 1000:.1f} ms a message) |",
        f"| CPU: this process (SMTP sink, monitor) | {sink_cpu:,.0f} s "
        f"({sink_cpu / max(n, 1) * 1000:.1f} ms a message) |",
    ]
    cpu_per_msg = (worker_cpu - worker_cpu_start + pg_used) / max(n, 1)
    if cpu_per_msg > 0:
        lines.append(
            f"| capacity of 2 cores at that CPU cost (workers + database) | "
            f"{2 / cpu_per_msg:,.0f} messages/s, 500,000 in "
            f"{500_000 * cpu_per_msg / 2 / 60:.0f} min |"
        )
    text = "\n".join(lines)
    print(text)
    (OUT / "invitations.md").write_text(text + "\n")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        with contextlib.suppress(Exception):
            be.drop_pg(args.server, args.db)
    if lost or dup_rcpts or stray or bad_links or not done_at:
        sys.exit(1)


def _load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
