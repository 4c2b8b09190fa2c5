"""deploy/gunicorn.conf.py: settings from the environment, JSON access lines with the request
id, and a master that never imports the app (a reload must load the new release)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a subprocess: the config file sets PROMETHEUS_MULTIPROC_DIR for its process.
PROBE = r"""
import io, json, logging, runpy, sys
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

settings = runpy.run_path("deploy/gunicorn.conf.py")
config = Config()
for name in ("accesslog", "errorlog", "loglevel"):
    config.set(name, settings[name])
from gunicorn.glogging import Logger

logger_class = settings.get("logger_class", Logger)
logger = logger_class(config)
stream = io.StringIO()
for handler in logger.access_log.handlers:
    handler.setStream(stream)
response = SimpleNamespace(
    status="200 OK", headers=[("Content-Type", "text/html"), ("X-Request-ID", "req-9")], sent=512
)
environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/customers", "QUERY_STRING": "q=aare",
           "REMOTE_ADDR": "10.20.0.2", "HTTP_USER_AGENT": "curl", "RAW_URI": "/customers?q=aare",
           "SERVER_PROTOCOL": "HTTP/1.1"}
logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=12))
print(json.dumps({
    "workers": settings["workers"], "timeout": settings["timeout"], "bind": settings["bind"],
    "max_requests": settings["max_requests"], "jitter": settings["max_requests_jitter"],
    "logger": logger_class.__name__, "app_imported": "app" in sys.modules,
    "metrics_dir": bool(__import__("os").environ.get("PROMETHEUS_MULTIPROC_DIR")),
    "access": stream.getvalue(),
}))
"""


def probe(**env) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("WINET_", "WEB_"))}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_one_worker_per_usable_core_unless_told():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert probe(WINET_ENV="production")["workers"] == cores


def test_production_access_lines_are_json_with_the_request_id():
    seen = probe(WINET_ENV="production", WEB_CONCURRENCY="3", GUNICORN_TIMEOUT="45")
    assert (seen["workers"], seen["timeout"], seen["bind"]) == (3, 45, "127.0.0.1:8000")
    assert seen["logger"] == "JsonLogger"
    line = json.loads(seen["access"])
    assert line["request_id"] == "req-9"
    assert (line["method"], line["path"], line["query"], line["status"]) == (
        "GET",
        "/customers",
        "q=aare",
        200,
    )
    assert line["duration_ms"] == 12.0
    assert line["logger"] == "gunicorn.access"
    assert seen["metrics_dir"]  # a multiprocess directory of its own when none is given
    assert not seen["app_imported"]


def test_development_keeps_gunicorns_plain_logger():
    seen = probe(WINET_BIND="127.0.0.1:8123")
    assert seen["logger"] == "Logger"
    assert seen["bind"] == "127.0.0.1:8123"
    assert not seen["app_imported"]


def test_workers_are_recycled_rarely_and_at_spread_out_points():
    # gunicorn restarts a worker after max_requests + randint(0, jitter) requests. With
    # 2,000 and 10 % every worker of the load benchmark restarted within 2 s of the others
    # (a worker boots in about 2 s): 4 s without any worker serving.
    seen = probe(WINET_ENV="production")
    assert seen["max_requests"] >= 10000
    assert seen["jitter"] >= seen["max_requests"] // 2
    assert probe(GUNICORN_MAX_REQUESTS="4000", GUNICORN_MAX_REQUESTS_JITTER="100")["jitter"] == 100
