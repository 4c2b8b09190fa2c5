"""Finance sees the e-mail a customer gets before it is sent: the invoice before it is
issued, the reminder before the dunning run. The preview is the e-mail then sent, word for
word, and the preview page writes nothing."""

import html
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from plugins.invoicing.jobs import issue_invoices, run_period, send_reminders
from plugins.invoicing.models import Invoice, Reminder
from tests.factories import login
from tests.statements import recorded_statements


def shown(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)</(?:dd|pre)>', page, re.S)
    assert found, f"#{element_id} not on the page"
    return html.unescape(found.group(1))


def writes(statements: list[str]) -> list[str]:
    """The INSERT/UPDATE/DELETE statements among `statements`."""
    return [
        s
        for s in statements
        if s.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


@pytest.fixture
def finance(client, factories):
    login(client, factories.user("finance"))
    return client


def test_the_invoice_preview_is_the_mail_issuing_sends(db, setup, finance, sent_mail):
    setup.site_with_contract("pro", date(2026, 12, 1), language="fr")
    (invoice_id,) = run_period("2026-12").invoice_ids
    detail = finance.get(f"/invoicing/invoices/{invoice_id}").get_data(as_text=True)
    assert f"/invoicing/invoices/{invoice_id}/issue" in detail

    with recorded_statements(db.engine) as statements:
        response = finance.get(f"/invoicing/invoices/{invoice_id}/issue")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert writes(statements) == []
    assert db.session.get(Invoice, invoice_id).status == "draft"
    assert sent_mail == []

    finance.post(f"/invoicing/invoices/{invoice_id}/issue")
    (mail,) = sent_mail
    assert mail.subject == shown(page, "preview-subject") == "Facture 2026-000001"
    assert mail.body == shown(page, "preview-body")
    assert "CHF 139.45" in mail.body and "31.12.2026" in mail.body
    assert mail.to == (shown(page, "preview-to"),)
    assert "2026-000001.pdf" in page


def test_an_issued_invoice_has_no_issue_preview(db, setup, finance):
    setup.site_with_contract("pro", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    response = finance.get(f"/invoicing/invoices/{invoice_id}/issue", follow_redirects=True)
    assert "bereits ausgestellt" in response.get_data(as_text=True)


def test_the_reminder_preview_is_the_reminder_the_run_sends(app, db, setup, finance, sent_mail):
    setup.site_with_contract("premium", date(2026, 12, 1), language="en")
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    db.session.commit()
    app.config["FROZEN_NOW"] = datetime(2027, 1, 20, 8, 0, tzinfo=UTC)
    dunning = finance.get("/invoicing/dunning").get_data(as_text=True)
    assert f"/invoicing/dunning/invoices/{invoice_id}/reminder" in dunning

    with recorded_statements(db.engine) as statements:
        response = finance.get(f"/invoicing/dunning/invoices/{invoice_id}/reminder")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert writes(statements) == []
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0
    assert 'id="send-now"' not in page  # read only: the dunning run sends

    before = len(sent_mail)
    send_reminders()
    mail = sent_mail[before]
    number = db.session.get(Invoice, invoice_id).number
    assert mail.subject == shown(page, "preview-subject") == f"Reminder 1: invoice {number}"
    assert mail.body == shown(page, "preview-body")
    assert mail.to == (shown(page, "preview-to"),)
    assert f"{number}.pdf" in page and [a.filename for a in mail.attachments][0] in page


def test_a_paid_invoice_has_no_reminder_to_preview(app, db, setup, finance):
    from plugins.invoicing.payments import record_payment

    setup.site_with_contract("premium", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    invoice = db.session.get(Invoice, invoice_id)
    record_payment(invoice_id, invoice.payable, date(2026, 12, 20))
    db.session.commit()
    response = finance.get(f"/invoicing/dunning/invoices/{invoice_id}/reminder")
    assert response.status_code == 302
