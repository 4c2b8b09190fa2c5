"""In production no invoice is issued while the company data holds a placeholder."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from app.company import update_company
from app.errors import RuleViolation
from app.schemas import CompanyIn
from plugins.invoicing.issuing import issue_invoice
from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice
from tests.statements import recorded_statements

REAL = {
    "legal_name": "Winet Voicetec Solutions AG",
    "street": "Täfernstrasse",
    "house_number": "31",
    "postal_code": "5405",
    "town": "Baden-Dättwil",
    "uid": "CHE-999.999.996",
    "qr_iban": "CH21 3080 8001 2345 6782 7",
    "email": "buchhaltung@winet.ch",
    "phone": "+41 56 520 20 00",
    "website": "https://www.winet.ch",
    "public_base_url": "https://erp.winet.ch",
}


@pytest.fixture
def draft(db, setup) -> int:
    setup.site_with_contract("pro", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    return invoice_id


@pytest.fixture
def production(app):
    app.config["WINET_ENV"] = "production"
    with force_locale("en"):
        yield


def test_issuing_in_production_with_the_sample_iban_is_refused_naming_it(db, draft, production):
    update_company(CompanyIn(**{**REAL, "qr_iban": "CH44 3199 9123 0008 8901 2"}))
    db.session.commit()
    with pytest.raises(RuleViolation) as error:
        issue_invoice(draft)
    assert str(error.value) == (
        "No invoice can be issued while the company data holds placeholders: QR-IBAN. "
        "An admin enters the real values on the Company page."
    )
    db.session.rollback()
    invoice = db.session.get(Invoice, draft)
    assert (invoice.status, invoice.number) == ("draft", None)


def test_every_placeholder_is_named(db, draft, production):
    result = issue_invoices([draft], processes=1)
    assert result.issued_numbers == []
    (failure,) = result.failures
    for name in ("UID/MWST number", "QR-IBAN", "E-mail", "Phone", "Website", "Public base URL"):
        assert name in failure.reason


def test_issuing_works_once_the_admin_sets_real_values(db, draft, production):
    assert issue_invoices([draft], processes=1).issued_numbers == []
    update_company(CompanyIn(**REAL))
    db.session.commit()
    result = issue_invoices([draft], processes=1)
    # The refused attempt took no number: the series stays gap-free.
    assert result.issued_numbers == ["2026-000001"] and result.failures == []


def test_outside_production_placeholders_do_not_stop_issuing(app, db, draft):
    assert app.config["WINET_ENV"] != "production"
    assert issue_invoices([draft], processes=1).issued_numbers == ["2026-000001"]


def test_an_issuing_job_reads_the_company_once_for_all_its_documents(app, db, setup):
    for _ in range(3):
        setup.site_with_contract("pro", date(2026, 12, 1))
    drafts = run_period("2026-12").invoice_ids
    assert len(drafts) == 3
    with recorded_statements(db.engine) as statements:
        result = issue_invoices(drafts, processes=1)
    assert len(result.issued_numbers) == 3
    assert (
        len([s for s in statements if "FROM core_company" in s]) == 1
    )  # seven a document before: after every commit, read again
    for invoice_id in drafts:
        assert db.session.get(Invoice, invoice_id).pdf
