"""Each role's start page shows its numbers and charts (hook dashboard_panels)."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from app.timeutil import ZURICH
from plugins.contracts.quotes import add_line, create_quote, send_quote
from plugins.invoicing.models import Invoice, InvoiceLine, Payment
from plugins.invoicing.vocabulary import InvoiceKind, InvoiceState, LineKind, PaymentMethod
from plugins.servicedesk.dispatch import add_shift
from plugins.servicedesk.models import Ticket
from plugins.servicedesk.vocabulary import Channel, Duty, TicketState
from tests.core.isolated import isolated_client
from tests.factories import login

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZURICH)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": NOW}


@pytest.fixture
def web(app):
    return isolated_client(app)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _panel(page: str, key: str) -> str:
    start = page.index(f'data-panel="{key}"')
    end = page.find("<section", start + 1)
    return page[start : end if end > 0 else len(page)]


def _invoice(customer, site, due, payable, paid="0.00"):
    return Invoice(
        kind=InvoiceKind.INVOICE,
        status=InvoiceState.DRAFT,
        customer_id=customer.id,
        site_id=site.id,
        period="2026-11",
        issue_date=due - timedelta(days=30),
        due_date=due,
        bill_to_name=customer.legal_name,
        bill_to_street="Weg",
        bill_to_postal_code="5400",
        bill_to_town="Baden",
        bill_to_email="a@example.ch",
        payable=Decimal(payable),
        amount_paid=Decimal(paid),
    )


@pytest.fixture
def business(db, factories):
    return make_business(db, factories)


def make_business(db, factories):
    """Two invoices open (one overdue), subscription lines over two months, payments by
    both channels, an open quote, tickets near and past their due time, a roster."""
    customer = factories.customer("Aarebank AG")
    site = factories.site(customer, "Filiale Brugg")
    overdue = _invoice(customer, site, date(2026, 11, 10), "150.00")
    current = _invoice(customer, site, date(2026, 12, 20), "250.00", paid="50.00")
    paid = _invoice(customer, site, date(2026, 10, 20), "100.00", paid="100.00")
    db.session.add_all([overdue, current, paid])
    db.session.flush()
    for invoice, month, tier, amount in (
        (paid, date(2026, 10, 1), "pro", "129.00"),
        (overdue, date(2026, 11, 1), "pro", "129.00"),
        (current, date(2026, 11, 1), "premium", "199.00"),
    ):
        db.session.add(
            InvoiceLine(
                invoice_id=invoice.id,
                position=1,
                kind=LineKind.ADVANCE,
                tier_code=tier,
                description="CLA",
                service_start=month,
                service_end=month + timedelta(days=29),
                quantity=Decimal("1"),
                unit="Monat",
                unit_price=Decimal(amount),
                amount=Decimal(amount),
                vat_rate=Decimal("8.1"),
            )
        )
    # Lines are written while drafts; issued invoices are frozen.
    db.session.flush()
    for invoice, number in ((overdue, 1), (current, 2), (paid, 3)):
        invoice.number = f"2026-{number:06d}"
    overdue.status = current.status = InvoiceState.ISSUED
    paid.status = InvoiceState.PAID
    db.session.add_all(
        [
            Payment(
                invoice_id=paid.id,
                amount=Decimal("100.00"),
                received_on=date(2026, 10, 25),
                method=PaymentMethod.BANK,
            ),
            Payment(
                invoice_id=current.id,
                amount=Decimal("50.00"),
                received_on=date(2026, 11, 5),
                method=PaymentMethod.STRIPE,
            ),
        ]
    )
    manager = factories.user("account_manager", name="Anna Aussendienst")
    quote = create_quote(
        customer, manager, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 20)
    )
    add_line(quote, "pro", site=site)
    send_quote(quote)
    for minutes, summary in ((25, "Telefonie gestört"), (-10, "Leitung tot")):
        db.session.add(
            Ticket(
                customer_id=customer.id,
                site_id=site.id,
                channel=Channel.PHONE,
                state=TicketState.DISPATCHED,
                summary=summary,
                reported_at=NOW - timedelta(hours=1),
                first_reaction_due_at=NOW + timedelta(minutes=minutes),
            )
        )
    technician = factories.user("technician", name="Tom Techniker")
    add_shift(technician, Duty.TECHNICIAN, NOW - timedelta(hours=2), NOW + timedelta(hours=6))
    db.session.commit()
    return customer


def _svg(page: str) -> list[str]:
    return [
        base64.b64decode(match).decode()
        for match in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    ]


def test_finance_sees_receivables_revenue_by_tier_and_payments_by_channel(
    web, db, factories, business
):
    login(web, factories.user("finance"))
    page = web.get("/").get_data(as_text=True)
    figures = _text(_panel(page, "invoicing.finance"))
    # open: 150.00 + 200.00; overdue: the first only
    assert "Offen CHF 350.00 2 Rechnungen" in figures
    assert "Überfällig CHF 150.00 1 Rechnung" in figures
    charts = _panel(page, "invoicing.charts")
    drawn = _svg(charts)
    assert len(drawn) == 2 and all("<svg" in svg for svg in drawn)
    # the figures as a table under each chart: per tier and month, per channel
    table = _text(charts)
    assert "winCall premium 7x24h winCall pro 5x12h Dez. 2025 0.00 0.00" in table  # by name
    assert "Okt. 2026 0.00 129.00 Nov. 2026 199.00 129.00" in table
    # the channels money comes in by; a credit balance applied is no new money
    assert "Banküberweisung Online-Zahlung QR-" in table
    assert "Okt. 2026 100.00 0.00 0.00 Nov. 2026 0.00 50.00 0.00" in table


def test_the_desk_sees_tickets_near_breach_with_a_countdown_and_who_is_on_call(
    web, db, factories, business
):
    login(web, factories.user("service_desk"))
    page = web.get("/").get_data(as_text=True)
    desk = _panel(page, "servicedesk.desk")
    text = _text(desk)
    assert "Leitung tot" in text and "Telefonie gestört" in text
    assert text.index("Leitung tot") < text.index("Telefonie gestört")  # most urgent first
    assert "Heute verletzt 1" in text
    assert "Tom Techniker" in text
    assert desk.count('class="countdown') == 2 and 'data-due="2026-11-30T' in desk
    assert 'src="/static/js/countdown.js"' in page


def test_the_account_manager_sees_quotes_waiting_and_the_pipeline(web, db, factories, business):
    login(web, factories.user("account_manager"))
    text = _text(_panel(web.get("/").get_data(as_text=True), "contracts.quotes"))
    assert "Wartet auf Kunde 1" in text
    # 129.00 less 0 % volume discount for one site
    assert "Pipeline CHF 129.00" in text


def test_a_customer_sees_own_open_invoices_tickets_and_firstreaction_per_month(
    web, db, factories, business
):
    login(web, factories.user("customer", business))
    page = web.get("/").get_data(as_text=True)
    invoices = _text(_panel(page, "invoicing.customer"))
    assert "2026-000001" in invoices and "2026-000002" in invoices
    assert "2026-000003" not in invoices  # paid
    tickets = _panel(page, "servicedesk.customer")
    assert "Leitung tot" in tickets and 'class="countdown' in tickets
    assert len(_svg(tickets)) == 1
    # the same account panel as on finance's customer page, without finance's refund form
    account = _panel(page, "invoicing.account")
    assert 'id="account-open"' in account and "350.00" in _text(account)
    assert "/refund" not in account
    # no staff panel for a customer
    assert 'data-panel="invoicing.finance"' not in page
    assert 'data-panel="servicedesk.desk"' not in page
