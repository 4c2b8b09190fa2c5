"""The monthly run against the database: grouping, settlement, charges, idempotence, failures."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.hooks import BillableCharge
from app.models import Tier, TierVersion
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import BilledMonth, Invoice, InvoiceLine, InvoiceRun
from plugins.invoicing.planning import plan_period
from tests.invoicing.conftest import RUN_DAY

D = Decimal


def invoices(db):
    return db.session.scalars(select(Invoice).order_by(Invoice.id)).all()


def line_amounts(invoice):
    return [(line.kind, line.amount) for line in invoice.lines]


def count_lines(db, contract_id, kind):
    return db.session.scalar(
        select(func.count()).where(InvoiceLine.contract_id == contract_id, InvoiceLine.kind == kind)
    )


def test_run_bills_each_site_in_advance_as_a_draft(db, setup):
    customer, site, contract = setup.site_with_contract("pro", date(2026, 1, 1))
    setup.contract(setup.site(customer), "premium", date(2026, 1, 1))

    result = run_period("2026-12")

    assert result.failures == []
    drafts = invoices(db)
    assert len(drafts) == 2  # one invoice per site by default
    assert {inv.status for inv in drafts} == {"draft"}
    assert all(inv.number is None for inv in drafts)
    by_site = {inv.site_id: inv for inv in drafts}
    pro = by_site[site.id]
    assert pro.period == "2026-12"
    # Nothing says November was billed yet, so it is settled in full (see
    # INVOICING_FIRST_PERIOD for the cut-over from an older system).
    assert line_amounts(pro) == [("settlement", D("129.00")), ("advance", D("129.00"))]


def test_first_period_config_prevents_settling_months_billed_elsewhere(app, db, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-12"
    setup.site_with_contract("pro", date(2026, 1, 1))
    run_period("2026-12")
    (invoice,) = invoices(db)
    assert line_amounts(invoice) == [("advance", D("129.00"))]
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (
        D("129.00"),
        D("10.45"),  # 8.1 % of 129.00 = 10.449
        D("139.45"),
    )
    assert (invoice.payable, invoice.rounding_difference) == (D("139.45"), D("0.00"))


def test_december_run_settles_a_start_on_10_november(app, db, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    setup.site_with_contract("pro", date(2026, 11, 10))

    run_period("2026-12")

    (invoice,) = invoices(db)
    assert line_amounts(invoice) == [("settlement", D("90.30")), ("advance", D("129.00"))]
    assert invoice.total_net == D("219.30")
    assert invoice.total_vat == D("17.76")  # 8.1 % of 219.30 = 17.7633
    assert invoice.total_gross == D("237.06")
    assert (invoice.payable, invoice.rounding_difference) == (D("237.05"), D("-0.01"))


NOVEMBER_RUN_DAY = RUN_DAY - timedelta(days=30)  # 1 November 2026, 07:00 Zurich


def test_upgrade_in_november_is_settled_after_the_november_advance(app, db, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    customer, site, contract = setup.site_with_contract("pro", date(2026, 10, 1))
    app.config["FROZEN_NOW"] = NOVEMBER_RUN_DAY
    run_period("2026-11")  # pro billed in advance for November
    setup.change_tier(contract, "premium", date(2026, 11, 16))

    app.config["FROZEN_NOW"] = RUN_DAY
    run_period("2026-12")

    december = [inv for inv in invoices(db) if inv.period == "2026-12"]
    assert len(december) == 1
    assert line_amounts(december[0]) == [
        ("advance_credit", D("-129.00")),
        ("settlement", D("64.50")),
        ("settlement", D("300.00")),
        ("advance", D("600.00")),
    ]


def test_consolidated_customer_gets_one_invoice_with_a_section_per_site(db, setup):
    customer = setup.customer(invoice_mode="consolidated")
    first, second = setup.site(customer, name="Aarau"), setup.site(customer, name="Baden")
    setup.contract(first, "pro", date(2026, 12, 1))
    setup.contract(second, "basic_plus", date(2026, 12, 1))

    run_period("2026-12")

    (invoice,) = invoices(db)
    assert invoice.consolidated and invoice.site_id is None
    assert [name for name, _ in invoice.sections()] == ["Aarau", "Baden"]
    assert invoice.total_net == D("178.00")


def test_charges_of_the_previous_month_are_billed_in_arrears_once(app, db, setup, charge_source):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    customer, site, _ = setup.site_with_contract("pro", date(2026, 12, 1))
    charge_source.charges = [
        BillableCharge(
            "servicedesk",
            "T-100/1",
            customer.id,
            site.id,
            date(2026, 11, 20),
            "On-site work 1 h",
            D("1"),
            "h",
            D("160.00"),
            D("160.00"),
        ),
        BillableCharge(
            "servicedesk",
            "T-101/1",
            customer.id,
            site.id,
            date(2026, 11, 21),
            "Fast Lane fee",
            D("1"),
            "x",
            D("250.00"),
            D("0.00"),
            zero_rated_reason="base-system fault",
        ),
        BillableCharge(  # December's charge belongs to the January run
            "servicedesk",
            "T-102/1",
            customer.id,
            site.id,
            date(2026, 12, 2),
            "Material",
            D("1"),
            "x",
            D("50.00"),
            D("50.00"),
        ),
    ]

    run_period("2026-12")
    run_period("2026-12")

    (invoice,) = invoices(db)
    charges = [line for line in invoice.lines if line.kind == "charge"]
    assert [(c.reference, c.amount, c.zero_rated_reason) for c in charges] == [
        ("T-100/1", D("160.00"), None),
        ("T-101/1", D("0.00"), "base-system fault"),
    ]
    assert len(charge_source.billed) == 1
    assert charge_source.billed[0].references == ("T-100/1", "T-101/1")
    assert charge_source.billed[0].invoice_id == invoice.id


def test_repeating_the_run_bills_nothing_twice(db, setup):
    for _ in range(3):
        setup.site_with_contract("pro", date(2026, 1, 1))
    first = run_period("2026-12")
    second = run_period("2026-12")

    assert len(first.invoice_ids) == 3
    assert second.invoice_ids == [] and second.failures == []
    assert len(invoices(db)) == 3
    # Per contract: November settled (never billed before), December in advance.
    assert db.session.scalar(select(func.count()).select_from(BilledMonth)) == 6


def test_a_run_killed_halfway_and_started_again_bills_every_contract_once(
    app, db, setup, monkeypatch
):
    contracts = [setup.site_with_contract("pro", date(2026, 12, 1))[2] for _ in range(5)]
    from plugins.invoicing import jobs

    real = jobs.write_invoices
    calls = {"n": 0}

    def dying(plans, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")  # not an Exception: nothing catches it
        return real(plans, **kwargs)

    monkeypatch.setitem(app.config, "INVOICING_BATCH_INVOICES", 1)  # a customer per batch
    monkeypatch.setattr(jobs, "write_invoices", dying)
    with pytest.raises(KeyboardInterrupt):
        run_period("2026-12")
    db.session.rollback()
    assert len(invoices(db)) == 2

    monkeypatch.setattr(jobs, "write_invoices", real)
    result = run_period("2026-12")

    assert len(result.invoice_ids) == 3
    for contract in contracts:
        assert count_lines(db, contract.id, "advance") == 1


def test_one_failing_customer_is_reported_and_the_others_are_invoiced(db, setup):
    good = setup.site_with_contract("pro", date(2026, 12, 1))[0]
    # A tier whose only catalog version starts in 2027: December cannot be priced.
    gold = Tier(code="gold", rank=99)
    db.session.add(gold)
    db.session.flush()
    version = db.session.scalars(select(TierVersion)).first()
    db.session.add(
        TierVersion(
            tier=gold,
            valid_from=date(2026, 1, 1),
            name="gold",
            monthly_price=D("999.00"),
            service_windows=version.service_windows,
            reaction_kind="best_effort",
        )
    )
    db.session.commit()
    bad_customer, bad_site, _ = setup.site_with_contract("gold", date(2026, 12, 1))
    db.session.execute(
        TierVersion.__table__.update()
        .where(TierVersion.tier_id == gold.id)
        .values(valid_from=date(2027, 1, 1))
    )
    db.session.commit()

    result = run_period("2026-12")

    assert [inv.customer_id for inv in invoices(db)] == [good.id]
    (failure,) = result.failures
    assert failure.customer_id == bad_customer.id
    # A rule finance can mend, in words (the job's language), without a Python type.
    assert failure.detail.startswith("Für die Stufe ") and "keinen Katalogpreis" in failure.detail
    run = db.session.get(InvoiceRun, result.run_id)
    assert run.failures[0]["customer_id"] == bad_customer.id


def test_discarding_a_draft_releases_its_items_for_the_next_run(db, setup):
    from plugins.invoicing.issuing import discard_draft

    setup.site_with_contract("pro", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    discard_draft(invoice_id)
    db.session.commit()
    assert invoices(db) == []
    assert len(run_period("2026-12").invoice_ids) == 1


def test_preview_shows_what_the_run_would_bill_and_writes_nothing(db, setup):
    setup.site_with_contract("premium", date(2026, 12, 1))
    plan = plan_period("2026-12")
    assert [p.total_net for p in plan.invoices] == [D("600.00")]
    assert invoices(db) == []


def test_run_with_issue_flag_issues_numbers_directly(db, setup):
    setup.site_with_contract("pro", date(2026, 12, 1))
    setup.site_with_contract("pro", date(2026, 12, 1))
    result = run_period("2026-12", issue=True)
    assert result.failures == []
    assert result.issued_numbers == ["2026-000001", "2026-000002"]
    assert {inv.status for inv in invoices(db)} == {"issued"}


def test_the_scheduler_starts_the_run_once_on_the_first_of_the_month(app, db, setup):
    from datetime import UTC, datetime

    from plugins.invoicing.jobs import monthly_run

    setup.site_with_contract("pro", date(2026, 12, 1))
    assert monthly_run() == ["2026-12"]
    assert monthly_run() == []  # the next hour: already done
    assert len(invoices(db)) == 1 and invoices(db)[0].status == "draft"
    app.config["FROZEN_NOW"] = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert monthly_run() == []
    (run,) = db.session.scalars(select(InvoiceRun)).all()
    assert not run.catch_up  # on time, on the 1st


def test_an_end_in_november_credits_the_november_advance_and_bills_the_days_used(app, db, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    _, _, contract = setup.site_with_contract("premium", date(2026, 10, 1))
    app.config["FROZEN_NOW"] = NOVEMBER_RUN_DAY
    run_period("2026-11")
    setup.end(contract, date(2026, 11, 20))

    app.config["FROZEN_NOW"] = RUN_DAY
    result = run_period("2026-12")

    (invoice_id,) = result.invoice_ids
    invoice = db.session.get(Invoice, invoice_id)
    # 600 x 20/30 = 400.00; nothing is billed in advance for December.
    assert line_amounts(invoice) == [("advance_credit", D("-600.00")), ("settlement", D("400.00"))]
    assert invoice.total_net == D("-200.00")
    assert invoice.payable == D("-216.20")
    # Less than nothing is owed: a credit note (to the credit balance), never a negative invoice.
    assert invoice.kind == "credit_note" and invoice.credited_invoice_id is None


def test_the_discount_agreed_in_the_contract_is_billed_under_the_list_price(db, setup):
    from decimal import Decimal as Dec

    _, _, contract = setup.site_with_contract("premium", date(2026, 12, 1))
    contract.volume_discount_percent = Dec("12.00")  # e.g. accepted from a quote
    db.session.commit()

    run_period("2026-12")

    (invoice,) = invoices(db)
    assert line_amounts(invoice) == [("advance", D("600.00")), ("advance", D("-72.00"))]
    assert invoice.lines[1].unit == "volume_discount"
    assert invoice.total_net == D("528.00")


def test_what_the_charge_source_records_when_told_is_committed(app, db, setup, charge_source):
    from app.models import Tariff
    from app.tariffs import set_tariff

    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    customer, site, _ = setup.site_with_contract("pro", date(2026, 12, 1))
    charge_source.charges = [
        BillableCharge(
            "servicedesk",
            "T-7/1",
            customer.id,
            site.id,
            date(2026, 11, 20),
            "Material",
            D("1"),
            "x",
            D("50.00"),
            D("50.00"),
        )
    ]
    # Like servicedesk's mark_billed: change a row and only flush.
    charge_source.on_billed = lambda event: set_tariff(
        "invoicing.payment_terms_days", date(2030, 1, 1), 45
    )
    run_period("2026-12")
    db.session.rollback()
    assert db.session.scalar(select(Tariff).where(Tariff.valid_from == date(2030, 1, 1)))
