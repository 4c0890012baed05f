"""The production process layout, in one place (issue 13; docs/deployment.md).

Every way of running Rank and File in production starts exactly these processes with
exactly these commands: the container files (``deploy/compose.yaml``, ``deploy/Dockerfile``),
the plain-VM units (``deploy/systemd/``) and the production-stack test.
``tests/deploy/test_deploy_files.py`` parses those files and compares them with this
module, so they cannot drift apart. Plain Python, no Django: importable before settings.

    web        gunicorn serving rankandfile.wsgi:application (settings: rankandfile.gunicorn_conf)
    worker     rankandfile task_worker — the django-tasks database queue (emails, counts,
               jobs), with a heartbeat the health endpoint reads
    scheduler  rankandfile scheduler — the periodic jobs (rankandfile/schedule.py); one is enough
    release    once per deployment, before the others start: check, migrate, cache table
               (and, on a VM, collect the static files: ``BUILD``; the image does it when built)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The port each web process listens on (``WEB_BIND`` overrides; systemd runs one per port).
WEB_PORT = 8000
WSGI_APP = "rankandfile.wsgi:application"
GUNICORN_CONFIG = "python:rankandfile.gunicorn_conf"


@dataclass(frozen=True)
class Process:
    name: str  # the compose service, and the systemd unit ``rankandfile-<name>[@].service``
    argv: tuple[str, ...]  # the program (a console script of the virtualenv) and arguments
    replicas: int  # how many run by default (compose ``deploy.replicas``; systemd instances)
    description: str
    port: int | None = None


PROCESSES: tuple[Process, ...] = (
    Process(
        "web",
        ("gunicorn", "--config", GUNICORN_CONFIG, WSGI_APP),
        replicas=2,
        description="HTTP: pages, the API, the fast vote and signature paths (behind Caddy)",
        port=WEB_PORT,
    ),
    Process(
        "worker",
        ("rankandfile", "task_worker", "--no-reload"),
        replicas=2,
        description="Background tasks: ballot emails, closing and counting, scheduled jobs",
    ),
    Process(
        "scheduler",
        ("rankandfile", "scheduler"),
        replicas=1,
        description="Enqueues each periodic job once per due time (a second one is harmless)",
    ),
)

#: Run once per version at build time (the image) or installation (a VM's release unit).
BUILD: tuple[tuple[str, ...], ...] = (("rankandfile", "collectstatic", "--no-input"),)

#: Run once per deployment, in order, before (re)starting the processes.
RELEASE: tuple[tuple[str, ...], ...] = (
    ("rankandfile", "check", "--deploy", "--fail-level", "WARNING"),
    ("rankandfile", "migrate", "--no-input"),
    ("rankandfile", "createcachetable"),
)

#: Must be set in production; the processes refuse to start without them.
REQUIRED_ENV: tuple[str, ...] = (
    "RANKANDFILE_ENV",
    "SECRET_KEY",
    "AUDIT_HMAC_KEY",
    "ALLOWED_HOSTS",
    "RANKANDFILE_BASE_URL",
    "DATABASE_URL",
)

#: Read by the deployment files themselves (Caddy, compose's PostgreSQL), not by Django.
STACK_ENV: tuple[str, ...] = (
    "RANKANDFILE_DOMAIN",
    "RANKANDFILE_UPSTREAMS",
    "ACME_EMAIL",
    "POSTGRES_PASSWORD",
)


def process(name: str) -> Process:
    for found in PROCESSES:
        if found.name == name:
            return found
    raise KeyError(f"no process {name!r}; the layout has {', '.join(p.name for p in PROCESSES)}")


def command(name: str, bin_dir: Path | str | None = None) -> list[str]:
    """The argv of process ``name``; with ``bin_dir`` (a virtualenv's ``bin``), the
    program as an absolute path, as systemd and the stack test run it."""
    argv = list(process(name).argv)
    if bin_dir is not None:
        argv[0] = str(Path(bin_dir) / argv[0])
    return argv
