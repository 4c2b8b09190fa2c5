"""Configuration from the environment, with safe embedded defaults for `make run`, and the
checks that refuse to start a production instance on missing or unsafe settings."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.models.customers import LANGUAGES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
ENVIRONMENTS = ("development", "production")
# Below this a signing key can be guessed offline from one session cookie.
MIN_SECRET_KEY_LENGTH = 32
DEFAULT_METRICS_NETWORKS = ("127.0.0.0/8", "::1/128")


class ConfigurationError(RuntimeError):
    """The settings cannot start this instance; the message names each one at fault."""


def database_url(raw: str | None) -> str:
    """Normalise a DATABASE_URL; PostgreSQL goes through psycopg 3."""
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'winet.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _secret_key(production: bool) -> str | None:
    """SECRET_KEY from the environment, else (not in production) one generated once and
    kept in instance/: several production machines must share one key, so a key made up
    on one of them would log users out on every other."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if production:
        return None
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


def _networks(value: str | None) -> list[str]:
    """METRICS_ALLOWED_NETWORKS: unset = this machine only; "none" = the token only."""
    if value is None or not value.strip():
        return list(DEFAULT_METRICS_NETWORKS)
    if value.strip().lower() == "none":
        return []
    return _list(value) or []


def _int_or_raw(value: str | None, default: int) -> int | str:
    """An integer setting; a malformed value is kept as it is for `config_problems`."""
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        return value


def from_environment() -> dict:
    env = os.environ
    # WINET_ENV, or the conventional ENV of a deployment; one setting says "production".
    environment = (env.get("WINET_ENV") or env.get("ENV") or "development").strip().lower()
    production = environment == "production"
    return {
        # "production" turns on the start checks (`production_problems`), secure cookies
        # and JSON logs; anything else is development (`make run`, `make serve`, tests).
        "WINET_ENV": environment,
        "SECRET_KEY": _secret_key(production),
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL")),
        # No pool_pre_ping: it costs a SELECT 1 round trip before every request and every
        # job transaction. Connections are renewed after WINET_POOL_RECYCLE seconds (before
        # a server or proxy idle timeout drops them), and a connection found broken
        # (database restarted) invalidates the whole pool: that statement fails once,
        # every later checkout opens a fresh connection (SQLAlchemy's disconnect handling).
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_recycle": _int_or_raw(env.get("WINET_POOL_RECYCLE"), 1800),
        },
        # How long a process takes an API read's token check as still true
        # (app/recent_tokens.py): a token revoked by another process can still read
        # there at most that long after; writes always check.
        "API_TOKEN_CACHE_SECONDS": _int_or_raw(env.get("WINET_API_TOKEN_CACHE_SECONDS"), 1),
        # None = every plugin found under plugins/; WINET_DISABLED_PLUGINS removes some.
        "PLUGINS": _list(env.get("WINET_PLUGINS")),
        "DISABLED_PLUGINS": _list(env.get("WINET_DISABLED_PLUGINS")) or [],
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Zurich",
        "LANGUAGES": LANGUAGES,
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Production is served over HTTPS only (behind the proxy): cookies never go out
        # over plain HTTP. Development serves http://127.0.0.1, where they could not.
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # How many reverse proxies set X-Forwarded-For/-Proto/-Host in front of the app;
        # 0 (default): trust none of those headers (werkzeug ProxyFix, app/proxy.py).
        "PROXY_HOPS": _int_or_raw(env.get("WINET_PROXY_HOPS"), 0),
        # Logs: "json" (one object per line, with the request id) or "plain".
        "LOG_FORMAT": env.get("WINET_LOG_FORMAT", "json" if production else "plain"),
        "LOG_LEVEL": env.get("WINET_LOG_LEVEL", "INFO").upper(),
        # /metrics without login: from these networks, or with this bearer secret.
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "METRICS_ALLOWED_NETWORKS": _networks(env.get("METRICS_ALLOWED_NETWORKS")),
        "WTF_CSRF_TIME_LIMIT": None,
        "PUBLIC_BASE_URL": env.get(
            "PUBLIC_BASE_URL", None if production else "http://127.0.0.1:5000"
        ),
        # Background jobs: Celery on this broker; without one, tasks run in-process.
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL") or None,
        # The queue tasks are sent to; two installations can share one Redis with two.
        "CELERY_QUEUE": env.get("CELERY_QUEUE", "celery"),
        # Interval overrides by task name, e.g. WINET_CONFIG_PERIODIC_INTERVALS=
        # '{"servicedesk.sweep": 30}'; tasks not named keep their declared interval.
        "PERIODIC_INTERVALS": {},
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
    }


# --- start checks -----------------------------------------------------------------------


def _is_default_database(uri: str) -> bool:
    return uri == database_url(None)


def config_problems(config: Mapping[str, Any]) -> list[str]:
    """Settings that are malformed in any environment, one sentence each."""
    problems = []
    if config.get("WINET_ENV") not in ENVIRONMENTS:
        problems.append(
            f"WINET_ENV is {config.get('WINET_ENV')!r}; it must be one of {', '.join(ENVIRONMENTS)}"
        )
    hops = config.get("PROXY_HOPS")
    if not isinstance(hops, int) or isinstance(hops, bool) or not 0 <= hops <= 5:
        problems.append(f"WINET_PROXY_HOPS is {hops!r}; it must be a whole number from 0 to 5")
    recycle = (config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).get("pool_recycle", 1800)
    if not isinstance(recycle, int) or isinstance(recycle, bool) or recycle < 1:
        problems.append(
            f"WINET_POOL_RECYCLE is {recycle!r}; it must be a whole number of seconds (1 or more)"
        )
    cached = config.get("API_TOKEN_CACHE_SECONDS", 1)
    if not isinstance(cached, int) or isinstance(cached, bool) or not 0 <= cached <= 60:
        problems.append(
            f"WINET_API_TOKEN_CACHE_SECONDS is {cached!r}; it must be a whole number of"
            " seconds from 0 (no cache) to 60"
        )
    for network in config.get("METRICS_ALLOWED_NETWORKS") or ():
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            problems.append(
                f"METRICS_ALLOWED_NETWORKS holds {network!r}, which is no network "
                "(give addresses or CIDR blocks, comma-separated)"
            )
    if config.get("LOG_FORMAT") not in ("json", "plain"):
        problems.append(f"WINET_LOG_FORMAT is {config.get('LOG_FORMAT')!r}; use json or plain")
    return problems


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """What keeps `config` from being run in production, one sentence per setting."""
    problems = []
    key = config.get("SECRET_KEY")
    if not key:
        problems.append(
            "SECRET_KEY is not set (production never generates one: every machine must "
            'sign with the same key; make one with `python -c "import secrets; '
            'print(secrets.token_hex(32))"`)'
        )
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"SECRET_KEY is too short ({len(key)} characters; at least {MIN_SECRET_KEY_LENGTH})"
        )
    uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not uri or _is_default_database(uri):
        problems.append("DATABASE_URL is not set (production runs on PostgreSQL)")
    elif not uri.startswith(("postgresql://", "postgresql+")):
        scheme = uri.split(":", 1)[0]
        problems.append(f"DATABASE_URL is not PostgreSQL (it is {scheme}://…)")
    broker = config.get("CELERY_BROKER_URL")
    if not broker:
        problems.append(
            "CELERY_BROKER_URL is not set (production runs its jobs on Celery workers, "
            "e.g. redis://127.0.0.1:6379/0)"
        )
    elif not str(broker).startswith(("redis://", "rediss://")):
        problems.append("CELERY_BROKER_URL is not a Redis URL (redis:// or rediss://)")
    base = str(config.get("PUBLIC_BASE_URL") or "")
    if not base.startswith("https://"):
        problems.append(
            f"PUBLIC_BASE_URL is {base or 'not set'}; it must be the https:// address "
            "customers reach (links in e-mails and PDFs)"
        )
    if config.get("MAIL_BACKEND") == "memory":
        problems.append("MAIL_BACKEND is memory, which keeps e-mails in memory (tests only)")
    return problems


def check_configuration(config: Mapping[str, Any]) -> None:
    """Refuse to start on malformed settings, and in production on unsafe ones."""
    problems = config_problems(config)
    if config.get("WINET_ENV") == "production":
        problems += production_problems(config)
    if problems:
        where = " (WINET_ENV=production)" if config.get("WINET_ENV") == "production" else ""
        raise ConfigurationError(
            f"refusing to start{where}; fix these settings:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )


def is_production(config: Mapping[str, Any]) -> bool:
    """The one test for "this is production" (WINET_ENV or ENV set to production)."""
    return config.get("WINET_ENV") == "production"
