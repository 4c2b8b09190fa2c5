"""The VAT rate table: rows from/to, limited rates that give way to the rate before, no past."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.errors import RuleViolation
from app.tariffs import tariff
from app.vat_rates import VAT_KEY, add_vat_rate, vat_rates
from tests.core.isolated import isolated_client
from tests.factories import login

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
D = Decimal


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": NOW}


def table() -> list[tuple]:
    return [(row.valid_from, row.valid_to, row.rate) for row in vat_rates()]


SEEDED = [
    (date(2011, 1, 1), date(2017, 12, 31), D("8.00")),
    (date(2018, 1, 1), date(2023, 12, 31), D("7.70")),
    (date(2024, 1, 1), None, D("8.10")),
]


def test_each_row_runs_until_the_day_before_the_next(app):
    assert table() == SEEDED


def test_a_limited_rise_gives_way_to_the_rate_in_force_before(app, db):
    add_vat_rate(date(2027, 1, 1), D("8.8"), valid_to=date(2030, 12, 31))
    db.session.commit()
    assert table()[2:] == [
        (date(2024, 1, 1), date(2026, 12, 31), D("8.10")),
        (date(2027, 1, 1), date(2030, 12, 31), D("8.8")),
        (date(2031, 1, 1), None, D("8.10")),
    ]
    assert tariff(VAT_KEY, date(2030, 12, 31)) == D("8.8")
    assert tariff(VAT_KEY, date(2031, 1, 1)) == D("8.10")


def test_no_rate_is_added_back_where_a_row_already_starts(app, db):
    add_vat_rate(date(2028, 1, 1), D("8.5"))
    add_vat_rate(date(2027, 1, 1), D("8.8"), valid_to=date(2027, 12, 31))
    db.session.commit()
    assert table()[3:] == [
        (date(2027, 1, 1), date(2027, 12, 31), D("8.8")),
        (date(2028, 1, 1), None, D("8.5")),
    ]


def test_a_row_inside_the_limited_period_is_refused(app, db):
    add_vat_rate(date(2028, 1, 1), D("8.5"))
    db.session.commit()
    with pytest.raises(RuleViolation, match="inside the period"):
        add_vat_rate(date(2027, 1, 1), D("8.8"), valid_to=date(2030, 12, 31))
    db.session.rollback()
    assert [row[0] for row in table()][-1] == date(2028, 1, 1)


def test_a_rate_from_the_past_or_today_is_refused_and_the_table_stays(app, db):
    for day in (date(2024, 1, 1), date(2026, 11, 1), date(2026, 11, 24)):
        with pytest.raises(RuleViolation, match="history is never rewritten"):
            add_vat_rate(day, D("8.8"))
        db.session.rollback()
    assert table() == SEEDED


def test_valid_to_before_valid_from_is_refused(app, db):
    with pytest.raises(RuleViolation) as error:
        add_vat_rate(date(2027, 6, 1), D("8.8"), valid_to=date(2027, 5, 31))
    assert error.value.field == "valid_to"


@pytest.fixture
def finance(app, factories):
    web = isolated_client(app)
    login(web, factories.user("finance", language="en"))
    web.get("/vat-rates?lang=en")
    return web


def test_the_page_shows_from_and_to_and_adds_a_limited_rate(finance, db):
    html = finance.get("/vat-rates").get_data(as_text=True)
    assert "Dec 31, 2023" in html and "until further notice" in html and "8.1 %" in html
    response = finance.post(
        "/vat-rates", data={"valid_from": "2027-01-01", "rate": "8.8", "valid_to": "2030-12-31"}
    )
    assert response.status_code == 302
    html = finance.get("/vat-rates").get_data(as_text=True)
    assert 'data-valid-from="2031-01-01"' in html and "8.8 %" in html
    db.session.expire_all()
    assert len(vat_rates()) == 5


def test_the_page_refuses_a_past_rate_with_a_clear_message(finance, db):
    response = finance.post("/vat-rates", data={"valid_from": "2026-11-01", "rate": "8.8"})
    html = response.get_data(as_text=True)
    assert "is not in the future" in html and "history is never rewritten" in html
    db.session.expire_all()
    assert table() == SEEDED


def test_the_api_lists_and_adds_rates(app, db, factories):
    headers = {
        "Authorization": f"Bearer {factories.token(factories.user('finance', language='en'))}"
    }
    client = isolated_client(app)
    listed = client.get("/api/v1/vat-rates", headers=headers).get_json()
    assert listed[-1] == {"valid_from": "2024-01-01", "valid_to": None, "rate": "8.10"}
    refused = client.post(
        "/api/v1/vat-rates", json={"valid_from": "2026-01-01", "rate": "8.8"}, headers=headers
    )
    assert (
        refused.status_code == 422 and "history is never rewritten" in refused.get_json()["message"]
    )
    out_of_range = client.post(
        "/api/v1/vat-rates", json={"valid_from": "2027-01-01", "rate": "180"}, headers=headers
    )
    assert out_of_range.status_code == 422
    added = client.post(
        "/api/v1/vat-rates",
        json={"valid_from": "2027-01-01", "rate": "8.8", "valid_to": "2030-12-31"},
        headers=headers,
    )
    assert added.status_code == 201
    assert added.get_json()[-2:] == [
        {"valid_from": "2027-01-01", "valid_to": "2030-12-31", "rate": "8.8"},
        {"valid_from": "2031-01-01", "valid_to": None, "rate": "8.10"},
    ]
