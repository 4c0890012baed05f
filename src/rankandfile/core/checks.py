"""System checks of the platform (``rankandfile check``; every command runs them), and
the deploy checks: ``rankandfile check --deploy`` refuses an unsafe audit key."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def audit_key_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    key = str(getattr(settings, "AUDIT_HMAC_KEY", ""))
    if settings.AUDIT_HMAC_KEY_ID == settings.AUDIT_INSECURE_KEY_ID or len(key) < 32:
        errors.append(
            Error(
                "AUDIT_HMAC_KEY is not set (or shorter than 32 characters): the audit log is "
                "sealed with the insecure development key",
                hint="Set AUDIT_HMAC_KEY (and AUDIT_HMAC_KEY_ID) in the environment; keep "
                "the key off the database server.",
                id="rankandfile.E020",
            )
        )
    elif key == str(settings.SECRET_KEY):
        errors.append(
            Error(
                "AUDIT_HMAC_KEY is the same as SECRET_KEY",
                hint="Use a separate key for the audit seal, so rotating one leaves the other.",
                id="rankandfile.E021",
            )
        )
    return errors


@checks.register()
def schedule_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The periodic jobs' table (``rankandfile/schedule.py``) must resolve."""
    from rankandfile.core import scheduler

    return [
        checks.Error(problem, hint="Fix rankandfile/schedule.py.", id="rankandfile.E010")
        for problem in scheduler.problems(scheduler.jobs())
    ]


@checks.register()
def base_url_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Production needs ``RANKANDFILE_BASE_URL``; everywhere it must be well formed.

    Not a deploy-only check: an error here stops every command in production (``migrate``,
    ``db_worker``, ``scheduler``, ``check --deploy``), and ``wsgi.py`` runs it on start.
    """
    from rankandfile.core import links

    made: list[checks.CheckMessage] = []
    for level, check_id, message in links.configuration_problems():
        kind = checks.Error if level == "error" else checks.Warning
        made.append(
            kind(
                message,
                hint="Set RANKANDFILE_BASE_URL to the public https address (see configuration.md).",
                id=check_id,
            )
        )
    return made


@checks.register()
def trusted_proxies_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from rankandfile.core.proxy import parse_networks

    try:
        parse_networks(getattr(settings, "TRUSTED_PROXIES", []))
    except ValueError as exc:
        return [
            checks.Error(
                f"TRUSTED_PROXIES: {exc}",
                hint="Comma-separated addresses or networks, e.g. 127.0.0.1,172.28.0.0/24.",
                id="rankandfile.E003",
            )
        ]
    if os.environ.get("TRUSTED_PROXY_HOPS", "").strip():
        # The hop count was removed (decision 0028); ignoring it silently would leave the
        # client address that of the proxy (or, with TRUSTED_PROXIES also set, worse).
        return [
            checks.Error(
                "TRUSTED_PROXY_HOPS is set, but it is no longer read: the client address "
                "behind a reverse proxy comes from TRUSTED_PROXIES only",
                hint="Remove TRUSTED_PROXY_HOPS from the environment and set TRUSTED_PROXIES "
                "to the proxy's address or network, e.g. TRUSTED_PROXIES=127.0.0.1,::1 "
                "(see docs/configuration.md).",
                id="rankandfile.E004",
            )
        ]
    return []
