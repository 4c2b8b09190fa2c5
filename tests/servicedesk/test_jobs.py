"""Background jobs: the sweep as a Celery task, eager without a broker, and in-process."""

from __future__ import annotations

from app.jobs import InProcessScheduler, celery_of, enqueue, periodic_tasks
from plugins.servicedesk import intake
from plugins.servicedesk.dispatch import dispatch
from tests.servicedesk.conftest import zurich


def test_the_sweep_is_a_periodic_task_run_every_minute(app):
    celery = celery_of(app)
    assert "servicedesk.sweep" in celery.tasks
    assert celery.conf.beat_schedule["servicedesk.sweep"]["schedule"] == 60.0
    assert celery.conf.task_always_eager  # no broker configured in tests
    assert "servicedesk.sweep" in [job.name for job in periodic_tasks(app)]


def test_without_a_broker_the_task_runs_in_process(app, desk, db, clock, sent_mail):
    ticket = intake.open_ticket(desk.site, "Down", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    clock(zurich(2026, 11, 24, 16, 5))
    result = enqueue("servicedesk.sweep")
    assert "1 escalation(s)" in result.get()


def test_the_inprocess_scheduler_runs_each_job_on_its_interval(app, desk, db, clock, sent_mail):
    sweep_only = [job for job in periodic_tasks(app) if job.name == "servicedesk.sweep"]
    scheduler = InProcessScheduler(app, celery_of(app), sweep_only)
    assert scheduler.run_due(1000.0) == ["servicedesk.sweep"]
    assert scheduler.run_due(1030.0) == []
    assert scheduler.run_due(1060.0) == ["servicedesk.sweep"]


def test_demo_data_puts_a_technician_and_a_chief_on_call(app, db):
    from app.plugins import call_each
    from plugins.servicedesk.dispatch import on_duty

    call_each(app.extensions["winet.declarations"], "demo")
    call_each(app.extensions["winet.declarations"], "demo")  # idempotent
    db.session.commit()
    assert on_duty("technician", zurich(2026, 11, 24, 3, 0)).role == "technician"
    assert on_duty("chief", zurich(2026, 11, 24, 3, 0)).role == "chief"
