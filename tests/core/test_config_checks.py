"""Configuration from the environment: production refuses to start on unsafe settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.config import (
    MIN_SECRET_KEY_LENGTH,
    ConfigurationError,
    check_configuration,
    config_problems,
    database_url,
    from_environment,
    production_problems,
)

SAFE = {
    "WINET_ENV": "production",
    "SECRET_KEY": "k" * MIN_SECRET_KEY_LENGTH,
    "SQLALCHEMY_DATABASE_URI": database_url("postgresql://winet@db.internal/winet"),
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "PUBLIC_BASE_URL": "https://erp.winet.ch",
    "MAIL_BACKEND": "smtp",
    "PROXY_HOPS": 1,
    "METRICS_ALLOWED_NETWORKS": ["127.0.0.0/8", "10.20.0.0/16"],
    "LOG_FORMAT": "json",
}


def test_a_complete_production_configuration_has_no_problems():
    assert production_problems(SAFE) == []
    assert config_problems(SAFE) == []
    check_configuration(SAFE)  # does not raise


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY is too short (9 characters"),
        ({"SQLALCHEMY_DATABASE_URI": database_url(None)}, "DATABASE_URL is not set"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/winet.db"}, "DATABASE_URL is not PostgreSQL"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL is not set"),
        ({"CELERY_BROKER_URL": "amqp://rabbit"}, "CELERY_BROKER_URL is not a Redis URL"),
        ({"PUBLIC_BASE_URL": "http://erp.winet.ch"}, "PUBLIC_BASE_URL is http://erp.winet.ch"),
        ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL is not set"),
        ({"MAIL_BACKEND": "memory"}, "MAIL_BACKEND is memory"),
    ],
)
def test_each_unsafe_production_setting_is_named(change, named):
    problems = production_problems({**SAFE, **change})
    assert len(problems) == 1, problems
    assert problems[0].startswith(named), problems


def test_every_problem_is_listed_at_once():
    problems = production_problems({"WINET_ENV": "production"})
    assert [problem.split(" ", 1)[0] for problem in problems] == [
        "SECRET_KEY",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "PUBLIC_BASE_URL",
    ]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"WINET_ENV": "prod"}, "WINET_ENV is 'prod'"),
        ({"PROXY_HOPS": "one"}, "WINET_PROXY_HOPS is 'one'"),
        ({"PROXY_HOPS": 9}, "WINET_PROXY_HOPS is 9"),
        ({"METRICS_ALLOWED_NETWORKS": ["10.0.0.0/8", "office"]}, "METRICS_ALLOWED_NETWORKS"),
        ({"LOG_FORMAT": "xml"}, "WINET_LOG_FORMAT is 'xml'"),
        ({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": "soon"}}, "WINET_POOL_RECYCLE is 'soon'"),
        ({"API_TOKEN_CACHE_SECONDS": 61}, "WINET_API_TOKEN_CACHE_SECONDS is 61"),
        ({"API_TOKEN_CACHE_SECONDS": "1.5"}, "WINET_API_TOKEN_CACHE_SECONDS is '1.5'"),
    ],
)
def test_malformed_settings_are_named_in_any_environment(change, named):
    config = {**SAFE, "WINET_ENV": "development", **change}
    problems = config_problems(config)
    assert len(problems) == 1 and problems[0].startswith(named), problems
    with pytest.raises(ConfigurationError, match="refusing to start"):
        check_configuration(config)


def test_development_does_not_ask_for_production_settings():
    check_configuration({**SAFE, "WINET_ENV": "development", "SECRET_KEY": "x"})


def test_the_app_refuses_to_start_in_production_naming_each_setting(monkeypatch):
    from app import create_app

    for name in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WINET_ENV", "production")
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    message = str(refused.value)
    assert "WINET_ENV=production" in message
    for name in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "PUBLIC_BASE_URL"):
        assert f"  - {name} is not set" in message


def test_production_never_generates_a_key_and_sends_cookies_over_https_only(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("WINET_ENV", "production")
    config = from_environment()
    assert config["SECRET_KEY"] is None
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["PREFERRED_URL_SCHEME"] == "https"
    assert config["LOG_FORMAT"] == "json"


def test_development_defaults(monkeypatch):
    for name in ("WINET_ENV", "WINET_PROXY_HOPS", "METRICS_ALLOWED_NETWORKS", "WINET_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    config = from_environment()
    assert config["WINET_ENV"] == "development"
    assert config["SECRET_KEY"]  # generated once into instance/
    assert not config["SESSION_COOKIE_SECURE"]
    assert config["PROXY_HOPS"] == 0
    assert config["METRICS_ALLOWED_NETWORKS"] == ["127.0.0.0/8", "::1/128"]
    assert config["LOG_FORMAT"] == "plain"


def test_metrics_networks_none_means_token_only(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "none")
    assert from_environment()["METRICS_ALLOWED_NETWORKS"] == []
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.1.0.0/16, 192.0.2.7")
    assert from_environment()["METRICS_ALLOWED_NETWORKS"] == ["10.1.0.0/16", "192.0.2.7"]


def test_periodic_task_intervals_can_be_overridden_by_name(migrated):
    from app import create_app
    from app.jobs import celery_of, periodic_tasks
    from tests.conftest import test_config as make_config

    probe = create_app(make_config(migrated))
    first, *others = periodic_tasks(probe)
    app = create_app(make_config(migrated, PERIODIC_INTERVALS={first.name: 5}))
    schedule = celery_of(app).conf.beat_schedule
    assert schedule[first.name]["schedule"] == 5.0
    for job in others:
        assert schedule[job.name]["schedule"] == float(job.every_seconds)
    with pytest.raises(ConfigurationError, match="unknown periodic tasks: nosuch.task"):
        create_app(make_config(migrated, PERIODIC_INTERVALS={"nosuch.task": 5}))
    with pytest.raises(ConfigurationError, match="must be a positive number"):
        create_app(make_config(migrated, PERIODIC_INTERVALS={first.name: 0}))


def test_no_ping_before_each_use_of_a_pooled_connection(app, monkeypatch):
    """pool_pre_ping would cost a SELECT 1 round trip before every request and job
    transaction; connections are recycled by age and a disconnect invalidates the pool."""
    from app.database import db

    options = from_environment()["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "pool_pre_ping" not in options and options["pool_recycle"] == 1800
    pings = []
    dialect = type(db.engine.dialect)
    monkeypatch.setattr(dialect, "do_ping", lambda self, conn: pings.append(1) or True)
    for _ in range(3):  # as three requests do: check a connection out, use it, return it
        with app.app_context():
            db.session.execute(sa.text("SELECT 42"))
            db.session.remove()
    assert pings == []
