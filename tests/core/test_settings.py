"""Configuration comes from the environment; production passes ``check --deploy``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SECRET = "test-" + "k3y" * 20
AUDIT_KEY = "audit-" + "s3al" * 10


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    dropped = ("PYTEST", "DATABASE_URL", "DJANGO_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    base.pop("RANKANDFILE_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "rankandfile.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _run(
        {
            "RANKANDFILE_ENV": "production",
            "SECRET_KEY": SECRET,
            "AUDIT_HMAC_KEY": AUDIT_KEY,
            "ALLOWED_HOSTS": "party.example.org",
            "RANKANDFILE_BASE_URL": "https://party.example.org",
            "RANKANDFILE_VAR_DIR": str(tmp_path),
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_an_audit_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        "RANKANDFILE_ENV": "production",
        "SECRET_KEY": SECRET,
        "RANKANDFILE_VAR_DIR": str(tmp_path),
    }
    result = _run(env, "check")
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY must be set in the environment in production" in result.stderr
    result = _run({**env, "AUDIT_HMAC_KEY": "short"}, "check")
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY must be at least 32 characters long" in result.stderr


def test_check_deploy_reports_the_insecure_audit_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Development falls back to the insecure key; check --deploy says so as an error.
    result = _run(
        {"RANKANDFILE_ENV": "development", "RANKANDFILE_VAR_DIR": str(tmp_path)},
        "check",
        "--deploy",
    )
    assert result.returncode != 0
    assert "rankandfile.E020" in result.stderr and "insecure development key" in result.stderr
    result = _run(
        {
            "RANKANDFILE_ENV": "development",
            "RANKANDFILE_VAR_DIR": str(tmp_path),
            "SECRET_KEY": SECRET,
            "AUDIT_HMAC_KEY": SECRET,
        },
        "check",
        "--deploy",
    )
    assert "rankandfile.E021" in result.stderr


PRODUCTION = {
    "RANKANDFILE_ENV": "production",
    "SECRET_KEY": SECRET,
    "AUDIT_HMAC_KEY": AUDIT_KEY,
    "ALLOWED_HOSTS": "party.example.org",
}


def test_production_without_a_base_url_fails_check_deploy_with_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _run({**PRODUCTION, "RANKANDFILE_VAR_DIR": str(tmp_path)}, "check", "--deploy")
    assert result.returncode == 1
    assert "(rankandfile.E001) RANKANDFILE_BASE_URL is not set" in result.stderr
    # Not only check --deploy: every command (the worker, the scheduler) refuses to start.
    worker = _run({**PRODUCTION, "RANKANDFILE_VAR_DIR": str(tmp_path)}, "scheduler", "--list")
    assert worker.returncode == 1
    assert "rankandfile.E001" in worker.stderr


def test_production_wsgi_app_refuses_to_start_without_a_base_url(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = "import rankandfile.wsgi"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
            **PRODUCTION,
            "RANKANDFILE_VAR_DIR": str(tmp_path),
            "RANKANDFILE_BASE_URL": "",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: RANKANDFILE_BASE_URL is not set" in result.stderr


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("party.example.org", "(rankandfile.E002)"),
        ("https://party.example.org/?x=1", "(rankandfile.E002)"),
        ("http://party.example.org", "(rankandfile.W001)"),
        ("https://elsewhere.example.org", "(rankandfile.W002)"),
    ],
)
def test_production_base_url_must_be_a_public_https_address(
    base: str, expected: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    result = _run(
        {**PRODUCTION, "RANKANDFILE_BASE_URL": base, "RANKANDFILE_VAR_DIR": str(tmp_path)},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 1
    assert expected in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _run({"RANKANDFILE_ENV": "production", "RANKANDFILE_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_unknown_profile_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _run({"RANKANDFILE_ENV": "staging", "RANKANDFILE_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "RANKANDFILE_ENV must be development, test or production" in result.stderr


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgres://u@db.example.org:5432/party", "django.db.backends.postgresql"),
        ("sqlite:////tmp/x.sqlite3", "django.db.backends.sqlite3"),
    ],
)
def test_database_url_selects_the_engine(url: str, engine: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _run(
        {"DATABASE_URL": url, "RANKANDFILE_VAR_DIR": str(tmp_path)},
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == engine


def test_default_database_is_sqlite_under_var(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _run(
        {"RANKANDFILE_VAR_DIR": str(tmp_path)},
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
    )
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "rankandfile.sqlite3")
