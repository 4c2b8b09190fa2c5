"""Invoicing test helpers: contracts and tier changes set up through the contracts plugin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice

# The December 2026 run, started on the 1st at 07:00 Zurich time.
RUN_DAY = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": RUN_DAY}


class Setup:
    """Builds customers, sites and contracts for billing tests (tests may use any plugin)."""

    def __init__(self, db, factories):
        self.db = db
        self.factories = factories

    def customer(self, **fields):
        return self.factories.customer(**fields)

    def site(self, customer, **fields):
        return self.factories.site(customer, **fields)

    def contract(self, site, tier_code: str, start: date):
        from plugins.contracts.services import start_contract_in_the_past as start_contract

        contract = start_contract(site, tier_code, start)
        self.db.session.commit()
        return contract

    def change_tier(self, contract, tier_code: str, first_day: date, change: str = "upgrade"):
        """Close the open tier period the day before and open a new one (contracts' tables)."""
        from sqlalchemy import select

        from app.models import Tier
        from plugins.contracts.models import ContractTierPeriod

        tier = self.db.session.scalar(select(Tier).where(Tier.code == tier_code))
        current = [p for p in contract.periods if p.last_day is None][0]
        current.last_day = first_day - timedelta(days=1)
        self.db.session.add(
            ContractTierPeriod(
                contract_id=contract.id, tier_id=tier.id, first_day=first_day, change=change
            )
        )
        self.db.session.commit()
        self.db.session.refresh(contract)

    def end(self, contract, end_date: date, notice_on: date | None = None):
        contract.notice_received_on = notice_on or end_date.replace(day=1)
        contract.end_date = end_date
        contract.state = "cancelled"
        self.db.session.commit()

    def site_with_contract(self, tier_code="pro", start=date(2026, 1, 1), **customer_fields):
        customer = self.customer(**customer_fields)
        site = self.site(customer)
        contract = self.contract(site, tier_code, start)
        return customer, site, contract


@pytest.fixture
def setup(db, factories) -> Setup:
    return Setup(db, factories)


@pytest.fixture
def invoice(app, db, setup):
    """Issued 2026-12-01 (today in these tests): premium 600.00 + 8.1 % = 648.60, due
    2026-12-31."""
    setup.site_with_contract("premium", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    return db.session.get(Invoice, invoice_id)


class ChargeSource:
    """A stand-in plugin answering billable_charges, as servicedesk will."""

    def __init__(self):
        self.charges = []
        self.billed = []
        self.on_billed = None

    def billable_charges(self, query):
        return [c for c in self.charges if query.period_start <= c.service_date <= query.period_end]

    def charges_billed(self, event):
        self.billed.append(event)
        if self.on_billed:
            self.on_billed(event)


@pytest.fixture
def charge_source(app):
    from app.hooks import hookimpl, plugin_manager

    source = ChargeSource()

    class Implementation:
        @hookimpl
        def billable_charges(self, query):
            return source.billable_charges(query)

        @hookimpl
        def charges_billed(self, event):
            source.charges_billed(event)

    plugin_manager(app).register(Implementation(), name="test_charges")
    yield source
    plugin_manager(app).unregister(name="test_charges")


@pytest.fixture
def plan_together(monkeypatch):
    """Make two runs in two threads both read what is billed before either writes: the
    first load of each such thread waits for the other's (a later reload, the
    per-customer fallback after a conflict, does not; the test's own thread never)."""
    import threading

    from plugins.invoicing import jobs

    real = jobs.load_period
    barrier = threading.Barrier(2)
    seen = threading.local()

    def load_then_wait(*args, **kwargs):
        inputs = real(*args, **kwargs)
        if threading.current_thread() is not threading.main_thread() and not getattr(
            seen, "done", False
        ):
            seen.done = True
            barrier.wait(timeout=30)
        return inputs

    monkeypatch.setattr(jobs, "load_period", load_then_wait)
