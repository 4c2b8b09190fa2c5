"""Finance pages, the customer portal, access rules, CSV export and the JSON API."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice, InvoiceRun
from tests.factories import login

D = Decimal


@pytest.fixture
def two_customers(db, setup):
    """Two customers with one issued December invoice each, plus a draft for the first."""
    own, own_site, _ = setup.site_with_contract("pro", date(2026, 12, 1), legal_name="Eigene AG")
    other, _, _ = setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Fremde AG")
    ids = run_period("2026-12").invoice_ids
    issue_invoices(ids, processes=1)
    setup.contract(setup.site(own), "basic_plus", date(2026, 12, 1))
    (draft_id,) = run_period("2026-12").invoice_ids
    by_customer = {db.session.get(Invoice, i).customer_id: i for i in ids}
    return own, other, by_customer[own.id], by_customer[other.id], draft_id


def test_finance_runs_the_period_from_the_run_page(client, db, setup, factories):
    setup.site_with_contract("pro", date(2026, 12, 1), legal_name="Vorschau AG")
    login(client, factories.user("finance"))
    preview = client.get("/invoicing/run?period=2026-12&preview=1")
    assert preview.status_code == 200
    assert "Vorschau AG" in preview.text and "129.00" in preview.text
    response = client.post("/invoicing/run", data={"period": "2026-12"})
    assert response.status_code == 302
    (run,) = db.session.query(InvoiceRun).all()
    assert response.location.endswith(f"/invoicing/runs/{run.id}")
    # Without a broker the job ran in-process: the run page shows it finished.
    status = client.get(response.location)
    assert status.status_code == 200 and 'data-status="finished"' in status.text
    drafts = client.get("/invoicing/drafts?period=2026-12")
    assert "Vorschau AG" in drafts.text
    client.post("/invoicing/drafts/issue", data={"period": "2026-12"})
    listing = client.get("/invoicing/?period=2026-12")
    assert "2026-000001" in listing.text


def test_finance_filters_issued_invoices_and_exports_csv(client, factories, two_customers):
    own, other, own_invoice, other_invoice, _ = two_customers
    login(client, factories.user("finance"))
    listing = client.get("/invoicing/?customer=Fremde")
    assert "Fremde AG" in listing.text and "Eigene AG" not in listing.text
    assert "Eigene AG" in client.get("/invoicing/?status=issued").text
    export = client.get("/invoicing/export.csv?period=2026-12")
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.text), delimiter=";"))
    assert sorted(row["number"] for row in rows) == ["2026-000001", "2026-000002"]
    assert {row["payable"] for row in rows} == {"139.45", "648.60"}


def test_finance_records_a_payment_and_issues_a_credit_note_from_the_pages(
    client, db, factories, two_customers
):
    _, _, invoice_id, _, _ = two_customers
    login(client, factories.user("finance"))
    client.post(
        f"/invoicing/invoices/{invoice_id}/payments",
        data={"amount": "39.45", "received_on": "2026-12-01"},
    )
    page = client.get(f"/invoicing/invoices/{invoice_id}")
    assert "100.00" in page.text  # open amount after the partial payment
    response = client.post(
        f"/invoicing/invoices/{invoice_id}/credit-note", data={"reason": "Goodwill", "mode": "full"}
    )
    assert response.status_code == 302
    note = db.session.query(Invoice).filter_by(kind="credit_note").one()
    assert note.number == "GS-2026-000001" and note.pdf.startswith(b"%PDF")
    assert "Goodwill" in client.get(f"/invoicing/invoices/{note.id}").text
    assert client.get("/invoicing/payments").status_code == 200


def test_issue_all_shown_issues_the_drafts_the_unfiltered_page_shows(
    app, client, db, setup, factories
):
    # The drafts of next month, made ahead in December: the unfiltered page lists them,
    # and "issue all shown" used to issue this month's drafts instead (none: an empty job).
    from datetime import UTC, datetime

    app.config["FROZEN_NOW"] = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
    setup.site_with_contract("pro", date(2026, 12, 1), legal_name="Voraus AG")
    issue_invoices(run_period("2026-12").invoice_ids, processes=1)
    (january,) = run_period("2027-01").invoice_ids
    login(client, factories.user("finance"))
    assert "Voraus AG" in client.get("/invoicing/drafts").text

    response = client.post("/invoicing/drafts/issue", data={"period": ""})

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Invoice, january).status == "issued"
    job = db.session.query(InvoiceRun).filter_by(kind="issuing").one()
    assert (job.period, job.selection) == ("2027-01", [january])
    # Nothing left to issue: said so, and no empty job is queued.
    client.post("/invoicing/drafts/issue", data={"period": ""})
    assert "keine Entwürfe zum Ausstellen" in client.get("/invoicing/drafts").text
    assert db.session.query(InvoiceRun).filter_by(kind="issuing").count() == 1


def test_a_malformed_draft_selection_issues_nothing(client, db, factories, two_customers):
    # A non-numeric id used to be dropped silently, so the selection became "every draft".
    *_, draft_id = two_customers
    login(client, factories.user("finance"))
    response = client.post("/invoicing/drafts/issue", data={"invoice_id": ["x"]})
    assert response.status_code == 302 and response.location.endswith("/invoicing/drafts")
    assert db.session.get(Invoice, draft_id).status == "draft"
    assert db.session.query(InvoiceRun).filter_by(kind="issuing").count() == 0
    flashed = client.get("/invoicing/drafts").text
    assert "Enter a whole number" in flashed or "ganze Zahl" in flashed


def test_a_credit_amount_out_of_bounds_is_refused_with_nothing_kept(
    client, db, factories, two_customers
):
    _, _, invoice_id, _, _ = two_customers
    invoice = db.session.get(Invoice, invoice_id)
    line_id = invoice.lines[0].id
    login(client, factories.user("finance"))
    for amount in ("1e307", "NaN", "-5"):
        client.post(
            f"/invoicing/invoices/{invoice_id}/credit-note",
            data={"reason": "Kulanz", "mode": "partial", f"line_{line_id}": amount},
        )
        assert db.session.query(Invoice).filter_by(kind="credit_note").count() == 0, amount
    client.post(
        f"/invoicing/invoices/{invoice_id}/credit-note",
        data={"reason": "", "mode": "full"},
    )
    assert db.session.query(Invoice).filter_by(kind="credit_note").count() == 0


def test_customer_sees_only_own_issued_invoices_and_downloads_the_pdf(
    client, factories, two_customers
):
    own, other, own_invoice, other_invoice, draft_id = two_customers
    login(client, factories.user("customer", customer=own))
    listing = client.get("/invoicing/")
    assert "Eigene AG" in listing.text and "Fremde AG" not in listing.text
    pdf = client.get(f"/invoicing/invoices/{own_invoice}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/invoicing/invoices/{other_invoice}").status_code == 404
    assert client.get(f"/invoicing/invoices/{other_invoice}/pdf").status_code == 404
    assert client.get(f"/invoicing/invoices/{draft_id}").status_code == 404
    assert client.get("/invoicing/run").status_code == 403
    assert client.get("/invoicing/export.csv?period=2026-12").status_code == 403


@pytest.mark.parametrize("role", ["service_desk", "technician", "account_manager"])
def test_staff_outside_finance_never_see_invoices(client, factories, two_customers, role):
    _, _, own_invoice, _, _ = two_customers
    login(client, factories.user(role))
    assert client.get("/invoicing/").status_code == 403
    assert client.get(f"/invoicing/invoices/{own_invoice}").status_code == 403
    assert client.get(f"/invoicing/invoices/{own_invoice}/pdf").status_code == 403


def test_api_runs_a_period_and_lists_invoices(client, db, setup, factories):
    setup.site_with_contract("pro", date(2026, 12, 1))
    token = factories.token(factories.user("finance"))
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/invoicing/runs", json={"period": "2026-12"}, headers=headers)
    assert response.status_code == 202
    started = response.json
    assert started["period"] == "2026-12" and started["run_id"]
    # Without a broker the job ran in-process; its status tells what it did.
    body = client.get(started["status_url"], headers=headers).json
    assert body["status"] == "finished" and body["id"] == started["run_id"]
    assert body["period"] == "2026-12" and len(body["invoice_ids"]) == 1 and body["failures"] == []
    again = client.post("/api/v1/invoicing/runs", json={"period": "2026-12"}, headers=headers)
    assert again.status_code == 202
    assert client.get(again.json["status_url"], headers=headers).json["invoice_ids"] == []
    invoice_id = body["invoice_ids"][0]
    issued = client.post(f"/api/v1/invoicing/invoices/{invoice_id}/issue", headers=headers)
    assert issued.json["number"] == "2026-000001" and issued.json["payable"] == "139.45"
    paid = client.post(
        f"/api/v1/invoicing/invoices/{invoice_id}/payments",
        json={"amount": "139.45", "received_on": "2026-12-01"},
        headers=headers,
    )
    assert paid.status_code == 201 and paid.json["status"] == "paid"
    detail = client.get(f"/api/v1/invoicing/invoices/{invoice_id}", headers=headers).json
    assert detail["lines"][0]["amount"] == "129.00"
    bad = client.post("/api/v1/invoicing/runs", json={"period": "2026-13"}, headers=headers)
    assert bad.status_code == 422


def test_api_issues_the_drafts_of_a_period_as_a_background_job(
    client, db, setup, factories, sent_mail
):
    setup.site_with_contract("pro", date(2026, 12, 1), legal_name="Auftrag AG")
    (draft_id,) = run_period("2026-12").invoice_ids
    token = factories.token(factories.user("finance"))
    headers = {"Authorization": f"Bearer {token}"}
    for body, status in (
        ({"period": "2026-13"}, 422),
        ({"period": "2026-12", "invoice_ids": [0]}, 422),
        ({"period": "2026-12", "invoice_ids": [2**63]}, 422),
        ({"period": "2026-12", "invoice_ids": [draft_id + 999]}, 404),
    ):
        refused = client.post("/api/v1/invoicing/issuing", json=body, headers=headers)
        assert refused.status_code == status, (body, refused.json)
    assert db.session.query(InvoiceRun).filter_by(kind="issuing").count() == 0

    response = client.post("/api/v1/invoicing/issuing", json={"period": "2026-12"}, headers=headers)
    assert response.status_code == 202
    # Without a broker the job ran in-process after the commit; its status tells the rest.
    job = client.get(response.json["status_url"], headers=headers).json
    assert (job["kind"], job["status"], job["invoice_ids"]) == ("issuing", "finished", [draft_id])
    assert job["invoices_issued"] == 1 and job["failures"] == []
    invoice = client.get(f"/api/v1/invoicing/invoices/{draft_id}", headers=headers).json
    assert invoice["status"] == "issued" and invoice["number"] == "2026-000001"
    customer = db.session.get(Invoice, draft_id).customer
    assert [m.to for m in sent_mail] == [(customer.billing_email,)]


def test_api_scopes_customers_to_their_own_invoices(client, factories, two_customers):
    own, other, own_invoice, other_invoice, draft_id = two_customers
    token = factories.token(factories.user("customer", customer=own))
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/invoicing/invoices", headers=headers).json
    assert [item["id"] for item in listed] == [own_invoice]
    assert (
        client.get(f"/api/v1/invoicing/invoices/{other_invoice}", headers=headers).status_code
        == 404
    )
    assert client.get(f"/api/v1/invoicing/invoices/{draft_id}", headers=headers).status_code == 404
    assert (
        client.post(
            "/api/v1/invoicing/runs", json={"period": "2026-12"}, headers=headers
        ).status_code
        == 403
    )


def test_invoicing_operations_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert "/api/v1/invoicing/runs" in paths
    assert "/api/v1/invoicing/runs/{run_id}" in paths
    assert "/api/v1/invoicing/invoices/{invoice_id}/checkout" in paths


def test_cli_runs_a_period(app, db, setup):
    setup.site_with_contract("pro", date(2026, 12, 1))
    result = app.test_cli_runner().invoke(args=["invoicing", "run", "--period", "2026-12"])
    assert result.exit_code == 0, result.output
    assert "1 invoice(s) created as drafts" in result.output
    again = app.test_cli_runner().invoke(args=["invoicing", "run", "--period", "2026-12"])
    assert "0 invoice(s) created" in again.output


def test_invoicing_code_never_imports_the_contracts_plugin():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "plugins" / "invoicing"
    offenders = [
        path.name
        for path in root.rglob("*.py")
        if "plugins.contracts" in path.read_text()
        or "from plugins import contracts" in path.read_text()
    ]
    assert offenders == []


def test_api_reads_stay_scoped_whoever_asked_before(client, factories, two_customers):
    """The reads' statements are built once per visibility: a customer's never serves
    staff (who see drafts) nor another customer, whatever the order of requests."""
    own, other, own_invoice, other_invoice, draft_id = two_customers
    staff = {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}
    mine = {"Authorization": f"Bearer {factories.token(factories.user('customer', customer=own))}"}
    theirs = {
        "Authorization": f"Bearer {factories.token(factories.user('customer', customer=other))}"
    }
    for _ in range(2):
        for headers, visible in (
            (staff, {own_invoice, other_invoice, draft_id}),
            (mine, {own_invoice}),
            (theirs, {other_invoice}),
        ):
            listed = client.get("/api/v1/invoicing/invoices", headers=headers).json
            assert {item["id"] for item in listed} == visible
            for invoice_id in (own_invoice, other_invoice, draft_id):
                answer = client.get(f"/api/v1/invoicing/invoices/{invoice_id}", headers=headers)
                assert answer.status_code == (200 if invoice_id in visible else 404)
    drafts = client.get("/api/v1/invoicing/invoices?status=draft", headers=staff).json
    assert [item["id"] for item in drafts] == [draft_id]
    assert drafts[0]["open_amount"] == "0.00"
    issued = client.get(
        f"/api/v1/invoicing/invoices?status=issued&customer_id={own.id}&period=2026-12",
        headers=staff,
    ).json
    assert [(item["id"], item["open_amount"]) for item in issued] == [
        (own_invoice, issued[0]["payable"])
    ]
    assert (
        client.get("/api/v1/invoicing/invoices?limit=1&offset=1", headers=staff).json[0]["id"]
        == sorted({own_invoice, other_invoice, draft_id}, reverse=True)[1]
    )
