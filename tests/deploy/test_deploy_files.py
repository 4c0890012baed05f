"""The deployment files stay in step with the process layout (``rankandfile.deploy_layout``).

Containers cannot run on this machine, so the files are kept thin and parsed here: the
compose file (PyYAML), the Dockerfile, the systemd units, the env file examples and the
Caddyfile. Every command they run must be the layout's; every environment variable they
name must be read by the code and documented in docs/configuration.md; every required
production variable must be provided; the services and the ports must agree.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from rankandfile import deploy_layout as layout

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
VENV_BIN = "/opt/rankandfile/.venv/bin"
APP_SERVICES = {"release", *(p.name for p in layout.PROCESSES)}
INFRASTRUCTURE = {"postgres", "caddy"}


# --- parsing ----------------------------------------------------------------------------
def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())  # type: ignore[no-any-return]


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text()
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def unit(name: str) -> dict[str, list[str]]:
    """A systemd unit as ``{"Section.Key": [values...]}`` (keys may repeat)."""
    found: dict[str, list[str]] = {}
    section = ""
    for raw in (SYSTEMD / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return found


def env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def unit_name(process: layout.Process) -> str:
    return f"rankandfile-{process.name}{'@' if process.replicas > 1 else ''}.service"


def exec_argv(value: str) -> list[str]:
    """An ExecStart= line as the layout writes it: the program's name, not its path."""
    argv = shlex.split(value)
    assert os.path.dirname(argv[0]) == VENV_BIN, value
    return [os.path.basename(argv[0]), *argv[1:]]


def documented() -> set[str]:
    """Every variable named in docs/configuration.md (in backticks)."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", text))


def read_by_code() -> set[str]:
    """Every variable the code reads from the environment."""
    names: set[str] = set()
    pattern = re.compile(
        r"""(?:os\.environ\.get|os\.environ\[|os\.getenv|env_bool|env_list)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
    )
    for path in (ROOT / "src" / "rankandfile").rglob("*.py"):
        names.update(pattern.findall(path.read_text()))
    return names


def compose_refs(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))


def caddy_refs() -> set[str]:
    return set(re.findall(r"\{\$([A-Z][A-Z0-9_]*)", (DEPLOY / "Caddyfile").read_text()))


# --- the layout itself ------------------------------------------------------------------
def test_the_layout_names_real_commands() -> None:
    from django.core.management import get_commands

    commands = get_commands()
    for argv in [*(p.argv for p in layout.PROCESSES), *layout.BUILD, *layout.RELEASE]:
        if argv[0] == "rankandfile":
            assert argv[1] in commands, argv
    web = layout.process("web")
    assert web.argv[0] == "gunicorn" and web.argv[-1] == "rankandfile.wsgi:application"
    assert layout.command("scheduler", "/x/bin") == ["/x/bin/rankandfile", "scheduler"]
    with pytest.raises(KeyError, match="no process 'cron'"):
        layout.process("cron")


def test_gunicorn_config_listens_on_the_layout_port(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.delenv("WEB_BIND", raising=False)
    import rankandfile.gunicorn_conf as conf

    conf = importlib.reload(conf)
    assert conf.bind == f"0.0.0.0:{layout.WEB_PORT}"
    assert conf.worker_class == "gthread" and conf.preload_app is True


# --- compose ----------------------------------------------------------------------------
def test_compose_services_are_the_layout_plus_postgres_and_caddy() -> None:
    assert set(compose()["services"]) == APP_SERVICES | INFRASTRUCTURE


def test_compose_runs_exactly_the_layout_commands_and_replicas() -> None:
    services = compose()["services"]
    for process in layout.PROCESSES:
        service = services[process.name]
        assert service["command"] == list(process.argv), process.name
        assert service["deploy"]["replicas"] == process.replicas, process.name
        assert service["image"] == "rankandfile:latest"
    release = services["release"]["command"]
    assert release[:2] == ["sh", "-c"]
    assert [shlex.split(step) for step in release[2].split(" && ")] == [
        list(c) for c in layout.RELEASE
    ]
    for name in APP_SERVICES - {"release"}:
        assert services[name]["depends_on"]["release"] == {
            "condition": "service_completed_successfully"
        }


def test_compose_gives_every_app_service_the_required_production_variables() -> None:
    services = compose()["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert set(layout.REQUIRED_ENV) <= set(env), name
        assert env["RANKANDFILE_ENV"] == "production"
        base = urlsplit(env["RANKANDFILE_BASE_URL"].replace("${RANKANDFILE_DOMAIN}", "x.org"))
        assert base.scheme == "https"
        assert env["ALLOWED_HOSTS"].startswith("${RANKANDFILE_DOMAIN")
        assert "@postgres:5432/" in env["DATABASE_URL"]


def test_compose_ports_agree() -> None:
    services = compose()["services"]
    assert services["web"]["expose"] == [str(layout.WEB_PORT)]
    assert services["caddy"]["environment"]["RANKANDFILE_UPSTREAMS"] == f"web:{layout.WEB_PORT}"
    assert set(services["caddy"]["environment"]) == caddy_refs()
    # TRUSTED_PROXIES is the compose network, where Caddy's address is.
    subnet = compose()["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == subnet


def test_compose_env_example_provides_every_required_reference() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):\?", text))
    example = env_file(DEPLOY / ".env.example")
    assert required <= set(example), required - set(example)
    assert compose_refs(text) <= set(example), compose_refs(text) - set(example)


# --- Dockerfile -------------------------------------------------------------------------
def test_dockerfile_is_multi_stage_non_root_and_runs_the_web_command() -> None:
    steps = dockerfile()
    stages = [args for inst, args in steps if inst == "FROM"]
    assert len(stages) >= 2 and all(" AS " in s for s in stages)
    final = len(steps) - [inst for inst, _ in steps][::-1].index("FROM") - 1
    runtime = steps[final:]
    users = [args for inst, args in runtime if inst == "USER"]
    assert users and users[-1] not in {"root", "0"}
    cmd = [args for inst, args in runtime if inst == "CMD"]
    assert yaml.safe_load(cmd[-1]) == list(layout.process("web").argv)
    assert [args for inst, args in runtime if inst == "EXPOSE"] == [str(layout.WEB_PORT)]
    env = " ".join(args for inst, args in runtime if inst == "ENV")
    assert "RANKANDFILE_ENV=production" in env


def test_dockerfile_installs_from_the_lock_file_with_the_makefile_uv() -> None:
    steps = dockerfile()
    makefile = (ROOT / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.M).group(1)  # type: ignore[union-attr]
    assert ("COPY", f"--from=ghcr.io/astral-sh/uv:{uv_version} /uv /usr/local/bin/uv") in steps
    runs = [args for inst, args in steps if inst == "RUN"]
    assert any("uv sync --frozen --no-dev" in r and "--extra" not in r for r in runs)
    copied = " ".join(args for inst, args in steps if inst == "COPY")
    assert "uv.lock" in copied


def test_dockerfile_collects_static_files_with_the_layout_build_step() -> None:
    runs = [shlex.split(args) for inst, args in dockerfile() if inst == "RUN"]
    for step in layout.BUILD:
        found = [
            r[i:]
            for r in runs
            for i, token in enumerate(r)
            if token.endswith("/rankandfile") and r[i:][1:] == list(step[1:])
        ]
        assert found, step


def test_dockerfile_variables_are_known() -> None:
    names = set()
    for inst, args in dockerfile():
        if inst in {"ENV"}:
            names.update(re.findall(r"([A-Z][A-Z0-9_]+)=", args))
        if inst == "RUN":
            names.update(n for n in re.findall(r"\b([A-Z][A-Z0-9_]+)=", args))
    tooling = {n for n in names if n.startswith(("UV_", "PYTHON")) or n == "PATH"}
    unknown = names - tooling - (documented() & read_by_code())
    assert not unknown, unknown


# --- systemd ----------------------------------------------------------------------------
def test_systemd_units_run_exactly_the_layout_commands() -> None:
    for process in layout.PROCESSES:
        found = unit(unit_name(process))
        assert [exec_argv(v) for v in found["Service.ExecStart"]] == [list(process.argv)]
        assert found["Service.User"] == ["rankandfile"]
        assert found["Service.EnvironmentFile"] == ["/etc/rankandfile/rankandfile.env"]
        assert found["Service.Restart"] == ["always"]
        assert found["Install.WantedBy"] == ["rankandfile.target"]
    release = unit("rankandfile-release.service")
    assert release["Service.Type"] == ["oneshot"]
    assert [exec_argv(v) for v in release["Service.ExecStart"]] == [
        list(c) for c in (*layout.BUILD, *layout.RELEASE)
    ]


def test_systemd_target_starts_the_layout_replicas_on_the_layout_ports() -> None:
    wants = " ".join(unit("rankandfile.target")["Unit.Wants"]).split()
    for process in layout.PROCESSES:
        if process.replicas == 1:
            assert wants.count(f"rankandfile-{process.name}.service") == 1
            continue
        instances = [
            w.split("@")[1].removesuffix(".service")
            for w in wants
            if w.startswith(f"rankandfile-{process.name}@")
        ]
        assert len(instances) == process.replicas, process.name
        if process.port:
            assert instances == [str(process.port + i) for i in range(process.replicas)]
    web = unit("rankandfile-web@.service")
    assert web["Service.Environment"] == ["WEB_BIND=127.0.0.1:%i"]
    caddy = env_file(SYSTEMD / "caddy.env.example")
    ports = [a.rsplit(":", 1)[1] for a in caddy["RANKANDFILE_UPSTREAMS"].split()]
    assert ports == [str(layout.WEB_PORT + i) for i in range(layout.process("web").replicas)]
    assert set(caddy) == caddy_refs()


def test_systemd_env_example_is_a_complete_production_configuration() -> None:
    example = env_file(SYSTEMD / "rankandfile.env.example")
    assert set(layout.REQUIRED_ENV) <= set(example)
    assert example["RANKANDFILE_ENV"] == "production"
    assert urlsplit(example["RANKANDFILE_BASE_URL"]).hostname in example["ALLOWED_HOSTS"].split(",")


def test_the_systemd_env_example_passes_check_deploy(tmp_path: Path) -> None:
    """The example configuration is one production accepts (and RANKANDFILE_BASE_URL is
    what makes it so: without it the same check fails)."""
    example = env_file(SYSTEMD / "rankandfile.env.example")
    example["RANKANDFILE_VAR_DIR"] = str(tmp_path)
    example["SECRET_KEY"] = "example-" + "k3y" * 20
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    for name in ("DATABASE_URL", "RANKANDFILE_ENV", "RANKANDFILE_BASE_URL"):
        base.pop(name, None)

    def check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "rankandfile.cli",
                "check",
                "--deploy",
                "--fail-level",
                "WARNING",
            ],
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    ok = check(example)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    missing = check({k: v for k, v in example.items() if k != "RANKANDFILE_BASE_URL"})
    assert missing.returncode == 1
    assert "rankandfile.E001" in missing.stderr


# --- every variable named anywhere ------------------------------------------------------
def test_every_variable_the_files_name_is_read_by_the_code_and_documented() -> None:
    services = compose()["services"]
    app_names = {key for name in APP_SERVICES for key in services[name]["environment"]}
    example_names = set(env_file(SYSTEMD / "rankandfile.env.example")) | set(
        env_file(DEPLOY / ".env.example")
    )
    unit_names = {
        value.split("=", 1)[0]
        for path in SYSTEMD.glob("*.service")
        for value in unit(path.name).get("Service.Environment", [])
    }
    stack = set(layout.STACK_ENV)
    docs, code = documented(), read_by_code()
    # Read by the application: in the code and in docs/configuration.md.
    for name in app_names | unit_names | (example_names - stack):
        assert name in code, f"{name} is set by a deployment file but never read"
        assert name in docs, f"{name} is not documented in docs/configuration.md"
    # Read by the stack itself (Caddy, compose's PostgreSQL): documented.
    referenced = compose_refs((DEPLOY / "compose.yaml").read_text()) | caddy_refs()
    for name in referenced - code:
        assert name in stack, f"{name} is neither read by the code nor a stack variable"
    for name in stack:
        assert name in docs, f"{name} is not documented in docs/configuration.md"
    for name in layout.REQUIRED_ENV:
        assert name in code and name in docs


def test_the_deployment_page_shows_the_layout_commands() -> None:
    page = (ROOT / "docs" / "deployment.md").read_text()
    for process in layout.PROCESSES:
        assert shlex.join(process.argv) in page, process.name
    for step in (*layout.BUILD, *layout.RELEASE):
        assert shlex.join(step) in page, step
