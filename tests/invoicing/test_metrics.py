"""Invoice run metrics, read from the run records: counts by status, the latest run."""

from __future__ import annotations

from datetime import date, timedelta

from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import InvoiceRun
from tests.core.test_metrics import scrape, value
from tests.invoicing.conftest import RUN_DAY


def test_no_run_yet_shows_zero_counts_and_no_latest_run(client):
    samples = scrape(client)
    for status in ("queued", "running", "finished", "failed"):
        assert value(samples, "winet_invoicing_runs", status=status) == 0
    assert "winet_invoicing_last_run_failed" not in samples
    assert value(samples, "winet_metrics_collector_up", collector="invoicing.runs") == 1


def test_a_finished_run_shows_its_counts_and_duration(client, setup):
    setup.site_with_contract("pro", date(2026, 1, 1))
    setup.site_with_contract("premium", date(2026, 1, 1))
    run_period("2026-12")
    samples = scrape(client)
    assert value(samples, "winet_invoicing_runs", status="finished") == 1
    assert value(samples, "winet_invoicing_last_run_info", period="2026-12", status="finished") == 1
    assert value(samples, "winet_invoicing_last_run_invoices", outcome="planned") == 2
    assert value(samples, "winet_invoicing_last_run_invoices", outcome="created") == 2
    assert value(samples, "winet_invoicing_last_run_invoices", outcome="issued") == 0
    assert value(samples, "winet_invoicing_last_run_failed") == 0
    assert value(samples, "winet_invoicing_last_run_customer_failures") == 0
    # The clock is pinned, so the run took no time by it.
    assert value(samples, "winet_invoicing_last_run_duration_seconds") == 0
    assert value(samples, "winet_invoicing_last_run_started_timestamp_seconds") == (
        RUN_DAY.timestamp()
    )


def test_a_failed_latest_run_is_flagged(client, db):
    db.session.add(
        InvoiceRun(
            period="2026-12",
            status="failed",
            started_at=RUN_DAY,
            finished_at=RUN_DAY + timedelta(seconds=42),
            error="OperationalError: server closed the connection",
            failures=[{"customer_id": 1, "customer": "Aarebank", "reason": "no address"}],
        )
    )
    db.session.commit()
    samples = scrape(client)
    assert value(samples, "winet_invoicing_runs", status="failed") == 1
    assert value(samples, "winet_invoicing_last_run_failed") == 1
    assert value(samples, "winet_invoicing_last_run_duration_seconds") == 42
    assert value(samples, "winet_invoicing_last_run_customer_failures") == 1
