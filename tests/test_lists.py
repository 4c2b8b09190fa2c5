"""The list component on every list page: search, filters, sorting, pages, a count, and a
constant number of SQL statements however many rows a page shows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from app.timeutil import ZURICH
from plugins.contracts.models import Quote
from plugins.contracts.quotes import add_line, create_quote
from plugins.contracts.services import start_contract
from plugins.invoicing.models import Invoice, InvoiceRun, Payment
from plugins.invoicing.vocabulary import InvoiceKind, InvoiceState, PaymentMethod
from plugins.servicedesk.models import Ticket
from plugins.servicedesk.vocabulary import Channel, TicketState
from tests.core.isolated import isolated_client
from tests.factories import login
from tests.statements import recorded_statements

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZURICH)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": NOW}


@pytest.fixture
def web(app):
    return isolated_client(app)


def _fill(db, factories, count: int, start: int = 0) -> None:
    """`count` customers, each with a site, a contract, a sent quote, an issued invoice
    and an open ticket: every list has `count` more rows."""
    manager = factories.user("account_manager")
    for n in range(start, start + count):
        customer = factories.customer(f"Kunde {n:03d} AG")
        site = factories.site(customer, f"Standort {n:03d}")
        start_contract(site, "pro", date(2026, 12, 1))
        quote = create_quote(
            customer, manager, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 20)
        )
        add_line(quote, "pro", site=site)
        db.session.add(
            Invoice(
                kind=InvoiceKind.INVOICE,
                status=InvoiceState.ISSUED,
                customer_id=customer.id,
                site_id=site.id,
                period="2026-11",
                number=f"2026-{n:06d}",
                issue_date=date(2026, 11, 1),
                due_date=date(2026, 11, 1) + timedelta(days=n % 60),
                bill_to_name=customer.legal_name,
                bill_to_street="Weg",
                bill_to_postal_code="5400",
                bill_to_town="Baden",
                bill_to_email="a@example.ch",
                payable=Decimal("100.00"),
            )
        )
        db.session.flush()
        db.session.add(
            Payment(
                invoice_id=invoice_id_of(f"2026-{n:06d}"),
                amount=Decimal("10.00"),
                received_on=date(2026, 11, 20),
                method=PaymentMethod.BANK,
            )
        )
        db.session.add(InvoiceRun(period=f"{2020 + n // 12}-{n % 12 + 1:02d}", actor="finance"))
        db.session.add(
            Ticket(
                customer_id=customer.id,
                site_id=site.id,
                channel=Channel.PHONE,
                state=TicketState.NEW,
                summary=f"Störung {n:03d}",
                reported_at=NOW - timedelta(minutes=n),
                first_reaction_due_at=NOW + timedelta(minutes=30 + n),
            )
        )
    db.session.commit()


def invoice_id_of(number: str) -> int:
    from app.database import db

    return db.session.query(Invoice.id).filter(Invoice.number == number).scalar()


LIST_PAGES = [
    ("finance", "/customers?size=100", "Kunde 0"),
    ("finance", "/sites?size=100", "Standort 0"),
    ("account_manager", "/contracts/?size=100", "Standort 0"),
    ("account_manager", "/contracts/quotes?size=100", "Kunde 0"),
    ("finance", "/invoicing/?size=100", "2026-0000"),
    ("service_desk", "/servicedesk/tickets?scope=open&size=100", "Störung 0"),
    ("finance", "/audit?size=100", "Kunde"),
    ("finance", "/invoicing/payments/all?size=100", "2026-0000"),
    ("finance", "/invoicing/runs?size=100", "<table"),
]


@pytest.mark.parametrize(("role", "address", "row_text"), LIST_PAGES)
def test_a_list_page_costs_the_same_statements_for_10_and_50_rows(
    web, db, factories, role, address, row_text
):
    login(web, factories.user(role))
    engine = db.engine
    _fill(db, factories, 10)
    with recorded_statements(engine) as ten:
        page = web.get(address).get_data(as_text=True)
    assert row_text in page
    _fill(db, factories, 40, start=10)
    with recorded_statements(engine) as fifty:
        page = web.get(address).get_data(as_text=True)
    assert page.count(row_text) >= 40 or address.startswith(("/audit", "/invoicing/runs"))
    assert len(fifty) == len(ten), (len(ten), len(fifty))


def test_customers_search_sort_filter_count_and_pages(web, db, factories):
    login(web, factories.user("finance"))
    for n in range(25):
        factories.customer(f"Firma {n:02d} AG", town="Aarau" if n % 2 else "Zug")
    factories.customer("Ruhend GmbH", active=False)

    page = web.get("/customers?size=20").get_data(as_text=True)
    assert 'data-total="26"' in page and "1–20 von 26" in page
    assert "Seite 1 von 2" in page and 'rel="next"' in page
    # the active filter is marked
    assert 'class="chip active" aria-current="true" data-filter="all"' in page

    inactive = web.get("/customers?filter=inactive").get_data(as_text=True)
    assert "Ruhend GmbH" in inactive and "Firma 00 AG" not in inactive
    assert 'class="chip active" aria-current="true" data-filter="inactive"' in inactive

    found = web.get("/customers?q=aarau").get_data(as_text=True)
    assert 'data-total="12"' in found and "Firma 01 AG" in found and "Firma 02 AG" not in found

    descending = web.get("/customers?sort=-name").get_data(as_text=True)
    assert descending.index("Ruhend GmbH") < descending.index("Firma 24 AG")
    assert 'aria-sort="descending"' in descending
    second = web.get("/customers?size=20&page=2&sort=name").get_data(as_text=True)
    assert "Firma 20 AG" in second and "Firma 19 AG" not in second
    # a search text with LIKE wildcards matches literally
    assert 'data-total="0"' in web.get("/customers?q=%25").get_data(as_text=True)


def test_invoices_filter_overdue_and_name_the_site(web, db, factories):
    login(web, factories.user("finance"))
    _fill(db, factories, 3)
    page = web.get("/invoicing/?status=overdue").get_data(as_text=True)
    # due 2026-11-01, -02 and -03: all before today (30 Nov)
    assert 'data-total="3"' in page and 'data-filter="overdue">überfällig</a>' in page
    assert 'data-filter="paid">Bezahlt</a>' in page  # the state's word, in German
    assert '<td class="site">Standort 001</td>' in page
    empty = web.get("/invoicing/?status=overdue&q=keine-solche-rechnung").get_data(as_text=True)
    # Said once, by the table, not also above it ("Nichts gefunden.").
    assert 'data-total="0"' in empty and empty.count("Keine Rechnungen.") == 1
    assert "Nichts gefunden" not in empty


def test_tickets_are_found_by_number_and_sorted_by_due_time(web, db, factories):
    login(web, factories.user("service_desk"))
    _fill(db, factories, 3)
    ticket = db.session.query(Ticket).filter(Ticket.summary == "Störung 002").one()
    found = web.get(f"/servicedesk/tickets?scope=all&q={ticket.number}").get_data(as_text=True)
    assert 'data-total="1"' in found and "Störung 002" in found
    listing = web.get("/servicedesk/tickets?scope=open").get_data(as_text=True)
    assert (
        listing.index("Störung 000") < listing.index("Störung 001") < listing.index("Störung 002")
    )


def test_quotes_filter_by_state(web, db, factories):
    login(web, factories.user("account_manager"))
    _fill(db, factories, 2)
    drafts = web.get("/contracts/quotes?filter=draft").get_data(as_text=True)
    assert 'data-total="2"' in drafts
    assert 'data-total="0"' in web.get("/contracts/quotes?filter=sent").get_data(as_text=True)
    assert db.session.query(Quote).count() == 2
