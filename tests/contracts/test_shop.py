"""Web shop: a customer user orders a tier for an own site and gets an active contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.errors import RuleViolation
from plugins.contracts.models import Contract
from plugins.contracts.services import start_contract_in_the_past
from plugins.contracts.shop import order_in_shop, shop_offers
from tests.factories import login


def test_the_shop_offers_every_tier_with_price_and_first_reaction(app):
    with app.test_request_context(), force_locale("en"):  # the promise is a translated text
        listed = shop_offers()
    offers = {offer.code: offer for offer in listed}
    assert [offer.code for offer in listed] == ["premium", "pro_plus", "pro", "basic_plus", "basic"]
    assert (offers["pro"].monthly_price, offers["pro"].first_reaction) == (
        Decimal("129.00"),
        "within 6 hours",
    )
    assert offers["premium"].first_reaction == "within 1 hour"
    assert offers["basic_plus"].first_reaction == "next business day"
    assert offers["basic"].first_reaction == "best effort"


def test_an_order_for_a_site_without_a_contract_starts_an_active_contract_today(
    db, factories, customer, site
):
    user = factories.user("customer", customer)
    contract = order_in_shop(user, site.id, "pro")
    db.session.commit()
    assert (contract.state, contract.origin, contract.start_date) == (
        "active",
        "shop",
        date(2026, 11, 24),
    )
    assert contract.periods[0].tier.code == "pro"
    assert contract.signed_at is not None


def test_an_order_for_a_site_under_contract_is_an_upgrade_from_today(
    db, factories, customer, site, upgrades
):
    existing = start_contract_in_the_past(site, "basic_plus", date(2025, 1, 1))
    user = factories.user("customer", customer)
    contract = order_in_shop(user, site.id, "premium")
    db.session.commit()
    assert contract is existing
    assert [(p.tier.code, p.first_day, p.last_day) for p in contract.periods] == [
        ("basic_plus", date(2025, 1, 1), date(2026, 11, 23)),
        ("premium", date(2026, 11, 24), None),
    ]
    assert [(e.old_tier_code, e.new_tier_code) for e in upgrades] == [("basic_plus", "premium")]


def test_ordering_a_lower_tier_in_the_shop_is_a_downgrade_next_month(db, factories, customer, site):
    start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    contract = order_in_shop(factories.user("customer", customer), site.id, "basic")
    assert (contract.periods[-1].tier.code, contract.periods[-1].first_day) == (
        "basic",
        date(2026, 12, 1),
    )


def test_ordering_for_a_site_of_another_customer_is_impossible(db, factories, customer):
    foreign = factories.site(factories.customer("Andere AG"))
    user = factories.user("customer", customer)
    with pytest.raises(LookupError):
        order_in_shop(user, foreign.id, "pro")
    with pytest.raises(RuleViolation):
        order_in_shop(factories.user("account_manager"), foreign.id, "pro")
    assert db.session.scalars(select(Contract)).all() == []


def test_the_shop_page_shows_price_and_promise_and_orders(client, db, factories, customer, site):
    login(client, factories.user("customer", customer))
    page = client.get("/contracts/shop")
    assert page.status_code == 200
    assert "Filiale Brugg" in page.text
    assert "CHF 129.00" in page.text and "innert 6 Stunden" in page.text  # German by default
    response = client.post("/contracts/shop", data={"site_id": site.id, "tier_code": "pro"})
    assert response.status_code == 302
    contract = db.session.scalars(select(Contract)).one()
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}")
    detail = client.get(f"/contracts/{contract.id}").text
    assert 'data-tier="pro"' in detail and "winCall pro 5x12h" in detail


def test_the_shop_answers_404_for_another_customers_site(client, db, factories, customer):
    foreign = factories.site(factories.customer("Andere AG"), "Fremder Standort")
    login(client, factories.user("customer", customer))
    assert "Fremder Standort" not in client.get("/contracts/shop").text
    response = client.post("/contracts/shop", data={"site_id": foreign.id, "tier_code": "pro"})
    assert response.status_code == 404
    assert db.session.scalars(select(Contract)).all() == []


def test_staff_do_not_order_in_the_shop(client, factories):
    login(client, factories.user("account_manager"))
    assert client.get("/contracts/shop").status_code == 403


def test_ordering_the_current_tier_calls_off_a_planned_downgrade(db, factories, customer, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    order_in_shop(factories.user("customer", customer), site.id, "basic")  # from 2026-12-01
    order_in_shop(factories.user("customer", customer), site.id, "pro")
    db.session.commit()
    assert [(p.tier.code, p.first_day, p.last_day) for p in contract.periods] == [
        ("pro", date(2025, 1, 1), None)
    ]


def test_the_shop_preselects_no_tier_and_shows_a_summary_before_ordering(
    client, db, factories, customer, site
):
    login(client, factories.user("customer", customer))
    page = client.get("/contracts/shop").text
    assert " checked" not in page  # not the most expensive tier, not any
    summary = client.post(
        "/contracts/shop", data={"site_id": site.id, "tier_code": "pro", "step": "review"}
    )
    assert summary.status_code == 200
    assert 'id="summary-tier" data-tier="pro"' in summary.text and "CHF 129.00" in summary.text
    assert 'id="confirm-order"' in summary.text
    assert db.session.scalars(select(Contract)).all() == []  # the summary orders nothing
    missing = client.post("/contracts/shop", data={"site_id": site.id, "step": "review"})
    assert missing.status_code == 200 and 'id="summary-tier"' not in missing.text
