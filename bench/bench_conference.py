# ruff: noqa: E501 - the Markdown report template keeps its table rows on one line each
"""Benchmark: a conference card vote over HTTP, and the conference pages at scale.

    .venv/bin/python bench/bench_conference.py [--members 200000] [--clp-delegates 1300]
        [--delegations 150] [--duration 60] [--connections 16] [--submissions 600]
        [--server postgres://postgres@127.0.0.1:5432] [--db rankandfile_bench_conference]
        [--workers 2] [--threads 8] [--keep]

1. Creates a scratch PostgreSQL database (dropped first and again at the end unless
   ``--keep``), migrates it, loads the 650 constituencies with a CLP each and
   ``--members`` members with realistic histories (bench_eligibility's generator).
2. Sets up the 2026 conference through the services: the rule book, ``--clp-delegates``
   CLP delegates (two per CLP, each a member with a login and an API token, checked in)
   and ``--delegations`` affiliates with their affiliated membership and a leader each.
3. Opens a card vote (``floor.card_vote_open``: timed) and starts gunicorn. Every
   delegate and delegation leader casts their card over HTTP
   (``POST /api/v1/conference/cards/{id}``, bearer token), paced evenly over ``--duration``
   seconds on ``--connections`` keep-alive connections. Meanwhile a "hall screen" polls the
   results board fragment every half second, as the page's htmx does; the figure reported is
   the time from the last vote's response until the board shows every card cast, and
   the board fragment's own latency (p50/p95 of 100 requests after the vote).
4. Loads a conference with ``--submissions`` motions (20 topics, 20 composites of their
   motions, a 300-entry programme over 6 versions) and times the agenda page, a composite
   page and the programme page over HTTP (100 requests each after 10 warm-ups: p50/p95).
5. For comparison, the tally done the way a spreadsheet (or a naive ORM loop) would:
   loading every card row and summing in Python, against the single aggregate query.

Prints Markdown for bench/RESULTS.md (section "Conference").
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

import bench_eligibility as be  # noqa: E402 - bench/ is put on the path just above
from voting.server import Gunicorn, free_port  # noqa: E402

YEAR = 2026
POLL = 0.5  # the board page polls its fragment every 500 ms (htmx)
UTC = dt.UTC


TURNOUT = re.compile(r'data-turnout-item="\d+">\s*([\d,]+)')


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--members", type=int, default=200_000)
    p.add_argument("--clp-delegates", type=int, default=1300)
    p.add_argument("--delegations", type=int, default=150)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--submissions", type=int, default=600)
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default="rankandfile_bench_conference")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true")
    return p.parse_args()


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


# --- set-up --------------------------------------------------------------------------------
def setup_conference(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from rankandfile.conference.models import AffiliateDelegation, Delegate
    from rankandfile.conference.services import floor, rulebook, setup
    from rankandfile.core.models import ApiToken, User
    from rankandfile.core.tokens import TOKEN_PREFIX, digest
    from rankandfile.membership.models import Affiliate, AffiliationYear, Member, Role

    rulebook.rule_book_load(actor=None)
    cac = User.objects.create(email="cac@bench.example")
    Role.objects.create(user=cac, kind=Role.Kind.CAC, start=dt.date(2020, 1, 1))
    t = dt.datetime(2026, 6, 1, tzinfo=UTC)
    conf = setup.conference_create(
        actor=cac,
        year=YEAR,
        title="Annual Conference 2026",
        venue="Liverpool",
        starts_on=dt.date(2026, 9, 27),
        ends_on=dt.date(2026, 9, 30),
        motions_deadline=t + dt.timedelta(days=90),
        rule_changes_deadline=t + dt.timedelta(days=19),
        amendments_deadline=t + dt.timedelta(days=80),
        delegates_deadline=t + dt.timedelta(days=85),
        census_date=dt.date(2026, 5, 31),
    )
    rng = random.Random(args.seed)
    tokens: list[tuple[int, str]] = []  # (user id, bearer secret)

    def token_for(user: User) -> str:
        prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        ApiToken.objects.create(
            user=user,
            name="phone",
            prefix=prefix,
            digest=digest(secret),
            scopes="read write",
            expires_at=timezone.now() + dt.timedelta(days=30),
        )
        return f"{TOKEN_PREFIX}_{prefix}_{secret}"

    with transaction.atomic():
        per_clp: dict[int, list[int]] = {}
        for mid, cid in Member.objects.order_by("pk").values_list("pk", "clp_id"):
            if len(per_clp.setdefault(cid, [])) < 2:
                per_clp[cid].append(mid)
        chosen = [m for ms in per_clp.values() for m in ms][: args.clp_delegates]
        users = User.objects.bulk_create(User(email=f"d{m}@bench.example") for m in chosen)
        members = {m.pk: m for m in Member.objects.filter(pk__in=chosen)}
        for m_id, u in zip(chosen, users, strict=True):
            members[m_id].user = u
        Member.objects.bulk_update(members.values(), ["user"], batch_size=500)
        now = dt.datetime(2026, 9, 27, 9, tzinfo=UTC)
        Delegate.objects.bulk_create(
            Delegate(
                conference=conf,
                clp_id=members[m].clp_id,
                member_id=m,
                registered_at=now,
                meeting_date=dt.date(2026, 6, 1),
                credential=f"{i:08d}",
                checked_in_at=now,
            )
            for i, m in enumerate(chosen)
        )
        for u in users:
            tokens.append((u.pk, token_for(u)))
        affs = Affiliate.objects.bulk_create(
            Affiliate(name=f"Bench Union {i}", short_name=f"BU{i}", kind="union")
            for i in range(args.delegations)
        )
        sizes = {a.pk: rng.randint(1_000, 1_000_000) for a in affs}
        AffiliationYear.objects.bulk_create(
            AffiliationYear(affiliate=a, year=YEAR, affiliated_members=sizes[a.pk]) for a in affs
        )
        leaders = User.objects.bulk_create(User(email=f"l{a.pk}@bench.example") for a in affs)
        AffiliateDelegation.objects.bulk_create(
            AffiliateDelegation(
                conference=conf,
                affiliate=a,
                affiliated_members=sizes[a.pk],
                leader=u,
                registered_at=now,
                checked_in_at=now,
            )
            for a, u in zip(affs, leaders, strict=True)
        )
        for u in leaders:
            tokens.append((u.pk, token_for(u)))
    session = floor.session_create(
        actor=cac,
        conference=conf,
        title="Sunday",
        starts_at=dt.datetime(2026, 9, 27, 14, tzinfo=UTC),
    )
    item = floor.item_create(actor=cac, session=session, title="Card vote 1: rule changes")
    t0 = time.perf_counter()
    n_cards = floor.card_vote_open(actor=cac, item=item)
    open_s = time.perf_counter() - t0
    from rankandfile.conference.models import Card

    card_of = dict(Card.objects.filter(item=item).values_list("user_id", "pk"))
    jobs = [(card_of[u], secret) for u, secret in tokens if u in card_of]
    rng.shuffle(jobs)
    return {
        "conf": conf,
        "item": item,
        "cac": cac,
        "cards": n_cards,
        "open_s": open_s,
        "jobs": jobs,
    }


# --- the vote over HTTP -----------------------------------------------------------------------
def run_vote(args: argparse.Namespace, port: int, setup: dict[str, Any]) -> dict[str, Any]:
    jobs: list[tuple[int, str]] = setup["jobs"]
    item_id = setup["item"].pk
    n = len(jobs)
    interval = args.duration / n
    latencies: list[float] = []
    failures: list[str] = []
    done_at: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    next_index = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= n:
                break
            due = start + i * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            card, secret = jobs[i]
            choice = "for" if (card * 7919) % 100 < 62 else "against"
            body = json.dumps({"choice": choice})
            t0 = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    f"/api/v1/conference/cards/{card}",
                    body=body,
                    headers={
                        "Authorization": f"Bearer {secret}",
                        "Content-Type": "application/json",
                    },
                )
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok, resp = False, None
                failures.append(str(exc))
            t1 = time.perf_counter()
            with lock:
                latencies.append(t1 - t0)
                done_at.append(t1)
                if not ok and resp is not None:
                    failures.append(f"HTTP {resp.status}")
        conn.close()

    board_seen: list[tuple[float, int]] = []
    stop = threading.Event()

    def hall_screen() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        path = f"/conference/{YEAR}/floor/{item_id}/board/?fragment=1"
        while not stop.is_set():
            conn.request("GET", path)
            text = conn.getresponse().read().decode()
            # The turnout the board shows: "<span data-turnout-item=…>1,234 of 1,450 …".
            shown = TURNOUT.search(text)
            cast = int(shown[1].replace(",", "")) if shown else -1
            board_seen.append((time.perf_counter(), cast))
            if cast == n:
                break
            time.sleep(POLL)
        conn.close()

    screen = threading.Thread(target=hall_screen)
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    screen.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    last_vote = max(done_at)
    screen.join(timeout=10)
    stop.set()
    shown = next((t for t, c in board_seen if c == n), None)
    # The board fragment's own latency, after the vote.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    board_lat = []
    for _ in range(100):
        t0 = time.perf_counter()
        conn.request("GET", f"/conference/{YEAR}/floor/{item_id}/board/?fragment=1")
        conn.getresponse().read()
        board_lat.append(time.perf_counter() - t0)
    conn.close()
    return {
        "votes": n,
        "failures": len(failures),
        "span_s": last_vote - start,
        "lat_p50": pct(latencies, 0.5),
        "lat_p95": pct(latencies, 0.95),
        "lat_max": max(latencies),
        "board_after_last_s": (shown - last_vote) if shown else None,
        "board_poll_s": POLL,
        "board_p50": pct(board_lat, 0.5),
        "board_p95": pct(board_lat, 0.95),
    }


def tally_comparison(setup: dict[str, Any]) -> dict[str, float]:
    from fractions import Fraction

    from rankandfile.conference.models import Card
    from rankandfile.conference.queries import common as common_queries
    from rankandfile.conference.queries import floor as floor_queries

    item = setup["item"]
    p = common_queries.conference_parameters(setup["conf"])
    t0 = time.perf_counter()
    for _ in range(20):
        fast = floor_queries.card_tally(item, p)
    agg = (time.perf_counter() - t0) / 20
    t0 = time.perf_counter()
    for _ in range(5):
        sums: dict[tuple[str, str], Fraction] = {}
        for c in Card.objects.filter(item=item):  # every row into Python, one at a time
            if c.choice:
                key = (c.section, c.choice)
                sums[key] = sums.get(key, Fraction(0)) + Fraction(c.unit_weight, c.unit_present)
    naive = (time.perf_counter() - t0) / 5
    assert fast.result is not None
    assert fast.result.sections[0].for_votes == sums.get(("clp", "for"), 0)
    return {"aggregate_ms": agg * 1000, "naive_ms": naive * 1000}


# --- pages at scale -----------------------------------------------------------------------------
def load_pages(args: argparse.Namespace, setup: dict[str, Any]) -> dict[str, Any]:
    from rankandfile.conference.demo_texts import MOTIONS
    from rankandfile.conference.models import (
        Composite,
        ProgrammeEntry,
        ProgrammeVersion,
        Submission,
        Topic,
    )
    from rankandfile.membership.models import CLP

    conf = setup["conf"]
    conf.dates.agenda_published_at = dt.datetime(2026, 9, 1, tzinfo=UTC)  # public listing
    conf.dates.save(update_fields=["agenda_published_at"])
    rng = random.Random(args.seed)
    texts = [t for ms in MOTIONS.values() for _, t in ms]
    topics = Topic.objects.bulk_create(
        Topic(conference=conf, name=f"Topic {i + 1}", position=i) for i in range(20)
    )
    clps = list(CLP.objects.order_by("pk")[: args.submissions])
    now = dt.datetime(2026, 7, 1, tzinfo=UTC)
    subs = Submission.objects.bulk_create(
        Submission(
            conference=conf,
            reference=f"{YEAR}/M{i + 1:03d}",
            kind="motion",
            clp=clps[i % len(clps)],
            title=f"Motion {i + 1} on {topics[i % 20].name}",
            text=rng.choice(texts) + " " + rng.choice(texts),
            debate_year=YEAR,
            meeting_date=dt.date(2026, 6, 1),
            meeting_for=20,
            meeting_against=2,
            submitted_at=now,
            status="in_order",
            topic=topics[i % 20],
        )
        for i in range(args.submissions)
    )
    for k, topic in enumerate(topics):
        originals = [s for s in subs if s.topic_id == topic.pk]
        body = " ".join(s.text.split(". ")[0] + "." for s in originals[:8])
        c = Composite.objects.create(
            conference=conf, topic=topic, number=k + 1, title=topic.name, text=body
        )
        Submission.objects.filter(pk__in=[s.pk for s in originals]).update(composite=c)
    versions = [
        ProgrammeVersion.objects.create(
            number=i + 1, conference=conf, published_on=dt.date(2020 + i, 10, 1)
        )
        for i in range(6)
    ]
    ProgrammeEntry.objects.bulk_create(
        ProgrammeEntry(
            reference=f"P/{i:04d}",
            title=f"Policy {i}",
            topic=f"Topic {i % 20 + 1}",
            text=rng.choice(texts),
            conference=conf,
            added_in=versions[i % 6],
            figures={"for_percent": "71.23%"},
        )
        for i in range(300)
    )
    return {"submissions": len(subs), "composites": 20, "programme_entries": 300}


def time_pages(port: int) -> list[tuple[str, float, float, int]]:
    out = []
    for label, path in (
        ("The agenda (/conference/2026/)", f"/conference/{YEAR}/"),
        (
            "Submissions, first page of 100 (/conference/2026/submissions/)",
            f"/conference/{YEAR}/submissions/",
        ),
        (
            "A composite with its originals (/conference/2026/composites/1/)",
            f"/conference/{YEAR}/composites/1/",
        ),
        ("The programme (/conference/programme/)", "/conference/programme/"),
        ("Rule book with a comparison (/conference/rules/?a=1&b=5)", "/conference/rules/?a=1&b=5"),
    ):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        lat = []
        size = 0
        for i in range(110):
            t0 = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{path}: HTTP {resp.status}")
            if i >= 10:
                lat.append(time.perf_counter() - t0)
            size = len(body)
        conn.close()
        out.append((label, pct(lat, 0.5) * 1000, pct(lat, 0.95) * 1000, size))
    return out


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RANKANDFILE_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        AUDIT_HMAC_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        # Production refuses to start without it (links in emails start from it).
        RANKANDFILE_BASE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=url,
        DATABASE_CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        DEBUG="0",
        RANKANDFILE_VAR_DIR=str(OUT / "conference_var"),
    )
    env.pop("PYTEST_VERSION", None)
    return env


def fresh_party(args: argparse.Namespace) -> str:
    """A new benchmark database with the party's structure and args.members members;
    returns its URL (the caller drops it when done)."""
    OUT.mkdir(parents=True, exist_ok=True)
    url = f"{args.server}/{args.db}"
    be.recreate_pg(args.server, args.db)
    t0 = time.perf_counter()
    be.setup_django(url)
    clps, branches, _ = be.load_structure()
    be.load_members(args.members, clps, branches, args.seed)
    log(f"loaded {args.members:,} members in {time.perf_counter() - t0:.1f} s")
    return url


def production_server(args: argparse.Namespace, url: str, name: str) -> Gunicorn:
    """The production WSGI app under gunicorn on a free port, static files collected,
    not yet started; Django's own connections are closed first."""
    from django.db import connections

    connections.close_all()
    env = server_env(url)
    subprocess.run(
        [sys.executable, "-m", "rankandfile.cli", "collectstatic", "--noinput", "-v0"],
        env=env,
        check=True,
    )
    return Gunicorn(
        gunicorn=str(Path(sys.executable).with_name("gunicorn")),
        port=free_port(),
        env=env,
        log=OUT / f"{name}_gunicorn.log",
        workers=args.workers,
        threads=args.threads,
    )


def main() -> None:
    args = parse_args()
    try:
        url = fresh_party(args)
        setup = setup_conference(args)
        log(f"card vote open: {setup['cards']:,} cards in {setup['open_s'] * 1000:.0f} ms")
        from django.db import connections

        server = production_server(args, url, "bench_conference")
        port = server.port
        server.start()
        try:
            boot = server.wait_ready(
                f"/api/v1/conference/{YEAR}/items/{setup['item'].pk}/tally", "none"
            )
            log(f"gunicorn ready in {boot:.1f} s")
            load1 = os.getloadavg()
            vote = run_vote(args, port, setup)
            log(f"vote: {vote}")
            tally = tally_comparison(setup)
            pages_data = load_pages(args, setup)
            connections.close_all()
            pages = time_pages(port)
            load2 = os.getloadavg()
        finally:
            server.stop()
        report(args, setup, vote, tally, pages_data, pages, (load1, load2))
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            be.drop_pg(args.server, args.db)


def report(
    args: argparse.Namespace,
    setup: dict[str, Any],
    vote: dict[str, Any],
    tally: dict[str, float],
    pages_data: dict[str, Any],
    pages: list[tuple[str, float, float, int]],
    load: tuple[Any, Any],
) -> None:
    import psycopg

    with psycopg.connect(f"{args.server}/postgres") as c:
        pg = c.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    board = vote["board_after_last_s"]
    board_text = f"{board:.2f} s" if board is not None else "not seen"
    print(f"""## Conference (bench/bench_conference.py)

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {pg};
gunicorn gthread {args.workers} workers x {args.threads} threads; load average before / after the run:
{load[0][0]:.1f} / {load[1][0]:.1f} (other engineers' work shares the machine).
Command: `.venv/bin/python bench/bench_conference.py --members {args.members} --clp-delegates {args.clp_delegates} --delegations {args.delegations} --duration {args.duration:g} --connections {args.connections}`

### Card vote over HTTP: {args.clp_delegates:,} CLP delegates and {args.delegations} affiliate delegations

| measure | value |
|---|---|
| cards issued at opening (`card_vote_open`, {args.members:,} members counted at the census) | {setup["cards"]:,} in {setup["open_s"] * 1000:.0f} ms |
| votes cast over HTTP (`POST /api/v1/conference/cards/{{id}}`) | {vote["votes"]:,}, {vote["failures"]} failed |
| first to last vote | {vote["span_s"]:.1f} s (paced over {args.duration:g} s) |
| vote latency p50 / p95 / max | {vote["lat_p50"] * 1000:.0f} / {vote["lat_p95"] * 1000:.0f} / {vote["lat_max"] * 1000:.0f} ms |
| board shows every card after the last vote (polled every 0.5 s, as the page does) | {board_text} |
| board fragment (live tally) p50 / p95 | {vote["board_p50"] * 1000:.1f} / {vote["board_p95"] * 1000:.1f} ms |
| tally: one aggregate query vs every card row into Python | {tally["aggregate_ms"]:.1f} ms vs {tally["naive_ms"]:.1f} ms |

### Pages of a conference with {pages_data["submissions"]} submissions, {pages_data["composites"]} composites, {pages_data["programme_entries"]} programme entries

| page | p50 | p95 | size |
|---|---|---|---|""")
    for label, p50, p95, size in pages:
        print(f"| {label} | {p50:.0f} ms | {p95:.0f} ms | {size // 1024} KB |")


if __name__ == "__main__":
    main()
