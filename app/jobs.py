"""Background jobs: Celery on the configured broker, or in-process when there is none.

Plugins declare periodic tasks (`Plugin.periodic`). With CELERY_BROKER_URL set, they are
Celery tasks scheduled by Celery beat (`celery -A app.celery_app worker` / `beat`).
Without a broker, tasks run eagerly in the calling process, and with INPROCESS_SCHEDULER
(what `make run` sets) a daemon thread runs the periodic tasks on their interval.

This module is also the outbox's delivery step (see app.outbox): after a commit that
queued messages it delivers them (a Celery task on the broker, or right here without
one), and the periodic task `core.outbox` delivers whatever is due (retries, leftovers).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import heartbeats, outbox
from app.config import ConfigurationError
from app.database import db
from app.plugins import PeriodicTask, PluginError, load_object
from app.timeutil import now

log = logging.getLogger(__name__)
EXTENSION = "winet.celery"


def periodic_tasks(app: Flask) -> list[PeriodicTask]:
    """Every enabled plugin's periodic tasks (their names were checked at plugin install)."""
    return [job for plugin in app.extensions["winet.declarations"] for job in plugin.periodic]


def intervals(app: Flask) -> dict[str, int]:
    """Each periodic task's interval in seconds: its declaration's, unless PERIODIC_INTERVALS
    overrides it (e.g. a sweep every 30 s; the stack test runs it every second)."""
    declared = {job.name: job.every_seconds for job in periodic_tasks(app)}
    overrides = app.config.get("PERIODIC_INTERVALS") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise ConfigurationError(
            f"PERIODIC_INTERVALS names unknown periodic tasks: {', '.join(unknown)}"
        )
    for name, seconds in overrides.items():
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds <= 0:
            raise ConfigurationError(
                f"PERIODIC_INTERVALS: {name} must be a positive number of seconds"
            )
    return {**declared, **overrides}


def _runner(job: PeriodicTask) -> Callable:
    def run():
        # Heartbeats feed the lag metric and its alert (app/heartbeats.py).
        try:
            result = load_object(job.function)()
        except Exception:
            heartbeats.record(job.name, "failure")
            raise
        heartbeats.record(job.name, "success")
        return result

    run.__name__ = job.name.replace(".", "_")
    return run


ONE_OFF_TASK = "winet.one_off"
DELIVER_TASK = "core.outbox.deliver"


def one_off(function: Callable) -> Callable:
    """Mark a function as a one-off job that `enqueue_call` may run (only marked ones run)."""
    function.__winet_one_off__ = True
    return function


def _run_one_off(ref: str, args: list | None = None, kwargs: dict | None = None):
    function = load_object(ref)
    if not getattr(function, "__winet_one_off__", False):
        raise PluginError(f"{ref} is not a one-off job (mark it with app.jobs.one_off)")
    return function(*(args or ()), **(kwargs or {}))


def create_celery(app: Flask) -> Celery:
    """A Celery app bound to this Flask app: every task runs inside its app context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            if has_app_context() and current_app._get_current_object() is app:
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config.get("CELERY_BROKER_URL")
    jobs = periodic_tasks(app)
    every = intervals(app)
    celery = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    celery.conf.update(
        broker_url=broker or "memory://",
        task_always_eager=not broker,
        task_eager_propagates=True,
        task_ignore_result=True,
        timezone="UTC",
        task_default_queue=app.config.get("CELERY_QUEUE") or "celery",
        beat_schedule={
            job.name: {"task": job.name, "schedule": float(every[job.name])} for job in jobs
        },
    )
    for job in jobs:
        celery.task(name=job.name, shared=False)(_runner(job))
    celery.task(name=ONE_OFF_TASK, shared=False)(_run_one_off)
    celery.task(name=DELIVER_TASK, shared=False)(deliver_outbox)
    return celery


class InProcessScheduler(threading.Thread):
    """Runs the periodic tasks on their intervals in a daemon thread (no broker needed)."""

    def __init__(self, app: Flask, celery: Celery, jobs: list[PeriodicTask], tick: float = 1.0):
        super().__init__(name="winet-inprocess-scheduler", daemon=True)
        self.app = app
        self.celery = celery
        self.jobs = jobs
        self.tick = tick
        self.stopping = threading.Event()
        self.next_run: dict[str, float] = {job.name: 0.0 for job in jobs}
        self.every = intervals(app)

    def run_due(self, clock: float) -> list[str]:
        """Run every job whose time has come; returns the names run."""
        ran = []
        for job in self.jobs:
            if clock < self.next_run[job.name]:
                continue
            self.next_run[job.name] = clock + self.every[job.name]
            try:
                with self.app.app_context():
                    self.celery.tasks[job.name].apply(throw=True)
                ran.append(job.name)
            except Exception:  # a failing job must not stop the scheduler
                log.exception("periodic task %s failed", job.name)
        return ran

    def run(self) -> None:
        while not self.stopping.is_set():
            self.run_due(time.monotonic())
            self.stopping.wait(self.tick)

    def stop(self) -> None:
        self.stopping.set()


def init_app(app: Flask) -> Celery:
    install_outbox_dispatch()
    celery = create_celery(app)
    app.extensions[EXTENSION] = celery
    if app.config.get("INPROCESS_SCHEDULER") and not app.config.get("CELERY_BROKER_URL"):
        scheduler = InProcessScheduler(app, celery, periodic_tasks(app))
        app.extensions["winet.scheduler"] = scheduler
        scheduler.start()
    return celery


def celery_of(app: Flask | None = None) -> Celery:
    return (app or current_app).extensions[EXTENSION]


def enqueue(name: str, *args, **kwargs):
    """Run a task by name: on the broker when there is one, else right here."""
    return celery_of().tasks[name].delay(*args, **kwargs)


def enqueue_call(ref: str, *args, **kwargs) -> None:
    """Start a one-off job, a function marked with `one_off`, given as "module:function".

    Arguments must be JSON values. On the broker when there is one (the request returns at
    once); without a broker in a daemon thread when INPROCESS_SCHEDULER is set (`make
    run`); otherwise right here, synchronously (tests, scripts).
    """
    app = current_app._get_current_object()
    task = celery_of(app).tasks[ONE_OFF_TASK]
    if app.config.get("CELERY_BROKER_URL"):
        task.delay(ref, list(args), kwargs)
    elif app.config.get("INPROCESS_SCHEDULER"):

        def work():
            with app.app_context():
                try:
                    task.apply(args=(ref, list(args), kwargs), throw=True)
                except Exception:
                    log.exception("one-off job %s failed", ref)

        threading.Thread(target=work, name=f"winet-job-{ref}", daemon=True).start()
    else:
        task.apply(args=(ref, list(args), kwargs), throw=True)


# --- the outbox's delivery step -------------------------------------------------------


# Messages claimed together: each is still sent and marked on its own, and a group is
# small enough that its last message leaves well within the claim's LEASE (10 minutes)
# even when every send before it waits for the SMTP timeout (30 s).
CLAIM_GROUP = 10


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{len(self.sent)} sent, {len(self.retrying)} to retry, {len(self.failed)} failed"


def deliver_outbox(ids: list[int] | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver the given messages (after their commit), or every message due now.

    Works in a session of its own, so it can run right after another session's commit
    and never mixes its commits with a caller's work: claim a group (commit), then send
    each and record its outcome (commit), one message at a time.
    """
    report = DeliveryReport()
    with Session(db.engine, expire_on_commit=False) as session:
        wanted = ids if ids is not None else outbox.due_ids(session, now(), limit)
        for start in range(0, len(wanted), CLAIM_GROUP):
            claimed = outbox.claim(session, wanted[start : start + CLAIM_GROUP], now())
            session.commit()
            for message in outbox.load(session, claimed) if claimed else ():
                try:
                    outbox.deliver(message)
                except Exception as error:
                    log.warning("outbox message %s failed: %s", message.id, error)
                    outbox.mark_failed(session, message, f"{type(error).__name__}: {error}", now())
                    session.commit()
                    retry = outbox.retry_delay(message.attempts) is not None
                    (report.retrying if retry else report.failed).append(message.id)
                    continue
                outbox.mark_sent(session, message.id, now())
                session.commit()
                report.sent.append(message.id)
    return report


def deliver_due_outbox() -> str:
    """The periodic task `core.outbox`: retries and anything a dispatch missed."""
    return str(deliver_outbox())


def _dispatch_queued(ids: list[int]) -> None:
    app = current_app._get_current_object()
    try:
        if app.config.get("CELERY_BROKER_URL"):
            celery_of(app).tasks[DELIVER_TASK].delay(ids)
        else:
            deliver_outbox(ids)
    except Exception:  # the commit stands; the periodic task delivers them later
        log.exception("dispatching outbox messages %s failed", ids)


def _after_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the transaction itself is still open
    ids = session.info.pop(outbox.QUEUED, None)
    if ids and has_app_context():
        _dispatch_queued(ids)


def _after_rollback(session) -> None:
    session.info.pop(outbox.QUEUED, None)


def install_outbox_dispatch() -> None:
    """Deliver what a transaction queued once it commits; forget it when it rolls back."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
