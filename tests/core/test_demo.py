"""`flask demo load`: realistic demo data, one working login per role, safe to repeat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.demo import demo_logins
from app.hooks import hooks
from app.models import Customer, Role, Site, User
from app.seed import TIER_CATALOG
from app.timeutil import ZURICH, now
from tests.conftest import disabled_plugins
from tests.core.isolated import isolated_client


def load_demo(app) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, (result.output, result.exception)
    for role, email, password in demo_logins():
        assert email in result.output and password in result.output, role


def row_counts(db) -> dict[str, int]:
    db.session.expire_all()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_demo_load_creates_customers_sites_and_one_user_per_role(app, db):
    load_demo(app)
    customers = db.session.scalars(select(Customer)).all()
    assert len(customers) >= 3
    assert max(len(customer.sites) for customer in customers) >= 12
    assert all(customer.contacts for customer in customers)
    roles = {user.role for user in db.session.scalars(select(User))}
    assert roles == set(Role)
    assert {role for role, _, _ in demo_logins()} == set(Role)


@pytest.mark.skipif(
    "contracts" in disabled_plugins(), reason="without contracts there are none to show"
)
def test_demo_contracts_cover_every_tier(app, db):
    load_demo(app)
    at: datetime = now()
    tiers = set()
    for site_id in db.session.scalars(select(Site.id)):
        in_force = hooks().tier_in_force(site_id=site_id, at=at)
        if in_force is not None:
            tiers.add(in_force.tier_code)
    assert tiers == {entry["code"] for entry in TIER_CATALOG}


def test_every_demo_login_works(app, db):
    load_demo(app)
    for role, email, password in demo_logins():
        client = isolated_client(app)
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, role
        assert "/login" not in response.location, role


def test_demo_load_twice_changes_nothing(app, db):
    load_demo(app)
    first = row_counts(db)
    before = {
        name: db.session.execute(sa.select(db.metadata.tables[name])).all()
        for name in ("core_customer", "core_site", "core_contact", "core_user")
    }
    load_demo(app)
    assert row_counts(db) == first
    for name, rows in before.items():
        assert db.session.execute(sa.select(db.metadata.tables[name])).all() == rows, name


def test_demo_changes_are_audited_as_the_demo_command(app, db):
    from app.models import AuditEntry

    load_demo(app)
    actors = set(db.session.scalars(select(AuditEntry.actor).distinct()))
    assert "cli:demo" in actors and "anonymous" not in actors


# Load days that stress the relative timeline: the 1st before the morning run, mid-month,
# the last day of a long month, and a day in January (the months before lie last year).
LOAD_DAYS = [
    datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
    datetime(2026, 11, 16, 13, 0, tzinfo=UTC),
    datetime(2027, 1, 31, 20, 0, tzinfo=UTC),
]


@pytest.mark.skipif(
    {"invoicing", "servicedesk"} & disabled_plugins(), reason="the month in the life needs both"
)
@pytest.mark.parametrize("app_config", [{"FROZEN_NOW": at} for at in LOAD_DAYS])
def test_demo_is_a_month_in_the_life_whatever_day_it_is_loaded(app, db, app_config):
    from plugins.invoicing.account import open_items
    from plugins.invoicing.models import Invoice, InvoiceRun, Payment, Reminder
    from plugins.servicedesk.models import Charge, Ticket
    from plugins.servicedesk.vocabulary import TicketState

    load_demo(app)
    loaded_at = app_config["FROZEN_NOW"]
    assert now() == loaded_at  # the demo played the past and gave the clock back
    day = loaded_at.astimezone(ZURICH).date()
    bank = db.session.scalar(
        select(Customer).where(Customer.legal_name == "Aarebank Genossenschaft")
    )
    runs = db.session.scalars(select(InvoiceRun.period).order_by(InvoiceRun.period)).all()
    assert len(runs) >= 4 and runs[-1] == f"{day:%Y-%m}"
    assert (
        db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.number.is_(None)))
        == 0
    )
    items = open_items()
    overdue = [item for item in items if item.due_date < day]
    assert len(overdue) == 1 and overdue[0].customer_id == bank.id
    [reminder] = db.session.scalars(select(Reminder)).all()
    assert (reminder.invoice_id, reminder.level) == (overdue[0].invoice_id, 1)
    assert reminder.sent_on < day  # and the next level not yet due today
    from plugins.invoicing.reminders import due_reminders

    assert due_reminders(day) == []
    partly = [item for item in items if 0 < item.paid < item.payable]
    assert len(partly) == 1 and partly[0].due_date >= day
    assert any(i.customer_id == bank.id and i.due_date >= day for i in items)
    paid = db.session.scalars(select(Invoice).where(Invoice.status == "paid")).all()
    assert len(paid) > len(items)  # most invoices are paid
    methods = set(db.session.scalars(select(Payment.method)))
    assert {"bank", "stripe"} <= methods
    tickets = db.session.scalars(select(Ticket).where(Ticket.customer_id == bank.id)).all()
    open_ = [t for t in tickets if t.resolved_at is None]
    resolved = [t for t in tickets if t.state == TicketState.RESOLVED]
    assert len(open_) == 1 and open_[0].first_reaction_due_at is not None
    assert open_[0].first_reaction_due_at > loaded_at
    assert len(resolved) == 1
    assert (
        db.session.scalar(select(func.sum(Charge.amount)).where(Charge.ticket_id == resolved[0].id))
        > 0
    )

    client = isolated_client(app)
    client.post("/login", data={"email": "it@aarebank.example", "password": "customer-demo"})
    page = client.get("/").get_data(as_text=True)
    assert overdue[0].number in page
    assert "Keine ausgehenden Anrufe" in page
