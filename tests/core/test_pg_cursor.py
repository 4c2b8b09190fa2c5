"""psycopg cursors describe their results on demand (app/pg_cursor.py): a statement
SQLAlchemy has run before builds no Column objects, and a description that is read is
psycopg's own, item for item."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from app.models import User
from app.pg_cursor import OnDemandCursor

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def columns_built(monkeypatch) -> list[int]:
    """How many psycopg Column objects were built, counted from when it is cleared."""
    built: list[int] = []
    original = psycopg.Column.__init__

    def counting(self, cursor, index):
        built.append(index)
        original(self, cursor, index)

    monkeypatch.setattr(psycopg.Column, "__init__", counting)
    return built


def test_a_statement_run_before_builds_no_column_objects(app, db, factories, columns_built):
    factories.user("finance")
    db.session.commit()
    statement = select(*User.__table__.columns)
    db.session.execute(statement).all()  # compiled, its result metadata kept
    columns_built.clear()

    rows = db.session.execute(statement).mappings().all()

    assert rows and rows[0]["role"] == "finance"
    assert columns_built == []  # 16 on psycopg's own cursor


def test_the_app_engine_opens_on_demand_cursors(app, db):
    connection = db.session.connection().connection.dbapi_connection
    assert type(connection.cursor()) is OnDemandCursor


def test_a_read_description_is_psycopgs_own(app, db):
    query = "SELECT 1::int AS one, 'x'::varchar(5) AS two, 2.50::numeric(14, 2) AS three"
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as ours, psycopg.Cursor(raw) as theirs:
        ours.execute(query)
        theirs.execute(query)
        described, expected = ours.description, theirs.description
        assert len(described) == 3
        assert [tuple(column) for column in described] == [tuple(c) for c in expected]
        assert [column.name for column in described[-2:]] == ["two", "three"]
        assert described[1].type_display == "varchar(5)"

        ours.execute("SET LOCAL statement_timeout = 0")  # no result set: no description
        assert ours.description is None
        # Read after the cursor moved on, it still describes the rows it came with.
        assert [column.name for column in described] == ["one", "two", "three"]


def test_a_cursor_class_chosen_on_purpose_is_kept(app):
    engine = create_engine(
        app.config["SQLALCHEMY_DATABASE_URI"],
        poolclass=NullPool,
        connect_args={"cursor_factory": psycopg.ClientCursor},
    )
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        assert type(cursor) is psycopg.ClientCursor
        assert connection.execute(text("SELECT 41 + 1")).scalar() == 42
    engine.dispose()
