"""Every route for every role: the allowed/denied matrix, and no data of another customer.

The test walks `app.url_map`, so plugin routes are covered as soon as they exist. URL
parameters are filled with realistic ids: a known name maps to customer A's record, an
unknown `<thing>_id` to a row of a table named like it that belongs (through foreign
keys) to customer A, and anything else to 1.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

from app.audit import acting_as
from app.models import Customer, Role, User
from app.plugins import call_each
from app.security import endpoint_permission, has_permission
from tests.core.isolated import isolated_client, login_through_form
from tests.factories import PASSWORD

# Endpoints anyone may call. Adding one is a conscious decision: list it here with why.
PUBLIC_ENDPOINTS = {
    "core_auth.login": "the login page",
    "core_auth.logout": "logging out (needs a session, no right)",
    "core_auth.language": "choosing the language before login",
    "core.favicon": "the site icon (a redirect to the static file)",
    "core_api_docs.openapi_document": "the API description",
    "core_health.healthz": "liveness probe: says only that the process answers",
    "core_health.readyz": "readiness probe: database, Redis, schema; no data",
    "core_metrics.scrape": "Prometheus scrape: allowed networks or the METRICS_TOKEN only",
    "contracts.quote_link": "signed, expiring quote link sent to the customer",
    "contracts.quote_link_accept": "signed, expiring quote link sent to the customer",
    "contracts.quote_link_decline": "signed, expiring quote link sent to the customer",
    "invoicing.pay_link": "signed pay link printed on the invoice",
    "invoicing.pay_link_pdf": "the same signed pay link: that invoice's PDF with its QR-bill",
    "invoicing.stripe_webhook": "Stripe webhook, verified by Stripe's signature",
    "servicedesk_api.post_alerts": "Alertmanager webhook, verified by a shared secret",
}

# Non-id URL parameters with a meaningful value; anything unknown gets "1".
TEXT_PARAMETERS = {
    "key": "core.vat_standard_percent",
    "period": "2026-11",
    "year": "2026",
    "month": "11",
}

CUSTOMER_TABLE = "core_customer"

# On every answer, whatever the route, role or status (app/hardening.py).
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
)


# --- the world: two customers with records, one user of each role ----------------------


@dataclass
class Actor:
    role: str
    user: User | None
    session_cookie: str | None = None
    token: str | None = None


@dataclass
class World:
    customer_a: Customer
    customer_b: Customer
    actors: dict[str, Actor] = field(default_factory=dict)
    customer_b_actor: Actor | None = None


def _path_to_customer(table: sa.Table, depth: int = 4) -> list[sa.ForeignKey] | None:
    """The shortest chain of foreign keys from `table` to core_customer."""
    queue: deque[tuple[sa.Table, list[sa.ForeignKey]]] = deque([(table, [])])
    seen = {table.name}
    while queue:
        current, path = queue.popleft()
        if current.name == CUSTOMER_TABLE:
            return path
        if len(path) >= depth:
            continue
        for foreign_key in sorted(current.foreign_keys, key=lambda fk: fk.parent.name):
            target = foreign_key.column.table
            if target.name not in seen:
                seen.add(target.name)
                queue.append((target, [*path, foreign_key]))
    return None


def owned_row_id(db, table: sa.Table, customer_id: int) -> int | None:
    """The lowest id of a `table` row belonging to the customer, or None."""
    path = _path_to_customer(table)
    if path is None or "id" not in table.c:
        return None
    statement = sa.select(table.c.id).select_from(table)
    for foreign_key in path:
        statement = statement.join(
            foreign_key.column.table, foreign_key.parent == foreign_key.column
        )
    customer = db.metadata.tables[CUSTOMER_TABLE]
    statement = statement.where(customer.c.id == customer_id).order_by(table.c.id).limit(1)
    return db.session.scalar(statement)


def tables_named_like(db, parameter: str) -> list[sa.Table]:
    base = parameter.removesuffix("_id")
    exact = [t for t in db.metadata.sorted_tables if t.name == base]
    suffixed = [t for t in db.metadata.sorted_tables if t.name.endswith("_" + base)]
    return exact + sorted(suffixed, key=lambda t: len(t.name))


def parameter_value(db, name: str, customer_id: int) -> tuple[str, bool]:
    """(value, whether it is a record of the customer) for URL parameter `name`."""
    if name == "customer_id":
        return str(customer_id), True
    for table in tables_named_like(db, name) if name.endswith("_id") or name == "id" else []:
        row_id = owned_row_id(db, table, customer_id)
        if row_id is not None:
            return str(row_id), True
    return TEXT_PARAMETERS.get(name, "1"), False


def build_world(app: Flask, db, factories) -> World:
    with acting_as("test:world"):
        call_each(app.extensions["winet.declarations"], "demo")
        db.session.commit()
    # Customer A is the demo customer with the most sites (the bank); B the next one.
    by_sites = db.session.scalars(sa.select(Customer).order_by(Customer.id)).all()
    by_sites = sorted(by_sites, key=lambda c: -len(c.sites))
    customer_a, customer_b = by_sites[0], by_sites[1]
    world = World(customer_a, customer_b)
    for customer in (customer_a, customer_b):
        if not customer.contacts:
            factories.contact(customer)
        if not customer.sites:
            factories.site(customer)
    # A spare token first, so a `token_id` parameter never names a token the test uses.
    users = {
        role: factories.user(role, customer=customer_a if role == "customer" else None)
        for role in Role
    }
    user_b = factories.user("customer", customer=customer_b)
    for user in (users["customer"], user_b):
        factories.token(user)
    world.actors["anonymous"] = Actor("anonymous", None)
    for role, user in users.items():
        world.actors[role] = Actor(role, user, token=factories.token(user))
    world.customer_b_actor = Actor("customer", user_b, token=factories.token(user_b))
    for actor in [*world.actors.values(), world.customer_b_actor]:
        if actor.user is not None:
            client = isolated_client(app)
            login_through_form(client, actor.user.email, PASSWORD)
            actor.session_cookie = client.get_cookie("session").value
    return world


# --- requesting a route as an actor ---------------------------------------------------------


@dataclass
class Call:
    endpoint: str
    method: str
    url: str
    api: bool
    permission: str | None
    uses_records: bool


def routes(app: Flask) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if not r.endpoint.endswith("static")),
        key=lambda r: (r.rule, r.endpoint),
    )


def method_of(rule: Rule) -> str:
    methods = rule.methods - {"HEAD", "OPTIONS"}
    for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
        if method in methods:
            return method
    raise AssertionError(f"{rule} has no usable method")


def make_call(app: Flask, db, rule: Rule, customer_id: int) -> Call:
    values, uses_records = {}, False
    for name in rule.arguments:
        values[name], is_record = parameter_value(db, name, customer_id)
        uses_records = uses_records or is_record
    _, url = rule.build(values, append_unknown=False)
    return Call(
        rule.endpoint,
        method_of(rule),
        url,
        rule.rule.startswith("/api/"),
        endpoint_permission(app, rule.endpoint),
        uses_records,
    )


def request(app: Flask, actor: Actor, call: Call):
    client = isolated_client(app)
    headers = {}
    if actor.user is not None:
        if call.api:
            headers["Authorization"] = f"Bearer {actor.token}"
        else:
            client.set_cookie("session", actor.session_cookie)
    kwargs = {}
    if call.method != "GET":
        kwargs = {"json": {}} if call.api else {"data": {}}
    return client.open(call.url, method=call.method, headers=headers, **kwargs)


def call_order(call: Call) -> tuple:
    """Reads before writes, so that an accepted empty POST cannot disturb the reads, and
    logging out last: it ends the actor's session everywhere, the replayed cookie too."""
    return (call.endpoint == "core_auth.logout", call.method != "GET", call.api, call.url)


def expectation(app: Flask, actor: Actor, call: Call) -> str:
    """'public', 'login' (anonymous), 'deny' (403) or 'allow'."""
    if call.permission is None:
        return "public"
    if actor.user is None:
        return "login"
    return "allow" if has_permission(actor.user, call.permission) else "deny"


def verdict(expected: str, call: Call, response) -> bool:
    status = response.status_code
    if status >= 500:
        return False
    if expected == "public":
        return True
    if expected == "login":
        if call.api:
            return status == 401 and "error" in (response.get_json(silent=True) or {})
        return status == 302 and response.location.split("?")[0].endswith("/login")
    if expected == "deny":
        return status == 403
    redirected_to_login = status == 302 and "/login" in (response.location or "")
    return status not in (401, 403) and not redirected_to_login


def format_matrix(rows: list[tuple[Call, dict[str, str]]], columns: list[str]) -> str:
    width = max(len(f"{c.method} {c.url}") for c, _ in rows)
    lines = [" " * width + " | " + " ".join(f"{c[:7]:>7}" for c in columns)]
    for call, cells in rows:
        lines.append(
            f"{call.method + ' ' + call.url:<{width}} | "
            + " ".join(f"{cells.get(c, ''):>7}" for c in columns)
        )
    return "\n".join(lines)


# --- the tests ------------------------------------------------------------------------------


def _owner(endpoint: str) -> str:
    return endpoint.split(".")[0].split("_")[0]


def test_public_endpoints_are_exactly_the_listed_ones(app):
    public = {
        rule.endpoint for rule in routes(app) if endpoint_permission(app, rule.endpoint) is None
    }
    assert public <= set(PUBLIC_ENDPOINTS), (
        "endpoints reachable without a permission: list them in PUBLIC_ENDPOINTS with the "
        f"reason, or guard them with @requires: {sorted(public - set(PUBLIC_ENDPOINTS))}"
    )
    core = {endpoint for endpoint in PUBLIC_ENDPOINTS if _owner(endpoint) == "core"}
    assert core <= public, f"listed but not public (remove them): {core - public}"


def test_every_permission_in_use_is_declared_and_known_to_has_permission(app):
    declared = app.extensions["winet.role_permissions"]["admin"]
    for rule in routes(app):
        permission = endpoint_permission(app, rule.endpoint)
        assert permission is None or permission in declared, rule.endpoint


@pytest.fixture
def app_config():
    # Configured as in production, so webhooks check signatures instead of answering
    # "not configured".
    return {"STRIPE_SECRET_KEY": "sk_test_matrix", "STRIPE_WEBHOOK_SECRET": "whsec_matrix"}


@pytest.fixture
def world(app, db, factories) -> World:
    return build_world(app, db, factories)


def test_every_route_answers_every_role_as_its_permissions_say(app, db, world):
    calls = [make_call(app, db, rule, world.customer_a.id) for rule in routes(app)]
    calls.sort(key=call_order)
    columns = list(world.actors)
    rows, failures = [], []
    for call in calls:
        cells = {}
        for name, actor in world.actors.items():
            expected = expectation(app, actor, call)
            response = request(app, actor, call)
            ok = verdict(expected, call, response)
            cells[name] = f"{'' if ok else '!'}{response.status_code}"
            if not ok:
                failures.append(f"{name}: {call.method} {call.url} expected {expected}")
            missing = [h for h in SECURITY_HEADERS if h not in response.headers]
            if missing:
                failures.append(f"{name}: {call.method} {call.url} lacks {missing}")
        rows.append((call, cells))
    assert not failures, (
        "route x role matrix ('!' = wrong; expected: anonymous 302->/login or 401 for the "
        "API, a role without the right 403, a role with it neither 403 nor 5xx):\n"
        + format_matrix(rows, columns)
        + "\n\n"
        + "\n".join(failures)
    )


def _leaks(text: str, name: str) -> bool:
    forms = {name, escape(name), escape(name, quote=False), json.dumps(name)[1:-1]}
    return any(form in text for form in forms)


def test_a_customer_user_never_reaches_another_customers_records(app, db, world):
    actor = world.actors["customer"]
    other = world.customer_b
    assert actor.user.customer_id == world.customer_a.id
    calls = [make_call(app, db, rule, other.id) for rule in routes(app)]
    calls.sort(key=call_order)
    rows, failures = [], []
    for call in calls:
        response = request(app, actor, call)
        status = response.status_code
        problems = []
        if status >= 500:
            problems.append("server error")
        if call.uses_records and call.permission is not None and status not in (403, 404):
            problems.append("expected 404 (or 403)")
        # Bytes decoded leniently: the demo's PDFs (the bank's own reminder) are no text.
        if _leaks(response.get_data().decode("utf-8", "replace"), other.legal_name):
            problems.append(f"the body shows {other.legal_name!r}")
        rows.append((call, {"status": f"{'!' if problems else ''}{status}"}))
        failures += [f"{call.method} {call.url}: {problem}" for problem in problems]
    assert not failures, (
        f"customer user of {world.customer_a.legal_name} requesting records of "
        f"{other.legal_name}:\n" + format_matrix(rows, ["status"]) + "\n\n" + "\n".join(failures)
    )


def test_a_customer_user_sees_its_own_records(app, db, world):
    """The other side of scoping: with its own ids the customer user gets the core pages.

    (Plugin records may be hidden from customers by state, e.g. a draft quote.)
    """
    actor = world.actors["customer"]
    for rule in routes(app):
        call = make_call(app, db, rule, world.customer_a.id)
        if call.method != "GET" or not call.uses_records or _owner(call.endpoint) != "core":
            continue
        if call.permission and has_permission(actor.user, call.permission):
            status = request(app, actor, call).status_code
            assert status in (200, 302), f"{call.url}: {status}"


def test_parameter_resolution_finds_records_through_foreign_keys(app, db, world):
    a, b = world.customer_a, world.customer_b
    site_a, is_record = parameter_value(db, "site_id", a.id)
    assert is_record and int(site_a) in {site.id for site in a.sites}
    contact_b, _ = parameter_value(db, "contact_id", b.id)
    assert int(contact_b) in {contact.id for contact in b.contacts}
    user_a, _ = parameter_value(db, "user_id", a.id)
    assert db.session.get(User, int(user_a)).customer_id == a.id
    token_a, is_record = parameter_value(db, "token_id", a.id)
    assert is_record
    assert parameter_value(db, "unknown_thing", a.id) == ("1", False)


class _PostForms(HTMLParser):
    """Collects, for every <form method="post">, whether it carries a csrf_token field."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "get").lower() == "post":
            self._open = {"action": attributes.get("action") or "", "csrf": False}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attributes.get("name") == "csrf_token":
            self._open["csrf"] = bool(attributes.get("value"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


@pytest.mark.parametrize(
    "app_config",
    [{"WTF_CSRF_ENABLED": True, "STRIPE_SECRET_KEY": "sk_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}],
)
def test_every_post_form_on_every_page_carries_a_csrf_token(app, db, world):
    pages, missing = 0, []
    for role in ("admin", "finance", "account_manager", "service_desk", "customer"):
        actor = world.actors[role]
        for rule in routes(app):
            call = make_call(app, db, rule, world.customer_a.id)
            if call.method != "GET" or call.api:
                continue
            response = request(app, actor, call)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            pages += 1
            parser = _PostForms()
            parser.feed(response.get_data(as_text=True))
            missing += [
                f"{role}: {call.url} form -> {form['action'] or '(same page)'}"
                for form in parser.forms
                if not form["csrf"]
            ]
    assert pages > 10
    assert not missing, "POST forms without a CSRF token:\n" + "\n".join(sorted(set(missing)))


HOSTILE_VALUES = {"int": ["2147483648", "99999999999999999999"], "text": ["a\x00b"]}


def test_hostile_url_values_are_refused_never_a_server_error(app, db, world):
    """Ids beyond the INTEGER range and NUL characters must not reach the database."""
    admin, failures = world.actors["admin"], []
    for rule in routes(app):
        call = make_call(app, db, rule, world.customer_a.id)
        variants = []
        for name in rule.arguments:
            kind = "int" if type(rule._converters[name]).__name__ == "IdConverter" else "text"
            for value in HOSTILE_VALUES[kind]:
                url = rule.rule
                for other in rule.arguments:
                    replacement = value if other == name else parameter_value(db, other, 1)[0]
                    converter = rule._converters[other]
                    url = _replace_argument(url, other, replacement, converter)
                variants.append((url, "4xx"))
        if call.method == "GET":
            variants.append((call.url + ("&" if "?" in call.url else "?") + "q=%00", "400"))
        for url, expected in variants:
            hostile = Call(call.endpoint, call.method, url, call.api, call.permission, False)
            status = request(app, admin, hostile).status_code
            ok = str(status) == expected or (expected == "4xx" and 400 <= status < 500)
            if not ok and not (call.permission is None and status < 500):
                failures.append(f"{call.method} {url!r}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


def _replace_argument(url: str, name: str, value: str, converter) -> str:
    import re
    from urllib.parse import quote

    return re.sub(rf"<(?:[^:<>]+:)?{name}>", quote(value, safe=""), url)


# POST endpoints outside /api/ that may skip the CSRF check: they authenticate otherwise.
CSRF_EXEMPT = {"invoicing.stripe_webhook": "Stripe signs its webhook calls"}


@pytest.mark.parametrize(
    "app_config",
    [{"WTF_CSRF_ENABLED": True, "STRIPE_SECRET_KEY": "sk_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}],
)
def test_every_web_post_without_csrf_token_is_refused(app, db, world):
    admin, accepted = world.actors["admin"], []
    for rule in routes(app):
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint in CSRF_EXEMPT:
            continue
        call = make_call(app, db, rule, world.customer_a.id)
        call = Call(call.endpoint, "POST", call.url, False, call.permission, False)
        status = request(app, admin, call).status_code
        if status != 400:
            accepted.append(f"POST {call.url}: {status}")
    assert not accepted, "POSTs accepted without a CSRF token:\n" + "\n".join(accepted)
