"""Bad input loses nothing on finance's forms: a refused payment or credit note comes back
(422) with what was typed, never with the open amount put back into the amount field."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from plugins.invoicing.models import Invoice, Payment
from tests.factories import login


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _form(page: str, action: str) -> str:
    match = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.S)
    assert match, f"no form posting to {action}"
    return match.group(0)


@pytest.mark.parametrize("amount", ["-5", "abc"])
def test_a_refused_payment_keeps_amount_date_and_note(client, db, factories, invoice, amount):
    login(client, factories.user("finance", language="de"))
    action = f"/invoicing/invoices/{invoice.id}/payments"
    data = {"amount": amount, "received_on": "2026-12-10", "note": "Teilzahlung laut Telefonat"}
    refused = client.post(action, data=data)
    assert refused.status_code == 422
    form = _form(refused.text, action)
    assert f'value="{amount}"' in form and 'value="648.60"' not in form
    assert 'value="2026-12-10"' in form and 'value="Teilzahlung laut Telefonat"' in form
    assert _count(db, Payment) == 0


def test_a_refused_credit_note_keeps_reason_mode_and_amounts(client, db, factories, invoice):
    login(client, factories.user("finance", language="de"))
    (line,) = invoice.lines
    refused = client.post(
        f"/invoicing/invoices/{invoice.id}/credit-note",
        data={"reason": "Kulanz wegen Ausfall", "mode": "partial", f"line_{line.id}": "9999"},
    )
    assert refused.status_code == 422
    page = refused.text
    assert ">Kulanz wegen Ausfall</textarea>" in page
    assert 'value="partial" checked' in page and 'value="full" checked' not in page
    assert f'name="line_{line.id}" size="8" value="9999"' in page
    assert _count(db, Invoice) == 1  # no credit note
