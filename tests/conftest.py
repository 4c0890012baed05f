"""Root fixtures: users in every role, a small party, the browser, and the database check."""

from __future__ import annotations

import os

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    # The PostgreSQL run must really be on PostgreSQL: fail loudly, never fall back.
    if os.environ.get("RANKANDFILE_REQUIRE_POSTGRES") == "1":
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"RANKANDFILE_REQUIRE_POSTGRES=1 but the database is {engine}")


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
