"""Permissions, the guards every view and endpoint wears, and per-customer record scoping."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, has_request_context, request
from flask_login import current_user

from app.models import Role
from app.plugins import Permission, PluginError

F = TypeVar("F", bound=Callable[..., Any])

# Endpoints reachable without a permission: the login page, static files, the public
# OpenAPI document and endpoints that authenticate their caller otherwise (signed
# webhooks, signed quote links). Each must be marked with @public to be allowed.
PUBLIC_ATTRIBUTE = "__public_reason__"
PERMISSION_ATTRIBUTE = "__required_permission__"


def role_permissions(permissions: Iterable[Permission]) -> dict[str, frozenset[str]]:
    """Role -> permission names; admin holds every permission."""
    granted: dict[str, set[str]] = {role: set() for role in Role}
    for permission in permissions:
        unknown = set(permission.roles) - set(Role.codes())
        if unknown:
            raise PluginError(f"permission {permission.name} names unknown roles {unknown}")
        granted["admin"].add(permission.name)
        for role in permission.roles:
            granted[role].add(permission.name)
    return {role: frozenset(names) for role, names in granted.items()}


def has_permission(user: Any, permission: str) -> bool:
    if user is None or not user.is_authenticated:
        return False
    table = current_app.extensions["winet.role_permissions"]
    if permission not in table["admin"]:
        raise LookupError(f"undeclared permission {permission!r}")
    return permission in table.get(user.role, frozenset())


def _wants_json() -> bool:
    return request.blueprint is not None and (
        request.path.startswith("/api/") or getattr(g, "api_request", False)
    )


def requires(permission: str) -> Callable[[F], F]:
    """Guard a view: login required (401/redirect), then the permission (403)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if _wants_json():
                    abort(401)
                return current_app.login_manager.unauthorized()
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTRIBUTE, permission)
        return guarded  # type: ignore[return-value]

    return decorate


def public(reason: str) -> Callable[[F], F]:
    """Mark a view as intentionally reachable without a permission, saying why."""

    def decorate(view: F) -> F:
        setattr(view, PUBLIC_ATTRIBUTE, reason)
        return view

    return decorate


def endpoint_permission(app: Flask, endpoint: str) -> str | None:
    return getattr(app.view_functions[endpoint], PERMISSION_ATTRIBUTE, None)


def check_every_endpoint_guarded(app: Flask) -> None:
    """Refuse to start when a view has neither a permission nor a public reason."""
    unguarded = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static"
        and not endpoint.endswith(".static")
        and getattr(view, PERMISSION_ATTRIBUTE, None) is None
        and getattr(view, PUBLIC_ATTRIBUTE, None) is None
    )
    if unguarded:
        raise PluginError(f"views without a permission: {', '.join(unguarded)}")
    declared = app.extensions["winet.role_permissions"]["admin"]
    undeclared = sorted(
        {
            getattr(view, PERMISSION_ATTRIBUTE)
            for view in app.view_functions.values()
            if getattr(view, PERMISSION_ATTRIBUTE, None) is not None
        }
        - declared
    )
    if undeclared:
        raise PluginError(f"views use undeclared permissions: {', '.join(undeclared)}")


# --- record scoping -------------------------------------------------------------------


def visible_customer_id() -> int | None:
    """The only customer a customer user may see; None for staff (no restriction).

    Outside a request (CLI, jobs) nobody is logged in and code acts for the system.
    """
    if not has_request_context() and getattr(g, "_login_user", None) is None:
        return None
    if current_user and current_user.is_authenticated and current_user.role == "customer":
        return current_user.customer_id
    return None


def scope_to_customer(statement: Any, customer_id_column: Any) -> Any:
    """Narrow a select() to the current customer user's company (staff: unchanged)."""
    customer_id = visible_customer_id()
    if customer_id is not None:
        return statement.where(customer_id_column == customer_id)
    return statement


def get_visible_or_404(model: Any, record_id: int, customer_id_of: Callable[[Any], int] = None):
    """Load a record, answering 404 (never 403, never data) for another company's record."""
    from app.database import db

    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    own = visible_customer_id()
    if own is not None:
        record_customer = customer_id_of(record) if customer_id_of else record.customer_id
        if record_customer != own:
            abort(404)
    return record


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: only such targets are followed
    after a login or offered as a way back. An open redirect would let a phishing link
    borrow our login; browsers read "/\\host" like "//host", so backslashes and
    control characters are refused as well."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    return target if not (parts.scheme or parts.netloc) else None


def page_before() -> str | None:
    """The path of the page a request came from (its Referer), if it is on this site."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return same_site_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
