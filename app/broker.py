"""The Redis behind the Celery broker: a shared client, and the length of the task queue."""

from __future__ import annotations

from flask import Flask, current_app

EXTENSION = "winet.redis"
# Short timeouts: readiness checks and metric scrapes must answer even when Redis hangs.
SOCKET_TIMEOUT_SECONDS = 2.0


def redis_url(app: Flask | None = None) -> str | None:
    """The broker URL when the broker is Redis, else None (no broker, or another kind)."""
    broker = (app or current_app).config.get("CELERY_BROKER_URL")
    if broker and broker.startswith(("redis://", "rediss://")):
        return broker
    return None


def redis_client(app: Flask | None = None):
    """One client (and connection pool) per app; None without a Redis broker."""
    app = app or current_app._get_current_object()
    url = redis_url(app)
    if url is None:
        return None
    client = app.extensions.get(EXTENSION)
    if client is None:
        import redis

        client = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        app.extensions[EXTENSION] = client
    return client


def queue_length(app: Flask | None = None) -> int | None:
    """Tasks waiting in the Celery queue (a Redis list named after the queue)."""
    client = redis_client(app)
    if client is None:
        return None
    return int(client.llen((app or current_app).config["CELERY_QUEUE"]))
