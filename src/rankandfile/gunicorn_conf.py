"""gunicorn settings for production (``gunicorn --config python:rankandfile.gunicorn_conf
rankandfile.wsgi:application``; ``rankandfile.deploy_layout``).

The shape measured in ``bench/RESULTS.md``: threaded workers (``gthread``), the app
preloaded in the master, and every URLconf, view and API router imported before the
workers fork, so a worker restarted after a crash serves at once. Tunable from the
environment (docs/configuration.md): ``WEB_BIND``, ``WEB_WORKERS``, ``WEB_THREADS``.
"""

from __future__ import annotations

import os
from typing import Any

from rankandfile.deploy_layout import WEB_PORT

bind = os.environ.get("WEB_BIND", f"0.0.0.0:{WEB_PORT}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
preload_app = True
keepalive = 10
backlog = 2048
timeout = 60
graceful_timeout = 20
# Recycle workers now and then (a leak never grows without bound); jitter avoids all at once.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "warning").lower()
# The proxy's X-Forwarded-Proto is read by Django (SECURE_PROXY_SSL_HEADER) and its
# X-Forwarded-For by rankandfile.core.proxy (TRUSTED_PROXIES, decision 0028), not by gunicorn.


def when_ready(server: Any) -> None:
    if server.cfg.preload_app:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - evaluated for its side effect (imports)
