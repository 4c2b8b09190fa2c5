"""Gap-free numbers per year assigned at issue, concurrency-safe; issued invoices are frozen."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import RuleViolation
from plugins.invoicing.issuing import issue_invoice
from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import ImmutableInvoice, Invoice
from plugins.invoicing.numbering import next_number
from plugins.invoicing.qr_reference import parse_qr_reference

D = Decimal


def drafts_for(setup, count, tier="pro"):
    for _ in range(count):
        setup.site_with_contract(tier, date(2026, 12, 1))
    return run_period("2026-12").invoice_ids


def test_numbers_are_assigned_at_issue_in_sequence_per_year(app, db, setup):
    ids = drafts_for(setup, 3)
    assert all(db.session.get(Invoice, i).number is None for i in ids)

    result = issue_invoices(ids, processes=1)

    assert result.issued_numbers == ["2026-000001", "2026-000002", "2026-000003"]
    invoice = db.session.get(Invoice, ids[0])
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 12, 1), date(2026, 12, 31))
    assert parse_qr_reference(invoice.qr_reference).sequence == 1


def test_a_new_year_starts_again_at_one(app, db, setup):
    (first,) = drafts_for(setup, 1)
    issue_invoice(first)
    db.session.commit()
    app.config["FROZEN_NOW"] = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
    setup.site_with_contract("pro", date(2027, 1, 1))
    second = run_period("2027-01").invoice_ids[0]
    assert issue_invoice(second).number == "2027-000001"


def test_a_rolled_back_issue_leaves_no_gap(db, setup):
    first, second = drafts_for(setup, 2)
    issue_invoice(first)
    db.session.rollback()  # e.g. the PDF or the commit failed
    assert issue_invoice(second).number == "2026-000001"


def test_credit_notes_have_their_own_series():
    from plugins.invoicing.numbering import CREDIT_NOTE_SERIES, format_number

    assert format_number(CREDIT_NOTE_SERIES, 2026, 12) == "GS-2026-000012"


def test_issuing_twice_is_refused(db, setup):
    (invoice_id,) = drafts_for(setup, 1)
    issue_invoice(invoice_id)
    db.session.commit()
    with pytest.raises(RuleViolation, match="bereits ausgestellt"):
        issue_invoice(invoice_id)


def test_an_issued_invoice_cannot_change(db, setup):
    (invoice_id,) = drafts_for(setup, 1)
    issue_invoice(invoice_id)
    db.session.commit()
    invoice = db.session.get(Invoice, invoice_id)

    invoice.total_net = D("1.00")
    with pytest.raises(ImmutableInvoice):
        db.session.flush()
    db.session.rollback()

    invoice.lines[0].amount = D("1.00")
    with pytest.raises(ImmutableInvoice):
        db.session.flush()
    db.session.rollback()

    db.session.delete(invoice)
    with pytest.raises(ImmutableInvoice):
        db.session.flush()
    db.session.rollback()


def test_a_draft_can_still_be_corrected(db, setup):
    (invoice_id,) = drafts_for(setup, 1)
    invoice = db.session.get(Invoice, invoice_id)
    invoice.lines[0].description = "winCall pro (corrected)"
    db.session.commit()  # the immutability guard lets a draft change
    db.session.expire_all()
    assert db.session.get(Invoice, invoice_id).lines[0].description == "winCall pro (corrected)"


def _in_threads(app, count, work):
    barrier = threading.Barrier(count)
    errors = []
    results = [None] * count

    def runner(index):
        with app.app_context():
            from app.database import db

            try:
                barrier.wait()
                results[index] = work(index)
            except Exception as error:  # collected and asserted by the test
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.postgres_only
def test_concurrent_issuing_on_postgresql_gives_gap_free_unique_numbers(app, db, setup):
    ids = drafts_for(setup, 24)
    db.session.commit()
    per_thread = [ids[i::4] for i in range(4)]

    def work(index):
        from app.database import db as session_db

        numbers = []
        for invoice_id in per_thread[index]:
            numbers.append(issue_invoice(invoice_id).number)
            session_db.session.commit()
        return numbers

    results, errors = _in_threads(app, 4, work)

    assert errors == []
    numbers = sorted(n for chunk in results for n in chunk)
    assert numbers == [f"2026-{n:06d}" for n in range(1, 25)]


@pytest.mark.postgres_only
def test_the_same_draft_issued_by_two_people_at_once_gets_one_number(app, db, setup):
    (invoice_id,) = drafts_for(setup, 1)

    def work(index):
        from app.database import db as session_db

        number = issue_invoice(invoice_id).number
        session_db.session.commit()
        return number

    results, errors = _in_threads(app, 2, work)

    assert [r for r in results if r] == ["2026-000001"]
    assert len(errors) == 1 and "bereits ausgestellt" in str(errors[0])
    db.session.expire_all()
    assert (
        db.session.scalar(select(Invoice.number).where(Invoice.id == invoice_id)) == "2026-000001"
    )
    assert next_number("RE", 2026)[0] == 2  # the loser took no number


def test_issuing_leaves_an_audit_trail_with_the_actor(db, setup):
    from app.models import AuditEntry

    (invoice_id,) = drafts_for(setup, 1)
    issue_invoices([invoice_id], actor="finance@example.ch (finance)", processes=1)
    entries = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.table_name == "invoicing_invoice", AuditEntry.action == "update"
        )
    ).all()
    issued = [e for e in entries if "number" in e.changes]
    assert issued and issued[0].actor == "finance@example.ch (finance)"
    assert issued[0].changes["status"] == ["draft", "issued"]
    assert all(e.changes.get("pdf", ["***"])[-1] in ("***", None) for e in entries)


def test_what_the_qr_bill_refuses_is_refused_before_a_number_is_taken(app, db, setup):
    from app.models import Customer

    ids = drafts_for(setup, 3)
    broken = db.session.get(Invoice, ids[1])
    # An address saved before country codes were checked: the QR-bill refuses it.
    db.session.execute(
        Customer.__table__.update().where(Customer.id == broken.customer_id).values(country="YK")
    )
    db.session.commit()

    result = issue_invoices(ids, processes=1)

    # The other two are issued without a gap in the numbers; the broken one is still a
    # draft, with the reason, and nothing was stored half-issued.
    assert result.issued_numbers == ["2026-000001", "2026-000002"]
    (failure,) = result.failures
    assert "YK" in failure.reason and "QR" in failure.reason
    db.session.expire_all()
    broken = db.session.get(Invoice, ids[1])
    assert (broken.status, broken.number, broken.pdf) == ("draft", None, None)
    issued = [db.session.get(Invoice, i) for i in (ids[0], ids[2])]
    assert [i.number for i in issued] == ["2026-000001", "2026-000002"]
    assert all(i.pdf.startswith(b"%PDF") for i in issued)
