"""Rate limits against guessing (login, the desk's PIN check): per account and per client address.

Flask-Limiter counts the attempts, in Redis in production (`RATELIMIT_STORAGE_URI`, shared
by every process) and in memory otherwise. A refused attempt answers 429 with a
translated message: a page for people, a JSON error for the API, both with Retry-After.
The hard stop against password guessing is the account lock in the database
(app.services.authenticate); these limits only slow every kind of guessing down.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from app.errors import api_error_response, is_api_request
from app.security import page_before

F = TypeVar("F", bound=Callable[..., Any])

# Settings with their defaults; limits in the notation of the `limits` library.
DEFAULT_SETTINGS = {
    # Failed and successful attempts alike; the lock after LOGIN_LOCK_FAILURES failures
    # is what finally stops guessing one password.
    "LOGIN_RATE_LIMIT_PER_ACCOUNT": "5 per minute",
    # Generous: the staff of one office log in from one address at nine o'clock.
    "LOGIN_RATE_LIMIT_PER_ADDRESS": "30 per minute",
    # Per contact: the desk checks the PIN a caller reads out; the tariff
    # servicedesk.pin_max_failures locks the contact.
    "PIN_RATE_LIMIT_PER_ACCOUNT": "5 per minute",
    # The whole desk works from one address.
    "PIN_RATE_LIMIT_PER_ADDRESS": "60 per minute",
    # The account lock (app.services.authenticate), counted in the database.
    "LOGIN_LOCK_FAILURES": 10,
    "LOGIN_LOCK_WINDOW_MINUTES": 15,
    "LOGIN_LOCK_MINUTES": 15,
}

limiter = Limiter(
    key_func=get_remote_address,
    # X-RateLimit-* on the limited endpoints and Retry-After on a 429.
    headers_enabled=True,
    # A Redis outage falls back to per-process counting instead of refusing every login.
    in_memory_fallback_enabled=True,
)


def init_app(app: Flask) -> None:
    for key, value in DEFAULT_SETTINGS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    # One storage for every process in production: redis://host:6379/1. In memory the
    # counts are per process, which is right only for one process and for tests.
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    )
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "winet")
    limiter.init_app(app)
    # Every limit here is on a view (limit_guessing) and checked by the view's wrapper.
    # The app-wide hook (not installed when limits are off) looks only for default and
    # application limits, of which there are none, and cost every request about 30 µs (a
    # twentieth of an API read).
    hooks = app.before_request_funcs.get(None, [])
    wanted = app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION")
    if not wanted and limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
    app.register_error_handler(RateLimitExceeded, too_many_attempts)


@limiter.request_filter
def _not_a_post() -> bool:
    """Every limit guards a POST (limit_guessing), so the other requests of a limited view
    (its page, shown by GET) skip the search for their limits."""
    return request.method != "POST"


def too_many_attempts(error: RateLimitExceeded):
    message = _("Too many attempts. Please wait a minute and try again.")
    if is_api_request():
        return api_error_response(429, "too_many_requests", message)
    # A form refused mid-task (the desk verifying a caller on the phone) offers the way
    # back to the page it was sent from, not only the start page.
    return render_template("error.html", status=429, message=message, back=page_before()), 429


def _setting(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


def _address() -> str:
    return "address:" + get_remote_address()


def limit_guessing(
    name: str,
    account: Callable[[], str],
    exempt_when: Callable[[], bool] | None = None,
) -> Callable[[F], F]:
    """Limit the POSTs of views that check a secret, per account (the `account` key of
    the request, e.g. the e-mail typed in) and per client address. The limits are the
    settings <NAME>_RATE_LIMIT_PER_ACCOUNT / _PER_ADDRESS and are shared by every view
    decorated with the same name, so a second form cannot double the attempts."""

    def decorate(view: F) -> F:
        common = {"methods": ["POST"], "exempt_when": exempt_when}
        by_account = limiter.shared_limit(
            _setting(f"{name}_RATE_LIMIT_PER_ACCOUNT"),
            scope=f"{name.lower()}-account",
            key_func=lambda: "account:" + account(),
            **common,
        )
        by_address = limiter.shared_limit(
            _setting(f"{name}_RATE_LIMIT_PER_ADDRESS"),
            scope=f"{name.lower()}-address",
            key_func=_address,
            **common,
        )
        return by_address(by_account(view))

    return decorate


def login_account() -> str:
    """The e-mail address typed into the login form, as the account a limit counts."""
    return (request.form.get("email") or "").strip().lower()[:254]


def login_limits() -> Callable[[F], F]:
    return limit_guessing("LOGIN", login_account)


def pin_limits(
    contact: Callable[[], Any], exempt_when: Callable[[], bool] | None = None
) -> Callable[[F], F]:
    """For a view where the desk checks a caller's PIN; `contact` names the contact."""
    return limit_guessing("PIN", lambda: f"contact:{contact()}", exempt_when)
