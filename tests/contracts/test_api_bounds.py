"""List filters of the contracts API are bounded like ids: beyond 64 bits (or an INTEGER
column) the answer is 400, never a 500 from the database."""

from __future__ import annotations

import pytest

HUGE = [2**31, 2**63, 10**30]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("name", ["offset", "customer_id", "site_id"])
def test_a_huge_filter_is_refused(client, factories, name, value):
    headers = {"Authorization": f"Bearer {factories.token(factories.user('admin'))}"}
    response = client.get(f"/api/v1/contracts?{name}={value}", headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["details"][0]["field"] == name
