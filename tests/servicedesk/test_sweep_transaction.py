"""A job owns its transactions: when the last step of a ticket's escalation fails, nothing
of that ticket's earlier steps is kept, and the next sweep does it, once."""

from __future__ import annotations

from sqlalchemy import select

from plugins.servicedesk import intake, notify
from plugins.servicedesk.dispatch import acknowledge, dispatch
from plugins.servicedesk.jobs import sweep
from plugins.servicedesk.models import Escalation, Notification, Ticket
from tests.servicedesk.conftest import zurich


def test_a_job_keeps_nothing_of_a_ticket_whose_last_step_fails(desk, db, clock, monkeypatch):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)  # FirstReaction due 16:00
    acknowledge(ticket, desk.technician)
    db.session.commit()
    clock(zurich(2026, 11, 24, 16, 1))

    def refuse(*args, **kwargs):
        raise RuntimeError("the outbox is full")

    monkeypatch.setattr(notify, "queue", refuse)  # queuing the chief's mail: the last step
    report = sweep()

    assert report.failures == [ticket.id] and report.escalations == []
    db.session.rollback()
    assert db.session.scalars(select(Escalation)).all() == []
    assert db.session.scalars(select(Notification).where(Notification.kind == "breach")).all() == []
    assert "breach_escalated" not in [e.kind for e in db.session.get(Ticket, ticket.id).events]
    monkeypatch.undo()
    assert sweep().escalations == [ticket.id]  # the next sweep does it, once
    assert sweep().escalations == []
    assert len(db.session.scalars(select(Escalation)).all()) == 1
