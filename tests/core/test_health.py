"""/healthz and /readyz: public JSON answers, 503 when the database, Redis or schema is off."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.health import migration_scripts, schema_lag
from tests.conftest import test_config as make_config

UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_on_the_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ready"
    assert response.json["checks"]["database"]["ok"]
    assert response.json["checks"]["migrations"]["ok"]
    assert "redis" not in response.json["checks"]  # no broker: jobs run in-process


def test_readyz_answers_503_when_the_database_is_down():
    from app import create_app

    app = create_app(make_config(UNREACHABLE_DATABASE))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.json["checks"]
    assert response.json["status"] == "not ready"
    assert checks["database"] == {"ok": False, "detail": "unreachable (OperationalError)"}
    assert checks["migrations"]["ok"] is False
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no connection details
    assert app.test_client().get("/healthz").status_code == 200  # the process still lives


@pytest.fixture
def alembic_rows(app, db):
    """The alembic_version rows; restored after the test, whatever it changed."""
    rows = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    db.session.rollback()
    yield rows
    db.session.rollback()
    db.session.execute(text("DELETE FROM alembic_version"))
    for row in rows:
        db.session.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": row})
    db.session.commit()


def test_readyz_answers_503_when_a_branch_is_not_at_its_head(client, db, alembic_rows):
    behind = sorted(alembic_rows)[0]
    db.session.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": behind})
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    migrations = response.json["checks"]["migrations"]
    assert migrations["ok"] is False
    assert f"not applied: {behind}" in migrations["detail"]
    assert "flask db upgrade heads" in migrations["detail"]
    assert response.json["checks"]["database"]["ok"]


def test_readyz_answers_503_on_a_schema_newer_than_the_code(client, db, alembic_rows):
    db.session.execute(text("INSERT INTO alembic_version VALUES ('f00dfeed0001')"))
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "unknown to this code: f00dfeed0001" in response.json["checks"]["migrations"]["detail"]


def test_branches_that_others_depend_on_count_as_applied(app):
    """alembic_version holds only leaves: core is implied by the plugins' revisions."""
    import sqlalchemy as sa

    from app.database import db

    scripts = migration_scripts(app.extensions["migrate"].directory)
    heads = set(scripts.get_heads())
    with db.engine.connect() as connection:
        leaves = set(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))
    # A branch head that another branch's migration depends on is not kept in the table.
    assert schema_lag(scripts, leaves) == ([], [])
    assert schema_lag(scripts, heads) == ([], [])
    assert schema_lag(scripts, set()) == (sorted(heads), [])
    assert schema_lag(scripts, {"f00dfeed0001"}) == (sorted(heads), ["f00dfeed0001"])


@pytest.mark.parametrize(
    ("broker", "ok"),
    [("redis://127.0.0.1:1/0", False), ("redis://127.0.0.1:6379/0", True)],
)
def test_readyz_checks_redis_when_a_broker_is_configured(migrated, broker, ok):
    from app import create_app

    app = create_app(make_config(migrated, CELERY_BROKER_URL=broker))
    with app.app_context():
        response = app.test_client().get("/readyz")
    redis = response.json["checks"]["redis"]
    if not ok and redis["ok"]:
        pytest.fail("a broker at port 1 answered")
    if ok and not redis["ok"]:
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert response.status_code == (200 if ok else 503)
    assert redis["detail"] == ("reachable" if ok else "unreachable (ConnectionError)")
