"""Credits of charges (BillableCharge.credits_reference): a credit of a charge already on
an issued invoice is a credit note that references that invoice, issued once by the run;
a credit of a charge not yet billed, or only on a draft, is a line of the next invoice
(SPEC 4 Fast Lane credit, SPEC 5 corrections are credit notes)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.hooks import BillableCharge
from plugins.invoicing.credit_notes import create_credit_note
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import BilledCharge, Invoice
from plugins.invoicing.planning import plan_period

D = Decimal
JANUARY_RUN = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
SOURCE = "servicedesk"


def fee(customer, site, day=date(2026, 11, 24)) -> BillableCharge:
    return BillableCharge(
        SOURCE,
        "ticket:9:fast_lane",
        customer.id,
        site.id,
        day,
        "T-9 Fast Lane fee",
        D("1.000"),
        "pc",
        D("250.00"),
        D("250.00"),
    )


def credit(customer, site, day=date(2026, 12, 3)) -> BillableCharge:
    return BillableCharge(
        SOURCE,
        "ticket:9:fast_lane_credit",
        customer.id,
        site.id,
        day,
        "T-9 credit of the Fast Lane fee (ticket:9:fast_lane): CLA upgrade signed 03.12.2026",
        D("1.000"),
        "pc",
        D("-250.00"),
        D("-250.00"),
        credits_reference="ticket:9:fast_lane",
    )


@pytest.fixture
def basic_site(app, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    # basic costs 0.00: the invoices hold only the charges.
    customer, site, _ = setup.site_with_contract("basic", date(2026, 1, 1))
    return customer, site


def notes(db) -> list[Invoice]:
    db.session.expire_all()
    return db.session.scalars(
        select(Invoice).where(Invoice.kind == "credit_note").order_by(Invoice.id)
    ).all()


def invoice_of(db, period: str) -> Invoice:
    db.session.expire_all()
    (invoice,) = db.session.scalars(
        select(Invoice).where(Invoice.kind == "invoice", Invoice.period == period)
    ).all()
    return invoice


def charge_refs(invoice: Invoice) -> list[tuple[str, Decimal]]:
    return [(line.reference, line.amount) for line in invoice.lines if line.kind == "charge"]


def test_credit_of_a_charge_on_an_issued_invoice_is_a_credit_note_once(
    app, db, basic_site, charge_source
):
    customer, site = basic_site
    charge_source.charges = [fee(customer, site)]
    run_period("2026-12", issue=True)
    december = invoice_of(db, "2026-12")
    assert december.number and december.payable == D("270.25")  # 250.00 + 20.25

    charge_source.charges.append(credit(customer, site))
    app.config["FROZEN_NOW"] = JANUARY_RUN
    # A run without --issue makes drafts of its invoices but issues the credit note.
    result = run_period("2027-01")
    assert result.invoice_ids == []  # nothing else to bill: no invoice of -250.00
    (note,) = notes(db)
    assert result.credit_note_ids == [note.id]
    assert result.credit_note_numbers == ["GS-2027-000001"] == [note.number]
    assert note.status == "issued" and note.credited_invoice_id == december.id
    assert note.pdf is not None
    assert [(li.reference, li.amount, li.vat_rate, li.credited_line_id) for li in note.lines] == [
        ("ticket:9:fast_lane", D("-250.00"), D("8.1"), december.lines[0].id)
    ]
    assert (note.total_net, note.total_vat, note.payable) == (
        D("-250.00"),
        D("-20.25"),
        D("-270.25"),
    )
    assert note.reason.startswith("T-9 credit of the Fast Lane fee")
    # The December invoice is settled by the credit: nothing left to pay.
    december = invoice_of(db, "2026-12")
    assert december.amount_credited == D("270.25") and december.open_amount == D("0.00")
    # The credit is billed (on the credit note) and reported to its source.
    ledger = db.session.scalar(
        select(BilledCharge).where(BilledCharge.reference == "ticket:9:fast_lane_credit")
    )
    assert ledger.invoice_id == note.id
    assert [(e.source, e.references, e.invoice_id) for e in charge_source.billed][-1] == (
        SOURCE,
        ("ticket:9:fast_lane_credit",),
        note.id,
    )

    # Repeated runs (and the preview) credit nothing twice.
    assert plan_period("2027-01").charge_credits == []
    again = run_period("2027-01", issue=True)
    assert again.credit_note_ids == [] and again.invoice_ids == [] and not again.failures
    assert len(notes(db)) == 1


def test_credit_of_a_charge_on_a_draft_stays_a_line_of_the_next_invoice(
    app, db, basic_site, charge_source
):
    customer, site = basic_site
    charge_source.charges = [fee(customer, site)]
    run_period("2026-12")  # drafts: the fee is on a draft, finance has not issued it
    assert invoice_of(db, "2026-12").status == "draft"

    charge_source.charges.append(credit(customer, site))
    app.config["FROZEN_NOW"] = JANUARY_RUN
    result = run_period("2027-01")
    assert result.credit_note_ids == []  # none issued by the run for an invoiced charge
    # January holds only the credit: less than nothing, so a draft credit note that
    # credits no invoice (it becomes credit balance), never a negative invoice.
    (january,) = notes(db)
    assert january.status == "draft" and january.credited_invoice_id is None
    assert charge_refs(january) == [("ticket:9:fast_lane_credit", D("-250.00"))]


def test_credit_of_a_charge_not_yet_invoiced_is_a_credit_line(app, db, basic_site, charge_source):
    customer, site = basic_site
    # Fee and credit in the same month: both on the December invoice, no credit note.
    charge_source.charges = [fee(customer, site), credit(customer, site, date(2026, 11, 26))]
    result = run_period("2026-12", issue=True)
    assert result.credit_note_ids == [] and notes(db) == []
    december = invoice_of(db, "2026-12")
    assert charge_refs(december) == [
        ("ticket:9:fast_lane", D("250.00")),
        ("ticket:9:fast_lane_credit", D("-250.00")),
    ]
    assert december.payable == D("0.00")


def test_a_credit_finance_already_gave_by_hand_is_reported_not_credited_twice(
    app, db, basic_site, charge_source
):
    customer, site = basic_site
    charge_source.charges = [fee(customer, site)]
    run_period("2026-12", issue=True)
    december = invoice_of(db, "2026-12")
    create_credit_note(december.id, "goodwill: Fast Lane fee waived")
    db.session.commit()

    charge_source.charges.append(credit(customer, site))
    app.config["FROZEN_NOW"] = JANUARY_RUN
    result = run_period("2027-01")
    assert result.credit_note_ids == []
    (failure,) = result.failures
    assert "ticket:9:fast_lane_credit" in failure.reason and "gutgeschrieben werden" in (
        failure.reason
    )
    assert len(notes(db)) == 1  # finance's own
    assert (
        db.session.scalar(
            select(BilledCharge).where(BilledCharge.reference == "ticket:9:fast_lane_credit")
        )
        is None
    )


@pytest.mark.postgres_only
def test_two_runs_at_once_issue_one_credit_note(app, db, basic_site, charge_source, plan_together):
    import threading

    customer, site = basic_site
    charge_source.charges = [fee(customer, site)]
    run_period("2026-12", issue=True)
    charge_source.charges.append(credit(customer, site))
    app.config["FROZEN_NOW"] = JANUARY_RUN

    results, errors = [], []

    def run():
        with app.app_context():
            from app.database import db as thread_db

            try:
                results.append(run_period("2027-01"))
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
    assert sorted(len(result.credit_note_ids) for result in results) == [0, 1]
    # The slower run found both billed: the credit, and January's (free) basic advance.
    assert sum(result.conflicts for result in results) == 2
    (note,) = notes(db)
    assert note.number == "GS-2027-000001" and note.payable == D("-270.25")
    assert invoice_of(db, "2026-12").amount_credited == D("270.25")
