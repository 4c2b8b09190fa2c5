"""Finance adds tier versions on a page and through the API: structured, future-dated only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.catalog import add_tier_version
from app.errors import RuleViolation
from app.models import Tier, TierVersion
from app.schemas import TierVersionIn
from tests.core.isolated import isolated_client
from tests.factories import login

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # today: 2026-11-24
D = Decimal

PRO_2027 = {
    "valid_from": "2027-01-01",
    "name": "winCall pro 5x13h",
    "monthly_price": "139.00",
    "service_windows": [{"days": [0, 1, 2, 3, 4], "start": "07:00", "end": "20:00"}],
    "holidays_closed": True,
    "reaction_kind": "hours",
    "reaction_hours": 4,
    "free_service_units": 6,
}


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": NOW}


def versions(db, code: str) -> list[tuple]:
    db.session.expire_all()
    tier = db.session.scalar(select(Tier).where(Tier.code == code))
    return sorted(
        (v.valid_from, v.name, v.monthly_price, v.service_windows, v.reaction_hours)
        for v in tier.versions
    )


SEEDED_PRO = (
    date(2018, 1, 1),
    "winCall pro 5x12h",
    D("129.00"),
    [{"days": [0, 1, 2, 3, 4], "start": "07:00", "end": "19:00"}],
    6,
)


def pro(db) -> Tier:
    return db.session.scalar(select(Tier).where(Tier.code == "pro"))


# --- the service -----------------------------------------------------------------------


def test_a_version_from_the_past_or_today_is_refused_and_the_existing_one_unchanged(db):
    for day in ("2018-01-01", "2026-11-01", "2026-11-24"):
        with pytest.raises(RuleViolation, match="history is never rewritten") as error:
            add_tier_version(pro(db), TierVersionIn(**{**PRO_2027, "valid_from": day}))
        assert error.value.field == "valid_from"
        db.session.rollback()
    assert versions(db, "pro") == [SEEDED_PRO]


def test_a_future_version_is_in_force_from_its_day(db):
    add_tier_version(pro(db), TierVersionIn(**PRO_2027))
    db.session.commit()
    tier = pro(db)
    assert tier.version_on(date(2026, 12, 31)).monthly_price == D("129.00")
    version = tier.version_on(date(2027, 1, 1))
    assert (version.name, version.monthly_price, version.reaction_hours) == (
        "winCall pro 5x13h",
        D("139.00"),
        4,
    )
    assert version.service_windows == [{"days": [0, 1, 2, 3, 4], "start": "07:00", "end": "20:00"}]


def test_a_planned_version_may_be_replaced_before_it_is_in_force(db):
    add_tier_version(pro(db), TierVersionIn(**PRO_2027))
    add_tier_version(pro(db), TierVersionIn(**{**PRO_2027, "monthly_price": "135.00"}))
    db.session.commit()
    assert [v[2] for v in versions(db, "pro")] == [D("129.00"), D("135.00")]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"monthly_price": "-1"}, "monthly_price"),
        ({"monthly_price": "12.345"}, "monthly_price"),
        ({"reaction_hours": None}, "needs the number of hours"),
        ({"reaction_kind": "soon"}, "reaction_kind"),
        ({"service_windows": []}, "service_windows"),
        ({"service_windows": [{"days": [0], "start": "19:00", "end": "07:00"}]}, "end after"),
        ({"service_windows": [{"days": [7], "start": "07:00", "end": "19:00"}]}, "days"),
        ({"service_windows": [{"days": [0, 0], "start": "07:00", "end": "19:00"}]}, "once"),
        ({"service_windows": [{"days": [0], "start": "7 Uhr", "end": "19:00"}]}, "start"),
        (
            {
                "service_windows": [
                    {"days": [0, 1], "start": "07:00", "end": "12:00"},
                    {"days": [1], "start": "11:00", "end": "18:00"},
                ]
            },
            "overlap",
        ),
        ({"free_service_units": -1}, "free_service_units"),
        # Worded from the windows, never stored: a label of one's own is refused.
        ({"service_hours_label": "Mo–Fr 07–20h"}, "service_hours_label"),
    ],
)
def test_invalid_versions_are_refused_by_the_api(app, db, factories, change, problem):
    headers = {
        "Authorization": f"Bearer {factories.token(factories.user('finance', language='en'))}"
    }
    answer = isolated_client(app).post(
        "/api/v1/catalog/tiers/pro/versions", json={**PRO_2027, **change}, headers=headers
    )
    assert answer.status_code == 422
    assert problem in str(answer.get_json())
    assert versions(db, "pro") == [SEEDED_PRO]


def test_the_api_adds_a_version_and_lists_the_history(app, db, factories):
    client = isolated_client(app)
    finance = {
        "Authorization": f"Bearer {factories.token(factories.user('finance', language='en'))}"
    }
    added = client.post("/api/v1/catalog/tiers/pro/versions", json=PRO_2027, headers=finance)
    assert added.status_code == 201
    assert added.get_json()["monthly_price"] == "139.00"
    assert versions(db, "pro")[-1][:3] == (date(2027, 1, 1), "winCall pro 5x13h", D("139.00"))
    desk = {
        "Authorization": f"Bearer {factories.token(factories.user('service_desk', language='en'))}"
    }
    history = client.get("/api/v1/catalog/tiers/pro/versions", headers=desk).get_json()
    assert [(v["valid_from"], v["monthly_price"]) for v in history] == [
        ("2018-01-01", None),  # the desk sees no prices
        ("2027-01-01", None),
    ]
    past = client.post(
        "/api/v1/catalog/tiers/pro/versions",
        json={**PRO_2027, "valid_from": "2026-11-01"},
        headers=finance,
    )
    assert past.status_code == 422 and "history is never rewritten" in past.get_json()["message"]
    # The label of the service hours is worded from the windows, in the caller's language.
    assert [v["service_hours_label"] for v in history] == ["Mon–Fri 07–19h", "Mon–Fri 07–20h"]
    german = {
        "Authorization": f"Bearer {factories.token(factories.user('service_desk', language='de'))}"
    }
    catalog = client.get("/api/v1/catalog/tiers", headers=german).get_json()
    assert {v["code"]: v["service_hours_label"] for v in catalog}["pro"] == "Mo–Fr 07–19h"
    assert (
        client.post("/api/v1/catalog/tiers/pro/versions", json=PRO_2027, headers=desk).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/catalog/tiers/gold/versions", json=PRO_2027, headers=finance
        ).status_code
        == 404
    )


# --- the page --------------------------------------------------------------------------


@pytest.fixture
def finance(app, factories):
    web = isolated_client(app)
    login(web, factories.user("finance", language="en"))
    web.get("/catalog?lang=en")
    return web


def form_data(**overrides) -> dict:
    data = {
        "valid_from": "2027-01-01",
        "name": "winCall basic+ 5x9h",
        "monthly_price": "59.00",
        "windows-0-days": ["0", "1", "2", "3", "4"],
        "windows-0-start": "08:00",
        "windows-0-end": "12:00",
        "windows-1-days": ["0", "1", "2", "3", "4"],
        "windows-1-start": "13:00",
        "windows-1-end": "18:00",
        "windows-2-start": "",
        "windows-2-end": "",
        "holidays_closed": "y",
        "reaction_kind": "next_business_day",
        "reaction_hours": "",
        "free_service_units": "3",
    }
    data.update(overrides)
    return data


def test_the_form_shows_the_current_version_as_rows_not_json(finance):
    html = finance.get("/catalog/basic_plus/versions/new").get_data(as_text=True)
    assert 'name="windows-0-start"' in html and 'value="08:00"' in html
    assert 'name="windows-1-end"' in html and 'value="18:00"' in html
    assert '<input checked id="windows-0-days-0" name="windows-0-days" type="checkbox"' in html
    assert '<input id="windows-0-days-5" name="windows-0-days" type="checkbox"' in html
    assert 'value="2026-12-01"' in html  # default: the first of next month
    assert '"days"' not in html and "[{" not in html


def test_the_page_adds_a_version_with_structured_windows(finance, db):
    response = finance.post("/catalog/basic_plus/versions/new", data=form_data())
    assert response.status_code == 302, response.get_data(as_text=True)
    (seeded, new) = versions(db, "basic_plus")
    assert new == (
        date(2027, 1, 1),
        "winCall basic+ 5x9h",
        D("59.00"),
        [
            {"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "12:00"},
            {"days": [0, 1, 2, 3, 4], "start": "13:00", "end": "18:00"},
        ],
        None,
    )
    html = finance.get("/catalog").get_data(as_text=True)
    assert 'data-valid-from="2027-01-01"' in html and "CHF 59.00" in html


def test_the_page_refuses_a_past_start_and_keeps_what_was_typed(finance, db):
    html = finance.post(
        "/catalog/basic_plus/versions/new", data=form_data(valid_from="2026-11-01")
    ).get_data(as_text=True)
    assert "is not in the future" in html and "history is never rewritten" in html
    assert 'value="winCall basic+ 5x9h"' in html
    assert len(versions(db, "basic_plus")) == 1


def test_the_page_refuses_a_malformed_window(finance, db):
    html = finance.post(
        "/catalog/basic_plus/versions/new", data=form_data(**{"windows-0-end": "25:00"})
    ).get_data(as_text=True)
    assert "Enter the time as HH:MM" in html
    html = finance.post(
        "/catalog/basic_plus/versions/new",
        data=form_data(reaction_kind="hours", reaction_hours=""),
    ).get_data(as_text=True)
    assert "needs the number of hours" in html
    assert len(versions(db, "basic_plus")) == 1


def test_only_finance_sees_the_new_version_button(app, factories):
    desk = isolated_client(app)
    login(desk, factories.user("account_manager", language="en"))
    assert "/versions/new" not in desk.get("/catalog").get_data(as_text=True)
    assert desk.get("/catalog/pro/versions/new").status_code == 403


def test_tier_versions_made_by_the_page_are_audited(finance, db):
    from app.models import AuditEntry

    finance.post("/catalog/basic_plus/versions/new", data=form_data())
    db.session.expire_all()
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.table_name == TierVersion.__tablename__)
    )
    assert entry is not None and entry.action == "insert"
