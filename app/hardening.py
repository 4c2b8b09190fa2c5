"""Browser-side hardening: security headers on every response and the cookie flags.

A few lines of our own rather than flask-talisman: Talisman trusts a client-sent
X-Forwarded-Proto for HSTS (we trust only what ProxyFix accepted, via
request.is_secure), rewrites app.config on every request and forces a redirect to
https that belongs to the proxy. What we need is six fixed headers.
"""

from __future__ import annotations

from flask import Flask, request
from flask.wrappers import Response

from app.config import is_production

# No inline script, no inline style, no plugins, nothing from another origin; the pages
# use only /static files (no `style="..."` attribute anywhere, which a test keeps so).
# form-action is left out on purpose: the pay button posts to us and we answer with a
# redirect to Stripe Checkout, which browsers check against form-action as well.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Our URLs carry record ids and signed tokens (pay and quote links): other sites
    # learn only our origin.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

HSTS_SECONDS = 365 * 24 * 3600


def production(app: Flask) -> bool:
    return is_production(app.config)


def secure_cookies_wanted(app: Flask) -> bool:
    return production(app) or app.config.get("PREFERRED_URL_SCHEME") == "https"


def add_security_headers(response: Response) -> Response:
    # A view may set its own (e.g. a stricter CSP); the others are added in one pass.
    present = {name.lower() for name, _ in response.headers}  # (name, value) pairs
    for name, value in HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    # Only over TLS (behind the proxy: as ProxyFix reports it); over plain http the
    # header is meaningless and would be refused by browsers anyway.
    if request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains"
        )
    return response


def init_app(app: Flask) -> None:
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    if secure_cookies_wanted(app):
        # Flask's defaults are False, so a setdefault would never take.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.after_request(add_security_headers)
