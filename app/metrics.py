"""Prometheus metrics: request latency, the registry the host and plugins add to, /metrics.

Two kinds of metrics, for two kinds of facts:

- **Process metrics** (`counter`, `gauge`, `histogram`): counted where things happen, in
  the web process. Under gunicorn each worker writes them to PROMETHEUS_MULTIPROC_DIR and
  /metrics adds up all workers (prometheus_client's multiprocess mode); under `flask run`
  they live in the one process. Celery workers serve no /metrics, so work done in jobs is
  not counted this way.
- **Collectors** (`MetricsRegistry.add_collector`): read at scrape time from what every
  process shares, the database or Redis: ticket deadlines, invoice runs, job heartbeats,
  queue length. Right across any number of machines, and a fact even after a restart.

Plugins add theirs through their declaration: `Plugin(metrics="plugins.x.metrics:register")`
names a function `register(metrics: MetricsRegistry)`, called once per app.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from app.health import readiness_metrics
from app.plugins import load_object
from app.security import public

log = logging.getLogger(__name__)
EXTENSION = "winet.metrics"
PREFIX = "winet_"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Request latency buckets, seconds: pages answer in milliseconds, PDFs in a fraction of a
# second, and anything past the gunicorn timeout (60 s) is cut off anyway.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Collector = Any  # an object with collect() -> Iterable[Metric], or such a function

# --- process metrics --------------------------------------------------------------------

# The `_created` series double every counter and histogram for no use here (and are not
# there in multiprocess mode anyway): one exposition whichever server runs.
disable_created_metrics()

_process_metrics: dict[str, Any] = {}


def _process_metric(kind: type, name: str, documentation: str, labelnames, **options):
    """One metric per name in this process; asking again returns the same object."""
    if not name.startswith(PREFIX):
        raise ValueError(f"metric {name!r} must start with {PREFIX!r}")
    labelnames = tuple(labelnames)
    existing = _process_metrics.get(name)
    if existing is not None:
        if type(existing) is not kind or tuple(existing._labelnames) != labelnames:
            raise ValueError(f"metric {name!r} is already defined otherwise")
        return existing
    metric = kind(name, documentation, labelnames, **options)
    _process_metrics[name] = metric
    return metric


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    return _process_metric(Counter, name, documentation, labelnames)


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    buckets: Sequence[float] = LATENCY_BUCKETS,
) -> Histogram:
    return _process_metric(Histogram, name, documentation, labelnames, buckets=tuple(buckets))


def gauge(
    name: str, documentation: str, labelnames: Sequence[str] = (), multiprocess_mode="livesum"
) -> Gauge:
    """A gauge; `multiprocess_mode` says how gunicorn workers' values combine."""
    return _process_metric(
        Gauge, name, documentation, labelnames, multiprocess_mode=multiprocess_mode
    )


REQUEST_LATENCY = histogram(
    "winet_http_request_duration_seconds",
    "Time to answer an HTTP request, by Flask endpoint, method and status code",
    ("endpoint", "method", "status"),
)


# --- collectors read at scrape time -----------------------------------------------------


class MetricsRegistry:
    """What the host and plugins register their metrics through (one per app)."""

    counter = staticmethod(counter)
    gauge = staticmethod(gauge)
    histogram = staticmethod(histogram)

    def __init__(self) -> None:
        self.collectors: dict[str, Collector] = {}

    def add_collector(self, name: str, collector: Collector) -> None:
        """Read `collector` at every scrape, inside the request's app context (so it may
        query `db.session`). `name` (e.g. "servicedesk.tickets") labels its
        `winet_metrics_collector_up` sample, 0 when it raised."""
        if name in self.collectors:
            raise ValueError(f"a metrics collector named {name!r} is already registered")
        if not callable(collector) and not hasattr(collector, "collect"):
            raise TypeError(f"collector {name!r} has no collect() and is not callable")
        self.collectors[name] = collector

    def collect(self) -> Iterable[Metric]:
        from app.database import db

        up = GaugeMetricFamily(
            "winet_metrics_collector_up",
            "1 when the collector answered at this scrape, 0 when it failed (see the log)",
            labels=["collector"],
        )
        for name, collector in self.collectors.items():
            read = collector.collect if hasattr(collector, "collect") else collector
            try:
                families = list(read())
            except Exception:
                log.exception("metrics collector %s failed", name)
                db.session.rollback()
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


def metrics_registry(app: Flask | None = None) -> MetricsRegistry:
    return (app or current_app).extensions[EXTENSION]


class _Forward:
    """The process-wide default registry, as one collector of a scrape's registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class _AppCollectors:
    def __init__(self, registry: MetricsRegistry):
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_ENV) or None


def scrape_registry(app: Flask) -> CollectorRegistry:
    """Everything one scrape shows: process metrics (all gunicorn workers' in multiprocess
    mode) and the app's collectors."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_Forward())
    registry.register(_AppCollectors(metrics_registry(app)))
    return registry


# --- built-in collectors ----------------------------------------------------------------


def periodic_task_metrics() -> Iterable[Metric]:
    """Heartbeats of the periodic tasks: the sweep's lag is the one alerted on."""
    from app import heartbeats
    from app.jobs import intervals

    app = current_app._get_current_object()
    every = intervals(app)
    runs = heartbeats.last_runs(app)
    now = time.time()
    interval = GaugeMetricFamily(
        "winet_periodic_task_interval_seconds",
        "How often the periodic task is scheduled",
        labels=["task"],
    )
    success = GaugeMetricFamily(
        "winet_periodic_task_last_success_timestamp_seconds",
        "When the periodic task last succeeded (Unix time)",
        labels=["task"],
    )
    failure = GaugeMetricFamily(
        "winet_periodic_task_last_failure_timestamp_seconds",
        "When the periodic task last failed (Unix time)",
        labels=["task"],
    )
    lag = GaugeMetricFamily(
        "winet_periodic_task_lag_seconds",
        "Seconds since the periodic task last succeeded (+Inf: not since the heartbeats were kept)",
        labels=["task"],
    )
    for task, seconds in sorted(every.items()):
        interval.add_metric([task], seconds)
        last_success = runs.get((task, "success"))
        if last_success is not None:
            success.add_metric([task], last_success)
        if (task, "failure") in runs:
            failure.add_metric([task], runs[(task, "failure")])
        lag.add_metric([task], max(0.0, now - last_success) if last_success else math.inf)
    return [interval, success, failure, lag]


def celery_queue_metrics() -> Iterable[Metric]:
    """Tasks waiting for a worker; nothing without a Redis broker."""
    from app.broker import queue_length

    waiting = queue_length()
    if waiting is None:
        return []
    family = GaugeMetricFamily(
        "winet_celery_queue_length", "Tasks waiting in the Celery queue", labels=["queue"]
    )
    family.add_metric([current_app.config["CELERY_QUEUE"]], waiting)
    return [family]


# --- request latency and the /metrics endpoint ------------------------------------------


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        method = request.method if request.method in _METHODS else "other"
        # The endpoint, never the path: ids in paths would make a series per record.
        endpoint = request.endpoint or "unmatched"
        REQUEST_LATENCY.labels(endpoint, method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
    return response


def _bearer_matches(expected: str | None) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return bool(
        expected
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), expected.encode())
    )


def scrape_allowed() -> bool:
    """With the METRICS_TOKEN bearer secret from anywhere; without it, only a direct request
    (Prometheus scrapes each web machine itself) from METRICS_ALLOWED_NETWORKS (default:
    this machine). A forwarded request needs the token: through a proxy on this machine
    the world would look local, and a forwarded address can be made up by whoever talks
    to gunicorn directly."""
    config = current_app.config
    if _bearer_matches(config.get("METRICS_TOKEN")):
        return True
    if "X-Forwarded-For" in request.headers:
        return False
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get(
        "REMOTE_ADDR", request.remote_addr
    )
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in config["METRICS_ALLOWED_NETWORKS"]
    )


bp = Blueprint("core_metrics", __name__)


@bp.get("/metrics")
@public(
    "Prometheus scrapes it without a login: allowed only from METRICS_ALLOWED_NETWORKS "
    "or with the METRICS_TOKEN bearer secret"
)
def scrape():
    if not scrape_allowed():
        abort(403)
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encoder(scrape_registry(current_app._get_current_object()))
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


def init_app(app: Flask) -> MetricsRegistry:
    """Time every request, serve /metrics, and gather the host's and plugins' collectors."""
    registry = MetricsRegistry()
    app.extensions[EXTENSION] = registry
    registry.add_collector("readiness", readiness_metrics)
    registry.add_collector("periodic_tasks", periodic_task_metrics)
    registry.add_collector("celery_queue", celery_queue_metrics)
    for declaration in app.extensions["winet.declarations"]:
        if declaration.metrics:
            register: Callable[[MetricsRegistry], None] = load_object(declaration.metrics)
            register(registry)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)
    return registry
