"""The short shared cache of the hall's snapshot (decision 0020).

Every phone, the hall screen, the chair's console and the results board poll
``GET /conference/<year>/hall/state.json``. The answer is the same for everyone (no
personal data, no running totals), so this WSGI wrapper (installed by
``rankandfile.wsgi``) keeps the last answer per year for ``HALL_STATE_SECONDS`` (default
0.25 s) and hands it to every poller in the meantime, without Django's middleware, the
session or the database. When it has expired, one thread asks Django again — with the
cookies removed, so the answer cannot depend on who asked — while the other threads keep
answering from the previous copy. The work per second is then bounded by the expiry, not
by the number of delegates: 1,200 phones polling cost what one does.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

STATE_PATH = re.compile(r"/conference/(\d{4})/hall/state\.json")


def state_seconds() -> float:
    return float(getattr(settings, "HALL_STATE_SECONDS", 0.25))


@dataclass
class _Cached:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    expires: float


class HallStateMiddleware:
    """Serve the hall snapshot from a per-process copy; everything else goes to ``app``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._cache: dict[str, _Cached] = {}
        self._filling: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or not STATE_PATH.fullmatch(path):
            return self.app(environ, start_response)
        seconds = state_seconds()
        if seconds <= 0:
            return self.app(environ, start_response)
        now = time.monotonic()
        cached = self._cache.get(path)
        if cached is None or cached.expires <= now:
            with self._lock:
                lock = self._filling.setdefault(path, threading.Lock())
            # One thread refills; the others answer from the previous copy if there is one.
            if lock.acquire(blocking=cached is None):
                try:
                    cached = self._cache.get(path)
                    if cached is None or cached.expires <= time.monotonic():
                        fresh = self._fill(environ, time.monotonic() + seconds)
                        if fresh is None:
                            return self.app(environ, start_response)
                        cached = fresh
                finally:
                    lock.release()
            cached = self._cache.get(path) or cached
        if cached is None:
            return self.app(environ, start_response)
        start_response(cached.status, list(cached.headers))
        return [cached.body]

    def _fill(self, environ: dict[str, Any], expires: float) -> _Cached | None:
        anon = {k: v for k, v in environ.items() if k != "HTTP_COOKIE"}
        captured: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        result = self.app(anon, start)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not captured.get("status", "").startswith("200"):
            return None
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "set-cookie"]
        cached = _Cached(captured["status"], headers, body, expires)
        self._cache[environ.get("PATH_INFO", "")] = cached
        return cached
