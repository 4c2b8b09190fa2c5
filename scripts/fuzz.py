"""Fuzz the whole JSON API with schemathesis: every operation of /api/openapi.json, with
valid and invalid input, as an admin with a bearer token. Any 5xx answer is a bug.

    make fuzz                      # demo data in a throw-away SQLite database
    FUZZ_EXAMPLES=200 make fuzz    # more examples per operation and mode

The test suite runs a short version (tests/core/test_fuzz.py) with the same function.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation.modes import GenerationMode

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass
class FuzzSummary:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    # (method path, status, the request that got it), the first few of each operation
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


def fuzz_api(app: Flask, token: str, examples: int = 25, seed: int | None = 0) -> FuzzSummary:
    """Send `examples` generated requests per operation and mode; count the answers."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    summary = FuzzSummary()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode in MODES:
            errors_here = 0

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=seed is not None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case) -> None:
                nonlocal errors_here
                # Each request in an app context of its own, as in production.
                with app.app_context():
                    response = case.call(headers=headers)
                summary.requests += 1
                summary.statuses[response.status_code] += 1
                if os.environ.get("FUZZ_DEBUG"):
                    print(label, mode, response.status_code, response.text[:150], file=sys.stderr)
                if response.status_code >= 500 and errors_here < 3:
                    errors_here += 1
                    summary.server_errors.append(
                        (label, response.status_code, case.as_curl_command(headers=headers))
                    )

            try:
                send()
            except Exception as error:  # noqa: BLE001 - an unsatisfiable schema, reported
                summary.skipped.append(f"{label} ({mode}): {type(error).__name__}: {error}")
    return summary


def _demo_app() -> tuple[Flask, str]:
    """The app on a fresh SQLite database with the demo data and an admin token."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.database import db
    from app.models import User
    from app.services import issue_token

    directory = tempfile.mkdtemp(prefix="winet-fuzz-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/fuzz.db",
            "SECRET_KEY": "fuzz",
            "MAIL_BACKEND": "memory",
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "PUBLIC_BASE_URL": "http://fuzz.invalid",
        }
    )
    with app.app_context():
        upgrade(revision="heads")
        app.test_cli_runner().invoke(args=["demo", "load"], catch_exceptions=False)
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        token = issue_token(admin, "fuzz")
        db.session.commit()
    return app, token


def main() -> int:
    examples = int(os.environ.get("FUZZ_EXAMPLES", "50"))
    app, token = _demo_app()
    summary = fuzz_api(app, token, examples=examples, seed=None)
    print(summary.report())
    return 1 if summary.server_error_count or summary.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
