"""The invoice PDF: rendered once at issue, stored, readable; QR-bill payment part included."""

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice
from plugins.invoicing.qr_reference import format_qr_reference, qr_reference_for
from tests.statements import recorded_statements


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def issued(db, setup, language="de", **customer_fields):
    customer = setup.customer(language=language, legal_name="Muster Treuhand AG", **customer_fields)
    setup.contract(setup.site(customer, name="Hauptsitz Baden"), "pro", date(2026, 11, 10))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    return db.session.get(Invoice, invoice_id)


@pytest.fixture(autouse=True)
def _billing_since_november(app):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"


def test_pdf_is_rendered_once_at_issue_and_stored(db, setup):
    invoice = issued(db, setup)
    assert invoice.pdf.startswith(b"%PDF")
    assert invoice.pdf_rendered_at is not None
    stored = invoice.pdf
    from plugins.invoicing.jobs import render_and_mail

    render_and_mail([invoice.id])  # a second rendering never replaces the stored one
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).pdf == stored


def test_pdf_text_has_number_totals_lines_per_site_and_qr_reference(db, setup):
    invoice = issued(db, setup)
    text = "\n".join(pdf_pages(invoice.pdf))

    assert "Rechnung 2026-000001" in text
    assert "Muster Treuhand AG" in text
    assert "Winet Voicetec Solutions AG" in text and "Täfernstrasse 31" in text
    assert "Standort: Hauptsitz Baden" in text
    assert "90.30" in text and "129.00" in text  # settlement of November, December advance
    assert "219.30" in text  # net
    assert "17.76" in text  # 8.1 % VAT
    assert "237.06" in text and "-0.01" in text  # gross and the rounding line
    assert "Rundungsdifferenz" in text
    assert "237.05" in text  # payable
    assert "Zahlbar innert 30 Tagen netto, bis 31.12.2026" in text
    assert "http://testserver/invoicing/pay/" in text
    assert format_qr_reference(qr_reference_for("2026-000001")) in text


def test_last_page_holds_the_qr_bill_payment_part(db, setup):
    invoice = issued(db, setup)
    last = pdf_pages(invoice.pdf)[-1]
    assert "Zahlteil" in last and "Empfangsschein" in last
    assert "CH44 3199 9123 0008 8901 2" in last
    assert format_qr_reference(invoice.qr_reference) in last
    assert "237.05" in last


def test_creditor_and_letterhead_come_from_the_company_data(db, setup):
    from app.company import stored_company

    company = stored_company()
    company.qr_iban, company.uid = "CH2130808001234567827", "CHE-999.999.996"
    company.legal_name = "Winet Schwesterfirma AG"
    db.session.commit()
    invoice = issued(db, setup)
    pages = pdf_pages(invoice.pdf)
    assert "Winet Schwesterfirma AG" in pages[0] and "CHE-999.999.996 MWST" in pages[0]
    assert "CH21 3080 8001 2345 6782 7" in pages[-1]
    assert "Winet Schwesterfirma AG" in pages[-1]


def test_the_environment_wins_over_the_stored_qr_iban(db, setup, monkeypatch):
    monkeypatch.setenv("WINET_COMPANY_QR_IBAN", "CH21 3080 8001 2345 6782 7")
    invoice = issued(db, setup)
    assert "CH21 3080 8001 2345 6782 7" in pdf_pages(invoice.pdf)[-1]


def test_english_customer_gets_an_english_invoice(db, setup):
    invoice = issued(db, setup, language="en")
    pages = pdf_pages(invoice.pdf)
    text = "\n".join(pages)
    assert "Invoice 2026-000001" in text
    assert "Rounding difference" in text
    assert "Payment part" in pages[-1] and "Receipt" in pages[-1]


def test_a_draft_renders_a_preview_without_payment_part(db, setup):
    from plugins.invoicing.documents import render_invoice_pdf

    customer = setup.customer()
    setup.contract(setup.site(customer), "pro", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    pages = pdf_pages(render_invoice_pdf(db.session.get(Invoice, invoice_id)))
    assert "Zahlteil" not in pages[-1]
    assert db.session.get(Invoice, invoice_id).pdf is None


def test_total_needing_rounding_down_shows_the_rounding_line(db, setup):
    invoice = issued(db, setup)
    assert invoice.total_gross - invoice.payable == Decimal("0.01")


def test_issuing_many_renders_their_pdfs_over_worker_processes(db, setup):
    for _ in range(3):
        setup.site_with_contract("pro", date(2026, 12, 1))
    ids = run_period("2026-12").invoice_ids
    result = issue_invoices(ids, processes=2)
    assert len(result.issued_numbers) == 3
    for invoice_id in ids:
        invoice = db.session.get(Invoice, invoice_id)
        pages = pdf_pages(invoice.pdf)
        assert len(pages) == 1  # the invoice with its payment part at the bottom
        assert invoice.number in pages[0] and "Zahlteil" in pages[0]


def test_the_pool_renders_the_first_invoices_while_the_next_drafts_get_their_numbers(
    app, db, setup, monkeypatch
):
    from plugins.invoicing import jobs, rendering

    for _ in range(rendering.IN_FLIGHT * 2 + 3):
        setup.site_with_contract("pro", date(2026, 12, 1))
    ids = run_period("2026-12").invoice_ids
    monkeypatch.setitem(app.config, "INVOICING_ISSUE_BATCH", 2)
    steps = []
    numbered, stored = jobs.issue_drafts, jobs.store_pdfs

    def numbering(invoice_ids, **kwargs):
        steps.extend(("number", invoice_id) for invoice_id in invoice_ids)
        return numbered(invoice_ids, **kwargs)

    def storing(rendered):
        rendered = list(rendered)
        steps.extend(("store", invoice_id) for invoice_id, _ in rendered)
        return stored(rendered)

    monkeypatch.setattr(jobs, "issue_drafts", numbering)
    monkeypatch.setattr(jobs, "store_pdfs", storing)
    result = issue_invoices(ids, processes=2)

    assert len(result.issued_numbers) == len(ids)
    assert sorted(i for step, i in steps if step == "store") == sorted(ids)
    # A PDF was stored before the last draft got its number (and every PDF after its own).
    last_number = max(at for at, (step, _) in enumerate(steps) if step == "number")
    first_store = min(at for at, (step, _) in enumerate(steps) if step == "store")
    assert first_store < last_number
    for invoice_id in ids:
        assert steps.index(("number", invoice_id)) < steps.index(("store", invoice_id))
        assert db.session.get(Invoice, invoice_id).pdf_rendered_at is not None


def test_a_draft_whose_page_cannot_be_built_takes_no_number(db, setup, monkeypatch):
    from plugins.invoicing import jobs

    for _ in range(2):
        setup.site_with_contract("pro", date(2026, 12, 1))
    broken, fine = run_period("2026-12").invoice_ids
    built = jobs.invoice_html

    def page(invoice):
        if invoice.id == broken:
            raise ValueError("the template cannot be rendered")
        return built(invoice)

    monkeypatch.setattr(jobs, "invoice_html", page)
    result = issue_invoices([broken, fine], processes=1)

    (failure,) = result.failures
    assert (failure.step, failure.subject) == ("issuing", f"#{broken}")
    assert failure.detail == "ValueError: the template cannot be rendered"
    assert db.session.get(Invoice, broken).status == "draft"
    assert db.session.get(Invoice, broken).number is None
    # The number the broken draft would have had went to the next one: no gap.
    (number,) = result.issued_numbers
    assert number.endswith("000001") and db.session.get(Invoice, fine).number == number


def test_issuing_attaches_the_pdf_to_the_mail_without_reading_it_back(db, setup, sent_mail):
    setup.site_with_contract("pro", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    with recorded_statements(db.engine) as statements:
        issue_invoices([invoice_id], processes=1)
    assert [s for s in statements if s.lstrip().startswith("SELECT invoicing_invoice.pdf ")] == []
    (mail,) = sent_mail
    assert mail.attachments[0].content == db.session.get(Invoice, invoice_id).pdf
