"""A CLI command owns its transactions: a customer whose last step fails keeps nothing,
the others are billed, and the command says why it failed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from plugins.invoicing.models import BilledMonth, Invoice


def test_a_cli_command_keeps_nothing_of_a_customer_whose_last_step_fails(
    app, db, setup, charge_source, monkeypatch
):
    from app.hooks import BillableCharge

    good = setup.site_with_contract("pro", date(2026, 12, 1))[0]
    bad, bad_site, _ = setup.site_with_contract("premium", date(2026, 12, 1))
    charge_source.charges = [
        BillableCharge(
            "servicedesk",
            "ticket:1:time",
            bad.id,
            bad_site.id,
            date(2026, 11, 20),
            "T-000001",
            Decimal("1.000"),
            "h",
            Decimal("160.00"),
            Decimal("160.00"),
        )
    ]

    def refuse(event):  # the source cannot record that its charge is billed: the last step
        raise RuntimeError("the service desk refuses the notice")

    charge_source.on_billed = refuse
    result = app.test_cli_runner().invoke(args=["invoicing", "run", "--period", "2026-12"])

    assert result.exit_code == 1
    assert "FAILED" in result.output and "the service desk refuses the notice" in result.output
    invoices = db.session.scalars(select(Invoice)).all()
    assert [i.customer_id for i in invoices] == [good.id]  # the other customer is billed
    # Of the refused customer nothing stays: no invoice, no ledger row, no billed charge.
    assert db.session.scalar(select(func.count()).where(BilledMonth.customer_id == bad.id)) == 0
    charge_source.on_billed = None
    again = app.test_cli_runner().invoke(args=["invoicing", "run", "--period", "2026-12"])
    assert again.exit_code == 0, again.output
    assert {i.customer_id for i in db.session.scalars(select(Invoice))} == {good.id, bad.id}
