"""Addresses: the country is an ISO 3166 code (pycountry), a Swiss or Liechtenstein postal
code four digits in its range; refused when saved through the API, the pages and the
company data, and nothing is stored."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.addresses import address_problem, is_country, postal_code_problem
from app.company import stored_company
from app.models import Customer, Site
from tests.core.isolated import isolated_client
from tests.factories import login

CUSTOMER = {
    "legal_name": "Bäckerei Brot & Co. AG",
    "street": "Mellingerstrasse",
    "postal_code": "5405",
    "town": "Baden-Dättwil",
    "billing_email": "buchhaltung@brot.example",
}


def test_countries_are_iso_3166_codes():
    assert all(is_country(code) for code in ("CH", "LI", "DE", "AT", "FR", "IT"))
    assert not any(is_country(code) for code in ("YK", "XK", "XX", "C", "CHE", ""))


@pytest.mark.parametrize(
    ("country", "postal_code", "fine"),
    [
        ("CH", "5400", True),
        ("CH", "1000", True),
        ("CH", "9658", True),
        ("CH", "0999", False),
        ("CH", "12", False),
        ("CH", "54000", False),
        ("CH", "54O0", False),
        ("LI", "9490", True),
        ("LI", "9485", True),
        ("LI", "9500", False),
        ("LI", "5400", False),
        ("DE", "10115", True),
        ("AT", "A-1010", True),  # only CH and LI are known here
    ],
)
def test_swiss_and_liechtenstein_postal_codes_are_four_digits_in_range(
    app, country, postal_code, fine
):
    assert (postal_code_problem(country, postal_code) is None) is fine
    assert (address_problem(country, postal_code) is None) is fine


def test_a_missing_postal_code_or_country_is_called_missing(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("de"):
        # Not "' ist keine Postleitzahl von CH": an empty value named as if it were one.
        assert postal_code_problem("CH", "") == "Die Postleitzahl fehlt."
        assert address_problem("", "5400") == "Das Land fehlt."
        assert postal_code_problem("CH", "540").startswith("540 ist keine Postleitzahl")


@pytest.fixture
def headers(factories):
    return {"Authorization": f"Bearer {factories.token(factories.user('admin'))}"}


def test_the_api_refuses_an_unknown_country_and_stores_nothing(client, db, headers):
    response = client.post("/api/v1/customers", json={**CUSTOMER, "country": "YK"}, headers=headers)
    assert response.status_code == 422
    assert response.json["details"][0]["field"] == "country"
    assert "ISO 3166" in response.json["details"][0]["message"]
    assert db.session.query(Customer).count() == 0


def test_the_api_refuses_a_postal_code_that_cannot_be_swiss(client, db, headers):
    response = client.post(
        "/api/v1/customers", json={**CUSTOMER, "postal_code": "12"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json["details"] == [
        {"field": "postal_code", "message": response.json["message"]}
    ]
    assert db.session.query(Customer).count() == 0
    german = client.post(
        "/api/v1/customers",
        json={**CUSTOMER, "postal_code": "12"},
        headers={**headers, "Accept-Language": "de"},
    )
    assert german.status_code == 422


def test_a_patch_is_checked_against_the_stored_address(client, db, factories, headers):
    customer = factories.customer("Grenz AG")
    site = factories.site(customer, "Filiale Baden")
    db.session.commit()
    # Liechtenstein with a Baden postal code: each field valid alone, not together.
    for path in (f"/api/v1/customers/{customer.id}", f"/api/v1/sites/{site.id}"):
        response = client.patch(path, json={"country": "LI"}, headers=headers)
        assert response.status_code == 422, response.json
        assert response.json["details"][0]["field"] == "postal_code"
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).country == "CH"
    assert db.session.get(Site, site.id).country == "CH"
    moved = client.patch(
        f"/api/v1/sites/{site.id}", json={"country": "LI", "postal_code": "9490"}, headers=headers
    )
    assert moved.status_code == 200 and moved.json["country"] == "LI"


def test_the_customer_page_refuses_an_unknown_country_in_german(app, db, factories):
    client = isolated_client(app)
    login(client, factories.user("admin", language="de"))
    html = client.post(
        "/customers/new", data={**CUSTOMER, "country": "YK", "language": "de"}
    ).get_data(as_text=True)
    assert "ist kein Ländercode nach ISO 3166" in html
    html = client.post(
        "/customers/new", data={**CUSTOMER, "postal_code": "99", "language": "de"}
    ).get_data(as_text=True)
    assert "99 ist keine Postleitzahl von CH" in html
    assert db.session.query(Customer).count() == 0


def test_the_company_data_refuses_a_postal_code_that_cannot_be_swiss(app, db, factories):
    client = isolated_client(app)
    login(client, factories.user("admin", language="en"))
    before = stored_company().postal_code
    data = {
        "legal_name": "Winet Voicetec Solutions AG",
        "street": "Täfernstrasse",
        "house_number": "31",
        "postal_code": "540",
        "town": "Baden-Dättwil",
        "country": "CH",
    }
    with force_locale("en"):
        response = client.post("/company", data=data)
    assert response.status_code == 200
    assert "540 is not a postal code of CH" in response.get_data(as_text=True)
    db.session.expire_all()
    assert stored_company().postal_code == before
