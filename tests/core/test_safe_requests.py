"""GET and HEAD requests only read (app/safe_requests.py): a view that writes on a safe
request fails instead of committing, and on PostgreSQL a safe request's reads run without
BEGIN/ROLLBACK, so psycopg keeps its prepared statements from one request to the next."""

from __future__ import annotations

import threading

import pytest
from flask import jsonify
from sqlalchemy import event, select, text, update
from werkzeug.test import EnvironBuilder, run_wsgi_app

from app.models import User
from app.safe_requests import RequestSession, WriteInSafeRequest


@pytest.fixture
def routes(app, db):
    """Test-only views, registered before the app's first request."""
    state = {}

    def rename_by_flush():
        user = db.session.get(User, state["user_id"])
        user.name = "Renamed on a link click"
        db.session.commit()
        return "done"

    def rename_by_statement():
        db.session.execute(
            update(User).where(User.id == state["user_id"]).values(name="Renamed by UPDATE")
        )
        db.session.commit()
        return "done"

    def connection_state():
        db.session.scalar(select(User.id).where(User.id == state["user_id"]))
        dbapi = db.session.connection().connection.dbapi_connection
        prepared = None
        if db.engine.dialect.name == "postgresql":
            prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        return jsonify(autocommit=getattr(dbapi, "autocommit", None), prepared=prepared)

    for rule, view in (
        ("/_test/rename-by-flush", rename_by_flush),
        ("/_test/rename-by-statement", rename_by_statement),
        ("/_test/connection", connection_state),
    ):
        app.add_url_rule(rule, view.__name__, view, methods=["GET", "POST"])
    return state


def _refused(caplog) -> str:
    """The message of the WriteInSafeRequest the error handler logged."""
    errors = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [type(error) for error in errors] == [WriteInSafeRequest]
    return str(errors[0])


@pytest.mark.parametrize("path", ["/_test/rename-by-flush", "/_test/rename-by-statement"])
def test_a_get_that_writes_fails_and_writes_nothing(routes, client, db, factories, caplog, path):
    user = factories.user("finance", name="Original")
    db.session.commit()
    routes["user_id"] = user.id

    assert client.get(path).status_code == 500
    assert _refused(caplog) == f"GET {path} tried to write: safe requests only read"

    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Original"
    # The same view on POST is an ordinary write: the guard only refuses safe methods.
    assert client.post(path).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).name != "Original"
    # And work outside requests (jobs, CLI commands) writes as before.
    db.session.execute(update(User).where(User.id == user.id).values(name="By a job"))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "By a job"


def test_head_is_as_safe_as_get(routes, client, db, factories, caplog):
    user = factories.user("finance", name="Original")
    db.session.commit()
    routes["user_id"] = user.id
    assert client.head("/_test/rename-by-flush").status_code == 500
    assert _refused(caplog).startswith("HEAD ")
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Original"


def test_a_safe_request_reads_outside_a_transaction_on_postgresql(routes, client, db, factories):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's driver reads outside transactions anyway")
    user = factories.user("finance")
    db.session.commit()
    routes["user_id"] = user.id
    db.session.close()  # the test's own connection back to the pool

    reads = [client.get("/_test/connection").get_json() for _ in range(8)]
    assert {read["autocommit"] for read in reads} == {True}
    # No ROLLBACK ends the requests, so psycopg's prepared statements survive them: the
    # same read, once past psycopg's threshold (5 runs), is prepared on the server.
    # Before, every request ended in ROLLBACK, which forgets them: this stayed 0.
    assert reads[-1]["prepared"] > 0

    # The connection goes back to the pool in its default mode: a POST is transactional.
    assert client.post("/_test/connection").get_json()["autocommit"] is False


def test_a_request_in_its_own_app_context_ends_without_a_rollback(routes, app, db, factories):
    """As under a WSGI server (no app context active when the request comes in), the app
    context's teardown closes the session: no rollback first, the connection back in the
    pool. (The test holds an app context of its own, so the request runs in a thread.)"""
    user = factories.user("finance")
    db.session.commit()
    routes["user_id"] = user.id
    db.session.close()  # the test's own connection back to the pool
    rolled_back: list[int] = []

    def count(session) -> None:
        rolled_back.append(id(session))

    def served(answers: list) -> None:
        environ = EnvironBuilder(path="/_test/connection").get_environ()
        body, status, _headers = run_wsgi_app(app, environ)
        answers.append((status, b"".join(body)))

    event.listen(RequestSession, "after_rollback", count)
    try:
        answers: list = []
        thread = threading.Thread(target=served, args=(answers,))
        thread.start()
        thread.join(timeout=30)
    finally:
        event.remove(RequestSession, "after_rollback", count)
    assert answers and answers[0][0] == "200 OK"
    assert rolled_back == []  # one on the code that rolled back first
    assert db.engine.pool.checkedout() == 0
