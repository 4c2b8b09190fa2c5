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
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_ADMIN_URL, disabled_plugins
from tests.conftest import test_config as make_config

pytestmark = [pytest.mark.stack, pytest.mark.postgres_only]

REDIS_URL = "redis://127.0.0.1:6379/13"
# Valid and nobody's: production refuses to issue while company data is a placeholder.
COMPANY = {
    "WINET_COMPANY_UID": "CHE-109.624.785",
    "WINET_COMPANY_QR_IBAN": "CH21 3080 8001 2345 6782 7",
    "WINET_COMPANY_EMAIL": "rechnungen@winet.ch",
    "WINET_COMPANY_PHONE": "+41 56 483 00 00",
    "WINET_COMPANY_WEBSITE": "https://www.winet.ch",
    "WINET_COMPANY_PUBLIC_BASE_URL": "https://erp.winet.test",
}
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
            if {"contracts", "invoicing"}.isdisjoint(disabled_plugins()):
                from plugins.contracts.services import start_contract_in_the_past

                start_contract_in_the_past(factories.site(customer), "pro", date.today())
            token = factories.token(factories.user("finance"))
            db.session.commit()
            customer_name = customer.legal_name
            db.engine.dispose()
        yield url, token, customer_name
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _metric(text: str, name: str, **labels) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def _post(url: str, body: dict, headers: dict):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            assert found, what
            return found
        time.sleep(0.3)


def _finished(base: str, status_url: str, headers: dict) -> dict:
    def done():
        job = json.loads(_get(base + status_url, headers)[2])
        return job if job["status"] in ("finished", "failed") else None

    return _until(done, 60, f"{status_url} did not finish")


def _bill_and_issue_through_the_workers(base: str, token: str, mail_dir: Path) -> None:
    """The next month's run and then the issuing job, each queued by the web process and
    done by the Celery worker; the PDF is rendered and the e-mail sent there too."""
    headers = {"Authorization": f"Bearer {token}"}
    today = date.today()
    period = f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"
    status, started = _post(base + "/api/v1/invoicing/runs", {"period": period}, headers)
    assert status == 202, started
    run = _finished(base, started["status_url"], headers)
    assert (run["status"], len(run["invoice_ids"])) == ("finished", 1), run
    (invoice_id,) = run["invoice_ids"]

    status, started = _post(base + "/api/v1/invoicing/issuing", {"period": period}, headers)
    assert status == 202, started
    job = _finished(base, started["status_url"], headers)
    assert (job["kind"], job["status"], job["invoices_issued"]) == ("issuing", "finished", 1), job
    invoice = json.loads(_get(f"{base}/api/v1/invoicing/invoices/{invoice_id}", headers)[2])
    assert invoice["status"] == "issued" and invoice["number"], invoice

    # Rendering is a task of its own on the worker; the e-mail leaves through the outbox.
    pdf = _until(
        lambda: (
            (r := _get(f"{base}/api/v1/invoicing/invoices/{invoice_id}/pdf", headers))[0] == 200
            and r
        ),
        60,
        "the PDF was not rendered by the worker",
    )
    assert pdf[1]["Content-Type"] == "application/pdf"
    mails = _until(lambda: list(mail_dir.glob("*.eml")), 60, "the invoice e-mail was not sent")
    assert any(invoice["number"] in path.read_text(errors="replace") for path in mails)


def test_the_stack_serves_runs_periodic_tasks_and_stops_cleanly(
    stack_database, redis_queue, tmp_path
):
    serve = _serve_module()
    url, token, customer_name = stack_database
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
            **COMPANY,
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

        if {"contracts", "invoicing"}.isdisjoint(disabled_plugins()):
            _bill_and_issue_through_the_workers(base, token, tmp_path / "mail")

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
