"""A run's period lies in a sane range, refused alike by the CLI, the API and the page:
not more than twelve months ahead, not before the first period this system bills
(INVOICING_FIRST_PERIOD; without it, the month before the first run, or twelve months
back before any run). Nothing is started for a refused period."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.invoicing.models import InvoiceRun
from tests.factories import login

# The clock stands at 2026-12-01 (tests/invoicing/conftest.py).
OUT_OF_RANGE = ["2028-01", "1026-12", "0001-01", "2025-11"]


def _runs(db) -> int:
    return db.session.scalar(select(func.count()).select_from(InvoiceRun))


@pytest.mark.parametrize("period", OUT_OF_RANGE)
def test_the_cli_refuses_a_period_out_of_range(app, db, period):
    result = app.test_cli_runner().invoke(args=["invoicing", "run", "--period", period])
    assert result.exit_code != 0
    assert f"{period} liegt" in result.output  # the default locale: German
    assert _runs(db) == 0


@pytest.mark.parametrize("period", OUT_OF_RANGE)
def test_the_api_refuses_a_period_out_of_range(client, db, factories, period):
    headers = {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}
    response = client.post("/api/v1/invoicing/runs", json={"period": period}, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert period in response.json["message"]
    assert _runs(db) == 0


@pytest.mark.parametrize("period", OUT_OF_RANGE)
def test_the_page_refuses_a_period_out_of_range_in_german(client, db, factories, period):
    login(client, factories.user("finance", language="de"))
    preview = client.get(f"/invoicing/run?period={period}&preview=1").get_data(as_text=True)
    assert f"{period} liegt" in preview
    client.post("/invoicing/run", data={"period": period})
    assert f"{period} liegt" in client.get("/invoicing/run").get_data(as_text=True)
    assert _runs(db) == 0


def test_the_range_reaches_a_year_back_and_a_year_ahead(client, db, factories):
    headers = {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}
    for period in ("2025-12", "2027-12"):
        response = client.post("/api/v1/invoicing/runs", json={"period": period}, headers=headers)
        assert response.status_code == 202, response.json


def test_after_a_first_run_the_month_before_it_is_the_floor(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["invoicing", "run", "--period", "2026-12"]).exit_code == 0
    assert runner.invoke(args=["invoicing", "run", "--period", "2026-11"]).exit_code == 0
    refused = runner.invoke(args=["invoicing", "run", "--period", "2026-09"])
    assert refused.exit_code != 0 and "2026-10" in refused.output


def test_a_configured_first_period_is_the_floor(app, db):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-06"
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["invoicing", "run", "--period", "2026-05"])
    assert refused.exit_code != 0 and "2026-06" in refused.output
    assert runner.invoke(args=["invoicing", "run", "--period", "2026-06"]).exit_code == 0
