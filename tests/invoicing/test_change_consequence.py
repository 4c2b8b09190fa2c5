"""The price consequence of an upgrade, a downgrade or a notice, shown before it is
confirmed (contracts asks invoicing through the planned_lines hook; nothing is kept)."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from app.models.audit import AuditEntry
from plugins.contracts import services
from plugins.contracts.consequences import notice_consequence, tier_change_consequence
from plugins.contracts.models import ContractTierPeriod
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import Invoice
from tests.factories import login

D = Decimal


def contract_billed_for_december(app, setup):
    """Pro from 1 December 2026, December billed in advance (129.00); today is 16 Dec."""
    customer, site, contract = setup.site_with_contract("pro", date(2026, 12, 1))
    run_period("2026-12")
    app.config["FROZEN_NOW"] = datetime(2026, 12, 16, 8, 0, tzinfo=UTC)
    return customer, contract


def january_net(app, customer_id: int) -> Decimal:
    """What the run on 1 January 2027 bills the customer, net."""
    app.config["FROZEN_NOW"] = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    result = run_period("2027-01")
    return sum(
        (
            invoice.total_net
            for invoice in Invoice.query.where(
                Invoice.run_id == result.run_id, Invoice.customer_id == customer_id
            )
        ),
        D("0.00"),
    )


def snapshot(db):
    return [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (ContractTierPeriod, AuditEntry, Invoice)
    ]


def test_an_upgrade_shows_the_pro_rata_lines_and_what_the_next_run_then_bills(app, db, setup):
    customer, contract = contract_billed_for_december(app, setup)
    before = snapshot(db)

    consequence = tier_change_consequence(contract, "premium", date(2026, 12, 16))
    db.session.rollback()

    assert snapshot(db) == before  # nothing of the what-if is kept
    assert services.current_tier(contract, date(2026, 12, 20)).code == "pro"
    assert consequence.period == "2027-01"
    # December settled: the 129.00 advance credited, pro 1-15 and premium 16-31 billed
    # pro rata; January in advance at premium 600.00 instead of pro 129.00.
    pro_rata = sorted(line.amount for line in consequence.pro_rata)
    assert pro_rata == [D("-129.00"), D("62.42"), D("309.68")]
    assert [line.amount for line in consequence.removed] == [D("129.00")]
    assert consequence.difference == D("714.10")

    # Confirmed, the run of January bills exactly that much more than without it.
    services.change_tier(contract, "premium", date(2026, 12, 16))
    db.session.commit()
    assert january_net(app, customer.id) == D("129.00") + consequence.difference


def test_a_downgrade_takes_effect_next_month_and_bills_less_from_then(app, db, setup):
    customer, contract = contract_billed_for_december(app, setup)
    consequence = tier_change_consequence(contract, "basic")
    db.session.rollback()
    assert consequence.period == "2027-01"
    assert consequence.pro_rata == []  # a downgrade starts on the first of a month
    assert [line.amount for line in consequence.removed] == [D("129.00")]
    services.change_tier(contract, "basic")
    db.session.commit()
    assert january_net(app, customer.id) == D("129.00") + consequence.difference


def test_a_notice_shows_the_months_no_longer_billed(app, db, setup):
    customer, contract = contract_billed_for_december(app, setup)
    # Received 16 December 2026: the contract ends on 31 January 2027.
    consequence = notice_consequence(contract, date(2026, 12, 16))
    db.session.rollback()
    assert consequence.period == "2027-02"
    assert consequence.difference == D("-129.00")  # February is not billed
    assert consequence.added == []


def test_the_consequence_page_for_the_desk_and_the_confirmation_for_account_managers(
    app, db, client, factories, setup
):
    customer, contract = contract_billed_for_december(app, setup)
    login(client, factories.user("service_desk"))
    detail = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-consequence="tier"' in detail and "Wechsel erfassen" not in detail
    page = client.post(
        f"/contracts/{contract.id}/tier/consequence",
        data={"tier_code": "premium", "effective_on": "2026-12-16"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-difference="714.10"' in html
    assert "Wechsel bestätigen" not in html  # the desk shows, it does not change
    assert services.current_tier(contract, date(2026, 12, 20)).code == "pro"

    client.post("/logout")
    login(client, factories.user("account_manager"))
    html = client.post(
        f"/contracts/{contract.id}/tier/consequence",
        data={"tier_code": "premium", "effective_on": "2026-12-16"},
    ).get_data(as_text=True)
    assert "Wechsel bestätigen" in html and "Anteilige Positionen" in html
    refused = client.post(
        f"/contracts/{contract.id}/tier/consequence",
        data={"tier_code": "premium", "effective_on": "2026-12-01"},
        follow_redirects=True,
    )
    assert "Ein Upgrade gilt frühestens ab heute." in refused.get_data(as_text=True)


def test_a_customer_sees_the_consequence_for_its_own_contracts_only(
    app, db, client, factories, setup
):
    customer, contract = contract_billed_for_december(app, setup)
    other, _, _ = setup.site_with_contract("pro", date(2026, 12, 1))
    login(client, factories.user("customer", customer=customer))
    page = client.post(
        f"/contracts/{contract.id}/notice/consequence", data={"received_on": "2026-12-16"}
    )
    assert page.status_code == 200
    assert 'data-difference="-129.00"' in page.get_data(as_text=True)
    client.post("/logout")
    login(client, factories.user("customer", customer=other))
    assert (
        client.post(
            f"/contracts/{contract.id}/notice/consequence", data={"received_on": "2026-12-16"}
        ).status_code
        == 404
    )


def test_the_shop_shows_what_an_order_costs_before_it_is_placed(app, db, client, factories, setup):
    customer, contract = contract_billed_for_december(app, setup)
    login(client, factories.user("customer", customer=customer))
    page = client.post(
        "/contracts/shop/consequence",
        data={"site_id": contract.site_id, "tier_code": "premium"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-difference="714.10"' in html
    assert 'action="/contracts/shop"' in html and 'name="site_id"' in html
    db.session.expire_all()
    assert services.current_tier(contract, date(2026, 12, 20)).code == "pro"  # not ordered
