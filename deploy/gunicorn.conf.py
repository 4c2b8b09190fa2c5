"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py app.wsgi:app`.

Every value can be set from the environment (the systemd unit's EnvironmentFile, the
Procfile's environment), so one file serves every machine.
"""

import os
import shutil
import tempfile
import traceback

from gunicorn import glogging

bind = os.environ.get("WINET_BIND", "127.0.0.1:8000")
# Sync workers, one per usable core: a request spends about a tenth of its time waiting on
# the database, the rest in Python, so more workers than cores only take turns on them.
# Measured with benchmarks/load.py on 2 cores: 2 workers served the invoice detail at
# 990 requests/s, 4 workers at 430-490 (and the hello-world 4,200 against 3,400-3,500).
# WEB_CONCURRENCY (the conventional name) sets it, e.g. higher where requests wait long
# on something other than this machine's cores.
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY", _cores or 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request (a large PDF, an export) may take long; a stuck one is killed after this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))  # the proxy keeps connections
# Recycle workers now and then, so that a slow leak (fonts, PDF caches) stays bounded.
# A worker takes about 2 s to boot (it imports the app), and under an even load every
# worker reaches its count at about the same moment: with 2,000 requests and 10 % jitter
# all four workers of the load benchmark restarted within 2 s and nothing was served
# for 4 s. So rarely, and at points spread over half the count again.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 2))
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("WINET_LOG_LEVEL", "info").lower()
# The proxy's X-Forwarded-* headers are handled by the app (ProxyFix, WINET_PROXY_HOPS).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn >= 25.1 opens a control socket at one path per user by default, which two
# instances on one machine (a test next to `make serve`) would fight over: only on request.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# prometheus_client's multiprocess mode: every worker writes its metrics to files here
# and /metrics, in whichever worker answers, adds them up. It must be set before the app
# (and so prometheus_client) is imported, which happens in the workers, after this file.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="winet-metrics-")
METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    """Start from an empty metrics directory: files of a previous run's workers would
    otherwise be added to this run's counts."""
    os.makedirs(METRICS_DIR, exist_ok=True)
    for entry in os.scandir(METRICS_DIR):
        if entry.is_file() and entry.name.endswith(".db"):
            os.unlink(entry.path)


def child_exit(server, worker):
    """A dead worker's live gauges must stop counting (its counters are kept)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)


class JsonLogger(glogging.Logger):
    """gunicorn's own and access log lines as JSON objects, like the app's (WINET_LOG_FORMAT
    json); the access line carries the request id the app put on the response."""

    def setup(self, cfg):
        super().setup(cfg)
        # The fields of app/logging_setup.py's JSON lines, built here rather than imported:
        # the master must never import the app, or the workers a reload (HUP) starts would
        # inherit the old release's modules instead of importing the new ones.
        from pythonjsonlogger.json import JsonFormatter

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(
                    JsonFormatter(
                        ("asctime", "levelname", "name", "message", "process"),
                        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                        datefmt="%Y-%m-%dT%H:%M:%S%z",
                    )
                )

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        headers = dict((name.lower(), value) for name, value in resp.headers)
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        fields = {
            "request_id": headers.get("x-request-id", "-"),
            "remote_addr": environ.get("REMOTE_ADDR", "-"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "referer": environ.get("HTTP_REFERER"),
        }
        try:
            self.access_log.info("%s %s %s", fields["method"], fields["path"], status, extra=fields)
        except Exception:
            self.error(traceback.format_exc())


# The same rule as the app's (app/config.py): JSON in production unless told otherwise.
_log_format = os.environ.get(
    "WINET_LOG_FORMAT", "json" if os.environ.get("WINET_ENV") == "production" else "plain"
)
if _log_format == "json":
    logger_class = JsonLogger
