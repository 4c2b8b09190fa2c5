"""User rules: the last active administrator stays an active administrator."""

from __future__ import annotations

import pytest

from app.errors import RuleViolation
from app.schemas import UserPatch
from app.services import update_user
from tests.factories import login


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(app, db, factories):
    admin = factories.user("admin")
    factories.user("admin", active=False)  # an inactive admin does not count
    for change in (UserPatch(active=False), UserPatch(role="finance")):
        with pytest.raises(RuleViolation, match="letzte aktive Administrator"):
            update_user(admin, change)
        db.session.rollback()
    db.session.refresh(admin)
    assert (admin.role, admin.active) == ("admin", True)
    # Other changes to the last admin are fine.
    update_user(admin, UserPatch(name="Immer noch Admin", active=True, role="admin"))


def test_with_a_second_active_admin_one_may_go(db, factories):
    first, second = factories.user("admin"), factories.user("admin")
    update_user(first, UserPatch(active=False))
    db.session.commit()
    with pytest.raises(RuleViolation):
        update_user(second, UserPatch(role="finance"))


def test_the_users_page_refuses_with_a_clear_message(web_admin, db):
    client, admin = web_admin
    response = client.post(
        f"/users/{admin.id}/edit",
        data={
            "email": admin.email,
            "name": admin.name,
            "role": "admin",
            "customer_id": "",
            "language": "de",
            "phone": "",
            "password": "",
            # "active" unchecked: the admin deactivates itself
        },
    )
    assert response.status_code == 200
    assert (
        "Der letzte aktive Administrator kann weder deaktiviert werden noch die Administratorrolle verlieren."
        in response.text
    )
    db.session.refresh(admin)
    assert admin.active


def test_the_api_refuses_with_422(app, db, factories):
    admin = factories.user("admin")
    token = factories.token(admin)
    response = app.test_client().patch(
        f"/api/v1/users/{admin.id}",
        json={"active": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.get_json()["details"][0]["field"] == "active"


def test_an_admin_who_changes_its_own_password_stays_logged_in(web_admin, db):
    client, admin = web_admin
    response = client.post(
        f"/users/{admin.id}/edit",
        data={
            "email": admin.email,
            "name": admin.name,
            "role": "admin",
            "customer_id": "",
            "language": "de",
            "phone": "",
            "password": "ein-neues-passwort",
            "active": "y",
        },
    )
    assert response.status_code == 302
    assert client.get("/users").status_code == 200


@pytest.fixture
def web_admin(app, factories):
    from tests.core.isolated import isolated_client

    admin = factories.user("admin")
    client = isolated_client(app)
    login(client, admin)
    return client, admin
