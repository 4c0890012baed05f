"""Benchmark: petition signatures over HTTP against PostgreSQL, with the campaign page
read meanwhile.

    .venv/bin/python bench/bench_campaigns.py [--rate 200] [--duration 60] [--keep] ...

1. Create a scratch PostgreSQL database (``--db`` on ``--server``; dropped first and at
   the end unless ``--keep``), migrate it, ``createcachetable``, load the 650
   constituencies and their CLPs, and open and launch a campaign in one of them through
   the services, with ``--existing`` confirmed signatures already on it (bulk-inserted, so
   the page's count and recent supporters are realistic).
2. Start gunicorn with the production profile (``RANKANDFILE_ENV=production``: the
   database cache for the rate limits, the ``django_tasks_db`` queue for the
   confirmation emails, ``DEBUG=0``) and the production WSGI application
   (``rankandfile.wsgi``: anonymous signatures and the anonymous campaign page take the
   lean path of ``docs/decisions/0005-fast-petition-path.md``) — the harness of ``bench_voting.py``
   (``bench/voting/``), imported, not copied.
3. Send ``--rate`` signatures a second for ``--duration`` seconds, each a new signer's
   first signature (``POST /campaigns/<slug>/sign/``, the public form with its CSRF
   cookie and token), plus about ``--dup-rate`` duplicates: re-submissions of a
   signature already acknowledged, and simultaneous pairs by one signer. Open loop
   (requests go out on schedule whether or not earlier ones were answered). All requests
   come from 127.0.0.1, so the per-address rate limit is raised for the run
   (``CAMPAIGN_SIGNS_PER_IP``); the limiter itself still runs on every request.
4. Meanwhile GET the campaign page ``--page-rate`` times a second and time it.
5. Afterwards every signer whose request got no answer tries once more.
6. Verify in the database: one signature row per acknowledged signer, none for signers
   never acknowledged, no email address twice, every row unconfirmed (nothing is counted
   before its email link is used), and one queued confirmation-email task per accepted
   submission (first signatures and re-sends).

7. Then (unless ``--no-confirm``) confirm every stored signature over HTTP at ``--rate``
   a second (``POST /campaigns/confirm/<secret>/``; the links are made in-process as the
   email task would make them), with replays and simultaneous double submissions, and
   check that each is counted exactly once.

Prints Markdown for bench/RESULTS.md (section "Campaigns"). Only 127.0.0.1 is contacted. No email is
sent: no task worker runs, the queued tasks are counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import platform
import random
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

import bench_eligibility as be  # noqa: E402 - bench/ is put on the path just above
import bench_voting as bv  # noqa: E402
from voting.loadgen import Job, Outcome, Run, Voter, percentile, schedule  # noqa: E402
from voting.server import Gunicorn, free_port  # noqa: E402

CONSTITUENCY = "Streatham"
CSRF = secrets.token_hex(16)  # 32 characters: Django accepts the unmasked secret as token


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default="rankandfile_bench_campaigns")
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    p.add_argument("--seed", type=int, default=2019)
    p.add_argument("--rate", type=float, default=200.0, help="new signatures a second")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    p.add_argument("--dup-rate", type=float, default=0.02, help="duplicates per signature")
    p.add_argument("--twin-share", type=float, default=0.3, help="share of simultaneous pairs")
    p.add_argument("--page-rate", type=float, default=5.0, help="campaign page GETs a second")
    p.add_argument("--existing", type=int, default=20_000, help="confirmed signatures before")
    p.add_argument("--connections", type=int, default=64, help="client connections")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--no-confirm", action="store_true", help="skip the confirmation phase")
    args = p.parse_args()
    if args.duration > 600 or args.rate > 2000:
        p.error("keep the benchmark bounded: at most 600 s and 2,000 signatures a second")
    return args


log = bv.log


# --- set-up -----------------------------------------------------------------------------------
def prepare(args: argparse.Namespace) -> tuple[str, Any]:
    url = f"{args.server}/{args.db}"
    be.recreate_pg(args.server, args.db)
    bv.setup_django(url)
    from django.utils import timezone

    from rankandfile.campaigns.models import Signature
    from rankandfile.campaigns.services import lifecycle
    from rankandfile.membership.models import CLP

    be.load_structure()
    clp = CLP.objects.select_related("constituency").get(constituency__name=CONSTITUENCY)
    campaign = lifecycle.campaign_create(
        actor=None,
        clp=clp,
        title=f"{CONSTITUENCY} deserves a by-election",
        demand="Resign the seat and let the voters decide.",
        story="The benchmark campaign.",
        target=7_300,
    )
    campaign = lifecycle.campaign_launch(actor=None, campaign=campaign)
    rng = random.Random(args.seed)
    now = timezone.now()
    Signature.objects.bulk_create(
        (
            Signature(
                campaign=campaign,
                first_name=rng.choice(["Ann", "Bo", "Cy", "Di", "Ed"]),
                last_name="Existing",
                email=f"existing{i}@bench.example.org",
                postcode="SW16 1AA",
                town="Streatham",
                lives_in_constituency=True,
                consent=True,
                show_publicly=i % 2 == 0,
                created_at=now - dt.timedelta(days=3, seconds=i),
                confirmed_at=now - dt.timedelta(days=2, seconds=i),
            )
            for i in range(args.existing)
        ),
        batch_size=5000,
    )
    type(campaign).objects.filter(pk=campaign.pk).update(confirmed_count=args.existing)
    return url, campaign


def signer_body(i: int, rng: random.Random) -> bytes:
    return urlencode(
        {
            "csrfmiddlewaretoken": CSRF,
            "first_name": rng.choice(["Aisha", "Ben", "Chloe", "Dan", "Ella", "Femi"]),
            "last_name": f"Signer{i}",
            "email": f"signer{i}@bench.example.org",
            "postcode": f"SW16 {1 + i % 9}{'ABDEFG'[i % 6]}{'HJLNPQ'[i % 6]}",
            "town": "Streatham",
            "lives_in_constituency": "on",
            "consent": "on",
            "show_publicly": "on" if i % 3 else "",
            "website": "",
        }
    ).encode()


class SignRun(Run):
    """The voting harness, posting the public signing form instead of an API vote.

    An accepted signature is answered ``302`` to ``.../signed/``; it is recorded as
    status 201 (what the harness counts as acknowledged) with the real status in
    ``detail``."""

    def send(self, conn: http.client.HTTPConnection, job: Job, voter: int) -> Outcome:
        v = self.voters[voter]
        out = Outcome(job=job, voter=voter)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={CSRF}",
            "Host": f"{self.host}:{self.port}",
        }
        out.sent = time.perf_counter() - self.t0
        try:
            conn.request("POST", self.path, body=v.body, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            out.error, out.detail = "not_sent", type(exc).__name__
            out.done = time.perf_counter() - self.t0
            return out
        try:
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            out.error, out.detail = "in_flight", type(exc).__name__
            out.done = time.perf_counter() - self.t0
            return out
        out.done = time.perf_counter() - self.t0
        location = resp.getheader("Location") or ""
        if resp.status == 302 and "/signed/" in location:
            out.status, out.detail = 201, f"302 {location.rsplit('/', 1)[-1]}"
        else:
            out.status = resp.status
            out.detail = data[:200].decode(errors="replace")
        if resp.will_close:
            conn.close()
        return out


class ConfirmRun(Run):
    """Confirmations: each "voter" is one signature's emailed link (its path in
    ``token``). A counted confirmation is recorded as 201, "already confirmed" as 409."""

    def send(self, conn: http.client.HTTPConnection, job: Job, voter: int) -> Outcome:
        v = self.voters[voter]
        out = Outcome(job=job, voter=voter)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={CSRF}",
            "Host": f"{self.host}:{self.port}",
        }
        out.sent = time.perf_counter() - self.t0
        try:
            conn.request("POST", v.token, body=v.body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            out.error, out.detail = "in_flight", type(exc).__name__
            out.done = time.perf_counter() - self.t0
            return out
        out.done = time.perf_counter() - self.t0
        if resp.status == 200 and b"Thank you," in data:
            out.status = 201
        elif resp.status == 200 and b"Already confirmed" in data:
            out.status = 409
        else:
            out.status, out.detail = resp.status, data[:200].decode(errors="replace")
        if resp.will_close:
            conn.close()
        return out


def confirm_phase(args: argparse.Namespace, campaign: Any, port: int) -> str:
    """Confirm every signature over HTTP at ``--rate`` a second, with replays and
    simultaneous double submissions; check each is counted exactly once.

    The links are made here as the email task would (a secret per signature, only its
    digest stored), since no task worker runs."""
    from rankandfile.campaigns.models import Campaign, Signature
    from rankandfile.core.tokens import digest as token_digest

    rows = list(
        Signature.objects.filter(
            campaign=campaign, last_name__startswith="Signer", confirmed_at__isnull=True
        ).only("pk")
    )
    paths = []
    for sig in rows:
        secret = secrets.token_urlsafe(32)
        sig.confirm_digest = token_digest(secret)
        paths.append(f"/campaigns/confirm/{secret}/")
    Signature.objects.bulk_update(rows, ["confirm_digest"], batch_size=2000)
    before = Campaign.objects.get(pk=campaign.pk).confirmed_count
    body = urlencode({"csrfmiddlewaretoken": CSRF}).encode()
    rng = random.Random(args.seed + 1)
    voters = [Voter(token=path, body=body) for path in paths]
    jobs = schedule(len(voters), args.rate, args.dup_rate, args.twin_share, rng)
    run = ConfirmRun(
        host="127.0.0.1",
        port=port,
        path="",
        voters=voters,
        jobs=jobs,
        connections=args.connections,
        deadline=len(voters) / args.rate + 60.0,
    )
    log(f"confirming {len(voters):,} signatures ({len(jobs):,} requests)")
    run.run()
    outcomes = run.outcomes
    counted = sum(1 for o in outcomes if o.status == 201)
    already = sum(1 for o in outcomes if o.status == 409)
    other = Counter(o.error or str(o.status) for o in outcomes if o.status not in (201, 409))
    after = Campaign.objects.get(pk=campaign.pk).confirmed_count
    confirmed_rows = Signature.objects.filter(
        campaign=campaign, last_name__startswith="Signer", confirmed_at__isnull=False
    ).count()
    twins = Counter(o.voter for o in outcomes if o.job.kind == "twin")
    twin_once = sum(
        1
        for v in twins
        if sum(1 for o in outcomes if o.job.kind == "twin" and o.voter == v and o.status == 201)
        == 1
    )
    ok = [o for o in outcomes if o.status in (201, 409)]
    service = sorted(1000 * (o.done - o.sent) for o in ok)
    checks = {
        "count rose by exactly the confirmations counted": after - before == counted,
        "every confirmed row counted once": confirmed_rows == counted,
        "replays and double submissions counted nothing (each pair: one counted)": (
            twin_once == len(twins)
        ),
    }
    lines = [
        "\n## Confirming the signatures (double opt-in, second step)\n",
        "| | |\n|---|---|",
        f"| links confirmed over HTTP | {len(voters):,} at {args.rate:g}/s |",
        f"| counted / 'already confirmed' / other | {counted:,} / {already:,} / "
        f"{dict(other) or 0} |",
        f"| skipped (server past the deadline) | {len(run.skipped):,} |",
        f"| campaign count before / after | {before:,} / {after:,} |",
        f"| service time p50 / p95 / p99 | {percentile(service, 50):.0f} / "
        f"{percentile(service, 95):.0f} / {percentile(service, 99):.0f} ms |",
        "\nChecks:\n",
    ]
    lines += [f"- {'PASS' if passed else 'FAIL'}: {name}" for name, passed in checks.items()]
    return "\n".join(lines)


def probe_page(
    host: str,
    port: int,
    path: str,
    rate: float,
    until: float,
    out: list[float],
    statuses: Counter[int],
) -> None:
    """GET the campaign page ``rate`` times a second until ``until`` (perf_counter)."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    interval = 1.0 / rate
    nxt = time.perf_counter()
    while nxt < until:
        delay = nxt - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Host": f"{host}:{port}"})
            resp = conn.getresponse()
            resp.read()
            statuses[resp.status] += 1
        except (OSError, http.client.HTTPException):
            statuses[0] += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
        out.append(1000 * (time.perf_counter() - t))
        nxt += interval
    conn.close()


def warm_up(host: str, port: int, page: str, n: int = 200) -> None:
    def hammer() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        for _ in range(n // 16):
            conn.request("GET", page, headers={"Host": f"{host}:{port}"})
            conn.getresponse().read()
        conn.close()

    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the run ----------------------------------------------------------------------------------
def main() -> None:
    args = parse_args()
    t_setup = time.perf_counter()
    url, campaign = prepare(args)
    setup_s = time.perf_counter() - t_setup
    from django.db import connections

    rng = random.Random(args.seed)
    n_signers = int(args.rate * args.duration)
    voters = [Voter(token="", body=signer_body(i, rng)) for i in range(n_signers)]
    jobs = schedule(n_signers, args.rate, args.dup_rate, args.twin_share, rng)
    connections.close_all()

    OUT.mkdir(parents=True, exist_ok=True)
    server_log = OUT / "bench_campaigns_gunicorn.log"
    server_log.unlink(missing_ok=True)
    port = free_port()
    env = bv.server_env(url, secrets.token_urlsafe(50))
    env["CAMPAIGN_SIGNS_PER_IP"] = "100000000"  # every request comes from 127.0.0.1
    # The production profile serves hashed static files: collect them once, as a deploy does.
    env["RANKANDFILE_VAR_DIR"] = str(OUT / "campaigns_var")
    subprocess.run(
        [sys.executable, "-m", "rankandfile.cli", "collectstatic", "--noinput", "-v0"],
        env=env,
        check=True,
    )
    server = Gunicorn(
        gunicorn=str(Path(sys.executable).with_name("gunicorn")),
        port=port,
        env=env,
        log=server_log,
        workers=args.workers,
        threads=args.threads,
    )
    page = f"/campaigns/{campaign.slug}/"
    run = SignRun(
        host="127.0.0.1",
        port=port,
        path=f"/campaigns/{campaign.slug}/sign/",
        voters=voters,
        jobs=jobs,
        connections=args.connections,
        deadline=args.duration + max(30.0, args.duration / 2),
    )
    page_ms: list[float] = []
    page_status: Counter[int] = Counter()

    def during(t0: float) -> None:
        probe_page(
            "127.0.0.1", port, page, args.page_rate, t0 + args.duration, page_ms, page_status
        )

    load_before = loadavg()
    server.start()
    try:
        boot_s = server.wait_ready(page, "")
        warm_up("127.0.0.1", port, page)
        idle_ms: list[float] = []
        probe_page("127.0.0.1", port, page, 10, time.perf_counter() + 5, idle_ms, Counter())
        log(f"gunicorn ready in {boot_s:.1f} s on port {port}; {len(jobs):,} requests to send")
        cpu_before = bv.cpu_snapshot(server, args.server, args.db)
        run.run(during=during)
        cpu = bv.cpu_used(cpu_before, bv.cpu_snapshot(server, args.server, args.db))
        load_after = loadavg()
        wall = max(o.done for o in run.outcomes)
        retries = bv.retry_failed(run, run.outcomes)
        # The signing figures are read before any confirmation changes the rows.
        report(
            args,
            campaign,
            run,
            retries,
            page_ms,
            idle_ms,
            page_status,
            wall,
            setup_s,
            boot_s,
            cpu,
            load_before,
            load_after,
        )
        confirmed = confirm_phase(args, campaign, port) if not args.no_confirm else None
    finally:
        server.stop()
    if confirmed is not None:
        print(confirmed)
    if not args.keep:
        connections.close_all()
        be.drop_pg(args.server, args.db)


def report(
    args: argparse.Namespace,
    campaign: Any,
    run: Run,
    retries: list[Outcome],
    page_ms: list[float],
    idle_ms: list[float],
    page_status: Counter[int],
    wall: float,
    setup_s: float,
    boot_s: float,
    cpu: dict[str, float],
    load_before: str,
    load_after: str,
) -> None:
    from django_tasks_db.models import DBTaskResult

    from rankandfile.campaigns.models import Signature

    outcomes = run.outcomes
    n_signers = int(args.rate * args.duration)
    skipped = sum(1 for j in run.skipped if j.kind == "vote")
    everything = outcomes + retries
    acked = {o.voter for o in everything if o.status == 201}
    firsts = [o for o in outcomes if o.job.kind == "vote"]
    dups = [o for o in outcomes if o.job.kind != "vote"]
    errors = Counter((o.error or str(o.status)) for o in everything if o.status != 201)
    rows = list(
        Signature.objects.filter(campaign=campaign, last_name__startswith="Signer").values_list(
            "email", "confirmed_at"
        )
    )
    emails = [e for e, _ in rows]
    row_signers = {int(e.split("@")[0].removeprefix("signer")) for e in emails}
    tasks = DBTaskResult.objects.filter(task_path__endswith="send_signature_email").count()
    accepted = sum(1 for o in everything if o.status == 201)
    # Past CAMPAIGN_EMAILS_PER_ADDRESS a submission is accepted but emails nothing.
    throttled = sum(1 for o in everything if o.status == 201 and "again=1" in o.detail)
    lost = sorted(acked - row_signers)
    phantom = sorted(row_signers - acked)
    unanswered = {o.voter for o in everything if o.error} - acked
    twins = Counter(o.voter for o in outcomes if o.job.kind == "twin")
    twin_ok = sum(
        1
        for v, n in twins.items()
        if n == 2
        and sum(1 for o in outcomes if o.job.kind == "twin" and o.voter == v and o.status == 201)
        == 2
    )

    ok = [o for o in outcomes if o.status == 201]
    service = sorted(1000 * (o.done - o.sent) for o in ok)
    response = sorted(1000 * (o.done - o.job.at) for o in ok)
    per_sec = Counter(int(o.done) for o in ok if o.job.kind == "vote")
    seconds = [per_sec.get(s, 0) for s in range(int(args.duration))]
    page_sorted = sorted(page_ms)
    idle_sorted = sorted(idle_ms)
    page_p95 = percentile(page_sorted, 95)
    checks = {
        "no acknowledged signature lost": not lost,
        "no signature stored without an acknowledgement": not phantom,
        "no email address twice": len(emails) == len(set(emails)),
        "nothing counted before confirmation": all(c is None for _, c in rows),
        "one email task per accepted, unthrottled submission": tasks == accepted - throttled,
        "every simultaneous pair: both accepted, one row": twin_ok == len(twins),
        f"page p95 under 100 ms while signing ({page_p95:.0f} ms)": page_p95 < 100,
        "every scheduled signature sent (none skipped)": not run.skipped,
        f"sustained {args.rate:.0f}/s (mean over the seconds of the run)": (
            bool(seconds) and sum(seconds) / len(seconds) >= args.rate * 0.98
        ),
    }
    cores = os.cpu_count() or 1

    def ms(values: list[float], *ps: float) -> str:
        return " / ".join(f"{percentile(values, p):.0f}" for p in ps) + " ms"

    mean = sum(seconds) / max(1, len(seconds))
    command = (
        f"`.venv/bin/python bench/bench_campaigns.py --rate {args.rate:g} "
        f"--duration {args.duration:g} --dup-rate {args.dup_rate:g} "
        f"--twin-share {args.twin_share:g} --page-rate {args.page_rate:g} "
        f"--existing {args.existing} --connections {args.connections} "
        f"--workers {args.workers} --threads {args.threads}`"
    )
    table = [
        ("new signers scheduled", f"{n_signers:,} at {args.rate:g}/s for {args.duration:g} s"),
        (
            "first signatures sent / skipped (server past the deadline)",
            f"{len(firsts):,} / {skipped:,}",
        ),
        (
            "duplicates sent (re-submissions + simultaneous pairs)",
            f"{len(dups):,} ({len(twins):,} pairs)",
        ),
        (
            "accepted (302 to 'check your email')",
            f"{accepted:,} ({throttled} past the email limit)",
        ),
        ("not accepted", str(dict(errors) or 0)),
        ("retried after the run (no answer)", str(len(retries))),
        ("signature rows", f"{len(rows):,} for {len(acked):,} acknowledged signers"),
        ("email tasks queued", f"{tasks:,}"),
        ("wall time of the load", f"{wall:.1f} s"),
        (
            "first signatures acknowledged per second (min / mean / max)",
            f"{min(seconds) if seconds else 0} / {mean:.1f} / {max(seconds) if seconds else 0}",
        ),
        ("signing: service time p50 / p95 / p99 / max", ms(service, 50, 95, 99, 100)),
        (
            "signing: response time from schedule p50 / p95 / p99 / max",
            ms(response, 50, 95, 99, 100),
        ),
        (
            f"campaign page while signing ({len(page_ms)} GETs, {dict(page_status)}): "
            "p50 / p95 / p99 / max",
            ms(page_sorted, 50, 95, 99, 100),
        ),
        (f"campaign page idle ({len(idle_ms)} GETs): p50 / p95", ms(idle_sorted, 50, 95)),
        (
            "CPU seconds: gunicorn / PostgreSQL / load generator / machine (available)",
            f"{cpu['server']:.0f} / {cpu['database']:.0f} / {cpu['generator']:.0f} / "
            f"{cpu['machine_busy']:.0f} ({wall * cores:.0f})",
        ),
        ("signers whose request never got an answer", str(len(unanswered))),
    ]
    print("## Campaigns: signing the petition under load\n")
    print(command + "\n")
    print(
        f"Machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}, "
        f"PostgreSQL on the same host; gunicorn gthread {args.workers}x{args.threads}, "
        "production profile.\n"
        f"Load average (1, 5, 15 min) before: {load_before}; after: {load_after} (the machine "
        "is shared with other engineers' test runs).\n"
        f"Set-up (structure, campaign, {args.existing:,} existing signatures): {setup_s:.1f} s; "
        f"gunicorn ready in {boot_s:.1f} s.\n"
    )
    print("| | |\n|---|---|")
    for label, value in table:
        print(f"| {label} | {value} |")
    print("\nChecks:\n")
    for name, passed in checks.items():
        print(f"- {'PASS' if passed else 'FAIL'}: {name}")
    if lost:
        print(f"\nLost (first 20): {lost[:20]}")
    if phantom:
        print(f"\nStored without acknowledgement (first 20): {phantom[:20]}")


if __name__ == "__main__":
    main()
