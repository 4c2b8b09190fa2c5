"""A service month is billed once, whatever the order of the runs: out of order, a month
skipped, runs repeated; and a property test over any order of runs and tier changes."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from app.hooks import BillableCharge, TierSpan
from app.models import AuditEntry, Tier
from plugins.contracts.models import Contract, ContractTierPeriod
from plugins.invoicing.billing import Month, price_spans
from plugins.invoicing.jobs import monthly_run, run_period
from plugins.invoicing.models import (
    BilledCharge,
    BilledMonth,
    Invoice,
    InvoiceLine,
    InvoiceRun,
)
from plugins.invoicing.sources import catalog_prices
from plugins.invoicing.vocabulary import LineKind

D = Decimal
SUBSCRIPTION = (LineKind.ADVANCE, LineKind.SETTLEMENT, LineKind.ADVANCE_CREDIT)
DISCOUNTS = ("volume_discount", "special_discount")


def zurich_morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)


def billed_days(db, contract_id: int) -> dict[str, int]:
    """Per service month: the days billed, counting a credited day as minus one."""
    found: dict[str, int] = {}
    for line in db.session.scalars(
        select(InvoiceLine).where(
            InvoiceLine.contract_id == contract_id,
            InvoiceLine.kind.in_(SUBSCRIPTION),
            InvoiceLine.unit.not_in(DISCOUNTS),
        )
    ):
        sign = -1 if line.amount < 0 else 1
        month = line.service_start.strftime("%Y-%m")
        found[month] = found.get(month, 0) + sign * line.days
    return {month: days for month, days in found.items() if days}


def billed_amounts(db, contract_id: int) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for line in db.session.scalars(
        select(InvoiceLine).where(
            InvoiceLine.contract_id == contract_id, InvoiceLine.kind.in_(SUBSCRIPTION)
        )
    ):
        month = line.service_start.strftime("%Y-%m")
        found[month] = found.get(month, D("0.00")) + line.amount
    return {month: amount for month, amount in found.items() if amount}


def test_runs_out_of_order_bill_february_once(app, db, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2027-01"
    _, _, contract = setup.site_with_contract("pro", date(2027, 1, 1))
    # Each run on its own first day: January, then March (settling February, which no
    # run billed in advance), then February late, after March.
    for period, day in (("2027-01", date(2027, 1, 1)), ("2027-03", date(2027, 3, 1))):
        app.config["FROZEN_NOW"] = zurich_morning(day)
        run_period(period)
    app.config["FROZEN_NOW"] = zurich_morning(date(2027, 3, 2))
    late = run_period("2027-02")

    assert late.invoice_ids == [] and late.failures == []
    assert billed_days(db, contract.id) == {"2027-01": 31, "2027-02": 28, "2027-03": 31}
    assert billed_amounts(db, contract.id) == {
        "2027-01": D("129.00"),
        "2027-02": D("129.00"),
        "2027-03": D("129.00"),
    }


def test_a_skipped_month_loses_neither_an_upgrade_nor_the_charges_before_it(
    app, db, setup, charge_source
):
    app.config["INVOICING_FIRST_PERIOD"] = "2027-01"
    customer, site, contract = setup.site_with_contract("pro", date(2027, 1, 1))
    app.config["FROZEN_NOW"] = zurich_morning(date(2027, 1, 1))
    run_period("2027-01")  # pro in advance for January
    setup.change_tier(contract, "premium", date(2027, 1, 20))  # signed in January
    charge_source.charges = [
        BillableCharge(
            "servicedesk",
            "ticket:4:time",
            customer.id,
            site.id,
            date(2027, 1, 25),
            "T-000004 Servicezeit 60 Min.",
            D("1.000"),
            "h",
            D("160.00"),
            D("160.00"),
        )
    ]
    # The scheduled run of 1 February never happened; the March run catches up.
    app.config["FROZEN_NOW"] = zurich_morning(date(2027, 3, 1))
    (invoice_id,) = run_period("2027-03").invoice_ids

    invoice = db.session.get(Invoice, invoice_id)
    lines = [(li.kind, li.service_start, li.service_end, li.amount) for li in invoice.lines]
    assert lines == [
        (LineKind.ADVANCE_CREDIT, date(2027, 1, 1), date(2027, 1, 31), D("-129.00")),
        (LineKind.SETTLEMENT, date(2027, 1, 1), date(2027, 1, 19), D("79.06")),
        (LineKind.SETTLEMENT, date(2027, 1, 20), date(2027, 1, 31), D("232.26")),
        (LineKind.SETTLEMENT, date(2027, 2, 1), date(2027, 2, 28), D("600.00")),
        (LineKind.ADVANCE, date(2027, 3, 1), date(2027, 3, 31), D("600.00")),
        (LineKind.CHARGE, date(2027, 1, 25), date(2027, 1, 25), D("160.00")),
    ]
    assert billed_days(db, contract.id) == {"2027-01": 31, "2027-02": 28, "2027-03": 31}
    assert db.session.scalar(select(func.count()).select_from(BilledCharge)) == 1
    # Run again, and run the skipped month late: nothing more.
    assert run_period("2027-03").invoice_ids == []
    assert run_period("2027-02").invoice_ids == []


def test_the_scheduler_catches_up_months_it_missed_oldest_first(app, db, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2027-01"
    setup.site_with_contract("pro", date(2027, 1, 1))
    app.config["FROZEN_NOW"] = zurich_morning(date(2027, 1, 1))
    assert monthly_run() == ["2027-01"]
    # The server was down from 31 January to 3 March.
    app.config["FROZEN_NOW"] = zurich_morning(date(2027, 3, 3))
    assert monthly_run() == ["2027-02", "2027-03"]
    assert monthly_run() == []
    runs = db.session.scalars(select(InvoiceRun).order_by(InvoiceRun.id)).all()
    assert [(r.period, r.catch_up, r.status) for r in runs] == [
        ("2027-01", False, "finished"),
        ("2027-02", True, "finished"),
        ("2027-03", True, "finished"),  # due on the 1st, made on the 3rd
    ]


def test_the_run_page_says_which_runs_caught_up_a_missed_month(app, db, setup, client, factories):
    from tests.factories import login

    app.config["INVOICING_FIRST_PERIOD"] = "2027-01"
    setup.site_with_contract("pro", date(2027, 1, 1))
    app.config["FROZEN_NOW"] = zurich_morning(date(2027, 2, 2))
    assert monthly_run() == ["2027-01", "2027-02"]
    login(client, factories.user("finance"))
    page = client.get("/invoicing/run").get_data(as_text=True)
    assert page.count(">nachgeholt<") == 2
    run = db.session.scalars(select(InvoiceRun).order_by(InvoiceRun.id)).first()
    status = client.get(f"/invoicing/runs/{run.id}").get_data(as_text=True)
    assert "nachgeholt" in status


def test_a_draft_another_run_built_on_cannot_be_discarded_first(app, db, setup):
    from app.errors import RuleViolation
    from plugins.invoicing.issuing import discard_draft

    app.config["INVOICING_FIRST_PERIOD"] = "2027-01"
    _, _, contract = setup.site_with_contract("pro", date(2027, 1, 1))
    app.config["FROZEN_NOW"] = zurich_morning(date(2027, 1, 1))
    (january,) = run_period("2027-01").invoice_ids
    setup.change_tier(contract, "premium", date(2027, 1, 20))
    app.config["FROZEN_NOW"] = zurich_morning(date(2027, 2, 1))
    (february,) = run_period("2027-02").invoice_ids
    with pytest.raises(RuleViolation, match="verwerfen Sie zuerst jenen"):
        discard_draft(january)
    db.session.rollback()
    discard_draft(february)
    discard_draft(january)
    db.session.commit()
    assert run_period("2027-02").invoice_ids  # all of it billed again, once
    assert billed_days(db, contract.id) == {"2027-01": 31, "2027-02": 28}


# --- the property: any order of runs, any tier changes ---------------------------------

YEAR = 2027
TIERS = ("basic_plus", "pro", "pro_plus", "premium")  # all priced: every day is a line


def _reset(db) -> None:
    for model in (
        BilledMonth,
        BilledCharge,
        InvoiceLine,
        Invoice,
        InvoiceRun,
        ContractTierPeriod,
        Contract,
        AuditEntry,
    ):
        db.session.execute(delete(model))
    db.session.commit()


changes = st.lists(
    st.tuples(st.dates(date(YEAR, 1, 2), date(YEAR, 12, 31)), st.sampled_from(TIERS)),
    max_size=4,
    unique_by=lambda change: change[0],
)
runs = st.lists(st.integers(1, 12), min_size=1, max_size=5, unique=True)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first_tier=st.sampled_from(TIERS), tier_changes=changes, months=runs)
def test_any_order_of_runs_bills_each_day_in_force_exactly_once(
    app, db, setup, first_tier, tier_changes, months
):
    _reset(db)
    app.config["INVOICING_FIRST_PERIOD"] = f"{YEAR}-01"
    site = setup.site(setup.customer())
    contract = setup.contract(site, first_tier, date(YEAR, 1, 1))
    for day, tier in sorted(tier_changes):
        setup.change_tier(contract, tier, day)
    # All runs made after the year, in the drawn order (any order of periods).
    app.config["FROZEN_NOW"] = zurich_morning(date(YEAR + 1, 1, 15))
    for month in months:
        assert run_period(f"{YEAR}-{month:02d}").failures == []

    tiers = {t.id: t.code for t in db.session.scalars(select(Tier))}
    periods = db.session.scalars(
        select(ContractTierPeriod)
        .where(ContractTierPeriod.contract_id == contract.id)
        .order_by(ContractTierPeriod.first_day)
    ).all()
    last = max(months)
    expected_days, expected_amounts = {}, {}
    prices = catalog_prices()
    for number in range(1, last + 1):
        month = Month(YEAR, number)
        spans = []
        for period in periods:
            first = max(period.first_day, month.first_day)
            end = min(period.last_day or date.max, month.last_day)
            if first <= end:
                spans.append(
                    TierSpan(
                        contract.id, site.customer_id, site.id, tiers[period.tier_id], first, end
                    )
                )
        expected_days[month.label] = calendar.monthrange(YEAR, number)[1]
        expected_amounts[month.label] = sum(
            (segment.amount for segment in price_spans(spans, prices)), D("0.00")
        )
    assert billed_days(db, contract.id) == expected_days
    assert billed_amounts(db, contract.id) == expected_amounts
