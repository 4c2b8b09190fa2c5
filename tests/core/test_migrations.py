"""The schema comes only from the Alembic migrations, and they match the models exactly."""

from __future__ import annotations

import pprint

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.plugins import discover
from tests.conftest import test_config as make_config


def _disabled_prefixes(app) -> tuple[str, ...]:
    # A disabled plugin's tables are still migrated (one environment, `upgrade heads`)
    # but its models are not loaded, so they are not part of this app's metadata.
    loaded = {plugin.name for plugin in app.extensions["winet.declarations"]}
    return tuple(f"{name}_" for name in discover() if name not in loaded)


def schema_differences(app, db) -> list:
    skipped = _disabled_prefixes(app)

    def include_object(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
        return not (skipped and table and table.startswith(skipped))

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object,
            },
        )
        return compare_metadata(context, db.metadata)


def test_migrated_database_has_exactly_the_models_schema(app, db):
    differences = schema_differences(app, db)
    assert differences == [], (
        "the migrations and the models differ; generate a migration for the branch "
        "(`WINET_MIGRATION_BRANCH=<plugin> flask db migrate --head <plugin>@head`):\n"
        + pprint.pformat(differences)
    )


def test_every_model_table_exists_after_upgrade(app, db):
    tables = set(sa.inspect(db.engine).get_table_names())
    missing = sorted({t.name for t in db.metadata.sorted_tables} - tables)
    assert not missing, f"tables without a migration: {missing}"
    assert "alembic_version" in tables


def test_upgrade_downgrade_upgrade_round_trip_on_sqlite(tmp_path):
    from app import create_app
    from app.database import db

    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    app = create_app(make_config(url))
    runner = app.test_cli_runner()

    def run(*args: str) -> None:
        result = runner.invoke(args=["db", *args])
        assert result.exit_code == 0, (args, result.output, result.exception)

    def tables() -> set[str]:
        with app.app_context():
            names = set(sa.inspect(db.engine).get_table_names())
            db.engine.dispose()
        return names

    run("upgrade", "heads")
    upgraded = tables()
    assert {"core_customer", "core_user", "core_audit_entry"} <= upgraded
    with app.app_context():
        assert {t.name for t in db.metadata.sorted_tables} <= upgraded

    run("downgrade", "base")
    assert tables() <= {"alembic_version"}

    run("upgrade", "heads")
    assert tables() == upgraded
    with app.app_context():
        assert schema_differences(app, db) == []
        db.engine.dispose()


def test_check_constraints_match_the_models(app, db):
    """Autogenerate does not compare CHECK constraints; the rules they hold matter."""
    skipped = _disabled_prefixes(app)
    inspector = sa.inspect(db.engine)
    differences = {}
    for table in db.metadata.sorted_tables:
        if skipped and table.name.startswith(skipped):
            continue
        declared = {
            c.name for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name
        }
        migrated = {c["name"] for c in inspector.get_check_constraints(table.name) if c["name"]}
        if declared != migrated:
            differences[table.name] = {
                "only in models": sorted(declared - migrated),
                "only in database": sorted(migrated - declared),
            }
    assert not differences, pprint.pformat(differences)
