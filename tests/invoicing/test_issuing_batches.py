"""Issuing works in batches: a transaction numbers many drafts (their rows, lines,
customers and credit balances read together, each series' numbers taken as one block),
and another stores many PDFs and queues their e-mails. What one draft or one mail would
refuse is refused for that one only; the rest of its batch goes on."""

from datetime import UTC, date, datetime
from decimal import Decimal

from app.models import Customer
from plugins.invoicing.account import credit_applied, credit_balance
from plugins.invoicing.documents import invoice_html
from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice
from plugins.invoicing.payments import record_payment
from tests.statements import recorded_statements

D = Decimal


def _drafts(setup, count: int) -> list[int]:
    for _ in range(count):
        setup.site_with_contract("pro", date(2026, 12, 1))
    return run_period("2026-12").invoice_ids


def test_issuing_costs_a_few_statements_per_draft_not_dozens(db, setup, sent_mail):
    # Issuing one draft at a time took 31 statements per draft (lock, re-reads, number,
    # credit balance, PDF, outbox, delivery); in batches each further draft adds a few.
    ids = _drafts(setup, 14)
    counts = []
    for chosen in (ids[:4], ids[4:]):
        with recorded_statements(db.engine) as statements:
            result = issue_invoices(chosen, processes=1)
        assert len(result.issued_numbers) == len(chosen) and not result.failures
        counts.append(len(statements))
    assert len(sent_mail) == 14
    per_further_draft = (counts[1] - counts[0]) / 6
    assert per_further_draft <= 6, counts


def test_a_refused_draft_keeps_its_data_and_the_rest_of_its_batch_is_issued(db, setup):
    ids = _drafts(setup, 3)
    refused = db.session.get(Invoice, ids[1])
    address = (refused.bill_to_country, refused.bill_to_postal_code)
    # An address saved before addresses were checked: the QR-bill cannot take it.
    db.session.execute(
        Customer.__table__.update()
        .where(Customer.id == refused.customer_id)
        .values(country="XK", postal_code="10000")
    )
    db.session.commit()

    result = issue_invoices(ids, processes=1)

    assert result.issued_numbers == ["2026-000001", "2026-000002"]
    (failure,) = result.failures
    assert (failure.step, failure.subject) == ("issuing", f"#{ids[1]}") and "XK" in failure.detail
    db.session.expire_all()
    refused = db.session.get(Invoice, ids[1])
    assert (refused.status, refused.number, refused.pdf) == ("draft", None, None)
    # The address the checks refused was never written on the draft.
    assert (refused.bill_to_country, refused.bill_to_postal_code) == address
    numbers = [db.session.get(Invoice, i).number for i in (ids[0], ids[2])]
    assert numbers == ["2026-000001", "2026-000002"]


def test_invoices_of_one_customer_issued_together_use_its_credit_in_turn(app, db, setup):
    """Premium: 600.00 + 8.1 % VAT = 648.60 per site and month."""
    customer, _, _ = setup.site_with_contract("premium", date(2026, 12, 1))
    (december_id,) = run_period("2026-12").invoice_ids
    issue_invoices([december_id], processes=1)
    december = db.session.get(Invoice, december_id)
    record_payment(december.id, D("1500.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()
    assert credit_balance(customer.id) == D("851.40")
    setup.contract(setup.site(customer), "premium", date(2027, 1, 1))

    app.config["FROZEN_NOW"] = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    first, second = sorted(run_period("2027-01").invoice_ids)
    result = issue_invoices([first, second], processes=1)

    assert len(result.issued_numbers) == 2 and not result.failures
    first, second = db.session.get(Invoice, first), db.session.get(Invoice, second)
    assert [p.amount for p in credit_applied(first)] == [D("648.60")]
    assert [p.amount for p in credit_applied(second)] == [D("202.80")]  # 851.40 - 648.60
    assert (first.status, second.open_amount) == ("paid", D("445.80"))
    assert credit_balance(customer.id) == D("0.00")
    assert "durch Ihr Guthaben beglichen" in invoice_html(first)
    page = invoice_html(second)
    assert f"Guthaben aus {december.number}" in page and "445.80" in page


def test_a_mail_that_cannot_be_queued_stops_only_its_own(db, setup, sent_mail):
    ids = _drafts(setup, 3)
    unreachable = db.session.get(Invoice, ids[1])
    db.session.execute(
        Customer.__table__.update()
        .where(Customer.id == unreachable.customer_id)
        .values(billing_email="no address")
    )
    db.session.commit()

    result = issue_invoices(ids, processes=1)

    assert len(result.issued_numbers) == 3
    (failure,) = result.failures
    assert (failure.step, failure.subject) == ("mail", "2026-000002")
    assert "invalid recipients" in failure.detail
    db.session.expire_all()
    assert all(db.session.get(Invoice, i).pdf for i in ids)  # every PDF is stored
    assert sorted(mail.subject for mail in sent_mail) == [
        "Rechnung 2026-000001",
        "Rechnung 2026-000003",
    ]
