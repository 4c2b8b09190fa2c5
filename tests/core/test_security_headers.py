"""Security headers on every response, a CSP the templates can live with, cookie flags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.hardening import CONTENT_SECURITY_POLICY
from tests.core.isolated import isolated_client
from tests.factories import login

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def assert_hardened(response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, response.request.path
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.path, name)


def test_the_policy_allows_no_inline_script_or_style_and_no_framing():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_pages_errors_static_files_and_the_api_all_carry_the_headers(app, factories):
    web = isolated_client(app)
    for path, status in (
        ("/login", 200),
        ("/does-not-exist", 404),
        ("/static/style.css", 200),
        ("/static/js/quote-totals.js", 200),
        ("/api/openapi.json", 200),
        ("/api/v1/customers", 401),
    ):
        response = web.get(path)
        assert response.status_code == status, path
        assert_hardened(response)
    login(web, factories.user("finance"))
    assert_hardened(web.get("/customers"))


def test_hsts_only_over_tls(app):
    plain = isolated_client(app).get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    secure = isolated_client(app).get("/login", base_url="https://erp.winet.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# Templates rendered for WeasyPrint (PDFs), never served to a browser, may style inline.
PDF_TEMPLATES = ("pdf/", "_pdf.html")
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "on… event handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def served_templates() -> list[Path]:
    found = sorted(ROOT.glob("app/templates/**/*.html"))
    found += sorted(ROOT.glob("plugins/*/templates/**/*.html"))
    return [path for path in found if not any(part in str(path) for part in PDF_TEMPLATES)]


def test_no_template_needs_unsafe_inline():
    """The CSP forbids inline script and style: behaviour lives in /static/js, looks in CSS."""
    templates = served_templates()
    assert len(templates) > 30
    found = [
        f"{path.relative_to(ROOT)}: {kind}"
        for path in templates
        for kind, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert not found, "\n".join(found)


def session_cookie_header(response) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_the_session_cookie_is_httponly_and_samesite(app, factories):
    web = isolated_client(app)
    header = session_cookie_header(login(web, factories.user("finance")))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain http in development and tests


@pytest.mark.parametrize("app_config", [{"PREFERRED_URL_SCHEME": "https"}])
def test_served_over_https_the_session_cookie_is_secure(app, factories):
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    web = isolated_client(app)
    page = web.get("/login", base_url="https://erp.winet.example")
    assert page.status_code == 200
    user = factories.user("finance")
    response = web.post(
        "/login",
        data={"email": user.email, "password": "correct-horse-battery"},
        base_url="https://erp.winet.example",
    )
    header = session_cookie_header(response)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


@pytest.mark.parametrize("app_config", [{"PREFERRED_URL_SCHEME": "https"}])
def test_an_https_deployment_gets_secure_cookies_too(app):
    assert app.config["SESSION_COOKIE_SECURE"]
