# ruff: noqa: E501 - the Markdown report template keeps its table rows on one line each
"""Benchmark: the live hall at peak load (issue 16.3), the way it was and the way it is.

    .venv/bin/python bench/bench_hall.py [--members 20000] [--clp-delegates 1050]
        [--delegations 150] [--duration 60] [--server postgres://postgres@127.0.0.1:5432]
        [--db rf_hall] [--workers 2] [--threads 8]

1,200 voters (``--clp-delegates`` CLP delegates + ``--delegations`` affiliate leaders)
have the voting page open, a hall screen and a results board are up, and every voter
casts their card over HTTP within ``--duration`` seconds (paced evenly, in random order).
Two runs, each on its own open card vote, against gunicorn with the production WSGI app:

* **before** — what the pages did until now: every voting page (``item.html``) included
  the results board fragment, which htmx polled every 500 ms, each poll an uncached
  aggregate of the vote (``/conference/<y>/floor/<id>/board/?fragment=1``); so 1,200
  phones offer 2,400 requests a second. The hall screen is the board page itself.
* **after** — every page (phone, hall screen, results board, console) polls the hall's
  snapshot ``/conference/<y>/hall/state.json`` (phones every 5 s, screen and board every
  0.5 s), served from the short shared cache (``conference.hall_fast``, 0.25 s); a page
  fetches its own fragment only when the snapshot's version changes.

Polling is open-loop: each poll is due at its own time; a poller behind schedule sends at
once (the achieved rate is reported beside the offered rate). A sample of 20 signed-in
delegates also loads the voting page every 3 s ("page" latency). The board figure is the
time from the last vote's response until the results board's poll first shows every
card cast. Scratch database ``--db`` (dropped first and at the end).

Prints Markdown for bench/RESULTS.md (section "Conference hall").
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

import bench_conference as bc  # noqa: E402 - bench/ is put on the path just above
import bench_eligibility as be  # noqa: E402

YEAR = bc.YEAR
SAMPLE = 20  # signed-in delegates whose page loads are timed


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--members", type=int, default=20_000)
    p.add_argument("--clp-delegates", type=int, default=1050)
    p.add_argument("--delegations", type=int, default=150)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--connections", type=int, default=16, help="casting connections")
    p.add_argument("--pollers", type=int, default=48, help="polling connections")
    p.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db", default="rf_hall")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", choices=["before", "after"], default=None)
    return p.parse_args()


pct = bc.pct


# --- set-up ------------------------------------------------------------------------------------
def sessions_for(user_ids: list[int]) -> list[str]:
    """Session keys of signed-in delegates (as after a sign-in), for page loads."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from rankandfile.core.models import User

    keys = []
    for u in User.objects.filter(pk__in=user_ids):
        s = SessionStore()
        s[SESSION_KEY] = str(u.pk)
        s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        s[HASH_SESSION_KEY] = u.get_session_auth_hash()
        s.create()
        keys.append(s.session_key)
    return keys


def next_vote(setup: dict[str, Any], title: str) -> None:
    """Close the open vote and open a new one (fresh cards for the next run); put it
    before conference."""
    from rankandfile.conference.models import AgendaItem, Card
    from rankandfile.conference.services import floor
    from rankandfile.conference.services import hall as hall_services

    cac = setup["cac"]
    item = AgendaItem.objects.get(pk=setup["item"].pk)
    if item.state == AgendaItem.State.OPEN:
        hall_services.hall_vote_close(actor=cac, item=item, confirm_outstanding=True)
    new = floor.item_create(actor=cac, session=item.session, title=title)
    hall_services.hall_vote_open(actor=cac, item=new)
    card_of = dict(Card.objects.filter(item=new).values_list("user_id", "pk"))
    secrets_of = dict(setup["tokens"])
    jobs = [(card_of[u], secrets_of[u]) for u in secrets_of if u in card_of]
    random.Random(new.pk).shuffle(jobs)
    setup["item"], setup["jobs"] = new, jobs


# --- the load ------------------------------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lat: dict[str, list[float]] = {}
        self.fail: dict[str, int] = {}

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.lat.setdefault(kind, []).append(seconds)
            if not ok:
                self.fail[kind] = self.fail.get(kind, 0) + 1


def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


def run(
    mode: str, args: argparse.Namespace, port: int, setup: dict[str, Any], cookies: list[str]
) -> dict[str, Any]:
    jobs: list[tuple[int, str]] = setup["jobs"]
    item_id = setup["item"].pk
    n = len(jobs)
    rec = Recorder()
    start = time.perf_counter() + 1.0
    end = start + args.duration + 2.0
    stop = threading.Event()
    done_at: list[float] = []
    if mode == "before":
        phone_path, phone_every = f"/conference/{YEAR}/floor/{item_id}/board/?fragment=1", 0.5
        page_path = f"/conference/{YEAR}/floor/{item_id}/"
        board_path = phone_path
    else:
        phone_path, phone_every = f"/conference/{YEAR}/hall/state.json", 5.0
        page_path = f"/conference/{YEAR}/hall/"
        board_path = phone_path
    offered = n / phone_every

    def caster() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = idx[0]
                idx[0] += 1
            if i >= n:
                break
            delay = start + i * args.duration / n - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            card, secret = jobs[i]
            body = json.dumps({"choice": "for" if (card * 7919) % 100 < 62 else "against"})
            t0 = time.perf_counter()
            ok = False
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
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            t1 = time.perf_counter()
            rec.add("cast", t1 - t0, ok)
            with lock:
                done_at.append(t1)
        conn.close()

    def poller(k: int) -> None:
        """Delegates k, k + pollers, ... : each polls every ``phone_every`` seconds."""
        mine = len(range(k, n, args.pollers))
        if mine == 0:
            return
        step = phone_every / mine
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        due = start + random.random() * step
        while not stop.is_set():
            now = time.perf_counter()
            if now >= end:
                break
            if due > now:
                time.sleep(due - now)
            t0 = time.perf_counter()
            try:
                status, _ = _get(conn, phone_path, {})
                ok = status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ok = False
            rec.add("poll", time.perf_counter() - t0, ok)
            due += step
        conn.close()

    board_seen: list[tuple[float, int]] = []

    def board() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < end + 10 and not stop.is_set():
            t0 = time.perf_counter()
            status, body = _get(conn, board_path, {})
            t1 = time.perf_counter()
            rec.add("board", t1 - t0, status == 200)
            text = body.decode()
            if mode == "before":
                marker = f'data-turnout-item="{item_id}">'
                cast = int(text.split(marker, 1)[1].split(" ", 1)[0]) if marker in text else -1
            else:
                o = json.loads(text).get("open") or {}
                cast = o.get("cast", -1) if o.get("item") == item_id else -1
            board_seen.append((t1, cast))
            if cast == n and len(done_at) == n:
                break
            time.sleep(max(0.0, 0.5 - (t1 - t0)))
        conn.close()

    def pages() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = 0
        while time.perf_counter() < end:
            cookie = cookies[i % len(cookies)]
            i += 1
            t0 = time.perf_counter()
            try:
                status, _ = _get(conn, page_path, {"Cookie": f"sessionid={cookie}"})
                ok = status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ok = False
            rec.add("page", time.perf_counter() - t0, ok)
            time.sleep(3.0 / len(cookies))
        conn.close()

    lock = threading.Lock()
    idx = [0]
    load1 = os.getloadavg()
    threads = [threading.Thread(target=caster) for _ in range(args.connections)]
    threads += [threading.Thread(target=poller, args=(k,)) for k in range(args.pollers)]
    threads += [threading.Thread(target=pages), threading.Thread(target=board)]
    for th in threads:
        th.start()
    for th in threads[: args.connections]:
        th.join()
    last = max(done_at)
    threads[-1].join(timeout=15)
    stop.set()
    for th in threads:
        th.join(timeout=70)
    load2 = os.getloadavg()
    shown = next((t for t, c in board_seen if c == n and t >= last), None)
    polls = rec.lat.get("poll", [])
    out: dict[str, Any] = {
        "mode": mode,
        "votes": n,
        "offered_poll_rate": offered,
        "achieved_poll_rate": len(polls) / (args.duration + 2.0),
        "board_after_last_s": (shown - last) if shown else None,
        "load": (load1[0], load2[0]),
        "fail": dict(rec.fail),
    }
    for kind in ("cast", "poll", "board", "page"):
        lat = rec.lat.get(kind) or [0.0]
        out[kind] = (pct(lat, 0.5) * 1000, pct(lat, 0.95) * 1000, len(rec.lat.get(kind, [])))
    return out


def main() -> None:
    args = parse_args()
    try:
        url = bc.fresh_party(args)
        bc_args = argparse.Namespace(**{**vars(args), "submissions": 0, "keep": False})
        setup = bc.setup_conference(bc_args)
        from rankandfile.conference.models import Card
        from rankandfile.conference.services import hall as hall_services

        setup["tokens"] = []
        card_users = dict(Card.objects.filter(item=setup["item"]).values_list("pk", "user_id"))
        setup["tokens"] = [(card_users[c], s) for c, s in setup["jobs"]]
        hall_services.hall_set_current(
            actor=setup["cac"], conference=setup["conf"], item=setup["item"]
        )
        sample = [u for u, _ in setup["tokens"][:SAMPLE]]
        cookies = sessions_for(sample)
        log(f"card vote open: {setup['cards']:,} cards")
        from django.db import connections

        server = bc.production_server(args, url, "bench_hall")
        port = server.port
        server.start()
        results = []
        try:
            server.wait_ready(f"/conference/{YEAR}/hall/state.json", "none")
            for mode in ("before", "after"):
                if args.only and mode != args.only:
                    continue
                if results:
                    next_vote(setup, f"Card vote ({mode})")
                    connections.close_all()
                r = run(mode, args, port, setup, cookies)
                log(f"{mode}: {r}")
                results.append(r)
        finally:
            server.stop()
        report(args, results)
    finally:
        from django.db import connections

        connections.close_all()
        be.drop_pg(args.server, args.db)


def report(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    import psycopg

    with psycopg.connect(f"{args.server}/postgres") as c:
        pg = c.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    voters = args.clp_delegates + args.delegations
    print(f"""## Conference hall (bench/bench_hall.py)

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {pg};
gunicorn gthread {args.workers} workers x {args.threads} threads, the production WSGI app.
Command: `.venv/bin/python bench/bench_hall.py --members {args.members} --clp-delegates {args.clp_delegates} --delegations {args.delegations} --duration {args.duration:g}` (`make bench-hall`)

{voters:,} voters with the voting page open, a hall screen and a results board; every voter casts within {args.duration:g} s.

| measure | before: each voting page polls the uncached board fragment every 0.5 s | after: every page polls the cached hall snapshot (phones 5 s, screen and board 0.5 s) |
|---|---|---|""")
    by = {r["mode"]: r for r in results}

    def cell(mode: str, f: Any) -> str:
        r = by.get(mode)
        return "not run" if r is None else f(r)

    def ms(kind: str) -> Any:
        return lambda r: f"{r[kind][0]:.0f} / {r[kind][1]:.0f} ms ({r[kind][2]:,} requests)"

    rows = [
        (
            "load average before / after the run",
            lambda r: f"{r['load'][0]:.1f} / {r['load'][1]:.1f}",
        ),
        (
            "polls offered / achieved per second",
            lambda r: f"{r['offered_poll_rate']:.0f} / {r['achieved_poll_rate']:.0f}",
        ),
        ("casting a card p50 / p95", ms("cast")),
        ("a phone's poll p50 / p95", ms("poll")),
        ("results board poll p50 / p95", ms("board")),
        ("voting page load (signed in) p50 / p95", ms("page")),
        (
            "board shows the last card after it is cast",
            lambda r: (
                "not seen"
                if r["board_after_last_s"] is None
                else f"{r['board_after_last_s']:.2f} s"
            ),
        ),
        ("failed requests", lambda r: ", ".join(f"{k} {v}" for k, v in r["fail"].items()) or "0"),
    ]
    for label, f in rows:
        print(f"| {label} | {cell('before', f)} | {cell('after', f)} |")


if __name__ == "__main__":
    main()
