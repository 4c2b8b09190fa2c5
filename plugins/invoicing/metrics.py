"""Invoice runs as metrics, read from the run records at scrape time: wherever and however
a run was started (page, API, CLI, scheduler, any worker), its record tells."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from app.toolkit import MetricsRegistry, db, now
from plugins.invoicing.models import InvoiceRun
from plugins.invoicing.vocabulary import RUN_ACTIVE, RunState


def _gauge(name: str, documentation: str, value: float | None = None, labels=()):
    family = GaugeMetricFamily(name, documentation, labels=list(labels) or None)
    if value is not None:
        family.add_metric([], value)
    return family


def invoice_run_metrics():
    by_status = dict(
        db.session.execute(
            select(InvoiceRun.status, func.count()).group_by(InvoiceRun.status)
        ).all()
    )
    runs = _gauge("winet_invoicing_runs", "Invoice runs recorded, by status", labels=["status"])
    for status in RunState:
        runs.add_metric([status.value], by_status.get(status, 0))
    families = [runs]
    last = db.session.scalars(select(InvoiceRun).order_by(InvoiceRun.id.desc()).limit(1)).first()
    if last is None:
        return families
    ended = last.finished_at or (now() if last.status in RUN_ACTIVE else last.updated_at)
    info = _gauge(
        "winet_invoicing_last_run_info",
        "The latest invoice run: its period and status",
        labels=["period", "status"],
    )
    info.add_metric([last.period, str(last.status)], 1)
    invoices = _gauge(
        "winet_invoicing_last_run_invoices",
        "Invoices of the latest run: planned, created (drafts), issued",
        labels=["outcome"],
    )
    invoices.add_metric(["planned"], last.invoices_planned or 0)
    invoices.add_metric(["created"], last.invoices_created or 0)
    invoices.add_metric(["issued"], last.invoices_issued or 0)
    families += [
        info,
        invoices,
        _gauge(
            "winet_invoicing_last_run_started_timestamp_seconds",
            "When the latest invoice run started (Unix time)",
            last.started_at.timestamp(),
        ),
        _gauge(
            "winet_invoicing_last_run_duration_seconds",
            "How long the latest invoice run took (so far, while it runs)",
            max(0.0, (ended - last.started_at).total_seconds()) if ended else None,
        ),
        _gauge(
            "winet_invoicing_last_run_failed",
            "1 when the latest invoice run failed as a whole",
            1 if last.status == "failed" else 0,
        ),
        _gauge(
            "winet_invoicing_last_run_customer_failures",
            "Customers the latest invoice run could not bill (the run page says why)",
            len(last.failures or ()),
        ),
        _gauge(
            "winet_invoicing_last_run_conflicts",
            "Invoices of the latest run that a concurrent run had written first",
            last.conflicts or 0,
        ),
    ]
    return families


def register(metrics: MetricsRegistry) -> None:
    """Called by the host with its MetricsRegistry (PLUGIN.metrics)."""
    metrics.add_collector("invoicing.runs", invoice_run_metrics)
