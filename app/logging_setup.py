"""Log lines: JSON in production, plain in development, each carrying its request id."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid
from typing import IO

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from the proxy (nginx's $request_id is 32 hex digits); anything else,
# e.g. a header with a line break meant to forge log lines, is replaced by our own id.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
PLAIN_FORMAT = "%(asctime)s %(levelname)s [%(name)s] [%(request_id)s] %(message)s"
QUIET_LOGGERS = ("weasyprint.progress", "fontTools")
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id", "process")

# The id of the request (or Celery task) being handled in this thread or task: a context
# variable, so that it reaches every log line however deep the code that logs.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "winet_request_id", default=None
)


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def formatter(kind: str) -> logging.Formatter:
    return json_formatter() if kind == "json" else logging.Formatter(PLAIN_FORMAT)


def configure_logging(kind: str, level: str = "INFO", stream: IO[str] | None = None) -> None:
    """One handler on the root logger, replacing the one a previous call installed."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_winet", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._winet = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that report every step at INFO (a line per stylesheet, per font subset).
    for chatty in QUIET_LOGGERS:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


def incoming_request_id(value: str | None) -> str:
    """The proxy's request id when it looks like one, else a new one."""
    if value and _ACCEPTED_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _start_request() -> None:
    g.request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = request_id_var.set(g.request_id)


def _tag_response(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _end_request(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


def init_app(app: Flask) -> None:
    """Request ids for every request; the root handler, except under tests, where pytest
    captures logs and a test configures logging itself."""
    # First of all before_request functions, so that a request answered early (e.g. by a
    # refused login) still has its id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_tag_response)
    app.teardown_request(_end_request)
    if not app.testing:
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
