"""Pages and API of contracts and quotes: thin over the rules, scoped to the customer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.models import AuditEntry
from app.money import AgreedDiscount
from plugins.contracts.models import Contract, Quote
from plugins.contracts.services import give_notice, start_contract_in_the_past
from tests.factories import login


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- pages ----------------------------------------------------------------------------


def test_site_and_customer_pages_show_a_contracts_panel(client, db, factories, customer, site):
    start_contract_in_the_past(site, "pro_plus", date(2025, 1, 1))
    db.session.commit()
    login(client, factories.user("service_desk"))
    site_page = client.get(f"/sites/{site.id}")
    customer_page = client.get(f"/customers/{customer.id}")
    assert "contracts-panel" in site_page.text and 'data-tier="pro_plus"' in site_page.text
    assert ">winCall pro+ 6x12h</td>" in site_page.text
    assert '<td class="state" data-state="active">aktiv</td>' in site_page.text
    assert "contracts-panel" in customer_page.text and "Filiale Brugg" in customer_page.text


def test_a_customer_user_sees_only_own_contracts(client, db, factories, customer, site):
    own = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    other_site = factories.site(factories.customer("Andere AG"), "Fremd")
    foreign = start_contract_in_the_past(other_site, "premium", date(2025, 1, 1))
    db.session.commit()
    login(client, factories.user("customer", customer))
    listing = client.get("/contracts/")
    assert "Filiale Brugg" in listing.text and "Fremd" not in listing.text
    assert client.get(f"/contracts/{own.id}").status_code == 200
    assert client.get(f"/contracts/{foreign.id}").status_code == 404


def test_an_account_manager_upgrades_and_records_a_notice_in_the_ui(client, db, factories, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    db.session.commit()
    login(client, factories.user("account_manager"))
    client.post(
        f"/contracts/{contract.id}/tier",
        data={"tier_code": "premium", "effective_on": "2026-11-30"},
    )
    client.post(f"/contracts/{contract.id}/notice", data={"received_on": "2026-11-24"})
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert [(p.tier.code, p.first_day) for p in contract.periods] == [
        ("pro", date(2025, 1, 1)),
        ("premium", date(2026, 11, 30)),
    ]
    assert (contract.state, contract.notice_received_on, contract.end_date) == (
        "cancelled",
        date(2026, 11, 24),
        date(2026, 12, 31),
    )
    page = client.post(f"/contracts/{contract.id}/notice/withdraw", follow_redirects=True)
    assert "Die Kündigung ist zurückgezogen." in page.text  # German by default
    # Every change left an audit entry.
    tables = set(db.session.scalars(select(AuditEntry.table_name)))
    assert {"contracts_contract", "contracts_tier_period"} <= tables


def test_a_refused_change_is_shown_and_changes_nothing(client, db, factories, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    db.session.commit()
    login(client, factories.user("account_manager"))
    page = client.post(
        f"/contracts/{contract.id}/tier",
        data={"tier_code": "premium", "effective_on": "2026-11-01"},
        follow_redirects=True,
    )
    assert "Ein Upgrade gilt frühestens ab heute." in page.text
    assert len(db.session.get(Contract, contract.id).periods) == 1


def test_the_service_desk_cannot_change_contracts(client, db, factories, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    db.session.commit()
    login(client, factories.user("service_desk"))
    assert client.post(f"/contracts/{contract.id}/notice").status_code == 403


def test_an_account_manager_starts_a_contract_for_a_site(client, db, factories, site):
    login(client, factories.user("account_manager"))
    assert client.get(f"/contracts/new?site_id={site.id}").status_code == 200
    client.post(
        f"/contracts/new?site_id={site.id}",
        data={"tier_code": "basic_plus", "start_date": "2026-12-01"},
    )
    contract = db.session.scalars(select(Contract)).one()
    assert (contract.start_date, contract.periods[0].tier.code) == (date(2026, 12, 1), "basic_plus")


def test_quote_builder_approval_queue_and_sending(client, db, factories, customer, site, sent_mail):
    manager = factories.user("account_manager")
    finance = factories.user("finance")
    login(client, manager)
    assert client.get(f"/contracts/quotes/new?customer_id={customer.id}").status_code == 200
    response = client.post(
        "/contracts/quotes/new",
        data={
            "customer_id": customer.id,
            "start_date": "2026-12-01",
            "valid_until": "2026-12-15",
            "manual_discount_percent": "12",
        },
    )
    quote = db.session.scalars(select(Quote)).one()
    assert response.headers["Location"].endswith(f"/contracts/quotes/{quote.id}")
    client.post(
        f"/contracts/quotes/{quote.id}/lines", data={"site_id": site.id, "tier_code": "pro"}
    )
    client.post(
        f"/contracts/quotes/{quote.id}/lines",
        data={
            "site_id": "",
            "tier_code": "premium",
            "new_site_name": "Filiale Neu",
            "new_site_street": "Weg",
            "new_site_house_number": "1",
            "new_site_postal_code": "5400",
            "new_site_town": "Baden",
            "new_site_canton": "AG",
        },
    )
    builder = client.get(f"/contracts/quotes/{quote.id}")
    assert "Filiale Neu" in builder.text and "Filiale Brugg" in builder.text
    live = client.post(
        f"/contracts/quotes/{quote.id}/totals", json={"manual_discount_percent": "12"}
    ).get_json()
    # 129.00 + 600.00 = 729.00; 12 % = 87.48; VAT 8.1 % of 641.52 = 51.96
    assert (live["subtotal"], live["manual_discount"], live["net"], live["vat"], live["total"]) == (
        "729.00",
        "87.48",
        "641.52",
        "51.96",
        "693.48",
    )
    assert live["needs_approval"] is True
    page = client.post(f"/contracts/quotes/{quote.id}/send", follow_redirects=True)
    assert "Die Finanzabteilung muss die Offerte zuerst freigeben." in page.text
    client.post(f"/contracts/quotes/{quote.id}/approval-request")
    client.post("/logout")
    login(client, finance)
    queue = client.get("/contracts/approvals")
    assert quote.number in queue.text
    client.post(f"/contracts/quotes/{quote.id}/approval", data={"decision": "approved"})
    client.post("/logout")
    login(client, manager)
    client.post(f"/contracts/quotes/{quote.id}/send")
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).state == "sent"
    assert len(sent_mail) == 1
    pdf = client.get(f"/contracts/quotes/{quote.id}/pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


# --- API ------------------------------------------------------------------------------


def test_the_openapi_document_lists_contract_and_quote_operations(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/contracts",
        "/api/v1/contracts/{contract_id}",
        "/api/v1/contracts/{contract_id}/tier-changes",
        "/api/v1/contracts/{contract_id}/notice",
        "/api/v1/quotes",
        "/api/v1/quotes/{quote_id}/accept",
        "/api/v1/shop/orders",
    ):
        assert path in paths, path


def test_api_contracts_are_scoped_to_the_customer(client, db, factories, customer, site):
    start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    foreign = start_contract_in_the_past(
        factories.site(factories.customer("Andere AG")), "premium", date(2025, 1, 1)
    )
    db.session.commit()
    token = factories.token(factories.user("customer", customer))
    listing = client.get("/api/v1/contracts", headers=bearer(token)).get_json()
    assert [(c["site_name"], c["tier_code"], c["state"]) for c in listing] == [
        ("Filiale Brugg", "pro", "active")
    ]
    assert client.get(f"/api/v1/contracts/{foreign.id}", headers=bearer(token)).status_code == 404


def test_api_tier_change_and_notice(client, db, factories, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    db.session.commit()
    token = factories.token(factories.user("account_manager"))
    down = client.post(
        f"/api/v1/contracts/{contract.id}/tier-changes",
        json={"tier_code": "basic"},
        headers=bearer(token),
    )
    assert down.status_code == 200
    assert down.get_json()["periods"][-1] == {
        "tier_code": "basic",
        "first_day": "2026-12-01",
        "last_day": None,
        "change": "downgrade",
        "signed_at": "2026-11-24T09:00:00Z",
    }
    notice = client.post(
        f"/api/v1/contracts/{contract.id}/notice",
        json={"received_on": "2026-11-24"},
        headers=bearer(token),
    )
    assert (notice.get_json()["state"], notice.get_json()["end_date"]) == (
        "cancelled",
        "2026-12-31",
    )
    refused = client.post(f"/api/v1/contracts/{contract.id}/notice", json={}, headers=bearer(token))
    assert refused.status_code == 422 and refused.get_json()["error"] == "rule_violation"
    withdrawn = client.delete(f"/api/v1/contracts/{contract.id}/notice", headers=bearer(token))
    assert withdrawn.get_json()["state"] == "active"


def test_api_quote_from_creation_to_acceptance(client, db, factories, customer, site, sent_mail):
    manager_token = factories.token(factories.user("account_manager"))
    created = client.post(
        "/api/v1/quotes",
        json={
            "customer_id": customer.id,
            "start_date": "2026-12-01",
            "valid_until": "2026-12-15",
            "manual_discount_percent": "2.5",
            "lines": [
                {"site_id": site.id, "tier_code": "pro_plus"},
                {
                    "new_site": {
                        "name": "Filiale Neu",
                        "street": "Weg",
                        "postal_code": "5400",
                        "town": "Baden",
                    },
                    "tier_code": "pro",
                },
            ],
        },
        headers=bearer(manager_token),
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    # 228.00 + 129.00 = 357.00; 2.5 % = 8.93 (8.925 half up); VAT 8.1 % of 348.07 = 28.19
    assert (
        body["totals"]["subtotal"],
        body["totals"]["manual_discount"],
        body["totals"]["net"],
    ) == ("357.00", "8.93", "348.07")
    assert (body["totals"]["vat"], body["totals"]["total"]) == ("28.19", "376.26")
    quote_id = body["id"]
    assert (
        client.post(f"/api/v1/quotes/{quote_id}/send", headers=bearer(manager_token)).status_code
        == 200
    )
    customer_token = factories.token(factories.user("customer", customer))
    first = client.post(
        f"/api/v1/quotes/{quote_id}/accept", headers=bearer(customer_token)
    ).get_json()
    second = client.post(
        f"/api/v1/quotes/{quote_id}/accept", headers=bearer(customer_token)
    ).get_json()
    assert (first["created"], second["created"]) == (True, False)
    assert len(first["contract_ids"]) == 2 and first["contract_ids"] == second["contract_ids"]
    stranger = factories.token(factories.user("customer"))
    assert (
        client.post(f"/api/v1/quotes/{quote_id}/accept", headers=bearer(stranger)).status_code
        == 404
    )


def test_api_shop_order_and_refusal_for_a_foreign_site(client, db, factories, customer, site):
    token = factories.token(factories.user("customer", customer))
    offers = client.get("/api/v1/shop/offers", headers=bearer(token)).get_json()
    assert {
        "code": "pro",
        "monthly_price": "129.00",
        "first_reaction": "innert 6 Stunden",
    }.items() <= next(o for o in offers if o["code"] == "pro").items()
    ordered = client.post(
        "/api/v1/shop/orders", json={"site_id": site.id, "tier_code": "pro"}, headers=bearer(token)
    )
    assert ordered.status_code == 201 and ordered.get_json()["origin"] == "shop"
    foreign = factories.site(factories.customer("Andere AG"))
    refused = client.post(
        "/api/v1/shop/orders",
        json={"site_id": foreign.id, "tier_code": "pro"},
        headers=bearer(token),
    )
    assert refused.status_code == 404


def test_history_cli_shows_the_tier_periods_and_the_agreed_discount(app, db, site):
    # Pricing a month is invoicing's job; the history shows what was agreed, when.
    contract = start_contract_in_the_past(
        site, "pro", date(2025, 1, 1), discount=AgreedDiscount(Decimal("5.00"), Decimal("3.00"))
    )
    give_notice(contract)
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["contracts", "history", "--contract", str(contract.id)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "cancelled, start 2025-01-01, end 2026-12-31, notice received 2026-11-24" in result.output
    )
    assert "discount 5 % volume + 3 % special" in result.output
    assert "2025-01-01 .. 2026-12-31  pro" in result.output


def test_history_cli_writes_a_round_discount_without_an_exponent(app, db, site):
    contract = start_contract_in_the_past(
        site, "pro", date(2025, 1, 1), discount=AgreedDiscount(Decimal("10.00"))
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["contracts", "history", "--contract", str(contract.id)]
    )
    assert "discount 10 % volume + 0 % special" in result.output
    assert "2025-01-01 .. open        pro" in result.output


# --- what the service desk sees -------------------------------------------------------


def test_the_service_desk_does_not_see_the_agreed_discount_in_the_api(client, db, factories, site):
    # SPEC 6: the service desk sees CLAs, never prices; finance sees what was agreed.
    contract = start_contract_in_the_past(
        site, "pro", date(2025, 1, 1), discount=AgreedDiscount(Decimal("5.00"), Decimal("3.00"))
    )
    db.session.commit()
    desk = factories.token(factories.user("service_desk"))
    finance = factories.token(factories.user("finance"))
    url = f"/api/v1/contracts/{contract.id}"
    seen = client.get(url, headers=bearer(desk)).get_json()
    assert (seen["volume_discount_percent"], seen["special_discount_percent"]) == (None, None)
    listed = client.get("/api/v1/contracts", headers=bearer(desk)).get_json()
    assert [c["volume_discount_percent"] for c in listed] == [None]
    seen = client.get(url, headers=bearer(finance)).get_json()
    assert (seen["volume_discount_percent"], seen["special_discount_percent"]) == (
        "5.0000",
        "3.0000",
    )


def test_the_service_desk_does_not_see_the_agreed_discount_on_the_contract_page(
    client, db, factories, site
):
    contract = start_contract_in_the_past(
        site, "pro", date(2025, 1, 1), discount=AgreedDiscount(Decimal("5.00"), Decimal("3.00"))
    )
    db.session.commit()
    login(client, factories.user("service_desk"))
    page = client.get(f"/contracts/{contract.id}")
    assert page.status_code == 200 and "Vereinbarter Rabatt" not in page.text
    client.post("/logout")
    login(client, factories.user("finance"))
    assert "Vereinbarter Rabatt" in client.get(f"/contracts/{contract.id}").text


# --- no start in the past, whichever way in -------------------------------------------


def test_a_contract_cannot_start_in_the_past_on_the_page_or_in_the_api(client, db, factories, site):
    manager = factories.user("account_manager")
    token = factories.token(manager)
    refused = client.post(
        "/api/v1/contracts",
        json={"site_id": site.id, "tier_code": "pro", "start_date": "2026-11-23"},
        headers=bearer(token),
    )
    assert refused.status_code == 422
    assert refused.get_json()["details"][0]["field"] == "start_date"
    login(client, manager)
    page = client.post(
        f"/contracts/new?site_id={site.id}",
        data={"tier_code": "pro", "start_date": "2026-11-23"},
        follow_redirects=True,
    )
    assert "Ein Vertrag kann nicht in der Vergangenheit beginnen." in page.text
    assert db.session.scalars(select(Contract)).all() == []
    # The form again, with what was entered: the tier and the refused date to correct.
    assert page.status_code == 422
    assert 'value="2026-11-23"' in page.text and '<option value="pro" selected>' in page.text
