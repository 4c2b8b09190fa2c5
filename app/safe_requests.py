"""GET and HEAD requests read, they never write: enforced on the session, and on
PostgreSQL served without a transaction around their reads.

Why a safe request must not write: it carries no CSRF token (a link on another site can
make a browser send it), proxies and browsers may repeat or prefetch it, and the rule
that the entry point owns the transaction has nothing to own there. A view that writes
on GET is therefore a bug, and it fails loudly here (`WriteInSafeRequest`, an error page
in production, a failing test in the suite) instead of committing on a link click.

Why without a transaction: PostgreSQL runs at READ COMMITTED, where every statement
takes its own snapshot, so BEGIN and ROLLBACK around a request's reads buy no
consistency; they cost two round trips per request. And psycopg forgets its prepared
statements at every ROLLBACK (a rolled-back PREPARE would be gone on the server), so a
request that ends in ROLLBACK never reaches psycopg's prepare threshold: its statements
are parsed and planned anew each time. A safe request's connection runs in autocommit
instead: the same statements, the same snapshots, two round trips fewer, and plans
prepared once per connection. SQLite's driver already reads outside transactions
(app/database.py), so there only the write guard applies.

Writes that belong to no request's work (a token's last-use stamp) use a connection of
their own (`db.engine.begin()`), never the request's session.
"""

from __future__ import annotations

from typing import Any

import flask_sqlalchemy.session
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READS_ONLY = "winet.reads_only"  # session.info key: None until the transaction's first use
_AUTOCOMMIT = "_winet_autocommit_variant"
_OWN_APP_CONTEXT = "winet.own_app_context"  # WSGI environ key


class WriteInSafeRequest(RuntimeError):
    """A GET, HEAD or OPTIONS request tried to change data."""


def in_safe_request() -> bool:
    return has_request_context() and request.method in SAFE_METHODS


class RequestSession(flask_sqlalchemy.session.Session):
    """The app's session: on a safe request, reads go through an autocommit connection.

    Whether this transaction reads only is decided once, at its first statement or flush,
    and kept until it ends: a transaction that began outside a request (a test's setup
    sharing the app context) keeps its connection when a request then uses the session.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs: Any):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is not None or not reads_only(self):
            return engine
        return _autocommit(engine)


def reads_only(session: Session) -> bool:
    decided = session.info.get(_READS_ONLY)
    if decided is None:
        decided = session.info[_READS_ONLY] = in_safe_request()
    return decided


def _autocommit(engine: sa.Engine) -> sa.Engine:
    """The engine's autocommit variant on PostgreSQL (one per engine, sharing its pool;
    SQLAlchemy resets the connection's isolation level when it goes back to the pool)."""
    if engine.dialect.name != "postgresql":
        return engine
    variant = getattr(engine, _AUTOCOMMIT, None)
    if variant is None:  # kept on the engine: it lives and dies with it
        variant = engine.execution_options(isolation_level="AUTOCOMMIT")
        setattr(engine, _AUTOCOMMIT, variant)
    return variant


def init_app(app: Flask, db: SQLAlchemy) -> None:
    serve = app.wsgi_app

    def wsgi_app(environ: dict, start_response: Any):
        # Under a WSGI server no app context is active here, so the request pushes its
        # own, and that context's teardown closes the session right after the request.
        if not (has_app_context() and current_app._get_current_object() is app):
            environ[_OWN_APP_CONTEXT] = True
        return serve(environ, start_response)

    app.wsgi_app = wsgi_app

    @app.teardown_request
    def _end_safe_request(exc: BaseException | None = None) -> None:
        # Releases a safe request's connection at the request's end where the session
        # outlives the request (a test holding the app context, whose next writes must
        # not land on the autocommit connection). Otherwise the app context's teardown
        # closes the session anyway, and a rollback first (expiring what the request
        # loaded) cost an API read about 35 µs of its 700.
        if request.environ.get(_OWN_APP_CONTEXT):
            return
        if db.session.registry.has() and db.session.info.get(_READS_ONLY):
            db.session.rollback()  # no round trip in autocommit; ends the decision


@event.listens_for(RequestSession, "after_transaction_end")
def _forget_decision(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_READS_ONLY, None)


@event.listens_for(RequestSession, "before_flush")
def _refuse_flush(session: Session, flush_context, instances) -> None:
    if not reads_only(session):
        return
    changed = session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    if changed:
        raise _write_refused()


@event.listens_for(RequestSession, "do_orm_execute")
def _refuse_statement(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and reads_only(state.session):
        raise _write_refused()


def _write_refused() -> WriteInSafeRequest:
    return WriteInSafeRequest(
        f"{request.method} {request.path} tried to write: safe requests only read"
    )
