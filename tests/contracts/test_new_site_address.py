"""A new site in a quote is in Switzerland: its postal code must be one (four digits)."""

from __future__ import annotations


def test_a_new_site_in_a_quote_needs_a_swiss_postal_code(client, db, factories):
    headers = {"Authorization": f"Bearer {factories.token(factories.user('admin'))}"}
    customer = factories.customer("Quote AG")
    db.session.commit()
    response = client.post(
        "/api/v1/quotes",
        json={
            "customer_id": customer.id,
            "start_date": "2099-01-01",
            "valid_until": "2098-12-31",
            "lines": [
                {
                    "tier_code": "pro",
                    "new_site": {
                        "name": "Filiale X",
                        "street": "Weg",
                        "postal_code": "123",
                        "town": "Irgendwo",
                    },
                }
            ],
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert "postal_code" in response.json["details"][0]["field"]
