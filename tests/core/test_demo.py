"""`flask demo load`: realistic demo data, one working login per role, safe to repeat."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.demo import demo_logins
from app.hooks import hooks
from app.models import Customer, Role, Site, User
from app.seed import TIER_CATALOG
from app.timeutil import now
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
