"""Finance edits tariffs on typed forms and through the API: checked values, never the past."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.models import Tariff
from app.tariffs import set_tariff, tariff
from tests.core.isolated import isolated_client
from tests.factories import login

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # today in Zurich: Tuesday 2026-11-24
FEE = "servicedesk.fast_lane_fee"
INCREMENT = "servicedesk.billing_increment_minutes"
BANDS = "contracts.volume_discount"


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": NOW}


@pytest.fixture
def finance(app, factories):
    web = isolated_client(app)
    login(web, factories.user("finance", language="en"))
    web.get("/tariffs?lang=en")
    return web


@pytest.fixture
def token(factories):
    def of(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {factories.token(factories.user(role, language='en'))}"}

    return of


def rows(db, key: str) -> list[tuple[date, object]]:
    db.session.expire_all()
    found = db.session.scalars(select(Tariff).where(Tariff.key == key).order_by(Tariff.valid_from))
    return [(row.valid_from, row.value) for row in found]


# --- the rule: never the past ----------------------------------------------------------


def test_a_tariff_change_starting_today_or_earlier_is_refused_and_history_stays(db):
    before = rows(db, FEE)
    for day in (date(2026, 11, 24), date(2026, 1, 1), date(2000, 1, 1)):
        with pytest.raises(ValueError, match="history is never rewritten"):
            set_tariff(FEE, day, "300.00")
        db.session.rollback()
    assert rows(db, FEE) == before == [(date(2000, 1, 1), "250.00")]
    assert tariff(FEE) == Decimal("250.00")


def test_a_change_from_tomorrow_applies_from_tomorrow_only(db):
    set_tariff(FEE, date(2026, 11, 25), "300")
    db.session.commit()
    assert tariff(FEE, date(2026, 11, 24)) == Decimal("250.00")
    assert tariff(FEE, date(2026, 11, 25)) == Decimal("300.00")
    assert rows(db, FEE)[-1] == (date(2026, 11, 25), "300.00")


# --- the page --------------------------------------------------------------------------


def test_the_tariff_list_shows_labels_and_typed_values_no_json(finance):
    html = finance.get("/tariffs").get_data(as_text=True)
    assert "Fast Lane ticket fee (CHF)" in html and "CHF 250.00" in html
    assert "from 5 sites: 5.00 %" in html
    assert "level 2 after 20 days, CHF 20.00, second reminder" in html
    assert '[{"' not in html and "min_sites" not in html


def test_each_kind_gets_its_own_input(finance):
    fee = finance.get(f"/tariffs/{FEE}").get_data(as_text=True)
    assert re.search(r'<input type="number" id="value" name="value" min="0" max="10000.00" '
                     r'step="0.01" value="250.00"', fee)  # fmt: skip
    assert "<textarea" not in fee
    lapse = finance.get("/tariffs/servicedesk.free_units_lapse").get_data(as_text=True)
    assert re.search(r'<input type="checkbox" id="value" name="value" value="y" checked>', lapse)
    bands = finance.get(f"/tariffs/{BANDS}").get_data(as_text=True)
    assert bands.count('name="min_sites"') == 6 and 'value="10"' in bands  # 3 bands + 3 blank
    days = finance.get("/tariffs/servicedesk.closing_days").get_data(as_text=True)
    assert '<textarea id="value" name="value"' in days
    assert 'min="2026-11-25"' in fee  # the earliest start


def test_a_negative_fast_lane_fee_is_refused_on_the_page_and_nothing_changes(finance, db):
    response = finance.post(f"/tariffs/{FEE}", data={"valid_from": "2026-12-01", "value": "-250"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Fast Lane ticket fee (CHF): must be an amount in CHF from 0.00 to 10&#39;000.00" in html
    assert 'value="-250"' in html  # what was typed is kept for correcting
    assert rows(db, FEE) == [(date(2000, 1, 1), "250.00")]


def test_a_billing_increment_of_zero_is_refused(finance, db):
    response = finance.post(
        f"/tariffs/{INCREMENT}", data={"valid_from": "2026-12-01", "value": "0"}
    )
    assert "whole minutes from 1 to 240" in response.get_data(as_text=True)
    assert rows(db, INCREMENT) == [(date(2000, 1, 1), 15)]


def test_descending_bands_are_refused_and_ascending_ones_saved(finance, db):
    descending = {
        "valid_from": "2027-01-01",
        "min_sites": ["10", "5", ""],
        "percent": ["8", "5", ""],
    }
    html = finance.post(f"/tariffs/{BANDS}", data=descending).get_data(as_text=True)
    assert "row 2: the minimum number of sites must be higher than in the row above" in html
    assert len(rows(db, BANDS)) == 1
    ascending = {**descending, "min_sites": ["3", "12", ""], "percent": ["2.5", "9", ""]}
    response = finance.post(f"/tariffs/{BANDS}", data=ascending)
    assert response.status_code == 302
    assert rows(db, BANDS)[-1] == (
        date(2027, 1, 1),
        [{"min_sites": 3, "percent": "2.5"}, {"min_sites": 12, "percent": "9"}],
    )


def test_a_past_start_is_refused_on_the_page(finance, db):
    html = finance.post(
        f"/tariffs/{FEE}", data={"valid_from": "2026-11-01", "value": "300"}
    ).get_data(as_text=True)
    assert "is not in the future" in html and "history is never rewritten" in html
    assert rows(db, FEE) == [(date(2000, 1, 1), "250.00")]


def test_a_boolean_and_a_date_list_are_saved_from_their_inputs(finance, db):
    finance.post("/tariffs/servicedesk.free_units_lapse", data={"valid_from": "2027-01-01"})
    assert rows(db, "servicedesk.free_units_lapse")[-1] == (date(2027, 1, 1), False)
    finance.post(
        "/tariffs/servicedesk.closing_days",
        data={"valid_from": "2027-01-01", "value": "2027-12-24\n2027-12-31\n"},
    )
    assert rows(db, "servicedesk.closing_days")[-1] == (
        date(2027, 1, 1),
        ["2027-12-24", "2027-12-31"],
    )


# --- the API ---------------------------------------------------------------------------


def test_the_api_lists_tariffs_with_their_rule_and_versions(app, token):
    answer = isolated_client(app).get(f"/api/v1/tariffs/{FEE}", headers=token("finance"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["kind"] == "money" and "0.00" in body["rule"]
    assert body["versions"] == [
        {"valid_from": "2000-01-01", "valid_to": None, "value": "250.00", "problem": None}
    ]
    listed = isolated_client(app).get("/api/v1/tariffs", headers=token("account_manager"))
    assert FEE in [item["key"] for item in listed.get_json()]


def test_a_negative_fee_is_refused_by_the_api_naming_field_and_rule(app, db, token):
    answer = isolated_client(app).post(
        f"/api/v1/tariffs/{FEE}/versions",
        json={"valid_from": "2026-12-01", "value": "-250"},
        headers=token("finance"),
    )
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "rule_violation"
    assert "must be an amount in CHF from 0.00" in body["message"]
    assert body["details"] == [{"field": "value", "message": body["message"]}]
    assert rows(db, FEE) == [(date(2000, 1, 1), "250.00")]


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        (INCREMENT, 0, "whole minutes from 1"),
        (BANDS, [{"min_sites": 10, "percent": "8"}, {"min_sites": 5, "percent": "5"}], "higher"),
        (BANDS, [{"min_sites": 10}], "row 1 needs exactly"),
        ("invoicing.reminder_levels", [{"level": 1, "days_overdue": 10, "fee": "-1"}], "row 1"),
        ("servicedesk.free_units_lapse", "perhaps", "yes or no"),
        ("servicedesk.closing_days", ["2027-02-30"], "is not a date"),
    ],
)
def test_the_api_refuses_values_that_break_the_rule(app, db, token, key, value, rule):
    before = rows(db, key)
    answer = isolated_client(app).post(
        f"/api/v1/tariffs/{key}/versions",
        json={"valid_from": "2026-12-01", "value": value},
        headers=token("finance"),
    )
    assert answer.status_code == 422
    assert rule in answer.get_json()["message"]
    assert rows(db, key) == before


def test_the_api_adds_a_future_value_and_refuses_a_past_one(app, db, token):
    client = isolated_client(app)
    past = client.post(
        f"/api/v1/tariffs/{FEE}/versions",
        json={"valid_from": "2026-11-24", "value": "300"},
        headers=token("finance"),
    )
    assert past.status_code == 422 and past.get_json()["details"][0]["field"] == "valid_from"
    added = client.post(
        f"/api/v1/tariffs/{FEE}/versions",
        json={"valid_from": "2027-01-01", "value": "275.50"},
        headers=token("finance"),
    )
    assert added.status_code == 201
    assert added.get_json()["versions"][0]["valid_to"] == "2026-12-31"
    assert rows(db, FEE) == [(date(2000, 1, 1), "250.00"), (date(2027, 1, 1), "275.50")]


def test_only_finance_writes_tariffs_through_the_api(app, token):
    answer = isolated_client(app).post(
        f"/api/v1/tariffs/{FEE}/versions",
        json={"valid_from": "2027-01-01", "value": "1"},
        headers=token("account_manager"),
    )
    assert answer.status_code == 403
    unknown = isolated_client(app).get("/api/v1/tariffs/core.nothing", headers=token("finance"))
    assert unknown.status_code == 404


def test_resolution_targets_are_edited_as_rows_of_choices_not_json(finance, db):
    key = "servicedesk.resolution_targets"
    form = finance.get(f"/tariffs/{key}").get_data(as_text=True)
    assert 'data-editor="rows"' in form and "<textarea" not in form
    assert '<select name="severity"' in form and 'value="premium"' in form
    # Finance picks a tier by its catalog name; the row stores the code.
    assert '<option value="premium">winCall premium 7x24h</option>' in form
    assert ">premium<" not in form and ">pro_plus<" not in form
    twice = {
        "valid_from": "2027-01-01",
        "tier": ["premium", "premium", ""],
        "severity": ["critical", "critical", ""],
        "amount": ["4", "6", ""],
        "unit": ["h", "h", ""],
    }
    html = finance.post(f"/tariffs/{key}", data=twice).get_data(as_text=True)
    assert "row 2: this tier and severity twice" in html
    before = len(rows(db, key))
    saved = finance.post(
        f"/tariffs/{key}",
        data={**twice, "severity": ["critical", "major", ""], "amount": ["2", "6", ""]},
    )
    assert saved.status_code == 302 and len(rows(db, key)) == before + 1
    assert rows(db, key)[-1] == (
        date(2027, 1, 1),
        [
            {"tier": "premium", "severity": "critical", "amount": 2, "unit": "h"},
            {"tier": "premium", "severity": "major", "amount": 6, "unit": "h"},
        ],
    )


def test_the_resolution_targets_read_with_tier_names(finance):
    page = finance.get("/tariffs").get_data(as_text=True)
    start = page.index('data-key="servicedesk.resolution_targets"')
    row = page[start : page.index("</tr>", start)]
    assert "winCall premium 7x24h critical: 4 h; winCall premium 7x24h major: 8 h" in row
    assert "winCall pro+ 6x12h critical: 8 h" in row
    assert "premium critical" not in row and "pro_plus" not in row
