"""Fuzz the whole JSON API with schemathesis: every operation of /api/openapi.json, with
valid and invalid input, as an admin with a bearer token. Any 5xx answer is a bug.

    make fuzz                      # demo data in a throw-away SQLite database
    FUZZ_EXAMPLES=200 make fuzz    # more examples per operation and way
    FUZZ_DATABASE_URL=postgresql+psycopg://…/fuzz make fuzz   # an empty database of yours

Each operation is sent `examples` generated requests in three ways: input that fits the
schema, input that does not, and input that fits with the path naming a record that
exists (random ids are nearly always unknown, a 404 before any body is read).
The test suite runs a short version (tests/core/test_fuzz.py) with the same function.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation.modes import GenerationMode
from sqlalchemy import text

ALERT_SECRET = "fuzz-alert-secret"
FUZZ_CONFIG = {
    "MAIL_BACKEND": "memory",
    "RATELIMIT_ENABLED": False,  # a 429 would hide what the endpoint does
    "SERVICEDESK_ALERT_SECRET": ALERT_SECRET,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "PUBLIC_BASE_URL": "http://fuzz.invalid",
}


@dataclass
class FuzzSummary:
    token: str = ""
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    # (operation, status, the request as curl), the first few of each operation
    server_errors: list[tuple[str, int, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def server_error_count(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def report(self) -> str:
        lines = [
            f"{self.requests} requests, {self.server_error_count} answered 5xx",
            "statuses: "
            + ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items())),
        ]
        lines += [f"  {status} {label}: {request}" for label, status, request in self.server_errors]
        lines += [f"  not generated: {label}" for label in self.skipped]
        return "\n".join(lines)


def existing_path_values(app: Flask) -> dict[str, Any]:
    """A record that exists for each kind of path parameter (`customer_id` -> an id of
    core_customer, `code` -> a tier code, `key` -> a tariff key)."""
    from app.database import db
    from app.tariffs import declared_keys

    values: dict[str, Any] = {}
    with app.app_context():
        for name, table in db.metadata.tables.items():
            noun = name.split("_", 1)[1]
            if "id" in table.c:
                found = db.session.scalar(text(f"SELECT min(id) FROM {name}"))  # noqa: S608
                if found is not None:
                    values[f"{noun}_id"] = found
        values["code"] = db.session.scalar(text("SELECT min(code) FROM core_tier"))
        values["key"] = sorted(declared_keys())[0]
    return {name: value for name, value in values.items() if value is not None}


def _fuzz_operation(
    app: Flask,
    operation,
    mode: GenerationMode,
    path_values: dict[str, Any] | None,
    examples: int,
    derandomize: bool,
    summary: FuzzSummary,
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    secured = "security" in operation.definition.raw
    token = summary.token if secured else ALERT_SECRET  # public: the Alertmanager webhook
    headers = {"Authorization": f"Bearer {token}"}
    reported = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_values))
    def send(case) -> None:
        nonlocal reported
        # Each request in an app context of its own, as in production.
        with app.app_context():
            response = case.call(headers=headers)
        summary.requests += 1
        summary.statuses[response.status_code] += 1
        if response.status_code >= 500 and reported < 3:
            reported += 1
            summary.server_errors.append(
                (label, response.status_code, case.as_curl_command(headers=headers))
            )

    try:
        send()
    except Exception as error:  # noqa: BLE001 - e.g. a schema nothing satisfies: reported
        summary.skipped.append(f"{label} ({mode}): {type(error).__name__}: {error}")


def fuzz_api(app: Flask, token: str, examples: int = 25, derandomize: bool = True) -> FuzzSummary:
    """Send `examples` generated requests per operation and way; count the answers."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    known = existing_path_values(app)
    summary = FuzzSummary(token=token)
    for result in schema.get_all_operations():
        operation = result.ok()
        names = [parameter.name for parameter in operation.path_parameters]
        ways: list[tuple[GenerationMode, dict | None]] = [
            (GenerationMode.POSITIVE, None),
            (GenerationMode.NEGATIVE, None),
        ]
        if names and all(name in known for name in names):
            ways.append((GenerationMode.POSITIVE, {name: known[name] for name in names}))
        for mode, path_values in ways:
            _fuzz_operation(app, operation, mode, path_values, examples, derandomize, summary)
    return summary


def load_fuzz_data(app: Flask) -> str:
    """The demo data, a month invoiced (drafts) and a ticket: records for the paths to
    name. Returns an admin's API token."""
    from sqlalchemy import select

    from app.database import db
    from app.models import Site, User
    from app.services import issue_token
    from app.timeutil import today

    runner = app.test_cli_runner()
    plugins = {plugin.name for plugin in app.extensions["winet.plugins"]}
    with app.app_context():
        runner.invoke(args=["demo", "load"], catch_exceptions=False)
        if "invoicing" in plugins:
            period = today().strftime("%Y-%m")
            runner.invoke(args=["invoicing", "run", "--period", period], catch_exceptions=False)
        if "servicedesk" in plugins:
            from plugins.servicedesk import intake

            user = db.session.scalar(select(User).where(User.role == "customer"))
            site = db.session.scalar(select(Site).where(Site.customer_id == user.customer_id))
            intake.portal_ticket(site, "Fuzz: no dial tone", "", user)
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        token = issue_token(admin, "fuzz")
        db.session.commit()
    return token


def _demo_app() -> tuple[Flask, str]:
    """The app on a fresh database (SQLite unless FUZZ_DATABASE_URL names an empty one)
    with the fuzz data; an admin's token."""
    from flask_migrate import upgrade

    from app import create_app

    url = os.environ.get("FUZZ_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='winet-fuzz-')}/fuzz.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "fuzz"} | FUZZ_CONFIG)
    with app.app_context():
        upgrade(revision="heads")
    return app, load_fuzz_data(app)


def main() -> int:
    examples = int(os.environ.get("FUZZ_EXAMPLES", "50"))
    app, token = _demo_app()
    summary = fuzz_api(app, token, examples=examples, derandomize=False)
    print(summary.report())
    return 1 if summary.server_error_count or summary.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
