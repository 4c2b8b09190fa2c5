"""Writes an audit entry for every insert, update and delete of an audited model.

Models opt in with `__audited__ = True`; secrets listed in `__audit_redact__` are
recorded as changed without their value, and stamps in `__audit_ignore__` not at all. Entries are written in the same transaction
as the change, so a rolled-back change leaves no trail and a committed one always does.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from app.bulk import copy_rows
from app.database import utcnow

_actor_override: ContextVar[tuple[int | None, str] | None] = ContextVar("audit_actor", default=None)
REDACTED = "***"


@contextlib.contextmanager
def acting_as(label: str, user_id: int | None = None):
    """Attribute changes made outside a web request (CLI, jobs, webhooks) to `label`."""
    token = _actor_override.set((user_id, label))
    try:
        yield
    finally:
        _actor_override.reset(token)


def current_actor() -> tuple[int | None, str]:
    override = _actor_override.get()
    if override is not None:
        return override
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, f"{current_user.email} ({current_user.role})"
        return None, "anonymous"
    return None, "system"


_AS_IS = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> Any:
    """The value as JSON keeps it. Called for every column of every audited row (the
    bulk writes of a run: tens of thousands), so the common types are looked up first."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is Decimal:
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _column_changes(obj: Any, action: str) -> dict[str, Any]:
    state = inspect(obj)
    redact = getattr(obj, "__audit_redact__", frozenset())
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if action == "insert":
            new = state.attrs[attr.key].value
            if new is None:
                continue
            changes[attr.key] = [None, REDACTED if attr.key in redact else _plain(new)]
        elif action == "delete":
            old = state.attrs[attr.key].value
            changes[attr.key] = [REDACTED if attr.key in redact else _plain(old), None]
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new:
                continue
            if attr.key in redact:
                changes[attr.key] = [REDACTED, REDACTED]
            else:
                changes[attr.key] = [_plain(old), _plain(new)]
    # Bookkeeping stamps are not changes anyone needs to answer for.
    for ignored in ("created_at", "updated_at", *getattr(obj, "__audit_ignore__", ())):
        changes.pop(ignored, None)
    return changes


def _row_id(obj: Any) -> str:
    # In after_flush a new row has its primary key but not yet its identity key.
    state = inspect(obj)
    key = state.identity or state.mapper.primary_key_from_instance(obj)
    return "/".join(str(part) for part in key) if key else "?"


def _collect(session: Session) -> list[dict[str, Any]]:
    user_id, actor = current_actor()
    at = utcnow()
    rows = []
    for action, objects in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not getattr(obj, "__audited__", False):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _column_changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": at,
                    "user_id": user_id,
                    "actor": actor,
                    "action": action,
                    "table_name": obj.__tablename__,
                    "row_id": _row_id(obj),
                    "changes": changes,
                }
            )
    return rows


def _write_audit_entries(session: Session, flush_context) -> None:
    # After the flush new rows have their ids, while new/dirty/deleted and the
    # attribute histories still describe what this flush changed.
    from app.models import AuditEntry

    rows = _collect(session)
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def install_audit_listener() -> None:
    """Listen on every ORM session; safe to call once per app (tests build many)."""
    if not event.contains(Session, "after_flush", _write_audit_entries):
        event.listen(Session, "after_flush", _write_audit_entries)


def bulk_insert_entries(table_name: str, rows: list[dict[str, Any]], redact=frozenset()):
    """Audit entries for rows written in bulk (executemany), which the flush listener never
    sees: the same "insert" entries it would have written, so the trail stays complete.
    Each row must carry its "id"."""
    user_id, actor = current_actor()
    at = utcnow()
    entries = []
    for row in rows:
        changes = {
            key: [None, REDACTED if key in redact else _plain(value)]
            for key, value in row.items()
            if value is not None and key not in ("id", "created_at", "updated_at")
        }
        entries.append(
            {
                "at": at,
                "user_id": user_id,
                "actor": actor,
                "action": "insert",
                "table_name": table_name,
                "row_id": str(row["id"]),
                "changes": changes,
            }
        )
    return entries


def record_bulk_inserts(session: Session, table_name: str, rows: list[dict[str, Any]]) -> None:
    """Write the audit entries of rows inserted in bulk, in the same transaction."""
    from app.models import AuditEntry

    copy_rows(session, AuditEntry.__table__, bulk_insert_entries(table_name, rows))
