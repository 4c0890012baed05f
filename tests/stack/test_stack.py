"""A whole ballot through the stack as production runs it (issue 13, point 4).

Two gunicorn web processes with the production settings (``rankandfile.wsgi``, lean
paths included), two ``task_worker`` task workers and ``rankandfile scheduler``, on
loopback with PostgreSQL and a real SMTP server (conftest.py). The officer creates,
opens and invites over HTTP; a worker is SIGKILLed in the middle of a batch and started
again; every elector must receive exactly one invitation; the members vote through the
emailed link (link, ballot paper, check, cast, tracking code) with each step sent to the
other web process; the scheduler closes the ballot at its closing time; the officer
declares; the published papers are downloaded and recounted with the counting library.
A login rate limit is shown to hold across both web processes (the production cache is
the shared database cache).

Run with ``make test-stack`` (marker ``stack``; excluded from ``make pytest``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import sys
import time
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest

from rankandfile.counting.blt import parse_blt
from rankandfile.counting.methods import count
from tests.stack.conftest import ROOT, Client, Received, Stack, run, sql

pytestmark = pytest.mark.stack

LONDON = ZoneInfo("Europe/London")
ELECTORS = 24
CANDIDATES = ["Ada Adams", "Bo Brown", "Cy Clarke"]
# 22 of the 24 vote: Ada leads on first preferences, Bo wins on Cy's transfers.
RANKINGS = [[0, 1]] * 10 + [[1, 2]] * 7 + [[2, 1]] * 5
LINK = re.compile(r"http://127\.0\.0\.1:\d+(/ballots/vote/[A-Za-z0-9_-]{43}/)")
CODE = re.compile(r'id="tracking-code">\s*([A-Z0-9]{10})\s*<')


class Clock:
    def __init__(self, budget: float) -> None:
        self.deadline = time.monotonic() + budget

    def wait_for(self, what: str, check: object, timeout: float, every: float = 1.0) -> None:
        until = min(self.deadline, time.monotonic() + timeout)
        while time.monotonic() < until:
            if check():  # type: ignore[operator]
                return
            time.sleep(every)
        pytest.fail(f"timed out waiting for {what}")


def login(client: Client, email: str, password: str, ports: list[int]) -> None:
    token, _ = client.csrf("/accounts/login/", port=ports[0])
    r = client.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "login": email, "password": password},
        port=ports[1],
    )
    assert r.status == 302, r.text[:2000]


def act(client: Client, ballot_id: int, action: str, ports: list[int]) -> str:
    """POST one of the manage page's buttons (token read from one process, posted to
    the other); returns the manage page shown afterwards."""
    token, _ = client.csrf(f"/ballots/{ballot_id}/manage/", port=ports[0])
    r = client.post(f"/ballots/{ballot_id}/{action}/", {"csrfmiddlewaretoken": token}, ports[1])
    assert r.status == 302, (action, r.status, r.text[:2000])
    return client.get(r.location, port=ports[0]).text


def test_a_whole_ballot_through_the_production_stack(stack: Stack) -> None:
    clock = Clock(budget=600)
    a, b = stack.web_ports
    password = secrets.token_urlsafe(16)
    seeded = json.loads(
        run([sys.executable, str(ROOT / "tests/stack/seed.py"), str(ELECTORS), password], stack.env)
    )
    electors: list[str] = seeded["electors"]

    # --- the officer creates, opens and invites (over HTTP, both processes) -----------------
    officer = Client(a)
    login(officer, seeded["officer"], password, [a, b])
    now = dt.datetime.now(LONDON)
    closes = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=4)
    token, _ = officer.csrf("/ballots/new/", port=b)
    r = officer.post(
        "/ballots/new/",
        {
            "csrfmiddlewaretoken": token,
            "title": "Chair of the CLP",
            "description": "",
            "method": "av",
            "seats": "1",
            "candidates": "\n".join(CANDIDATES),
            "quotas": "",
            "threshold": "simple",
            "scope": f"clp:{seeded['clp']}",
            "freeze_date": (now.date() - dt.timedelta(days=1)).isoformat(),
            "months_required": "6",
            "exclude_suspended": "on",
            "exclude_arrears": "on",
            "min_age": "",
            "max_age": "",
            "opens_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": closes.strftime("%Y-%m-%dT%H:%M"),
            "results_visibility": "electorate",
        },
        port=a,
    )
    assert r.status == 302, r.text[:3000]
    found = re.search(r"/ballots/(\d+)/manage/", r.location)
    assert found, r.location
    ballot_id = int(found.group(1))
    page = act(officer, ballot_id, "open", [b, a])
    assert "The ballot is open and its electorate is frozen." in page
    assert sql("SELECT electorate_size FROM ballots_ballot WHERE id = %s", [ballot_id]) == [
        (ELECTORS,)
    ]
    page = act(officer, ballot_id, "invite", [a, b])
    assert f"{ELECTORS} invitations queued." in page

    # --- kill a worker in the middle of its batch, start it again ----------------------------
    victim_holder: dict[str, object] = {}

    def a_worker_is_mid_batch() -> bool:
        if len(stack.mail.snapshot()) < 2:
            return False
        rows = sql(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE status = 'RUNNING' AND task_path LIKE %s",
            ["%send_ballot_emails"],
        )
        running = {w for (ids,) in rows for w in ids}
        for proc in stack.workers:
            if proc.name in running:
                victim_holder["proc"] = proc
                return True
        return False

    clock.wait_for("a worker sending a batch", a_worker_is_mid_batch, timeout=120, every=0.1)
    victim = victim_holder["proc"]
    assert victim is not None
    victim.kill_hard()  # type: ignore[attr-defined]
    delivered_at_kill = len(stack.mail.snapshot())
    (leased,) = sql(
        "SELECT count(*) FROM ballots_elector WHERE ballot_id = %s AND send_lease <> '' "
        "AND send_queued_at IS NOT NULL",
        [ballot_id],
    )[0]
    assert leased > 0, "the worker was killed between batches, not in one"
    assert 0 < delivered_at_kill < ELECTORS
    stack.workers.remove(victim)  # type: ignore[arg-type]
    stack.workers.append(stack.worker(victim.name + "-restarted"))  # type: ignore[attr-defined]

    def everyone_invited() -> bool:
        ((invited, owed),) = sql(
            "SELECT count(*) FILTER (WHERE invited_at IS NOT NULL), "
            "count(*) FILTER (WHERE send_queued_at IS NOT NULL) "
            "FROM ballots_elector WHERE ballot_id = %s",
            [ballot_id],
        )
        return bool(invited == ELECTORS and owed == 0)

    # The killed worker's electors come back when their lease (5 s) has expired: taken by
    # a task still queued, or re-queued by the scheduler's ballots_resume_sends (1 min).
    clock.wait_for("every elector invited", everyone_invited, timeout=180)

    # --- exactly one invitation each, read from the SMTP server -----------------------------
    mail = stack.mail.snapshot()
    by_rcpt: dict[str, list[Received]] = defaultdict(list)
    for m in mail:
        by_rcpt[m.rcpt].append(m)
    assert sorted(by_rcpt) == electors
    for rcpt, got in by_rcpt.items():
        assert len({m.message_id for m in got}) == 1, f"{rcpt} got different invitations"
    repeats = len(mail) - ELECTORS
    # Only a message the server accepted just before the kill, whose acceptance the
    # worker had not yet recorded, may be repeated - as the identical message (same
    # Message-ID and link), which a deduplicating relay delivers once.
    assert repeats <= 1, Counter(m.rcpt for m in mail).most_common(3)
    for got in by_rcpt.values():
        assert len({m.raw for m in got}) == 1
    print(f"killed {victim.name} with {leased} electors leased; repeats: {repeats}")  # type: ignore[attr-defined]

    # --- the members vote through the emailed link, across both processes -------------------
    receipts: dict[str, str] = {}
    cast: list[list[int]] = []
    for i, (rcpt, ranking) in enumerate(zip(electors, RANKINGS, strict=False)):
        one, other = (a, b) if i % 2 == 0 else (b, a)
        link = LINK.search(by_rcpt[rcpt][0].body)
        assert link, by_rcpt[rcpt][0].body
        member = Client(one)
        r = member.get(link.group(1), port=one)
        assert r.status == 302 and r.location.endswith(f"/ballots/{ballot_id}/vote/"), r.status
        vote_path = f"/ballots/{ballot_id}/vote/"
        token, paper = member.csrf(vote_path, port=other)
        assert all(name in paper.text for name in CANDIDATES)
        prefs = {f"pref_{p}": "" for p in range(len(CANDIDATES))}
        for rank, position in enumerate(ranking, start=1):
            prefs[f"pref_{position}"] = str(rank)
        r = member.post(vote_path, {"csrfmiddlewaretoken": token, **prefs, "action": "review"}, one)
        assert r.status == 200 and "Cast my vote" in r.text, r.text[:2000]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
        r = member.post(vote_path, {"csrfmiddlewaretoken": token, **prefs, "action": "cast"}, other)
        assert r.status == 200, r.text[:2000]
        code = CODE.search(r.text)
        assert code, r.text[:2000]
        receipts[rcpt] = code.group(1)
        cast.append(ranking)
        # The link was single-use: following it again, on either process, is refused.
        assert Client(other).get(link.group(1), port=other).status == 404
    assert len(set(receipts.values())) == len(RANKINGS)

    # --- a rate limit holds across both web processes ----------------------------------------
    prober = Client(a)
    nobody = f"nobody-{secrets.token_hex(4)}@example.org"
    refused = []
    for attempt in range(7):
        port = (a, b)[attempt % 2]
        token, _ = prober.csrf("/accounts/login/", port=port)
        r = prober.post(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": nobody, "password": "wrong-password"},
            port=(b, a)[attempt % 2],
        )
        assert r.status in (200, 400, 429), r.status
        refused.append(r.status == 429 or "Too many failed login attempts" in r.text)
    # 5 failures a key per 5 minutes (ACCOUNT_RATE_LIMITS), counted in the shared cache
    # (the database cache in production): the sixth and seventh are refused whichever
    # process - and whichever of its gunicorn workers - they reach. With a per-process
    # cache each process would have seen at most four.
    assert refused == [False] * 5 + [True, True], refused

    # --- the scheduler closes the ballot at its closing time ---------------------------------
    def closed() -> bool:
        return sql("SELECT state FROM ballots_ballot WHERE id = %s", [ballot_id])[0][0] != "open"

    remaining = (closes - dt.datetime.now(LONDON)).total_seconds()
    clock.wait_for("the scheduler to close the ballot", closed, timeout=remaining + 150, every=2)
    ((state, turnout, counted_at),) = sql(
        "SELECT state, turnout, counted_at FROM ballots_ballot WHERE id = %s", [ballot_id]
    )
    assert state == "counted" and turnout == len(RANKINGS)
    assert counted_at >= closes
    ((channel,),) = sql(
        "SELECT channel FROM core_auditentry WHERE action = 'ballots.ballot.close' "
        "AND object_id = %s",
        [str(ballot_id)],
    )
    assert channel == "task"  # the scheduled job, run by a worker; not a page view
    ((runs,),) = sql("SELECT runs FROM core_scheduledjob WHERE name = 'ballots_close_due'")
    assert runs >= 1

    # --- declared result, papers downloaded and recounted --------------------------------------
    page = act(officer, ballot_id, "declare", [a, b])
    result = json.loads(officer.get(f"/api/v1/ballots/{ballot_id}/result", port=b).text)
    assert result["state"] == "declared" and result["turnout"] == len(RANKINGS)
    assert result["elected"] == ["Bo Brown"]
    blt = officer.get(f"/ballots/{ballot_id}/papers.blt", port=a)
    csv = officer.get(f"/ballots/{ballot_id}/papers.csv", port=b)
    for doc in (blt, csv):
        assert doc.status == 200
        assert doc.headers["x-content-sha256"] == hashlib.sha256(doc.text.encode()).hexdigest()
    ballots = parse_blt(blt.text).ballots
    recount = count("av", ballots, seats=1)
    assert list(recount.elected_names) == result["elected"]
    published: Counter[tuple[int, ...]] = Counter()
    for row, weight in zip(ballots.rankings.tolist(), ballots.weights.tolist(), strict=True):
        published[tuple(i for i in row if i >= 0)] += int(weight)
    assert published == Counter(tuple(r) for r in cast)
    for code in receipts.values():
        assert f"({code})" in blt.text
    # The officer's recount on the scrutiny page agrees.
    token, _ = officer.csrf(f"/ballots/{ballot_id}/scrutiny/", port=a)
    r = officer.post(f"/ballots/{ballot_id}/recount/", {"csrfmiddlewaretoken": token}, port=b)
    assert r.status == 302
    assert "Recount matches" in officer.get(r.location, port=a).text
