"""Issuing checks the customer's address before it takes a number: a country ISO 3166
does not know (the QR-bill library takes XK) or a postal code that cannot be Swiss or
Liechtenstein's leaves the draft a draft, and the numbers run on without a gap."""

from datetime import date

import pytest

from app.models import Customer
from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice


@pytest.mark.parametrize(
    ("country", "postal_code"), [("XK", "10000"), ("CH", "12"), ("LI", "8000"), ("CH", "54OO")]
)
def test_an_unprintable_address_keeps_the_draft_and_leaves_no_gap(db, setup, country, postal_code):
    for _ in range(3):
        setup.site_with_contract("pro", date(2026, 12, 1))
    ids = run_period("2026-12").invoice_ids
    broken = db.session.get(Invoice, ids[1])
    # Saved before addresses were checked (straight into the table).
    db.session.execute(
        Customer.__table__.update()
        .where(Customer.id == broken.customer_id)
        .values(country=country, postal_code=postal_code)
    )
    db.session.commit()

    result = issue_invoices(ids, processes=1)

    assert result.issued_numbers == ["2026-000001", "2026-000002"]
    (failure,) = result.failures
    assert postal_code in failure.reason or country in failure.reason
    db.session.expire_all()
    broken = db.session.get(Invoice, ids[1])
    assert (broken.status, broken.number, broken.pdf) == ("draft", None, None)
