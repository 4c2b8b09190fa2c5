"""The ticket API finds the path's ticket before it reads the body: an unknown ticket,
or another customer's, is 404 whatever the body (never a 422 that tells it exists)."""

from __future__ import annotations

from plugins.servicedesk import intake

WORK = (
    "first-reaction",
    "resolution",
    "time-entries",
    "materials",
    "fault-origin",
    "severity",
    "pause",
    "resume",
)


def _headers(factories, user) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.token(user)}"}


def test_work_on_an_unknown_ticket_is_404_whatever_the_body(client, desk, factories):
    headers = _headers(factories, desk.technician)
    for action in WORK:
        for body in ({"unexpected": True}, {"minutes": -1, "quantity": "NaN"}):
            response = client.post(
                f"/api/v1/servicedesk/tickets/999999/{action}", json=body, headers=headers
            )
            assert response.status_code == 404, (action, body, response.get_json())


def test_another_customers_ticket_is_404_for_a_fast_lane_answer(client, db, desk, factories):
    customer_user = factories.user("customer", customer=desk.customer)
    ticket = intake.portal_ticket(desk.site, "No calls", "", customer_user)
    db.session.commit()
    stranger = factories.user("customer", customer=factories.customer("Fremde AG"))
    for body in ({"confirm": "perhaps"}, {}):
        response = client.post(
            f"/api/v1/servicedesk/tickets/{ticket.id}/fast-lane",
            json=body,
            headers=_headers(factories, stranger),
        )
        assert response.status_code == 404, response.get_json()
    own = client.post(
        f"/api/v1/servicedesk/tickets/{ticket.id}/fast-lane",
        json={"confirm": "perhaps"},
        headers=_headers(factories, customer_user),
    )
    assert own.status_code == 422


def test_sites_for_an_unknown_outage_are_404_whatever_the_body(client, desk, factories):
    chief = factories.user("chief")
    for body in ({"unexpected": True}, {"site_ids": [0]}):
        response = client.post(
            "/api/v1/servicedesk/incidents/999999/sites",
            json=body,
            headers=_headers(factories, chief),
        )
        assert response.status_code == 404, (body, response.get_json())
