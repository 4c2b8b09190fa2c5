"""The servicedesk's jobs: the monitoring sweep, one committed transaction per ticket."""

from __future__ import annotations

import logging
from datetime import datetime

from app.toolkit import acting_as, db, now
from plugins.servicedesk.sweep import SweepReport, due_ticket_ids, sweep_ticket

ACTOR = "job:servicedesk.sweep"
log = logging.getLogger(__name__)


def sweep(at: datetime | None = None) -> SweepReport:
    """Look at every ticket whose next check has come; safe to run twice at the same time.

    Each ticket is its own transaction: what it claimed and queued is committed (and its
    messages leave) before the next ticket, and a failing ticket is rolled back alone and
    reported, without stopping the watch over the others.
    """
    at = at or now()
    report = SweepReport()
    with acting_as(ACTOR):
        ids = due_ticket_ids(at)
        db.session.commit()
        for ticket_id in ids:
            try:
                sweep_ticket(ticket_id, at, report)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("sweeping ticket %s failed", ticket_id)
                report.failures.append(ticket_id)
    return report


def run_sweep() -> str:
    """The periodic task's entry point (Celery beat every minute, or the in-process runner)."""
    return str(sweep())
