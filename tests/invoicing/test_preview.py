"""The preview (dry run) of a period: what the run would bill, per customer, without
writing anything; and the numbers are the ones the run then writes."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from app.hooks import BillableCharge
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import BilledMonth, Invoice, InvoiceLine, InvoiceRun
from plugins.invoicing.preview import preview_period
from tests.factories import login

D = Decimal
LINE_COLUMNS = (
    "position",
    "kind",
    "site_name",
    "contract_id",
    "tier_code",
    "description",
    "service_start",
    "service_end",
    "quantity",
    "unit_price",
    "days",
    "amount",
    "vat_rate",
)


def scenario(app, setup, charge_source):
    """December billed in advance, then a downgrade on 16 December, a contract started
    on 15 December that no run has billed, a consolidated customer with two sites and a
    ticket charge; the January run settles and bills all of it."""
    downgraded = setup.site_with_contract("premium", date(2026, 12, 1))
    run_period("2026-12")
    setup.change_tier(downgraded[2], "basic", date(2026, 12, 16), "downgrade")
    new = setup.site_with_contract("pro", date(2026, 12, 15))
    group = setup.customer(invoice_mode="consolidated")
    for tier in ("pro", "premium"):
        setup.contract(setup.site(group), tier, date(2027, 1, 1))
    charge_source.charges.append(
        BillableCharge(
            "servicedesk",
            "ticket:9:work",
            new[0].id,
            new[1].id,
            date(2026, 12, 20),
            "T-9 work 45 min",
            D("3.000"),
            "15 min",
            D("45.00"),
            D("135.00"),
        )
    )
    app.config["FROZEN_NOW"] = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    return downgraded[0], new[0], group


def written_by(run_id: int) -> dict[int, dict]:
    found: dict[int, dict] = {}
    for invoice in Invoice.query.where(Invoice.run_id == run_id).order_by(Invoice.id):
        entry = found.setdefault(invoice.customer_id, {"payable": D("0.00"), "net": D("0.00")})
        entry["payable"] += invoice.payable
        entry["net"] += invoice.total_net
        entry.setdefault("lines", []).extend(
            tuple(getattr(line, column) for column in LINE_COLUMNS) for line in invoice.lines
        )
    return found


def test_the_preview_equals_what_the_run_then_writes_per_customer(app, db, setup, charge_source):
    downgraded, new, group = scenario(app, setup, charge_source)
    counts_before = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Invoice, InvoiceLine, BilledMonth, InvoiceRun)
    ]

    preview = preview_period("2027-01")

    counts_after = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Invoice, InvoiceLine, BilledMonth, InvoiceRun)
    ]
    assert counts_after == counts_before  # the preview writes nothing
    assert charge_source.billed == []  # and tells no source its charges were billed
    previewed = {
        customer.customer_id: {
            "payable": customer.total("payable"),
            "net": customer.total("total_net"),
            "lines": [
                tuple(line[column] for column in LINE_COLUMNS)
                for invoice in customer.invoices
                for line in invoice.lines
            ],
        }
        for customer in preview.customers
    }
    assert set(previewed) == {downgraded.id, new.id, group.id}
    # The consolidated customer's January: pro 129.00 + premium 600.00 = 729.00 net,
    # + 8.1 % VAT 59.05 = 788.05.
    assert previewed[group.id]["net"] == D("729.00")
    assert previewed[group.id]["payable"] == D("788.05")

    result = run_period("2027-01")
    written = written_by(result.run_id)
    assert written == previewed
    assert preview.totals["payable"] == sum(c["payable"] for c in written.values())


def test_finance_sees_the_preview_per_customer_on_the_run_page_and_in_the_api(
    app, db, client, factories, setup, charge_source
):
    downgraded, new, group = scenario(app, setup, charge_source)
    login(client, factories.user("finance"))
    page = client.get("/invoicing/run?period=2027-01&preview=1").get_data(as_text=True)
    assert f'data-customer="{group.id}"' in page and "788.05" in page
    headers = {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}
    answer = client.get("/api/v1/invoicing/preview?period=2027-01", headers=headers)
    assert answer.status_code == 200
    customers = {c["customer_id"]: c for c in answer.json["customers"]}
    assert D(customers[group.id]["payable"]) == D("788.05")
    assert len(customers[group.id]["invoices"]) == 1  # consolidated
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1  # December's
    refused = client.get("/api/v1/invoicing/preview?period=2027-13", headers=headers)
    assert refused.status_code == 422
