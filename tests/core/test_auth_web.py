"""Logging in, CSRF on forms, scoping of the web pages, prices and the UI language."""

from __future__ import annotations

import re

import pytest

from tests.core.isolated import isolated_client
from tests.factories import PASSWORD, login


@pytest.fixture
def web(app):
    return isolated_client(app)


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def test_passwords_are_stored_hashed(db, factories):
    user = factories.user("finance")
    assert user.password_hash != PASSWORD and PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_wrong_password_flashes_and_stays_on_the_login_page(web, factories):
    user = factories.user("finance")
    response = web.post("/login", data={"email": user.email, "password": "falsch-falsch"})
    assert response.status_code == 200
    assert "E-Mail oder Passwort ist falsch." in response.get_data(as_text=True)
    assert web.get("/customers").status_code == 302


def test_unknown_or_deactivated_user_cannot_log_in(web, db, factories):
    user = factories.user("finance")
    user.active = False
    db.session.commit()
    response = web.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    response = web.post("/login", data={"email": "niemand@example.ch", "password": PASSWORD})
    assert response.status_code == 200


def test_login_is_case_insensitive_and_redirects_to_a_local_next_only(web, factories):
    user = factories.user("finance")
    data = {"email": user.email.upper(), "password": PASSWORD}
    response = web.post("/login?next=/catalog", data=data)
    assert response.status_code == 302 and response.location.endswith("/catalog")
    web.post("/logout")
    response = web.post("/login?next=//evil.example/x", data=data)
    assert response.status_code == 302 and "evil" not in response.location


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\\evil.example/x",
        "/\\/evil.example",
        "https://evil.example/",
        "/%0d%0aSet-Cookie:x",
        "javascript:alert(1)",
    ],
)
def test_no_open_redirect_after_login_or_language_choice(web, factories, target):
    user = factories.user("finance")
    response = web.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil" not in response.location and "\\" not in response.location
    assert response.location.startswith("/")
    response = web.post("/language", data={"language": "en", "next": target})
    assert "evil" not in response.location and response.location.startswith("/")


def test_logout_ends_the_session(web, factories):
    login(web, factories.user("finance"))
    assert web.get("/customers").status_code == 200
    assert web.post("/logout").status_code == 302
    assert web.get("/customers").status_code == 302


def test_a_copied_session_cookie_no_longer_works_after_logout(app, web, factories):
    user = factories.user("finance")
    login(web, user)
    copied = web.get_cookie("session").value
    other_browser = isolated_client(app)
    other_browser.set_cookie("session", copied)
    assert other_browser.get("/customers").status_code == 200
    web.post("/logout")
    replay = isolated_client(app)
    replay.set_cookie("session", copied)
    response = replay.get("/customers")
    assert response.status_code == 302 and "/login" in response.location
    # Logging out ended the other browser's session as well.
    assert other_browser.get("/customers").status_code == 302
    # A new login works as before.
    login(web, user)
    assert web.get("/customers").status_code == 200


def test_a_password_change_ends_every_session_of_the_user(app, web, db, factories):
    from app.schemas import UserPatch
    from app.services import update_user

    user = factories.user("finance")
    login(web, user)
    update_user(user, UserPatch(password="ein-neues-passwort"))
    db.session.commit()
    assert web.get("/customers").status_code == 302
    login(web, user, "ein-neues-passwort")
    assert web.get("/customers").status_code == 200


def test_a_deactivated_user_is_logged_out_everywhere(web, db, factories):
    from app.schemas import UserPatch
    from app.services import update_user

    user = factories.user("finance")
    login(web, user)
    update_user(user, UserPatch(active=False))
    db.session.commit()
    assert web.get("/customers").status_code == 302


def test_a_session_from_before_session_tokens_opens_nothing(app, factories):
    from app.web import user_of_session

    user = factories.user("finance")
    assert user_of_session(user.get_id()) is user
    assert user_of_session(str(user.id)) is None  # the old form, "<id>"
    assert user_of_session(f"{user.id}:{'0' * 32}") is None
    assert user_of_session("99999999999999999999:x") is None


def test_anonymous_pages_redirect_to_login_with_next(web):
    response = web.get("/customers")
    assert response.status_code == 302
    assert "/login" in response.location and "next=" in response.location
    page = web.get(response.location).get_data(as_text=True)
    assert "Bitte melden Sie sich an, um diese Seite zu öffnen." in page


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_forms_need_the_csrf_token(web, db, factories):
    user = factories.user("finance")
    # Login itself is a form: without the token it is refused.
    assert web.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    token = csrf_token_of(web.get("/login").get_data(as_text=True))
    response = web.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302

    data = {
        "legal_name": "Ohne Token AG",
        "street": "Weg",
        "postal_code": "5400",
        "town": "Baden",
        "country": "CH",
        "billing_email": "a@example.ch",
        "language": "de",
        "invoice_mode": "per_site",
    }
    refused = web.post("/customers/new", data=data)
    assert refused.status_code == 400
    token = csrf_token_of(web.get("/customers/new").get_data(as_text=True))
    accepted = web.post(
        "/customers/new", data={**data, "legal_name": "Mit Token AG", "csrf_token": token}
    )
    assert accepted.status_code == 302
    names = web.get("/customers").get_data(as_text=True)
    assert "Mit Token AG" in names and "Ohne Token AG" not in names
    # Logging out is a POST form as well.
    assert web.post("/logout").status_code == 400
    assert web.post("/logout", data={"csrf_token": token}).status_code == 302


def test_customer_user_sees_only_its_own_company(web, factories):
    own, other = factories.customer("Eigene Firma AG"), factories.customer("Andere Firma AG")
    factories.site(other, name="Geheimer Standort")
    login(web, factories.user("customer", customer=own))
    listing = web.get("/customers").get_data(as_text=True)
    assert "Eigene Firma AG" in listing and "Andere Firma AG" not in listing
    search = web.get("/customers?q=Andere").get_data(as_text=True)
    assert "Andere Firma AG" not in search
    assert web.get(f"/customers/{own.id}").status_code == 200
    response = web.get(f"/customers/{other.id}")
    assert response.status_code == 404 and "Andere Firma" not in response.get_data(as_text=True)
    for site in other.sites:
        assert web.get(f"/sites/{site.id}").status_code == 404
    # the start page is the customer's dashboard, linking their own company only
    start = web.get("/").get_data(as_text=True)
    assert f'href="/customers/{own.id}"' in start and f"/customers/{other.id}" not in start


def test_staff_see_every_customer(web, factories):
    factories.customer("Erste AG")
    factories.customer("Zweite AG")
    login(web, factories.user("service_desk"))
    listing = web.get("/customers").get_data(as_text=True)
    assert "Erste AG" in listing and "Zweite AG" in listing


def test_service_desk_sees_no_prices_in_the_catalog(web, factories):
    login(web, factories.user("service_desk"))
    page = web.get("/catalog").get_data(as_text=True)
    assert "winCall premium 7x24h" in page
    assert "600.00" not in page and "CHF" not in page


def test_finance_sees_prices_in_the_catalog(web, factories):
    login(web, factories.user("finance"))
    page = web.get("/catalog").get_data(as_text=True)
    assert "CHF 600.00" in page and "CHF 228.00" in page


def test_ui_is_german_by_default_and_english_on_request(web, factories):
    page = web.get("/login").get_data(as_text=True)
    assert "Anmelden" in page and 'lang="de"' in page
    response = web.post("/language", data={"language": "en", "next": "/login"})
    assert response.status_code == 302 and response.location.endswith("/login")
    page = web.get("/login").get_data(as_text=True)
    assert "Log in" in page and "Anmelden" not in page and 'lang="en"' in page
    web.post("/language", data={"language": "de"})
    assert "Anmelden" in web.get("/login").get_data(as_text=True)


def test_a_get_never_changes_the_stored_language(web, db, factories):
    user = factories.user("finance", language="en")
    login(web, user)
    assert web.get("/language/de").status_code in (404, 405)
    page = web.get("/customers?lang=de").text
    assert "Kunden" in page  # ?lang= shows this one page in German ...
    db.session.expire_all()
    assert user.language == "en"  # ... and stores nothing
    assert "Customers" in web.get("/customers").text


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_language_switcher_is_a_form_with_a_csrf_token(web):
    page = web.get("/login").text
    switcher = page.split('action="/language"')[1].split("</form>")[0]
    assert 'name="csrf_token"' in switcher and 'name="language" value="en"' in switcher
    assert web.post("/language", data={"language": "en"}).status_code == 400
    token = csrf_token_of(page)
    web.post("/language", data={"language": "en", "csrf_token": token})
    assert 'lang="en"' in web.get("/login").text


def test_a_users_language_is_remembered(web, db, factories):
    user = factories.user("finance", language="en")
    login(web, user)
    assert "Customers" in web.get("/customers").get_data(as_text=True)
    web.post("/language", data={"language": "de"})
    db.session.expire_all()
    assert user.language == "de"
    assert "Kunden" in web.get("/customers").get_data(as_text=True)


def test_german_menu_labels(web, factories):
    login(web, factories.user("admin"))
    page = web.get("/customers").get_data(as_text=True)
    for label in ("Kunden", "Katalog", "Tarife", "Benutzer", "Prüfprotokoll"):
        assert label in page, label


def test_error_pages_are_html_for_people_and_json_for_the_api(web, factories):
    login(web, factories.user("service_desk"))
    response = web.get("/users")
    assert response.status_code == 403 and response.mimetype == "text/html"
    response = web.get("/does-not-exist")
    assert response.status_code == 404 and response.mimetype == "text/html"
    response = web.get("/api/v1/does-not-exist")
    assert response.status_code == 404 and response.is_json


def test_nul_characters_in_forms_are_refused(web, db, factories):
    login(web, factories.user("account_manager"))
    response = web.post(
        "/customers/new",
        data={
            "legal_name": "Null\x00Byte AG",
            "street": "Weg",
            "postal_code": "5400",
            "town": "Baden",
            "country": "CH",
            "billing_email": "a@example.ch",
        },
    )
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert web.get("/customers/99999999999999999999").status_code == 404
    # In a path segment (a signed link's token) the server hands the byte itself over.
    assert web.get("/invoicing/pay/abc%00def").status_code == 400


def test_an_unknown_address_costs_the_same_hashing_as_a_wrong_password(app, monkeypatch):
    import app.services as services

    checked = []
    real = services.check_secret
    monkeypatch.setattr(services, "check_secret", lambda h, p: checked.append(h) or real(h, p))
    assert services.authenticate("niemand@example.ch", "irgendwas") is None
    assert services.authenticate("niemand@example.ch", "nochmals") is None
    method = app.config["PASSWORD_HASH_METHOD"]
    assert len(checked) == 2 and checked[0] == checked[1] and checked[0].startswith(method)
