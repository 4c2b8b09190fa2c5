"""The JSON API: OpenAPI document, token auth, error answers, and the core records."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from app.models import ApiToken, Contact, Customer, Site, User
from app.timeutil import now
from tests.core.isolated import isolated_client

CORE_PATHS = {
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/{customer_id}": {"get", "patch"},
    "/api/v1/customers/{customer_id}/sites": {"get", "post"},
    "/api/v1/sites/{site_id}": {"get", "patch"},
    "/api/v1/customers/{customer_id}/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch"},
    "/api/v1/users": {"get", "post"},
    "/api/v1/users/{user_id}": {"get", "patch"},
    "/api/v1/me": {"get"},
    "/api/v1/catalog/tiers": {"get"},
    "/api/v1/catalog/tiers/{code}/versions": {"get", "post"},
    "/api/v1/tariffs": {"get"},
    "/api/v1/tariffs/{key}": {"get"},
    "/api/v1/tariffs/{key}/versions": {"post"},
    "/api/v1/vat-rates": {"get", "post"},
    "/api/v1/company": {"get", "put"},
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

CUSTOMER = {
    "legal_name": "Bäckerei Brot & Co. AG",
    "street": "Mellingerstrasse",
    "house_number": "207",
    "postal_code": "5405",
    "town": "Baden-Dättwil",
    "billing_email": "buchhaltung@brot.example",
    "phone": "+41 56 470 00 00",
}
SITE = {
    "name": "Filiale Wettingen",
    "street": "Landstrasse",
    "house_number": "80",
    "postal_code": "5430",
    "town": "Wettingen",
    "canton": "AG",
}


@pytest.fixture
def api(app):
    return isolated_client(app)


@pytest.fixture
def bearer(factories):
    def headers_for(role: str, customer=None) -> dict[str, str]:
        user = factories.user(role, customer=customer)
        return {"Authorization": f"Bearer {factories.token(user)}"}

    return headers_for


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert isinstance(body.get("error"), str) and body["error"]
    assert isinstance(body.get("message"), str) and body["message"]
    return body


# --- the OpenAPI document ---------------------------------------------------------------


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict, ref: str):
    assert ref.startswith("#/components/"), ref
    node = document
    for part in ref[2:].split("/"):
        assert part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def test_openapi_document_is_valid_openapi_3_with_the_core_paths(api):
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"]
    assert isinstance(document["paths"], dict) and document["paths"]
    for path, item in document["paths"].items():
        assert path.startswith("/api/"), path
        operations = {k: v for k, v in item.items() if k in HTTP_METHODS}
        assert operations, path
        for method, operation in operations.items():
            assert operation.get("responses"), f"{method} {path} has no responses"
            for code in operation["responses"]:
                assert code == "default" or code.isdigit(), code
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert names == set(_path_names(path)), f"{method} {path}"
            if "security" in operation:
                for requirement in operation["security"]:
                    assert set(requirement) <= set(document["components"]["securitySchemes"])
    refs = set(_refs(document))
    assert refs, "the document should use component schemas"
    for ref in refs:
        _resolve(document, ref)
    for path, methods in CORE_PATHS.items():
        assert path in document["paths"], path
        assert methods <= set(document["paths"][path]), path


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def test_openapi_lists_every_api_route_of_the_app(app, api):
    document = api.get("/api/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule
        for name in rule.arguments:
            for converter in ("", "int:", "string:", "path:"):
                path = path.replace(f"<{converter}{name}>", "{" + name + "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"].get(path, {}), f"{method} {path}"


# --- authentication and authorisation -----------------------------------------------------


def test_no_token_is_401(api):
    assert_error(api.get("/api/v1/customers"), 401)
    assert_error(api.get("/api/v1/customers", headers={"Authorization": "Basic eDp5"}), 401)
    assert_error(api.get("/api/v1/customers", headers={"Authorization": "Bearer nope"}), 401)


def test_revoked_token_is_401(api, db, factories):
    user = factories.user("finance")
    clear = factories.token(user)
    headers = {"Authorization": f"Bearer {clear}"}
    assert api.get("/api/v1/customers", headers=headers).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    token.revoked_at = now()
    db.session.commit()
    assert_error(api.get("/api/v1/customers", headers=headers), 401)


def test_token_of_a_deactivated_user_is_401(api, db, factories):
    user = factories.user("finance")
    headers = {"Authorization": f"Bearer {factories.token(user)}"}
    user.active = False
    db.session.commit()
    assert_error(api.get("/api/v1/customers", headers=headers), 401)


def test_wrong_role_is_403(api, bearer):
    assert_error(api.get("/api/v1/users", headers=bearer("service_desk")), 403)
    assert_error(api.post("/api/v1/customers", json=CUSTOMER, headers=bearer("technician")), 403)


def test_unknown_id_is_404(api, bearer):
    headers = bearer("admin")
    for path in ("customers", "sites", "contacts", "users"):
        assert_error(api.get(f"/api/v1/{path}/999999", headers=headers), 404)
    assert_error(api.patch("/api/v1/customers/999999", json={}, headers=headers), 404)


def test_another_customers_id_is_404_for_a_customer_token(api, bearer, factories):
    own, other = factories.customer("Eigene AG"), factories.customer("Fremde AG")
    site, contact = factories.site(other), factories.contact(other)
    headers = bearer("customer", customer=own)
    for path in (
        f"/api/v1/customers/{other.id}",
        f"/api/v1/customers/{other.id}/sites",
        f"/api/v1/customers/{other.id}/contacts",
        f"/api/v1/sites/{site.id}",
        f"/api/v1/contacts/{contact.id}",
    ):
        body = assert_error(api.get(path, headers=headers), 404)
        assert "Fremde" not in json.dumps(body)
    # Writing to it, even with an invalid body, is the same 404 as for an unknown id.
    for body in ({"name": "Eingeschleust", "phone": "+41 56 000 00 01"}, {}, {"pin": 12}):
        assert_error(
            api.post(f"/api/v1/customers/{other.id}/contacts", json=body, headers=headers), 404
        )
        assert_error(api.patch(f"/api/v1/contacts/{contact.id}", json=body, headers=headers), 404)
    listed = api.get("/api/v1/customers", headers=headers).get_json()
    assert [c["legal_name"] for c in listed] == ["Eigene AG"]


# --- malformed input never gives 500 ---------------------------------------------------------


def test_non_json_body_is_415(api, bearer):
    response = api.post(
        "/api/v1/customers",
        data="legal_name=x",
        headers=bearer("finance"),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, 415)


def test_malformed_json_is_400(api, bearer):
    response = api.post(
        "/api/v1/customers",
        data='{"legal_name": "x",',
        headers=bearer("finance"),
        content_type="application/json",
    )
    assert_error(response, 400)


@pytest.mark.parametrize(
    "body, field",
    [
        ({**CUSTOMER, "legal_name": 42}, "legal_name"),
        ({**CUSTOMER, "active": "maybe"}, "active"),
        ({**CUSTOMER, "billing_email": "not-an-address"}, "billing_email"),
        ({**CUSTOMER, "country": "Switzerland"}, "country"),
        ({**CUSTOMER, "discount": "99"}, "discount"),
        ({k: v for k, v in CUSTOMER.items() if k != "town"}, "town"),
    ],
    ids=["wrong-type", "wrong-bool", "bad-email", "bad-country", "unknown-field", "missing"],
)
def test_invalid_fields_are_422_with_details(api, bearer, body, field):
    result = assert_error(api.post("/api/v1/customers", json=body, headers=bearer("finance")), 422)
    assert field in {detail["field"] for detail in result["details"]}
    assert all(detail["message"] for detail in result["details"])


def test_json_that_is_not_an_object_is_422(api, bearer):
    assert_error(api.post("/api/v1/customers", json=[CUSTOMER], headers=bearer("finance")), 422)
    assert_error(api.post("/api/v1/customers", json="x", headers=bearer("finance")), 422)


def test_bad_query_parameters_are_400(api, bearer):
    assert_error(api.get("/api/v1/customers?limit=abc", headers=bearer("finance")), 400)
    assert_error(api.get("/api/v1/customers?limit=100000", headers=bearer("finance")), 400)


def test_unknown_api_path_and_wrong_method_answer_json(api, bearer):
    assert_error(api.get("/api/v1/nothing-here", headers=bearer("finance")), 404)
    assert_error(api.delete("/api/v1/customers", headers=bearer("finance")), 405)


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1024}])
def test_oversized_body_is_413(api, bearer):
    body = {**CUSTOMER, "legal_name": "x" * 5000}
    assert_error(api.post("/api/v1/customers", json=body, headers=bearer("finance")), 413)


# --- core records through the API -------------------------------------------------------------


def test_create_and_change_customer_site_and_contact(api, db, bearer):
    manager = bearer("account_manager")
    response = api.post("/api/v1/customers", json=CUSTOMER, headers=manager)
    assert response.status_code == 201, response.get_json()
    customer = response.get_json()
    assert customer["legal_name"] == "Bäckerei Brot & Co. AG"
    assert customer["number"].startswith("K-")
    assert customer["country"] == "CH" and customer["language"] == "de"

    response = api.patch(
        f"/api/v1/customers/{customer['id']}",
        json={"invoice_mode": "consolidated", "phone": "+41 56 470 00 01"},
        headers=manager,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["invoice_mode"] == "consolidated"
    assert response.get_json()["legal_name"] == CUSTOMER["legal_name"]

    response = api.post(f"/api/v1/customers/{customer['id']}/sites", json=SITE, headers=manager)
    assert response.status_code == 201, response.get_json()
    site = response.get_json()
    response = api.patch(f"/api/v1/sites/{site['id']}", json={"canton": "zh"}, headers=manager)
    assert response.get_json()["canton"] == "ZH"
    assert_error(
        api.patch(f"/api/v1/sites/{site['id']}", json={"canton": "XX"}, headers=manager), 422
    )

    listed = api.get(f"/api/v1/customers/{customer['id']}/sites", headers=manager).get_json()
    assert [s["name"] for s in listed] == ["Filiale Wettingen"]

    stored = db.session.get(Customer, customer["id"])
    assert stored.invoice_mode == "consolidated"
    assert db.session.get(Site, site["id"]).canton == "ZH"


def test_contact_pin_is_stored_hashed_and_never_returned(api, db, bearer, factories):
    customer = factories.customer()
    headers = bearer("account_manager")
    response = api.post(
        f"/api/v1/customers/{customer.id}/contacts",
        json={
            "name": "Petra Pikett",
            "phone": "+41 79 123 45 67",
            "authorised_caller": True,
            "pin": "582913",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    assert "582913" not in response.get_data(as_text=True)
    contact = response.get_json()
    assert contact["has_pin"] is True and "pin" not in contact and "pin_hash" not in contact

    stored = db.session.get(Contact, contact["id"])
    assert stored.pin_hash and stored.pin_hash != "582913" and "582913" not in stored.pin_hash
    assert stored.check_pin("582913") and not stored.check_pin("582914")

    response = api.patch(f"/api/v1/contacts/{contact['id']}", json={"pin": "1234"}, headers=headers)
    assert response.status_code == 200 and "1234" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact["id"]).check_pin("1234")
    fetched = api.get(f"/api/v1/contacts/{contact['id']}", headers=headers)
    assert "pin_hash" not in fetched.get_data(as_text=True)

    # A PIN must be 4-8 digits, and an authorised caller needs one.
    assert_error(
        api.patch(f"/api/v1/contacts/{contact['id']}", json={"pin": "12ab"}, headers=headers),
        422,
    )
    result = assert_error(
        api.post(
            f"/api/v1/customers/{customer.id}/contacts",
            json={"name": "Ohne PIN", "authorised_caller": True},
            headers=headers,
        ),
        422,
    )
    assert result["details"][0]["field"] == "pin"


def test_create_and_change_a_user_with_hashed_password(api, db, bearer, factories):
    admin = bearer("admin")
    customer = factories.customer()
    body = {
        "email": "Neu.Kunde@Example.CH",
        "name": "Neu Kunde",
        "role": "customer",
        "customer_id": customer.id,
        "password": "ein-langes-passwort",
    }
    response = api.post("/api/v1/users", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    user = response.get_json()
    assert user["email"] == "neu.kunde@example.ch" and user["customer_id"] == customer.id
    assert "password" not in response.get_data(as_text=True)
    stored = db.session.get(User, user["id"])
    assert stored.password_hash != "ein-langes-passwort"
    assert stored.check_password("ein-langes-passwort")

    result = assert_error(api.post("/api/v1/users", json=body, headers=admin), 422)
    assert result["details"][0]["field"] == "email"
    staff_with_company = {**body, "email": "x@example.ch", "role": "finance"}
    assert_error(api.post("/api/v1/users", json=staff_with_company, headers=admin), 422)

    response = api.patch(f"/api/v1/users/{user['id']}", json={"role": "technician"}, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["role"] == "technician"
    assert response.get_json()["customer_id"] is None


def test_me_answers_the_tokens_user(api, factories):
    user = factories.user("chief")
    token = factories.token(user)
    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["email"] == user.email


def test_answers_list_their_fields_in_the_documented_order(api, bearer, factories):
    # pydantic writes the body in the response model's field order (the order the OpenAPI
    # schema shows), in one pass; Flask's encoder used to sort the keys alphabetically.
    from app.schemas import SiteOut, UserOut

    headers = bearer("admin")
    me = api.get("/api/v1/me", headers=headers)
    assert list(json.loads(me.data)) == list(UserOut.model_fields)
    assert me.mimetype == "application/json"
    customer = factories.customer(legal_name="Zürcher Bäckerei AG")
    factories.site(customer)
    sites = api.get(f"/api/v1/customers/{customer.id}/sites", headers=headers)
    (site,) = json.loads(sites.data)
    assert list(site) == list(SiteOut.model_fields)
    assert (
        json.loads(api.get(f"/api/v1/customers/{customer.id}", headers=headers).data)["legal_name"]
        == "Zürcher Bäckerei AG"
    )


def test_api_token_is_stored_as_sha256_and_shown_once(app, db, factories):
    from tests.factories import login

    user = factories.user("finance")
    client = isolated_client(app)
    login(client, user)
    page = client.post("/profile", data={"name": "Buchhaltungs-Export"}, follow_redirects=True)
    assert page.status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    text = page.get_data(as_text=True)
    start = text.index('id="new-token">') + len('id="new-token">')
    clear = text[start : text.index("<", start)]
    assert clear.startswith("wct_") and len(clear) > 40
    assert token.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert clear not in token.token_hash and token.prefix == clear[:12]
    assert clear not in client.get("/profile").get_data(as_text=True)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 200


def test_service_desk_sees_no_prices_in_the_catalog_api(api, bearer):
    desk = api.get("/api/v1/catalog/tiers", headers=bearer("service_desk")).get_json()
    assert {tier["code"] for tier in desk} == {"premium", "pro_plus", "pro", "basic_plus", "basic"}
    assert all(tier["monthly_price"] is None for tier in desk)
    finance = api.get("/api/v1/catalog/tiers", headers=bearer("finance")).get_json()
    prices = {tier["code"]: tier["monthly_price"] for tier in finance}
    assert prices["premium"] == "600.00" and prices["basic"] == "0.00"


def test_nul_characters_and_out_of_range_numbers_are_refused(api, bearer, factories):
    admin = bearer("admin")
    result = assert_error(
        api.post("/api/v1/customers", json={**CUSTOMER, "legal_name": "a\x00b"}, headers=admin),
        422,
    )
    assert "NUL" in result["message"]
    assert_error(api.get("/api/v1/customers?q=a%00b", headers=admin), 400)
    assert_error(api.get("/api/v1/customers?q%00=b", headers=admin), 400)  # in a name too
    assert api.get("/api/v1/customers?q=a%2500b", headers=admin).status_code == 200  # "%00"
    assert_error(api.get("/api/v1/customers?offset=99999999999999999999", headers=admin), 400)
    assert_error(api.get("/api/v1/customers/99999999999999999999", headers=admin), 404)
    body = {
        "email": "gross@example.ch",
        "name": "Gross",
        "role": "customer",
        "customer_id": 99999999999999999999,
        "password": "ein-langes-passwort",
    }
    result = assert_error(api.post("/api/v1/users", json=body, headers=admin), 422)
    assert result["details"][0]["field"] == "customer_id"


def test_openapi_operation_ids_and_schema_names_are_unique(app, api):
    from app.api import operations

    document = api.get("/api/openapi.json").get_json()
    ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    assert len(ids) == len(set(ids))
    # Component schemas are named after the pydantic class: two classes of one name
    # would silently share a schema, documenting one of them wrongly.
    owners: dict[str, set[str]] = {}
    for _, spec in operations(app):
        for model in (spec.body, spec.query, spec.response):
            if model is not None:
                owners.setdefault(model.__name__, set()).add(model.__module__)
    clashes = {name: modules for name, modules in owners.items() if len(modules) > 1}
    assert not clashes, f"rename one of the same-named API models: {clashes}"


def test_every_api_route_is_a_declared_operation(app):
    """API blueprints skip CSRF because they read only bearer tokens, never the session
    cookie; a plain view on them would accept a cookie without CSRF protection."""
    from app.api import OPERATION_ATTRIBUTE

    plain = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and getattr(app.view_functions[rule.endpoint], OPERATION_ATTRIBUTE, None) is None
    ]
    assert not plain, f"declare these with app.api.operation: {plain}"


def test_the_api_ignores_the_session_cookie(app, factories):
    from tests.factories import login

    client = isolated_client(app)
    login(client, factories.user("admin"))
    assert client.get("/customers").status_code == 200
    assert_error(client.get("/api/v1/customers"), 401)
    assert_error(client.post("/api/v1/customers", json=CUSTOMER), 401)


def test_api_answers_never_touch_the_session_cookie(app, factories):
    """The API takes tokens only: a browser's session cookie sent along is not read, the
    answer sets no cookie, and the browser's web session goes on as before."""
    from tests.factories import login

    client = isolated_client(app)
    login(client, factories.user("admin"))
    token = factories.token(factories.user("finance"))
    for path in ("/api/v1/me", "/api/v1/customers"):
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        assert "Set-Cookie" not in answer.headers, (path, answer.headers.get("Set-Cookie"))
    assert "Set-Cookie" not in client.get("/api/v1/customers").headers  # the 401, too
    assert client.get("/customers").status_code == 200  # still logged in on the web
