"""Request ids on responses and log lines; JSON log lines in production, plain otherwise."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from app.logging_setup import configure_logging, incoming_request_id
from app.security import public


@pytest.fixture
def log_stream():
    """Logging configured by the test into a buffer; the root logger restored after."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def logging_view(app):
    @public("test view that logs")
    def chatty():
        logging.getLogger("plugins.example").warning("sweeping %d tickets", 3)
        return "ok"

    app.add_url_rule("/test-logging", "test_logging", chatty)
    return "/test-logging"


def test_every_response_gets_a_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_the_proxy_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "4f1c2a9e0b7d4e1f"})
    assert response.headers["X-Request-ID"] == "4f1c2a9e0b7d4e1f"


@pytest.mark.parametrize("sent", ["", "a b", "x" * 129, 'quote"d', "line\nbreak"])
def test_a_request_id_that_is_no_id_is_replaced(sent):
    assert re.fullmatch(r"[0-9a-f]{32}", incoming_request_id(sent))


def test_json_log_lines_carry_the_request_id(client, logging_view, log_stream):
    configure_logging("json", "INFO", stream=log_stream)
    response = client.get(logging_view, headers={"X-Request-ID": "req-77"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    (line,) = [line for line in lines if line["logger"] == "plugins.example"]
    assert line["message"] == "sweeping 3 tickets"
    assert line["level"] == "WARNING"
    assert line["request_id"] == "req-77"
    assert line["time"] and line["process"]

    logging.getLogger("plugins.example").warning("outside a request")
    last = json.loads(log_stream.getvalue().splitlines()[-1])
    assert last["request_id"] == "-"


def test_plain_log_lines_carry_the_request_id(client, logging_view, log_stream):
    configure_logging("plain", "INFO", stream=log_stream)
    client.get(logging_view, headers={"X-Request-ID": "req-78"})
    assert re.search(
        r"WARNING \[plugins\.example\] \[req-78\] sweeping 3 tickets", log_stream.getvalue()
    )


def test_configuring_twice_keeps_one_handler(log_stream):
    configure_logging("plain", stream=log_stream)
    configure_logging("json", stream=log_stream)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_winet", False)]
    assert len(ours) == 1
