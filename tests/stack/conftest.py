"""The production stack on loopback: PostgreSQL, an SMTP server, two web processes
(gunicorn serving ``rankandfile.wsgi:application`` with the production settings), two
task workers (``rankandfile task_worker``) and the scheduler (``rankandfile scheduler``).

Everything here FAILS when something it needs is missing (PostgreSQL, aiosmtpd,
gunicorn, a free port in the range): this test never skips. Ports come from
``STACK_PORT_BASE`` (default 18700; it uses the next 10). The database is
``STACK_DATABASE`` (default ``rankandfile_stack``) on ``STACK_PG_SERVER`` (default
``postgres://postgres@127.0.0.1:5432``); it is dropped and created afresh.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from rankandfile import deploy_layout

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RF = str(BIN / "rankandfile")
PG_SERVER = os.environ.get("STACK_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("STACK_DATABASE", "rankandfile_stack")
PORT_BASE = int(os.environ.get("STACK_PORT_BASE", "18700"))


def fail(message: str) -> None:
    pytest.fail(message + " (the stack test never skips)", pytrace=False)


# --- the SMTP server ----------------------------------------------------------------------
@dataclass
class Received:
    rcpt: str
    message_id: str
    body: str
    raw: bytes


@dataclass
class MailServer:
    """Keeps every message it accepts, in order."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        body = str(part.get_content()) if part is not None else ""
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append(
                    Received(rcpt, str(msg["Message-ID"] or ""), body, envelope.content)
                )
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


@pytest.fixture(scope="module")
def mail_server() -> Iterator[tuple[MailServer, int]]:
    try:
        from aiosmtpd.controller import Controller
    except ImportError as exc:
        fail(f"aiosmtpd is not installed ({exc}): make install-dev")
    handler = MailServer()
    port = PORT_BASE + 9
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="localhost")
    try:
        controller.start()
    except Exception as exc:
        fail(f"the SMTP server could not listen on 127.0.0.1:{port}: {exc!r}")
    try:
        yield handler, port
    finally:
        controller.stop()


# --- PostgreSQL -----------------------------------------------------------------------------
def sql(query: str, params: Any = None) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{DATABASE}", autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


@pytest.fixture(scope="module")
def database() -> str:
    try:
        import psycopg
    except ImportError as exc:
        fail(f"psycopg is not installed: {exc}")
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as c:
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [DATABASE],
            )
            c.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
            c.execute(f'CREATE DATABASE "{DATABASE}"')
    except psycopg.OperationalError as exc:
        fail(f"PostgreSQL is unreachable at {PG_SERVER}: {exc}")
    return f"{PG_SERVER}/{DATABASE}"


# --- processes ------------------------------------------------------------------------------
@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill_hard(self) -> None:
        """SIGKILL this process (and, for gunicorn, its workers)."""
        assert self.popen is not None
        for pid in [*_children(self.pid), self.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            self.kill_hard()


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                    out.append(int(entry.name))
    return out


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    logs: Path
    webs: list[Proc]
    workers: list[Proc]
    scheduler: Proc
    mail: MailServer
    web_ports: list[int]

    def worker(self, name: str) -> Proc:
        proc = Proc(
            name,
            [*deploy_layout.command("worker", BIN), "--interval", "0.3", "--worker-id", name],
            self.env,
            self.logs / f"{name}.log",
        )
        return proc.start()

    def client(self, i: int) -> Client:
        return Client(self.web_ports[i % len(self.web_ports)])


def run(argv: list[str], env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        fail(f"{' '.join(argv[:3])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_http(port: int, proc: Proc, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            fail(f"{proc.name} exited; see {proc.log}:\n{proc.log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/accounts/login/")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.3)
    fail(f"{proc.name} did not answer on 127.0.0.1:{port} within {timeout} s")


@pytest.fixture(scope="module")
def stack(
    database: str, mail_server: tuple[MailServer, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    mail, smtp_port = mail_server
    web_ports = [PORT_BASE, PORT_BASE + 1]
    for port in web_ports:
        if not port_free(port):
            fail(f"port {port} on 127.0.0.1 is taken (STACK_PORT_BASE={PORT_BASE})")
    # Kept between runs (var/ is not in git): collectstatic compresses every file once,
    # minutes on a busy machine, then only what changed.
    var = Path(os.environ.get("STACK_VAR_DIR", ROOT / "var" / "stack"))
    var.mkdir(parents=True, exist_ok=True)
    logs = tmp_path_factory.mktemp("stack-logs")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.pop("SHARED_CACHE", None)
    env.pop("TASKS_BACKEND", None)
    env.pop("EMAIL_BACKEND", None)
    env.update(
        RANKANDFILE_ENV="production",
        SECRET_KEY="stack-" + secrets.token_urlsafe(48),
        AUDIT_HMAC_KEY="stack-audit-" + secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # loopback without the TLS proxy
        DATABASE_URL=database,
        RANKANDFILE_VAR_DIR=str(var),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        DEFAULT_FROM_EMAIL="Returning Officer <ballots@party.example.org>",
        RANKANDFILE_BASE_URL=f"http://127.0.0.1:{web_ports[0]}",
        # Small, slow batches, so that a worker is surely in the middle of one when it
        # is killed, and a short lease, so that its electors are taken over quickly.
        BALLOT_INVITATION_BATCH_SIZE="4",
        BALLOT_EMAILS_PER_SECOND="3",
        BALLOT_EMAIL_LEASE_SECONDS="5",
        LOG_LEVEL="WARNING",
        DEBUG="0",
    )
    run([RF, "migrate", "--no-input", "-v", "0"], env)
    run([RF, "createcachetable"], env)
    run([RF, "collectstatic", "--no-input", "-v", "0"], env, timeout=900)
    # The same commands production runs (rankandfile.deploy_layout, which deploy/ follows).
    webs = [
        Proc(
            f"web{i}",
            deploy_layout.command("web", BIN),
            {**env, "WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2", "WEB_THREADS": "4"},
            logs / f"web{i}.log",
        ).start()
        for i, port in enumerate(web_ports)
    ]
    scheduler = Proc(
        "scheduler",
        [*deploy_layout.command("scheduler", BIN), "--interval", "5"],
        env,
        logs / "scheduler.log",
    ).start()
    s = Stack(database, env, logs, webs, [], scheduler, mail, web_ports)
    s.workers = [s.worker("worker-a"), s.worker("worker-b")]
    try:
        for port, web in zip(web_ports, webs, strict=True):
            wait_http(port, web)
        yield s
    finally:
        for proc in [*s.webs, *s.workers, s.scheduler]:
            proc.stop()
        print(f"stack logs: {logs}")


# --- an HTTP client that keeps cookies across both web processes ---------------------------------
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Client:
    """A browser's worth of cookies; each request may go to either web process. The
    production cookies are marked Secure; on loopback without TLS they are sent anyway,
    as the TLS proxy would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, data: Any = None, port: int | None = None
    ) -> Response:
        parts = urlsplit(path)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=60)
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, target, body=body, headers=headers)
        raw = conn.getresponse()
        text = raw.read().decode("utf-8", errors="replace")
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                if val in ("", '""'):
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val
        conn.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)

    def get(self, path: str, port: int | None = None) -> Response:
        return self.request("GET", path, port=port)

    def post(self, path: str, data: dict[str, Any], port: int | None = None) -> Response:
        return self.request("POST", path, data, port=port)

    def csrf(self, path: str, port: int | None = None) -> tuple[str, Response]:
        page = self.get(path, port=port)
        found = CSRF.search(page.text)
        assert found, f"no CSRF token on {path} ({page.status})"
        return found.group(1), page
