"""A request costs the same number of SQL statements whatever the size of its page: lists
and details load their related rows set-based, never one statement per row (no N+1)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, inspect, select

from app.database import db as _db
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import Invoice
from tests.core.isolated import isolated_client, login_through_form
from tests.factories import PASSWORD
from tests.statements import recorded_statements


def statements_of(client, path: str, **kwargs) -> list[str]:
    client.get(path, **kwargs)  # warm: first-use caches (catalog, company) are not the point
    with recorded_statements(_db.engine) as statements:
        response = client.get(path, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statements


@pytest.fixture
def app_config():
    """Every request looks its token up: the counts here are the reads' own, and with
    the token check kept for a second (app/recent_tokens.py) they would depend on the
    clock. The cache has its own tests (tests/core/test_recent_tokens.py)."""
    return {"API_TOKEN_CACHE_SECONDS": 0}


@pytest.fixture
def billed(setup, db):
    """50 per-site customers and one consolidated customer with 12 sites, billed for
    December: invoices of one site and an invoice of twelve."""
    for _ in range(50):
        setup.site_with_contract("pro", date(2026, 1, 1))
    big = setup.customer(invoice_mode="consolidated")
    for _ in range(12):
        setup.contract(setup.site(big), "premium", date(2026, 1, 1))
    run_period("2026-12", actor="test")
    invoices = db.session.scalars(select(Invoice)).all()
    small = min(invoices, key=lambda i: len(i.lines))
    large = max(invoices, key=lambda i: len(i.lines))
    assert len(large.lines) >= 12 * len(small.lines)
    return small.id, large.id


@pytest.fixture
def api(app, factories, billed):
    client = isolated_client(app)
    token = factories.token(factories.user("finance"))
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_api_lists_cost_the_same_statements_for_10_and_50_rows(api):
    for path in ("/api/v1/invoicing/invoices", "/api/v1/contracts", "/api/v1/customers"):
        ten = statements_of(api, f"{path}?limit=10")
        fifty = statements_of(api, f"{path}?limit=50")
        assert len(ten) == len(fifty), (path, ten, fifty)
        assert len(fifty) <= 4, (path, fifty)  # the token, the rows, their relations


def test_an_invoice_costs_the_same_statements_with_1_or_12_lines(api, billed):
    small, large = billed
    one = statements_of(api, f"/api/v1/invoicing/invoices/{small}")
    many = statements_of(api, f"/api/v1/invoicing/invoices/{large}")
    assert len(one) == len(many) <= 2, (one, many)  # the token, the invoice with its lines


def test_a_token_is_read_in_one_statement_and_its_use_stamped_once_a_minute(api):
    with recorded_statements(_db.engine) as statements:
        api.get("/api/v1/me")
        api.get("/api/v1/me")
    tokens = [s for s in statements if "core_api_token" in s]
    # The first request may stamp the token's first use; the second reads it only.
    assert len(tokens) <= 3, tokens
    with recorded_statements(_db.engine) as statements:
        api.get("/api/v1/me")
    assert len([s for s in statements if "core_api_token" in s]) == 1, statements


def test_pages_cost_the_same_statements_for_10_and_50_rows(app, factories, setup, db):
    user = factories.user("finance")
    client = isolated_client(app)
    login_through_form(client, user.email, PASSWORD)
    counts = {}
    for size in (10, 50):
        while len(db.session.scalars(select(Invoice.id)).all()) < size:
            setup.site_with_contract("pro", date(2026, 1, 1))
            run_period("2026-12", actor="test")
        counts[size] = {
            path: statements_of(client, path)
            for path in ("/invoicing/", "/contracts/", "/customers")
        }
    for path in counts[10]:
        assert len(counts[10][path]) == len(counts[50][path]), (
            path,
            counts[10][path],
            counts[50][path],
        )


@contextmanager
def loaded_objects():
    """The ORM objects loaded from query results while the block runs, by class name."""
    loaded: list[str] = []

    def count(target, context):
        loaded.append(type(target).__name__)

    event.listen(_db.Model, "load", count, propagate=True)
    try:
        yield loaded
    finally:
        event.remove(_db.Model, "load", count)


def test_api_reads_build_no_orm_objects(api, billed):
    """The token check, an invoice detail and the 50-row lists read plain rows: building
    ORM objects was most of their time (about 160 for a page of contracts)."""
    small, large = billed
    paths = (
        f"/api/v1/invoicing/invoices/{large}",
        "/api/v1/invoicing/invoices?limit=50",
        "/api/v1/contracts?limit=50",
        "/api/v1/me",
    )
    for path in paths:
        api.get(path)  # warm
        with loaded_objects() as loaded:
            response = api.get(path)
        assert response.status_code == 200
        assert loaded == [], (path, loaded)


def test_the_token_user_is_the_sessions_own_object(app, factories, billed):
    """The user built from the token's row is persistent in the request's session, so a
    write through it is an ordinary UPDATE (not an INSERT of a second user)."""
    from flask import g
    from flask_login import current_user

    user = factories.user("finance", name="Vorher")
    token = factories.token(user)
    _db.session.commit()
    with app.test_request_context(
        "/api/v1/me", method="POST", headers={"Authorization": f"Bearer {token}"}
    ):
        assert current_user.is_authenticated and current_user.id == user.id
        assert inspect(current_user._get_current_object()).persistent
        assert g.api_token_id is not None
        current_user.name = "Nachher"
        _db.session.commit()
    _db.session.expire_all()
    assert _db.session.get(type(user), user.id).name == "Nachher"
