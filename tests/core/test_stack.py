"""The production stack as processes: gunicorn, a Celery worker and beat, on PostgreSQL and
Redis, started from the Procfile by the supervisor `make serve` uses (scripts/serve.py).

It runs in production mode on a PostgreSQL schema, a Redis database and a Celery queue of
its own, so parallel runs never meet, and only on the PostgreSQL pass.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_ADMIN_URL, disabled_plugins
from tests.conftest import test_config as make_config

pytestmark = [pytest.mark.stack, pytest.mark.postgres_only]

REDIS_URL = "redis://127.0.0.1:6379/13"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWEEP = "servicedesk.sweep"


def _serve_module():
    spec = importlib.util.spec_from_file_location(
        "winet_serve", os.path.join(ROOT, "scripts/serve.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unavailable(message: str):
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture
def redis_queue():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        _unavailable("no Redis on 127.0.0.1:6379")
    queue = f"stack-{uuid.uuid4().hex[:10]}"
    yield queue
    client.delete(queue, f"winet:heartbeats:{queue}")


@pytest.fixture
def stack_database():
    """A schema of the stack's own, migrated and seeded, with an API user; dropped after."""
    from flask_migrate import upgrade

    from app import create_app
    from app.database import db
    from app.seed import seed_all
    from tests.factories import Factories

    schema = f"stack_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    try:
        app = create_app(make_config(url))
        with app.app_context():
            upgrade(revision="heads")
            seed_all()
            factories = Factories(db)
            customer = factories.customer("Stack Test AG")
            token = factories.token(factories.user("finance"))
            db.session.commit()
            customer_name = customer.legal_name
            draft = _draft_to_issue(db, factories, customer) if ISSUING else None
            db.engine.dispose()
        yield url, token, customer_name, draft
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


ISSUING = not {"contracts", "invoicing"} & disabled_plugins()
# Real company data: production issues no invoice while it holds a placeholder.
COMPANY = {
    "legal_name": "Winet Voicetec Solutions AG",
    "street": "Täfernstrasse",
    "house_number": "31",
    "postal_code": "5405",
    "town": "Baden-Dättwil",
    "uid": "CHE-999.999.996",
    "qr_iban": "CH21 3080 8001 2345 6782 7",
    "email": "buchhaltung@winet.ch",
    "phone": "+41 56 520 20 00",
    "website": "https://www.winet.ch",
    "public_base_url": "https://erp.winet.test",
}


def _draft_to_issue(db, factories, customer) -> tuple[str, int]:
    """This month's draft invoice of one contract, and the company data to issue it."""
    from datetime import date

    from app.company import update_company
    from app.schemas import CompanyIn
    from app.timeutil import today
    from plugins.contracts.services import start_contract_in_the_past
    from plugins.invoicing.billing import Month
    from plugins.invoicing.jobs import run_period

    update_company(CompanyIn(**COMPANY))
    start_contract_in_the_past(factories.site(customer), "pro", date(today().year, 1, 1))
    db.session.commit()
    period = Month.of(today())
    (invoice_id,) = run_period(period, actor="stack test").invoice_ids
    return period.label, invoice_id


def _issue_through_the_worker(url: str, queue: str, period: str, invoice_id: int) -> None:
    """Queue issuing the draft as a clerk does (jobs.start_issuing, onto the stack's
    queue); the stack's worker issues it and renders its PDF (a task per chunk)."""
    from app import create_app
    from app.database import db
    from plugins.invoicing.jobs import start_issuing
    from plugins.invoicing.models import Invoice, InvoiceRun

    app = create_app(make_config(url, CELERY_BROKER_URL=REDIS_URL, CELERY_QUEUE=queue))
    with app.app_context():
        run_id = start_issuing(period, [invoice_id], actor="stack test").id
        deadline = time.monotonic() + 90
        while True:
            db.session.rollback()
            run = db.session.get(InvoiceRun, run_id)
            invoice = db.session.get(Invoice, invoice_id)
            done = run.status == "finished" and invoice.pdf_rendered_at is not None
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert run.status == "finished", (run.status, run.error, run.failures)
        assert run.invoices_issued == 1 and invoice.number, run.failures
        assert invoice.pdf_rendered_at is not None, "the worker rendered no PDF"
        assert bytes(invoice.pdf).startswith(b"%PDF")
        db.engine.dispose()


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _metric(text: str, name: str, **labels) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def test_the_stack_serves_issues_runs_periodic_tasks_and_stops_cleanly(
    stack_database, redis_queue, tmp_path
):
    serve = _serve_module()
    url, token, customer_name, draft = stack_database
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = serve.environment(
        {
            **os.environ,
            "WINET_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_QUEUE": redis_queue,
            "PUBLIC_BASE_URL": "https://erp.winet.test",
            "WINET_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "CELERY_CONCURRENCY": "1",
            "CELERY_BEAT_SCHEDULE": str(tmp_path / "beat-schedule"),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
            "MAIL_BACKEND": "file",
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
            "WINET_CONFIG_PERIODIC_INTERVALS": json.dumps({SWEEP: 1}),
        }
    )
    for name in ("WINET_LOG_FORMAT", "METRICS_TOKEN", "METRICS_ALLOWED_NETWORKS"):
        env.pop(name, None)
    started = time.time()
    stack = serve.Stack(serve.read_procfile(serve.ROOT / "Procfile"), env, echo=False)
    assert set(stack.processes) == {"web", "worker", "beat"}
    try:
        stack.start()
        stack.wait_ready(base + "/readyz", timeout=60)

        status, _, body = _get(base + "/readyz")
        checks = json.loads(body)["checks"]
        assert status == 200
        assert {name: check["ok"] for name, check in checks.items()} == {
            "database": True,
            "migrations": True,
            "redis": True,
        }

        # An authenticated request through gunicorn, with the proxy's request id.
        request_id = f"stack-{uuid.uuid4().hex[:8]}"
        api = base + "/api/v1/customers"
        assert _get(api)[0] == 401
        status, headers, body = _get(
            api, {"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
        )
        assert status == 200, body
        assert customer_name in body
        assert headers["X-Request-ID"] == request_id

        for _ in range(6):
            assert _get(base + "/healthz")[0] == 200

        # A background issuing job (number, QR-bill, PDF) done by the stack's worker.
        if draft is not None:
            _issue_through_the_worker(url, redis_queue, *draft)

        # The periodic task runs through beat and the worker and leaves its heartbeat.
        sweep_enabled = "servicedesk" not in disabled_plugins()
        deadline = time.monotonic() + 30
        while True:
            status, _, metrics = _get(base + "/metrics")
            assert status == 200
            last = _metric(
                metrics, "winet_periodic_task_last_success_timestamp_seconds", task=SWEEP
            )
            if not sweep_enabled or (last and last >= started) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if sweep_enabled:
            assert last and last >= started, "the sweep did not run through beat and worker"
            assert _metric(metrics, "winet_periodic_task_lag_seconds", task=SWEEP) < 30
        # Both gunicorn workers' counts are added up (multiprocess mode).
        healthz = _metric(
            metrics,
            "winet_http_request_duration_seconds_count",
            endpoint="core_health.healthz",
            method="GET",
            status="200",
        )
        assert healthz == 6
        assert _metric(metrics, "winet_celery_queue_length", queue=redis_queue) is not None
        assert _metric(metrics, "winet_metrics_collector_up", collector="periodic_tasks") == 1
    finally:
        codes = stack.stop()
    assert codes == {"web": 0, "worker": 0, "beat": 0}, {
        name: stack.output(name)[-15:] for name in stack.processes
    }

    # JSON log lines: gunicorn's access line and the app's carry the request id.
    access = [json.loads(line) for line in stack.output("web") if request_id in line]
    assert access, stack.output("web")[-20:]
    line = access[-1]
    assert (line["request_id"], line["path"], line["status"]) == (
        request_id,
        "/api/v1/customers",
        200,
    )
    # The worker logs each task under the task's id.
    worker_lines = [json.loads(line) for line in stack.output("worker") if line.startswith("{")]
    if sweep_enabled:
        assert any(
            entry["logger"] == "celery.app.trace" and entry["request_id"] != "-"
            for entry in worker_lines
        ), stack.output("worker")[-20:]
