"""Start, probe, stop and hard-kill a gunicorn serving Rank and File on 127.0.0.1.

Only processes started here are ever signalled, by their process ids: the master this
module spawned and the workers whose parent is that master.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces, so split after the ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds consumed so far by each live process in ``pids``."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@dataclass
class Gunicorn:
    gunicorn: str
    port: int
    env: dict[str, str]
    log: Path
    workers: int = 4
    threads: int = 4
    worker_class: str = "gthread"
    preload: bool = True
    proc: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)

    def command(self) -> list[str]:
        cmd = [
            self.gunicorn,
            "rankandfile.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--threads",
            str(self.threads),
            "--keep-alive",
            "10",
            "--backlog",
            "2048",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
            "--config",
            str(Path(__file__).with_name("gunicorn_conf.py")),
        ]
        if self.preload:
            cmd.append("--preload")
        return cmd

    def start(self) -> None:
        self.starts.append(time.perf_counter())
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, probe_path: str, token: str, timeout: float = 60.0) -> float:
        """Poll until a real request succeeds; returns the seconds waited."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", probe_path, headers={"Authorization": f"Bearer {token}"})
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return time.perf_counter() - t0
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn not ready after {timeout} s; see {self.log}")

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        return [self.proc.pid, *children_of(self.proc.pid)]

    def kill_hard(self) -> int:
        """SIGKILL the master and every worker at once (as a power cut or the OOM killer
        would); returns how many processes were killed."""
        pids = self.pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
        deadline = time.perf_counter() + 10
        while any(alive(p) for p in pids[1:]) and time.perf_counter() < deadline:
            time.sleep(0.01)
        self.proc = None
        return len(pids)

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master), SIGKILL if it hangs."""
        if self.proc is None:
            return
        workers = children_of(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill_hard()
            return
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.proc = None
