"""Headless Chromium, phone and desktop: finance imports a camt.054 file, sees the invoices paid and books the
unmatched credit by hand; the customer then sees its credit balance in the portal."""

from datetime import date

import pytest

from plugins.invoicing.issuing import issue_invoice
from plugins.invoicing.jobs import run_period
from plugins.invoicing.qr_reference import qr_reference_for
from tests.browser import fits, log_in, log_out
from tests.invoicing.camt_files import camt054, entry, tx

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    from tests.invoicing.conftest import RUN_DAY

    return {"FROZEN_NOW": RUN_DAY, "WTF_CSRF_ENABLED": True}


def test_finance_imports_a_bank_file_and_the_customer_sees_its_credit(
    db, setup, factories, live_server, sized_page, tmp_path
):
    alpha, _, _ = setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Alpha AG")
    setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Beta AG")
    first, second = (issue_invoice(i) for i in sorted(run_period("2026-12").invoice_ids))
    db.session.commit()
    numbers = first.number, second.number
    path = tmp_path / "camt054.xml"
    path.write_bytes(
        camt054(
            entry(
                "E1",
                tx("700.00", first.qr_reference, "T1", debtor="Alpha AG"),  # 51.40 too much
                tx("648.60", qr_reference_for("2026-000099"), "T2", debtor="Beta AG"),
            )
        )
    )
    finance = factories.user("finance")
    customer_user = factories.user("customer", customer=alpha)
    page = sized_page

    log_in(page, live_server, finance)
    page.goto(f"{live_server}/invoicing/bank")
    page.set_input_files("#bank-upload input[name=file]", str(path))
    page.click("#bank-upload button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "1 zugeordnet, 1 nicht zugeordnet" in page.inner_text(".flash-success")
    queue = page.locator("#bank-queue tbody tr")
    assert queue.count() == 1 and "Beta AG" in queue.inner_text()
    fits(page, "bank-1-imported")

    queue.locator("input[name=invoice_number]").fill(numbers[1])
    queue.locator("button", has_text="Buchen").click()
    page.wait_for_selector(".flash-success")
    assert "Nichts wartet." in page.inner_text("#bank-queue")
    recent = page.inner_text("#bank-recent")
    assert numbers[0] in recent and numbers[1] in recent
    fits(page, "bank-2-booked")

    page.goto(f"{live_server}/invoicing/?status=paid")
    listing = page.inner_text("main")
    assert numbers[0] in listing and numbers[1] in listing
    fits(page, "bank-3-paid")

    log_out(page)
    log_in(page, live_server, customer_user)
    page.goto(f"{live_server}/customers/{alpha.id}")
    assert page.inner_text("#account-credit") == "51.40"
    assert page.inner_text("#account-balance") == "-51.40"
    assert "Guthaben" in page.inner_text("main")
    fits(page, "bank-4-customer-credit")
