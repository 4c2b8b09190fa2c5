"""The record of a run (or of issuing a period's drafts): created, kept up to date, closed.

Flush only; the job loop commits. A record is the run's heartbeat (`updated_at`): one that
stops moving for STALE_AFTER is taken for dead and no longer blocks its period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from app.toolkit import db, now
from plugins.invoicing.billing import Month
from plugins.invoicing.models import InvoiceRun
from plugins.invoicing.planning import RunFailure
from plugins.invoicing.vocabulary import RUN_ACTIVE, FailedStep, RunKind, RunState

# A queued or running run whose heartbeat is older than this is taken for dead (its
# worker was killed): it no longer blocks a new run of its period.
STALE_AFTER = timedelta(minutes=15)


@dataclass
class RunResult:
    period: str
    run_id: int | None = None
    invoice_ids: list[int] = field(default_factory=list)
    failures: list[RunFailure] = field(default_factory=list)
    conflicts: int = 0  # customers another run billed first
    issued_numbers: list[str] = field(default_factory=list)
    # Credit notes issued for credits of charges already on an issued invoice.
    credit_note_ids: list[int] = field(default_factory=list)
    credit_note_numbers: list[str] = field(default_factory=list)

    def counts(self) -> dict:
        """What the run record shows of a run's progress so far."""
        return {
            "invoices_created": len(self.invoice_ids),
            "invoices_issued": len(self.issued_numbers),
            "conflicts": self.conflicts,
            "failures": failure_records(self.failures),
        }


class RunInProgress(RuntimeError):
    """A run of the same period is already queued or running; `run` is that one."""

    def __init__(self, run: InvoiceRun):
        super().__init__(f"a run of {run.period} is already {run.status} (run {run.id})")
        self.run = run


def failure_records(failures: Iterable[RunFailure]) -> list[dict]:
    """The failures as the run record keeps them. Records written before failures had
    their step carry only `customer_id`, `customer` and `reason` (see `shown_failure`)."""
    return [
        {
            "customer_id": f.customer_id,
            "customer": f.customer_name,
            "step": f.step.value,
            "subject": f.subject,
            "invoice_id": f.invoice_id,
            "detail": f.detail,
            "reason": f.reason,
        }
        for f in failures
    ]


def kept_failures(records: Iterable[dict] | None) -> list[RunFailure]:
    """A run record's failures as RunFailure (what its page and the API show)."""
    return [kept_failure(record) for record in records or ()]


def kept_failure(record: dict) -> RunFailure:
    """A failure as the run record keeps it (an older record: its reason as the detail of
    a billing step, which is shown without a step)."""
    step = FailedStep.coerce(record.get("step")) or FailedStep.BILLING
    detail = record.get("detail")
    return RunFailure(
        record.get("customer_id") or 0,
        record.get("customer") or "",
        step,
        detail if detail is not None else record.get("reason", ""),
        record.get("subject") or "",
        record.get("invoice_id"),
    )


def new_run(
    month: Month,
    *,
    status: RunState,
    issue: bool,
    actor: str,
    holds_period: bool,
    kind: RunKind = RunKind.BILLING,
    catch_up: bool = False,
) -> InvoiceRun:
    """A run record started now (flushed); a queued web/API run holds its period."""
    instant = now()
    record = InvoiceRun(
        period=month.label,
        kind=kind,
        status=status,
        actor=actor,
        issue=issue,
        catch_up=catch_up,
        requested_at=instant,
        started_at=instant,
        updated_at=instant,
        active_period=month.label if holds_period else None,
    )
    db.session.add(record)
    db.session.flush()
    return record


def save(run_id: int, **values) -> None:
    """Update the run record (and its heartbeat)."""
    db.session.execute(
        update(InvoiceRun).where(InvoiceRun.id == run_id).values(updated_at=now(), **values)
    )


def close(run_id: int, status: RunState, **values) -> None:
    """End a run record (finished or failed): it no longer holds its period."""
    save(run_id, status=status, active_period=None, finished_at=now(), **values)


def claim_queued(run_id: int) -> bool:
    """Take a queued run for the worker that will do it; False when it is not queued."""
    return bool(
        db.session.execute(
            update(InvoiceRun)
            .where(InvoiceRun.id == run_id, InvoiceRun.status == RunState.QUEUED)
            .values(status=RunState.RUNNING, started_at=now(), updated_at=now())
        ).rowcount
    )


def is_stale(run: InvoiceRun) -> bool:
    heartbeat = run.updated_at or run.requested_at or run.started_at
    return heartbeat is None or now() - heartbeat > STALE_AFTER


def active_run(period: str) -> InvoiceRun | None:
    """The run of `period` queued or running now, if any; a stale one is closed as failed."""
    runs = db.session.scalars(
        select(InvoiceRun)
        .where(InvoiceRun.period == period, InvoiceRun.status.in_(RUN_ACTIVE))
        .order_by(InvoiceRun.id)
    ).all()
    for run in runs:
        if not is_stale(run):
            return run
        close(
            run.id,
            RunState.FAILED,
            error=f"no progress since {run.updated_at or run.started_at:%Y-%m-%d %H:%M} UTC; "
            "the job was probably stopped",
        )
    return None
