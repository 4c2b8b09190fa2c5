"""/metrics: Prometheus text format, request latency, the collector registry, who may read it."""

from __future__ import annotations

import math
import uuid

import pytest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from app import heartbeats
from app.jobs import celery_of, periodic_tasks
from app.metrics import MetricsRegistry, counter, gauge, metrics_registry
from tests.conftest import test_config as make_config

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}
TEST_REDIS = "redis://127.0.0.1:6379/14"


def scrape(client, **kwargs) -> dict[str, dict[tuple, float]]:
    """name -> {sorted label pairs -> value}, parsed by prometheus_client's own parser."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels) -> float | None:
    return samples.get(name, {}).get(tuple(sorted(labels.items())))


def test_request_latency_is_counted_by_endpoint_method_and_status(client):
    count = "winet_http_request_duration_seconds_count"
    labels = {"endpoint": "core_health.healthz", "method": "GET", "status": "200"}
    before = value(scrape(client), count, **labels) or 0
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page/4711")
    after = scrape(client)
    assert value(after, count, **labels) == before + 3
    # Paths never become labels (ids would make a series per record).
    assert value(after, count, endpoint="unmatched", method="GET", status="404") >= 1
    assert value(after, "winet_http_request_duration_seconds_bucket", le="+Inf", **labels) == (
        before + 3
    )


def test_metrics_is_refused_outside_the_allowed_networks(client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.parametrize("hops", [0, 1])
def test_a_forwarded_request_needs_the_token(migrated, hops):
    from app import create_app

    app = create_app(make_config(migrated, PROXY_HOPS=hops, METRICS_TOKEN="scrape-secret-42"))
    client = app.test_client()
    with app.app_context():
        # nginx on this machine forwarding a stranger, or a stranger posing as local.
        for claimed in ("203.0.113.9", "127.0.0.1"):
            forwarded = {"X-Forwarded-For": claimed}
            assert client.get("/metrics", headers=forwarded).status_code == 403
            with_token = {**forwarded, "Authorization": "Bearer scrape-secret-42"}
            assert client.get("/metrics", headers=with_token).status_code == 200


def test_a_direct_scrape_from_an_allowed_network(migrated):
    from app import create_app

    app = create_app(make_config(migrated, PROXY_HOPS=1, METRICS_ALLOWED_NETWORKS=["10.20.0.0/16"]))
    client = app.test_client()
    with app.app_context():
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.1.5"}).status_code == 200
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.21.1.5"}).status_code == 403
        assert client.get("/metrics").status_code == 403  # 127.0.0.1 is not listed now


def test_the_bearer_token_opens_metrics_from_anywhere(app):
    app.config["METRICS_TOKEN"] = "scrape-secret-0123456789"
    client = app.test_client()
    good = {"Authorization": "Bearer scrape-secret-0123456789"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=good).status_code == 200
    bad = {"Authorization": "Bearer scrape-secret-guess"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=bad).status_code == 403
    app.config["METRICS_ALLOWED_NETWORKS"] = []  # "none": the token only
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers=good).status_code == 200


def test_a_failing_collector_is_reported_and_the_scrape_goes_on(app, client):
    def broken():
        raise RuntimeError("database on fire")

    def working():
        family = GaugeMetricFamily("winet_test_answer", "A plugin's gauge")
        family.add_metric([], 42)
        return [family]

    metrics_registry(app).add_collector("test.broken", broken)
    metrics_registry(app).add_collector("test.working", working)
    samples = scrape(client)
    assert value(samples, "winet_metrics_collector_up", collector="test.broken") == 0
    assert value(samples, "winet_metrics_collector_up", collector="test.working") == 1
    assert value(samples, "winet_test_answer") == 42
    assert value(samples, "winet_metrics_collector_up", collector="periodic_tasks") == 1


def test_registry_rules():
    registry = MetricsRegistry()
    registry.add_collector("one", lambda: [])
    with pytest.raises(ValueError, match="already registered"):
        registry.add_collector("one", lambda: [])
    with pytest.raises(TypeError):
        registry.add_collector("two", object())
    first = counter("winet_test_things_total", "Things", ["kind"])
    assert counter("winet_test_things_total", "Things", ["kind"]) is first
    with pytest.raises(ValueError, match="already defined"):
        gauge("winet_test_things_total", "Things", ["kind"])
    with pytest.raises(ValueError, match="must start with 'winet_'"):
        counter("things_total", "Things")


def test_periodic_task_lag_comes_from_the_heartbeat_of_its_last_run(app, client):
    job = periodic_tasks(app)[0]
    samples = scrape(client)
    assert value(samples, "winet_periodic_task_lag_seconds", task=job.name) == math.inf
    assert (
        value(samples, "winet_periodic_task_last_success_timestamp_seconds", task=job.name) is None
    )
    celery_of(app).tasks[job.name].apply(throw=True)  # what the worker runs
    samples = scrape(client)
    assert value(samples, "winet_periodic_task_lag_seconds", task=job.name) < 60
    assert value(samples, "winet_periodic_task_last_success_timestamp_seconds", task=job.name)
    assert value(samples, "winet_periodic_task_interval_seconds", task=job.name) == (
        job.every_seconds
    )


def test_a_failing_periodic_task_records_its_failure(app, client, monkeypatch):
    from app import jobs

    job = periodic_tasks(app)[0]

    def fail(ref):
        def run():
            raise RuntimeError("broken job")

        return run

    monkeypatch.setattr(jobs, "load_object", fail)
    with pytest.raises(RuntimeError):
        celery_of(app).tasks[job.name].apply(throw=True)
    samples = scrape(client)
    assert value(samples, "winet_periodic_task_last_failure_timestamp_seconds", task=job.name)
    assert value(samples, "winet_periodic_task_lag_seconds", task=job.name) == math.inf


@pytest.fixture
def redis_app(migrated):
    """The app with a Redis broker on a database of the test's own and a queue of its own."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(TEST_REDIS, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from app import create_app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    app = create_app(make_config(migrated, CELERY_BROKER_URL=TEST_REDIS, CELERY_QUEUE=queue))
    with app.app_context():
        yield app, client, queue
    client.delete(queue, heartbeats.redis_key(app))


def test_with_a_redis_broker_heartbeats_and_queue_length_come_from_redis(redis_app):
    app, redis, queue = redis_app
    job = periodic_tasks(app)[0]
    redis.rpush(queue, "task-1", "task-2")
    # A worker elsewhere recorded its run in the shared Redis, not in this process.
    heartbeats.record(job.name, "success", at=1_800_000_000.5)
    assert heartbeats.MEMORY not in app.extensions
    samples = scrape(app.test_client())
    assert value(samples, "winet_celery_queue_length", queue=queue) == 2
    assert (
        value(samples, "winet_periodic_task_last_success_timestamp_seconds", task=job.name)
        == 1_800_000_000.5
    )
    assert value(samples, "winet_metrics_collector_up", collector="celery_queue") == 1


def test_plugins_register_their_collectors_through_their_declaration(app):
    declared = {
        declaration.name: declaration.metrics
        for declaration in app.extensions["winet.declarations"]
        if declaration.metrics
    }
    names = set(metrics_registry(app).collectors)
    assert {"periodic_tasks", "celery_queue"} <= names
    if "servicedesk" in declared:
        assert "servicedesk.tickets" in names
    if "invoicing" in declared:
        assert "invoicing.runs" in names


def test_the_alert_rules_use_series_that_metrics_exposes(redis_app):
    import re
    from datetime import UTC, datetime
    from pathlib import Path

    from app.database import db
    from tests.conftest import disabled_plugins

    app, _redis, _queue = redis_app
    if "invoicing" not in disabled_plugins():
        from plugins.invoicing.models import InvoiceRun

        db.session.add(
            InvoiceRun(period="2026-12", status="finished", started_at=datetime.now(UTC))
        )
        db.session.commit()
    text = app.test_client().get("/metrics").get_data(as_text=True)
    exposed = set(re.findall(r"^(\w+)[{ ]", text, re.M))
    for name, kind in re.findall(r"^# TYPE (\w+) (\w+)", text, re.M):
        exposed |= {name} | (
            {f"{name}_{part}" for part in ("bucket", "count", "sum")}
            if kind == "histogram"
            else set()
        )
    rules = (Path(__file__).parents[2] / "deploy/prometheus/alerts.yml").read_text()
    used = set(re.findall(r"\bwinet_\w+", rules))
    off = tuple(f"winet_{name}_" for name in disabled_plugins())
    missing = sorted(name for name in used - exposed if not name.startswith(off))
    assert missing == [], f"alerts.yml names series /metrics does not expose: {missing}"
