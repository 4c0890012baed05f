"""An open-loop HTTP load generator on the standard library (threads + http.client).

Requests are *scheduled* at a fixed rate (request ``i`` at ``t0 + i / rate``) and a pool
of threads, each with its own keep-alive connection, sends each one at its time. Latency
is measured both from the moment a request was sent (service time) and from the moment
it was due (response time, which includes any wait for a free connection: a server that
falls behind cannot hide it by slowing the generator down — "coordinated omission").

Only loopback addresses are accepted.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Job:
    """One request: a vote by ``voter`` (an index into the voters), or a duplicate."""

    at: float  # seconds after t0
    voter: int
    kind: str  # "vote" | "retry" (of an acknowledged vote) | "twin" (simultaneous pair)


@dataclass
class Outcome:
    job: Job
    voter: int
    sent: float = 0.0  # seconds after t0
    done: float = 0.0
    status: int | None = None
    code: str = ""
    error: str = ""  # "" | "not_sent" (never reached the server) | "in_flight"
    detail: str = ""


@dataclass
class Voter:
    token: str
    body: bytes


def schedule(
    n_votes: int, rate: float, dup_rate: float, twin_share: float, rng: random.Random
) -> list[Job]:
    """``n_votes`` first votes at ``rate`` a second, plus about ``dup_rate`` duplicates:
    a share ``twin_share`` of them as simultaneous pairs (two submissions by one member
    at once), the rest as retries of a vote already acknowledged."""
    jobs: list[Job] = []
    per = 1.0 / rate
    for voter in range(n_votes):
        at = voter * per
        r = rng.random()
        if r < dup_rate * twin_share:
            jobs.append(Job(at, voter, "twin"))
            jobs.append(Job(at, voter, "twin"))
        else:
            jobs.append(Job(at, voter, "vote"))
            if r < dup_rate:
                jobs.append(Job(at + per / 2, -1, "retry"))  # voter chosen when sent
    return jobs


@dataclass
class Run:
    host: str
    port: int
    path: str
    voters: Sequence[Voter]
    jobs: list[Job]
    connections: int = 64
    timeout: float = 30.0
    deadline: float = float("inf")  # seconds after t0: later jobs are skipped, not sent
    t0: float = 0.0
    skipped: list[Job] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)  # voters with a 201
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.host not in LOOPBACK:
            raise ValueError("the load generator only targets the loopback interface")

    def _take(self) -> Job | None:
        with self._lock:
            if self._next >= len(self.jobs):
                return None
            job = self.jobs[self._next]
            self._next += 1
            return job

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def send(self, conn: http.client.HTTPConnection, job: Job, voter: int) -> Outcome:
        """One request on ``conn``; never raises (errors are recorded in the outcome)."""
        v = self.voters[voter]
        out = Outcome(job=job, voter=voter)
        headers = {
            "Authorization": f"Bearer {v.token}",
            "Content-Type": "application/json",
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
        out.status = resp.status
        if resp.status == 201:
            out.code = json.loads(data)["tracking_code"]
        elif resp.status != 409:
            out.detail = data[:200].decode(errors="replace")
        if resp.will_close:
            conn.close()
        return out

    def _worker(self) -> None:
        conn = self._connect()
        rng = random.Random()
        while (job := self._take()) is not None:
            if time.perf_counter() - self.t0 > self.deadline:
                self.skipped.append(job)  # the server fell too far behind: stop, bounded
                continue
            delay = self.t0 + job.at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            voter = job.voter
            if job.kind == "retry":
                if not self.acknowledged:
                    continue
                voter = rng.choice(self.acknowledged)
            out = self.send(conn, job, voter)
            if out.error:
                conn.close()
                conn = self._connect()
            elif out.status == 201:
                self.acknowledged.append(voter)  # list.append is atomic in CPython
            self.outcomes.append(out)
        conn.close()

    def run(self, during: Callable[[float], None] | None = None) -> None:
        """Send every job on schedule; ``during(t0)`` runs in another thread meanwhile."""
        self.t0 = time.perf_counter() + 0.2
        threads = [
            threading.Thread(target=self._worker, daemon=True) for _ in range(self.connections)
        ]
        side = threading.Thread(target=during, args=(self.t0,), daemon=True) if during else None
        for t in threads:
            t.start()
        if side is not None:
            side.start()
        for t in threads:
            t.join()
        if side is not None:
            side.join()


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (0 if empty)."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]
