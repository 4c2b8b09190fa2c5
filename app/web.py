"""What every page shares: the user loader, the plugin menu and display filters."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, abort, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, gettext
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from app import bearer
from app.bearer import CookieSessionsOutsideTheApi, is_api_path
from app.database import MAX_ID, db
from app.extensions import login_manager
from app.models import User
from app.money import format_chf
from app.security import has_permission
from app.timeutil import datetime_pattern, local


def visible_menu() -> list:
    if not has_request_context() or not current_user.is_authenticated:
        return []
    entries = [
        entry
        for declaration in current_app.extensions["winet.declarations"]
        for entry in declaration.menu
        if has_permission(current_user, entry.permission)
        and (not entry.customers_only or current_user.is_customer)
    ]
    return sorted(entries, key=lambda entry: entry.order)


def chf(amount: Decimal | None) -> str:
    """Swiss notation for pages and PDFs: 1'234.50 (app.money.format_chf; blank for None)."""
    return "" if amount is None else format_chf(amount)


def price_or_free(amount: Decimal | None) -> str:
    """A monthly price in a column headed CHF: 1'234.50, or "free" for 0 (the SPEC's word
    for basic). Only for display: computations keep the amount."""
    if amount is None:
        return ""
    return gettext("free") if amount == 0 else format_chf(amount)


def monthly_price(amount: Decimal | None) -> str:
    """A tier's price per month where no column says CHF: "CHF 129.00", or "free"."""
    return f"CHF {format_chf(amount)}" if amount else price_or_free(amount)


class IdConverter(IntegerConverter):
    """`<int:...>` matches only numbers an INTEGER column holds; a larger one is a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def has_nul(value) -> bool:
    """Whether text somewhere in `value` holds a NUL character (PostgreSQL refuses it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_nul_characters() -> None:
    # No text of ours may contain NUL; refusing it here keeps it out of every query.
    # The query string and the path are looked at as they came, not parsed for every
    # request: a NUL in a parameter is "%00" there (no other escape contains those three
    # characters), in a path segment the byte itself (the server decodes the path).
    environ = request.environ
    query = environ.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query or "\x00" in environ.get("PATH_INFO", ""):
        abort(400, description="Text must not contain NUL characters.")
    if request.mimetype in _FORM_TYPES and has_nul(list(request.form.listvalues())):
        abort(400, description="Text must not contain NUL characters.")


def committed_or_flash(action, success: str | None = None):
    """The pages' twin of app.api.committed: run a service call and commit; a refused rule
    is rolled back and flashed, so nothing is kept. Returns the call's result (True when it
    returns nothing), or None when the rule refused it."""
    from flask import flash

    from app.errors import RuleViolation

    try:
        result = action()
        db.session.commit()
    except RuleViolation as error:
        db.session.rollback()
        flash(str(error), "error")
        return None
    if success:
        flash(success, "success")
    return result if result is not None else True


def form_page_status() -> int:
    """The status of a page with a form: 200, or 422 when it is shown again because the
    form it sent (a POST) was refused."""
    return 422 if request.method == "POST" else 200


def _sent_here(form: str | None) -> bool:
    """Whether this request is the POST of the form posting to `form` (any form: None)."""
    return request.method == "POST" and (form is None or request.path == form)


def typed(name: str, default: Any = "", form: str | None = None) -> Any:
    """In a template: what the user typed into the field `name` of a refused form whose
    page is shown again (a POST answered 422), else `default`, so that bad input loses
    nothing. `form`: the URL the form posts to, where a page holds several forms with
    fields of the same name (a ticket's time entry and its first reaction both have a
    note); the value then shows only in the form that was sent."""
    return request.form.get(name, default) if _sent_here(form) else default


def typed_all(name: str, default: Iterable[str] = (), form: str | None = None) -> list[str]:
    """`typed` for a field sent several times (checkboxes of the same name)."""
    return request.form.getlist(name) if _sent_here(form) else list(default)


def user_of_session(session_id: str) -> User | None:
    """The active user a session belongs to: "<id>:<token>" as User.get_id() wrote it.

    A session of a user who has since logged out or changed the password carries an
    old token and opens nothing; so does one from before tokens existed ("<id>").
    """
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or int(user_id) > MAX_ID or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    return user if secrets.compare_digest(user.session_token.encode(), token.encode()) else None


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def number(value: Decimal | None) -> str:
    """A rate or quantity without trailing zeros or exponent: 8.1000 -> "8.1", 10 -> "10".

    Decimal.normalize() alone would print 10 as "1E+1".
    """
    if value is None:
        return ""
    return format(value.normalize(), "f")


def label(value) -> str:
    """A vocabulary code as people read it (app.vocabulary); anything else as it is."""
    from app.vocabulary import Vocabulary

    if isinstance(value, Vocabulary):
        return value.label
    return "" if value is None else str(value)


def register(app: Flask) -> None:
    login_manager.login_view = "core_auth.login"
    # Flask-Login flashes this when a page needs a login; flashed text must be plain
    # (the session stores it), so it is translated by the callback, not lazily.
    login_manager.login_message = N_("Please log in to open this page.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        if is_api_path():
            return None  # the API takes tokens only (app/bearer.py), never the cookie
        return user_of_session(session_id)

    bearer.init_app(app)  # the request loader: API tokens
    app.session_interface = CookieSessionsOutsideTheApi()

    app.before_request(_refuse_nul_characters)
    app.jinja_env.filters["chf"] = chf
    app.jinja_env.filters["monthly_price"] = monthly_price
    app.jinja_env.filters["price_or_free"] = price_or_free
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["local_datetime"] = lambda value, fmt=None: (
        format_datetime(local(value), fmt or datetime_pattern())
        if isinstance(value, datetime)
        else ""
    )
    app.jinja_env.filters["local_date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if isinstance(value, date) else ""
    )

    def panels(kind: str, record_id: int) -> list:
        from markupsafe import Markup

        from app.hooks import flatten, hooks

        found = flatten(hooks().detail_panels(kind=kind, record_id=record_id))
        return [(panel.title, Markup(panel.html)) for panel in sorted(found, key=lambda p: p.order)]

    @app.context_processor
    def _shared() -> dict:
        from flask_babel import get_locale

        from app.chatter import history_for_template

        return {
            "get_locale": get_locale,
            "panels": panels,
            "record_history": history_for_template,
            "menu": visible_menu(),
            "can": lambda permission: (
                has_request_context() and has_permission(current_user, permission)
            ),
            "languages": app.config["LANGUAGES"],
            "typed": typed,
            "typed_all": typed_all,
        }
