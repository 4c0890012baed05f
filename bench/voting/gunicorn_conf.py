"""gunicorn settings for the voting benchmark (``-c bench/voting/gunicorn_conf.py``).

With ``--preload`` the master imports the WSGI application once; this hook also imports
every URLconf, view and API router in the master before the workers fork, so a worker
(re)started after a crash serves at once instead of importing the views on its first
request.
"""

from __future__ import annotations

from typing import Any


def when_ready(server: Any) -> None:
    if server.cfg.preload_app:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - evaluated for its side effect (imports)
