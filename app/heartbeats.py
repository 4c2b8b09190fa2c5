"""When each periodic task last succeeded and failed, kept where every process sees it.

The task runs in a Celery worker (perhaps on another machine) and /metrics is read from a
web process, so the instants go to the broker's Redis, a hash of task -> Unix time. Without
a Redis broker (`make run`, tests) everything runs in one process and they stay in memory.
Two installations sharing one Redis database keep apart by their queue names
(CELERY_QUEUE), which name their heartbeat hashes too.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app

from app.broker import redis_client

log = logging.getLogger(__name__)
KEY = "winet:heartbeats:{queue}"  # one hash per installation, named like its queue
MEMORY = "winet.heartbeats"
OUTCOMES = ("success", "failure")


def redis_key(app: Flask) -> str:
    return KEY.format(queue=app.config.get("CELERY_QUEUE") or "celery")


def record(task: str, outcome: str, at: float | None = None, app: Flask | None = None) -> None:
    """Note that `task` just ended with `outcome`; never raises (a job must not fail on it)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    app = app or current_app._get_current_object()
    field, value = f"{task}|{outcome}", at if at is not None else time.time()
    client = redis_client(app)
    if client is None:
        app.extensions.setdefault(MEMORY, {})[field] = value
        return
    try:
        client.hset(redis_key(app), field, repr(value))
    except Exception:  # Redis down: the lag metric will show it, the job's work stands
        log.warning("could not record the heartbeat of %s", task, exc_info=True)


def last_runs(app: Flask | None = None) -> dict[tuple[str, str], float]:
    """(task, outcome) -> Unix time of the last such end, for every task recorded."""
    app = app or current_app._get_current_object()
    client = redis_client(app)
    if client is None:
        raw = app.extensions.get(MEMORY, {})
    else:
        stored = client.hgetall(redis_key(app))
        raw = {key.decode(): value.decode() for key, value in stored.items()}
    runs = {}
    for field, value in raw.items():
        task, _, outcome = field.rpartition("|")
        runs[(task, outcome)] = float(value)
    return runs
