"""The demo data of contracts: contracts in every tier and a quote waiting for finance."""

from __future__ import annotations

from sqlalchemy import select

from plugins.contracts.models import Contract, Quote
from plugins.contracts.quotes import quote_totals


def test_demo_load_adds_contracts_and_a_branch_package_waiting_for_approval(app, db):
    for _ in range(2):  # safe to repeat
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
    contracts = db.session.scalars(select(Contract)).all()
    assert len(contracts) == 16
    assert {c.periods[0].tier.code for c in contracts} == {
        "premium",
        "pro_plus",
        "pro",
        "basic_plus",
        "basic",
    }
    [quote] = db.session.scalars(select(Quote)).all()
    assert (quote.state, quote.approval, len(quote.lines)) == ("draft", "pending", 7)
    assert quote_totals(quote).volume_discount_percent == 5
