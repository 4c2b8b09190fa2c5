"""The Flask host: builds the application and loads the enabled plugins in order."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

from app import hardening, health, jobs, logging_setup, metrics, proxy, ratelimit, safe_requests
from app.audit import install_audit_listener
from app.config import (
    INSTANCE_DIR,
    PROJECT_ROOT,
    check_configuration,
    database_url,
    from_environment,
)
from app.core import CORE
from app.extensions import babel, csrf, db, login_manager, migrate
from app.hooks import create_plugin_manager
from app.plugins import Plugin, discover, install_plugins, resolve_order, translation_directories
from app.security import check_every_endpoint_guarded, role_permissions


def enabled_plugins(config: dict[str, Any]) -> list[Plugin]:
    """The configured plugins in dependency order (PluginError names what is wrong)."""
    available = discover()
    wanted = config.get("PLUGINS") or sorted(available)
    disabled = set(config.get("DISABLED_PLUGINS") or ())
    return resolve_order(available, [name for name in wanted if name not in disabled])


def select_locale() -> str:
    # Outside a request (CLI, jobs) there is no session or user: documents for a
    # customer are rendered under flask_babel.force_locale(customer.language).
    if not has_request_context():
        return "de"
    languages = g.get("languages", ("de", "en"))
    # ?lang=en shows this one page in English and stores nothing (a GET changes no
    # data); the lasting choice is the POST of the language switcher.
    for chosen in (request.args.get("lang"), session.get("language")):
        if chosen in languages:
            return chosen
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return "de"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from app import errors, web

    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.url_map.converters["int"] = web.IdConverter  # before any rule is added
    app.config.update(from_environment())
    # Any other setting, e.g. a plugin's: WINET_CONFIG_INVOICE_CREDITOR_IBAN=... sets
    # INVOICE_CREDITOR_IBAN (values are parsed as JSON when they are JSON).
    app.config.from_prefixed_env("WINET_CONFIG")
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    check_configuration(app.config)
    logging_setup.init_app(app)
    proxy.init_app(app)

    plugins = enabled_plugins(app.config)
    declarations = [CORE, *plugins]
    app.extensions["winet.plugins"] = plugins
    app.extensions["winet.declarations"] = declarations
    app.extensions["winet.plugin_manager"] = create_plugin_manager()
    app.extensions["winet.role_permissions"] = role_permissions(
        permission for declaration in declarations for permission in declaration.permissions
    )
    app.extensions["winet.tariff_keys"] = {
        key.key: key for declaration in declarations for key in declaration.tariffs
    }
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        [str(PROJECT_ROOT / "app" / "translations"), *translation_directories(plugins)]
    )

    db.init_app(app)
    safe_requests.init_app(app, db)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    ratelimit.init_app(app)
    hardening.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    install_plugins(app, declarations)
    install_audit_listener()
    errors.register(app)
    web.register(app)
    health.init_app(app)
    metrics.init_app(app)
    check_every_endpoint_guarded(app)
    jobs.init_app(app)

    @app.before_request
    def _languages() -> None:
        g.languages = app.config["LANGUAGES"]

    return app
