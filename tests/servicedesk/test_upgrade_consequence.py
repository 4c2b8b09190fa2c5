"""An upgrade's price consequence, shown before it is signed, includes the Fast Lane fees
it would credit (servicedesk answers upgrade_signed inside the what-if) - and keeps none."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from plugins.contracts.consequences import tier_change_consequence
from plugins.contracts.models import Contract
from plugins.servicedesk import work
from plugins.servicedesk.models import FastLaneCredit
from tests.servicedesk.conftest import zurich
from tests.servicedesk.test_costs import _worked_ticket


def test_the_upgrade_preview_shows_the_fast_lane_credit_without_granting_it(desk, clock, db):
    ticket = _worked_ticket(desk, clock, at=zurich(2026, 12, 10, 20, 0), fast_lane=True)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    clock(zurich(2026, 12, 16, 9, 0))
    contract = db.session.scalar(select(Contract).where(Contract.site_id == desk.site.id))

    consequence = tier_change_consequence(contract, "premium")
    db.session.rollback()

    (credit,) = consequence.charge_credits
    assert credit.amount == Decimal("-250.00") and credit.source == "servicedesk"
    assert ticket.number in credit.description
    # Only shown: the credit is granted when the upgrade is really signed.
    assert db.session.scalar(select(func.count()).select_from(FastLaneCredit)) == 0
