"""Health endpoints for the proxy, the process manager and Prometheus: live and ready."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app, jsonify
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from app.broker import redis_client
from app.database import db
from app.security import public

log = logging.getLogger(__name__)
bp = Blueprint("core_health", __name__)


@functools.cache
def migration_scripts(directory: str) -> ScriptDirectory:
    """The migration scripts, read once per process (they do not change under it)."""
    config = Config(str(Path(directory) / "alembic.ini"))
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config)


def schema_lag(scripts: ScriptDirectory, current: set[str]) -> tuple[list[str], list[str]]:
    """(branch heads not applied, applied revisions the scripts do not know).

    alembic_version lists only the leaves: a branch that others depend on (core) is
    applied when a revision depending on it is, so heads are compared with everything the
    current revisions imply, dependencies included.
    """
    known = {script.revision for script in scripts.walk_revisions()}
    unknown = sorted(current - known)
    implied = {
        script.revision
        for revision in current & known
        for script in scripts.iterate_revisions(revision, "base")
    }
    missing = sorted(set(scripts.get_heads()) - implied)
    return missing, unknown


def _applied_revisions() -> set[str]:
    return set(db.session.scalars(text("SELECT version_num FROM alembic_version")))


def check_database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:
        db.session.rollback()
        log.warning("readiness: database unreachable: %s", error)
        # The class only: this endpoint is public, the message may name hosts and users.
        return False, f"unreachable ({type(error).__name__})"
    return True, "reachable"


def check_migrations() -> tuple[bool, str]:
    """Every branch's head applied, and nothing the code does not know (a rollback of the
    code over a newer schema)."""
    scripts = migration_scripts(current_app.extensions["migrate"].directory)
    try:
        applied = _applied_revisions()
    except Exception as error:
        db.session.rollback()
        log.warning("readiness: cannot read alembic_version: %s", error)
        return False, f"no migration state ({type(error).__name__})"
    missing, unknown = schema_lag(scripts, applied)
    if missing or unknown:
        parts = []
        if missing:
            parts.append("not applied: " + ", ".join(missing))
        if unknown:
            parts.append("unknown to this code: " + ", ".join(unknown))
        return False, "; ".join(parts) + " (run `flask db upgrade heads`)"
    return True, f"at head ({len(scripts.get_heads())} branches)"


def check_redis() -> tuple[bool, str] | None:
    """None without a Redis broker (jobs run in-process then)."""
    client = redis_client()
    if client is None:
        return None
    try:
        client.ping()
    except Exception as error:
        log.warning("readiness: Redis unreachable: %s", error)
        return False, f"unreachable ({type(error).__name__})"
    return True, "reachable"


def readiness() -> tuple[bool, dict[str, dict]]:
    checks = {"database": check_database()}
    if checks["database"][0]:
        checks["migrations"] = check_migrations()
    else:
        checks["migrations"] = (False, "database unreachable")
    redis = check_redis()
    if redis is not None:
        checks["redis"] = redis
    ready = all(ok for ok, _ in checks.values())
    return ready, {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()}


def readiness_metrics():
    """/readyz as metrics, so that Prometheus alerts on it without a probe of its own."""
    ready, checks = readiness()
    family = GaugeMetricFamily(
        "winet_readiness_check", "1 when the readiness check passes", labels=["check"]
    )
    for name, check in checks.items():
        family.add_metric([name], 1 if check["ok"] else 0)
    return [family, GaugeMetricFamily("winet_ready", "1 when /readyz answers 200", int(ready))]


@bp.get("/healthz")
@public("liveness probe of the proxy and the process manager: says only that it answers")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@public("readiness probe of the proxy and monitoring: database, Redis, schema; no data")
def readyz():
    ready, checks = readiness()
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
