"""Content-Security-Policy on every kind of response — Django pages, the API, redirects,
errors (404, 403, 500), the two lean WSGI paths — and no inline script, inline event
handler or inline style in any template."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path

from rankandfile.core import lean
from tests.conftest import Party

SRC = Path(__file__).resolve().parents[2] / "src" / "rankandfile"


def expected_policy() -> str:
    from csp.utils import build_policy

    return build_policy()


def test_the_policy_forbids_inline_script_and_style() -> None:
    policy = expected_policy()
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/accounts/login/", 200),  # allauth page
        ("/", 200),  # the public home page
        ("/account/", 302),  # redirect to sign in
        ("/conference/", 200),  # public page
        ("/api/v1/campaigns", 200),  # public API
        ("/api/v1/members/me", 401),  # API refusal
        ("/api/v1/openapi.json", 200),
        ("/api/v1/docs", 200),
        ("/no-such-page/", 404),  # error page
        ("/healthz", 200),
    ],
)
def test_every_django_response_has_the_policy(db: None, path: str, status: int) -> None:
    response = Client().get(path)
    assert response.status_code == status
    assert response["Content-Security-Policy"] == expected_policy()


def test_signed_in_pages_and_forbidden_answers_have_the_policy(party: Party) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(party.member)
    page = client.get("/account/")
    assert page.status_code == 200
    assert page["Content-Security-Policy"] == expected_policy()
    refused = client.post("/account/", {"name": "x"})  # no CSRF token: 403
    assert refused.status_code == 403
    assert refused["Content-Security-Policy"] == expected_policy()


def _boom(request: Any) -> Any:
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_has_the_policy(db: None) -> None:
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert response["Content-Security-Policy"] == expected_policy()


# --- the lean WSGI paths -------------------------------------------------------------------
def test_the_lean_paths_send_the_same_header() -> None:
    # Both lean paths answer through core.lean, which runs Django's middleware for the
    # headers; their answers are checked in tests/ballots/test_fastvote.py and
    # tests/campaigns/test_fastsign.py.
    for secure in (False, True):
        headers = dict(lean.security_headers(secure=secure))
        assert headers["Content-Security-Policy"] == expected_policy()
        assert headers["X-Frame-Options"] == "DENY"
        assert ("Strict-Transport-Security" in headers) == (
            secure and bool(settings.SECURE_HSTS_SECONDS)
        )


# --- no inline script or style in any template ---------------------------------------------
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
# Rendered to PDF by WeasyPrint, never served as a page.
PDF_TEMPLATES = {
    "declaration_pdf.html",
    "programme_pdf.html",
    "rule_book_pdf.html",
    "petition_pdf.html",
    "subject_pdf.html",
}


def templates() -> list[Path]:
    return sorted(p for p in SRC.rglob("templates/**/*.html"))


def test_templates_are_found() -> None:
    assert len(templates()) > 50


@pytest.mark.parametrize("template", templates(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_inline_script_handler_or_style(template: Path) -> None:
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a static file"
    assert not EVENT_HANDLER.search(text), "inline event handler: use site.js"
    if template.name not in PDF_TEMPLATES:
        assert not INLINE_STYLE.search(text), "inline style: move it to a stylesheet"


def test_the_settings_list_the_policy_for_the_middleware() -> None:
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert settings.MIDDLEWARE.index("csp.middleware.CSPMiddleware") <= 2
