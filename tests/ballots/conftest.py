"""Ballot fixtures: a real SMTP server on localhost, a fake clock, the task backends.

The SMTP sink is an aiosmtpd :class:`Controller` on a free port; Django's SMTP backend is
pointed at it, so tests check what is actually delivered. If the sink cannot start, the
test fails (never skips).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from rankandfile.ballots import invitations


@dataclass
class Delivered:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


@dataclass
class SinkHandler:
    """Accepts everything, except addresses told to fail: ``refuse[address] = (reply,
    times)`` refuses that recipient with ``reply`` the next ``times`` times (``None``:
    always). Every RCPT is logged with the fake clock's time."""

    clock: Any = None
    messages: list[Delivered] = field(default_factory=list)
    rcpt_log: list[tuple[str, float | None]] = field(default_factory=list)
    refuse: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        with self.lock:
            self.rcpt_log.append((address, self.clock.now if self.clock else None))
            if address in self.refuse:
                reply, times = self.refuse[address]
                if times is None or times > 0:
                    if times is not None:
                        self.refuse[address] = (reply, times - 1)
                    return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Delivered]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def attempts(self, address: str) -> int:
        return sum(1 for a, _ in self.rcpt_log if a == address)


class FakeClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """No test waits for real: throttling and retry back-off sleep on this clock."""
    clock = FakeClock()
    monkeypatch.setattr(invitations, "clock", clock)
    return clock


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(
    settings: Any, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SinkHandler]:
    """A real SMTP server on 127.0.0.1 and Django's SMTP backend pointed at it."""
    from django.core.mail.utils import DNS_NAME

    # Django's EHLO name is socket.getfqdn(), which can take seconds without DNS.
    monkeypatch.setattr(DNS_NAME, "_fqdn", "localhost", raising=False)
    handler = SinkHandler(clock=fake_clock)
    controller = None
    error: Exception | None = None
    for _ in range(3):  # a free port can be taken between probing and binding
        # server_hostname: aiosmtpd would otherwise ask socket.getfqdn(), slow without DNS.
        controller = Controller(
            handler, hostname="127.0.0.1", port=_free_port(), server_hostname="localhost"
        )
        try:
            controller.start()
            break
        except Exception as exc:  # any failure to start is reported below
            error = exc
            controller = None
    if controller is None:
        pytest.fail(f"the SMTP sink could not start on 127.0.0.1: {error!r}")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def dummy_tasks(settings: Any) -> Any:
    """Swap in django-tasks' DummyBackend (records enqueued tasks; supports ``run_after``)."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    return default_task_backend
