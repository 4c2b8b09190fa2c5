"""Test fixtures: the app on SQLite or PostgreSQL (TEST_DATABASE), migrated once per run.

PostgreSQL runs get a fresh schema of their own, dropped at the end, so parallel runs
never meet. An unreachable PostgreSQL skips the run locally and fails it under CI=true.
"""

from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser import VIEWPORTS as BROWSER_VIEWPORTS
from tests.factories import Factories

PLUGIN_TEST_DIRS = ("contracts", "invoicing", "servicedesk")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def backend() -> str:
    return os.environ.get("TEST_DATABASE", "sqlite")


def disabled_plugins() -> set[str]:
    return {p.strip() for p in os.environ.get("WINET_DISABLED_PLUGINS", "").split(",") if p.strip()}


def pytest_report_header(config):
    return (
        f"database backend: {backend()}; disabled plugins: {sorted(disabled_plugins()) or 'none'}"
    )


def pytest_collection_modifyitems(config, items):
    off = disabled_plugins()
    for item in items:
        parts = Path(str(item.fspath)).parts
        plugin = next((p for p in PLUGIN_TEST_DIRS if p in parts[-3:-1]), None)
        if plugin in off:
            item.add_marker(pytest.mark.skip(reason=f"plugin {plugin} is disabled"))
        if item.get_closest_marker("postgres_only") and backend() != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE=postgresql)"))


def _postgres_schema_url() -> tuple[str, str]:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as error:
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {error.orig}"
        if os.environ.get("CI") == "true":
            pytest.exit(message + " (CI=true: this is a failure, not a skip)", returncode=3)
        pytest.skip(message, allow_module_level=True)
    finally:
        engine.dispose()
    return f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}", schema


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if backend() == "postgresql":
        url, schema = _postgres_schema_url()
        yield url
        engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def test_config(database_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-" + secrets.token_hex(8),
        "WTF_CSRF_ENABLED": False,
        "MAIL_BACKEND": "memory",
        # Cheap hashing: scrypt would spend minutes on the suite's many users and logins.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        "DISABLED_PLUGINS": sorted(disabled_plugins()),
        "PUBLIC_BASE_URL": "http://testserver",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def migrated(database_url):
    """The schema, built by the real migrations (every branch head) once per run."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(test_config(database_url))
    with app.app_context():
        upgrade(revision="heads")
        from app.database import db

        db.engine.dispose()
    return database_url


def _empty_tables(app) -> None:
    """Empty every table, children first. DELETE, not TRUNCATE: on PostgreSQL a
    TRUNCATE of some thirty tables costs ~0.4 s per test, a DELETE of a few rows ~5 ms."""
    from app.database import db

    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app_config():
    """Override per test module/test: e.g. {'FROZEN_NOW': ...}."""
    return {}


@pytest.fixture
def app(migrated, app_config):
    from app import create_app
    from app.database import db
    from app.seed import seed_all

    application = create_app(test_config(migrated, **app_config))
    with application.app_context():
        _empty_tables(application)
        seed_all()
        db.session.commit()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def db(app):
    from app.database import db as database

    return database


@pytest.fixture
def client(app):
    """A test client whose every request runs in an app context of its own, as in
    production: nothing a request keeps in `g` (Flask-Login's user) reaches the next."""
    from tests.core.isolated import isolated_client

    return isolated_client(app)


@pytest.fixture
def factories(app, db) -> Factories:
    return Factories(db)


@pytest.fixture
def sent_mail(app) -> list:
    return app.extensions.setdefault("winet.sent_mail", [])


# --- live server and browser (shared; used by @pytest.mark.browser tests) -------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def live_server(app):
    """The test app served over HTTP by a thread; yields the base URL (no trailing slash).

    Override `app_config` (e.g. {"WTF_CSRF_ENABLED": True}) to serve it as in production.
    """
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def _chromium():
    """One headless Chromium per run; missing Chromium skips locally and fails under CI."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _new_page(chromium, viewport: tuple[int, int]):
    context = chromium.new_context(
        viewport=dict(zip(("width", "height"), viewport, strict=True)),
        locale="de-CH",
        timezone_id="Europe/Zurich",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.fixture
def browser_page(_chromium):
    """A fresh Playwright page (own cookies) in the shared headless Chromium, at the
    desktop size of tests/browser.py (tests of both sizes take `sized_page`)."""
    context, page = _new_page(_chromium, BROWSER_VIEWPORTS["desktop"])
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(params=list(BROWSER_VIEWPORTS))
def sized_page(request, _chromium):
    """Like browser_page, once at a phone's and once at a laptop's size (tests/browser.py:
    VIEWPORTS); `page.viewport_size` tells which, `tests.browser.shot` names the file by it."""
    context, page = _new_page(_chromium, BROWSER_VIEWPORTS[request.param])
    try:
        yield page
    finally:
        context.close()
