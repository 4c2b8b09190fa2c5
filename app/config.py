"""Configuration from the environment, with safe embedded defaults for `make run`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def database_url(raw: str | None) -> str:
    """Normalise a DATABASE_URL; PostgreSQL goes through psycopg 3."""
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'winet.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def from_environment() -> dict:
    env = os.environ
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # None = every plugin found under plugins/; WINET_DISABLED_PLUGINS removes some.
        "PLUGINS": _list(env.get("WINET_PLUGINS")),
        "DISABLED_PLUGINS": _list(env.get("WINET_DISABLED_PLUGINS")) or [],
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Zurich",
        "LANGUAGES": ("de", "en"),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Background jobs: Celery on this broker; without one, tasks run in-process.
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL"),
        "INPROCESS_SCHEDULER": env.get("WINET_INPROCESS_SCHEDULER", "0") == "1",
        # Outgoing mail: "smtp" sends, "file" writes .eml files into MAIL_FILE_DIR,
        # "memory" keeps messages in app.extensions (tests).
        "MAIL_BACKEND": env.get("MAIL_BACKEND", "smtp"),
        "MAIL_FILE_DIR": env.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail")),
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env.get("MAIL_PORT", 25)),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_SENDER": env.get("MAIL_SENDER", "Winet Customer Service <customer.service@winet.ch>"),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE"),
        # werkzeug method string; scrypt unless a deployment has a reason to differ.
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "scrypt"),
        "FROZEN_NOW": None,
        # "production" where real money is billed: e.g. invoices are not issued while the
        # company data holds placeholders (app.company).
        "ENV_NAME": env.get("ENV", "development"),
    }
