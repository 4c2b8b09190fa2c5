"""What every page shares: the user loader, the plugin menu and display filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask, current_app
from flask_babel import format_date, format_datetime
from flask_login import current_user

from app.database import db
from app.extensions import login_manager
from app.models import User
from app.security import has_permission
from app.timeutil import local


def visible_menu() -> list:
    if not current_user.is_authenticated:
        return []
    entries = [
        entry
        for declaration in current_app.extensions["winet.declarations"]
        for entry in declaration.menu
        if has_permission(current_user, entry.permission)
    ]
    return sorted(entries, key=lambda entry: entry.order)


def chf(amount: Decimal | None) -> str:
    """Swiss notation: 1'234.50 (apostrophe thousands separator, always two decimals)."""
    if amount is None:
        return ""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal")
    sign = "-" if amount < 0 else ""
    whole, _, cents = f"{abs(amount):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{chr(39).join(groups)}.{cents}"


def register(app: Flask) -> None:
    login_manager.login_view = "core_auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    app.jinja_env.filters["chf"] = chf
    app.jinja_env.filters["local_datetime"] = lambda value, fmt="short": (
        format_datetime(local(value), fmt) if isinstance(value, datetime) else ""
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

        return {
            "get_locale": get_locale,
            "panels": panels,
            "menu": visible_menu(),
            "can": lambda permission: has_permission(current_user, permission),
            "languages": app.config["LANGUAGES"],
        }
