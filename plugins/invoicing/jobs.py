"""Background jobs: the monthly run on the 1st (drafts; finance reviews them), and a run
queued from the pages or the API."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.toolkit import db, one_off, today
from plugins.invoicing.billing import Month
from plugins.invoicing.models import InvoiceRun

SCHEDULER_ACTOR = "scheduler:invoicing"


def monthly_run() -> str | None:
    """On the 1st of a month (Zurich), run that month once; other days do nothing.

    Runs hourly, so a scheduler that was down at midnight still starts the run later that
    day; the run itself is idempotent, the check only avoids repeating it every hour.
    """
    from plugins.invoicing.run import run_period

    day = today()
    if day.day != 1:
        return None
    period = Month.of(day).label
    already = db.session.scalar(
        select(InvoiceRun.id).where(
            InvoiceRun.period == period, InvoiceRun.actor == SCHEDULER_ACTOR
        )
    )
    if already is not None:
        return None
    issue = bool(current_app.config.get("INVOICING_SCHEDULED_ISSUE", False))
    run_period(period, issue=issue, actor=SCHEDULER_ACTOR)
    return period


@one_off
def run_in_background(run_id: int) -> None:
    """Do the queued run `run_id` (see plugins.invoicing.run.start_run)."""
    from plugins.invoicing.run import execute_run

    execute_run(run_id)
