"""Two runs of the same period started at once on PostgreSQL bill every contract once."""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import BilledMonth, Invoice, InvoiceLine

pytestmark = pytest.mark.postgres_only


def test_two_runs_started_at_once_never_bill_a_contract_twice(app, db, setup, plan_together):
    contracts = [setup.site_with_contract("pro", date(2026, 12, 1))[2] for _ in range(12)]
    consolidated = setup.customer(invoice_mode="consolidated")
    for _ in range(3):
        contracts.append(setup.contract(setup.site(consolidated), "premium", date(2026, 12, 1)))
    db.session.commit()

    results, errors = [], []

    def run():
        with app.app_context():
            from app.database import db as thread_db

            try:
                results.append(run_period("2026-12"))
            except Exception as error:
                errors.append(error)
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert all(result.failures == [] for result in results)
    created = sum(len(result.invoice_ids) for result in results)
    conflicts = sum(result.conflicts for result in results)
    assert created == 13  # 12 per-site invoices + 1 consolidated
    assert conflicts == 13  # the slower run found every customer billed
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 13
    for contract in contracts:
        assert (
            db.session.scalar(
                select(func.count()).where(
                    InvoiceLine.contract_id == contract.id, InvoiceLine.kind == "advance"
                )
            )
            == 1
        )
    assert db.session.scalar(select(func.count()).select_from(BilledMonth)) == 15  # advances
