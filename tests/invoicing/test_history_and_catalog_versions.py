"""Catalog versions and tariffs against invoicing: a future version is billed from its day on,
and nothing may change for a day that is already on an invoice (drafts included)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.errors import RuleViolation
from app.history import billed_through, earliest_change_day
from app.tariffs import set_tariff
from app.vat_rates import add_vat_rate
from plugins.invoicing.issuing import discard_draft
from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice
from tests.core.isolated import isolated_client

D = Decimal
PRO = {
    "name": "winCall pro 5x12h",
    "service_windows": [{"days": [0, 1, 2, 3, 4], "start": "07:00", "end": "19:00"}],
    "reaction_kind": "hours",
    "reaction_hours": 6,
    "free_service_units": 4,
}


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def finance_api(app, factories):
    headers = {
        "Authorization": f"Bearer {factories.token(factories.user('finance', language='en'))}"
    }
    client = isolated_client(app)

    def post(path: str, body: dict):
        return client.post(path, json=body, headers=headers)

    return post


def advance_lines(db, period: str) -> list[tuple]:
    db.session.expire_all()
    invoice = db.session.scalar(select(Invoice).where(Invoice.period == period))
    return [
        (line.service_start, line.service_end, line.unit_price, line.amount)
        for line in invoice.lines
        if line.kind == "advance"
    ]


def test_a_version_from_mid_month_is_billed_for_the_days_from_then_on(db, setup, finance_api):
    setup.site_with_contract("pro", date(2026, 12, 1))
    answer = finance_api(
        "/api/v1/catalog/tiers/pro/versions",
        {**PRO, "valid_from": "2026-12-16", "monthly_price": "150.00"},
    )
    assert answer.status_code == 201, answer.get_json()

    run_period("2026-12")

    assert advance_lines(db, "2026-12") == [
        (date(2026, 12, 1), date(2026, 12, 15), D("129.00"), D("62.42")),  # 129 x 15/31
        (date(2026, 12, 16), date(2026, 12, 31), D("150.00"), D("77.42")),  # 150 x 16/31
    ]


def test_a_version_from_next_month_is_billed_from_next_month(app, db, setup, finance_api):
    setup.site_with_contract("pro", date(2026, 12, 1))
    finance_api(
        "/api/v1/catalog/tiers/pro/versions",
        {**PRO, "valid_from": "2027-01-01", "monthly_price": "139.00"},
    )
    run_period("2026-12")
    app.config["FROZEN_NOW"] = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    run_period("2027-01")
    assert [line[2:] for line in advance_lines(db, "2026-12")] == [(D("129.00"), D("129.00"))]
    assert [line[2:] for line in advance_lines(db, "2027-01")] == [(D("139.00"), D("139.00"))]


def test_billed_through_is_the_last_service_day_on_any_invoice_drafts_included(db, setup):
    assert billed_through() is None
    setup.site_with_contract("pro", date(2026, 12, 1))
    (draft,) = run_period("2026-12").invoice_ids
    assert billed_through() == date(2026, 12, 31)  # December is billed in advance
    assert earliest_change_day() == date(2027, 1, 1)
    discard_draft(draft)
    db.session.commit()
    assert billed_through() is None  # a discarded draft bills nothing


def test_no_version_rate_or_tariff_may_start_on_a_billed_day(db, setup, finance_api):
    setup.site_with_contract("pro", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)

    tier = finance_api(
        "/api/v1/catalog/tiers/pro/versions",
        {**PRO, "valid_from": "2026-12-20", "monthly_price": "150.00"},
    )
    assert tier.status_code == 422
    assert "already invoiced" in tier.get_json()["message"]
    assert tier.get_json()["details"] == [
        {"field": "valid_from", "message": tier.get_json()["message"]}
    ]
    with pytest.raises(RuleViolation, match="already invoiced"):
        set_tariff("servicedesk.fast_lane_fee", date(2026, 12, 20), "300")
    db.session.rollback()
    with pytest.raises(RuleViolation, match="already invoiced"):
        add_vat_rate(date(2026, 12, 31), D("8.8"))
    db.session.rollback()

    after = finance_api(
        "/api/v1/catalog/tiers/pro/versions",
        {**PRO, "valid_from": "2027-01-01", "monthly_price": "150.00"},
    )
    assert after.status_code == 201
