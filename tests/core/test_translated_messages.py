"""Messages and choices of the core pages are worded in the user's language: the rules'
messages (RuleViolation) and the options of a vocabulary (its labels, translated when the
page renders, not when the form class was imported)."""

from __future__ import annotations

import pytest

from tests.factories import login


@pytest.fixture
def admin_client(app, factories):
    from tests.core.isolated import isolated_client

    def client_in(language: str):
        client = isolated_client(app)
        login(client, factories.user("admin", language=language))
        return client

    return client_in


def _new_user(**fields):
    data = {
        "email": "neu@example.ch",
        "name": "Neu",
        "role": "finance",
        "customer_id": "",
        "language": "de",
        "phone": "",
        "password": "ein-langes-passwort",
        "active": "y",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize(
    ("language", "taken", "no_customer", "not_a_customer"),
    [
        (
            "de",
            "Diese E-Mail-Adresse wird bereits von einem anderen Benutzer verwendet.",
            "Ein Kundenbenutzer muss zu einem Kunden gehören.",
            "Nur Kundenbenutzer gehören zu einem Kunden.",
        ),
        (
            "fr",
            "Cette adresse e-mail est déjà utilisée par un autre utilisateur.",
            "Un utilisateur client doit appartenir à un client.",
            "Seuls les utilisateurs clients appartiennent à un client.",
        ),
        (
            "it",
            "Questo indirizzo e-mail è già usato da un altro utente.",
            "Un utente cliente deve appartenere a un cliente.",
            "Solo gli utenti clienti appartengono a un cliente.",
        ),
    ],
)
def test_the_new_user_page_refuses_in_the_users_language(
    admin_client, factories, db, language, taken, no_customer, not_a_customer
):
    client = admin_client(language)
    other = factories.user("finance")
    customer = factories.customer()

    page = client.post("/users/new", data=_new_user(email=other.email.upper())).text
    assert taken in page and "already used" not in page
    page = client.post("/users/new", data=_new_user(role="customer")).text
    assert no_customer in page and "must belong" not in page
    page = client.post("/users/new", data=_new_user(customer_id=str(customer.id))).text
    assert not_a_customer in page and "only customer users" not in page


def test_an_authorised_caller_without_pin_is_refused_in_the_users_language(admin_client, factories):
    customer = factories.customer()
    page = admin_client("fr").post(
        f"/customers/{customer.id}/contacts/new",
        data={"name": "Anna", "phone": "", "email": "", "authorised_caller": "y", "active": "y"},
    )
    assert "Un appelant autorisé a besoin d&#39;un PIN de vérification." in page.text
    assert "verification PIN" not in page.text


def test_the_api_words_the_rule_in_the_callers_language_and_keeps_its_code(app, db, factories):
    admin = factories.user("admin", language="fr")
    factories.user("finance", email="pris@example.ch")
    token = factories.token(admin)
    response = app.test_client().post(
        "/api/v1/users",
        json={"email": "pris@example.ch", "name": "X", "role": "finance", "password": "x" * 12},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "rule_violation"
    assert body["details"][0]["field"] == "email"
    assert body["message"] == "Cette adresse e-mail est déjà utilisée par un autre utilisateur."


def test_the_role_and_invoice_mode_options_are_the_vocabularies_translated_labels(
    admin_client,
):
    # The user list says "Kundenberater"; the dropdown of the same page must say it too.
    page = admin_client("de").get("/users/new").text
    for role, german in (
        ("account_manager", "Kundenberater"),
        ("finance", "Finanzen"),
        ("technician", "Techniker"),
    ):
        assert f'<option value="{role}">{german}</option>' in page, role
    for english in ("Account manager", "Chief technician", ">Technician<", ">Customer<"):
        assert english not in page

    for language, per_site in (
        ("de", "Eine Rechnung pro Standort"),
        ("fr", "Une facture par site"),
    ):
        page = admin_client(language).get("/customers/new").text
        assert per_site in page
        assert "One invoice per site" not in page and "One consolidated invoice" not in page


def test_staff_are_not_offered_the_portals_menu_entries(admin_client, app, factories):
    """The portal's pages work on the user's own company: an admin (who holds every
    permission) got "Report a fault" with an empty site list and "Reaction times"
    answering 404."""
    page = admin_client("de").get("/").text
    for endpoint in ("/servicedesk/portal/new", "/servicedesk/reports/reaction", "/contracts/shop"):
        assert f'href="{endpoint}"' not in page, endpoint
    assert 'href="/users"' in page  # the admin's own entries are there

    from tests.core.isolated import isolated_client

    customer_user = factories.user("customer", language="de")
    client = isolated_client(app)
    login(client, customer_user)
    page = client.get("/").text
    for endpoint in ("/servicedesk/portal/new", "/servicedesk/reports/reaction", "/contracts/shop"):
        assert f'href="{endpoint}"' in page, endpoint
        assert client.get(endpoint, follow_redirects=True).status_code == 200, endpoint
