"""Guessing passwords: rate limits per account and per address (429), and the account lock
counted in the database (the right password does not open a locked account)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import request
from sqlalchemy import select

from app.models import User
from app.services import LoginLockPolicy, count_failed_login
from tests.core.isolated import isolated_client
from tests.factories import PASSWORD, login

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = LoginLockPolicy(failures=10, window=timedelta(minutes=15), lock=timedelta(minutes=15))


@pytest.fixture
def web(app):
    return isolated_client(app)


def wrong(web, email: str):
    return web.post("/login", data={"email": email, "password": "falsch-falsch"})


# --- the lock rule, with real times -------------------------------------------------------


def test_ten_failures_within_fifteen_minutes_lock_the_account_for_fifteen_minutes():
    user = User(failed_logins=0)
    for minute in range(9):
        count_failed_login(user, T0 + timedelta(minutes=minute), POLICY)
    assert user.failed_logins == 9 and user.locked_until is None
    count_failed_login(user, T0 + timedelta(minutes=14, seconds=59), POLICY)
    assert user.locked_until == T0 + timedelta(minutes=29, seconds=59)
    assert user.login_locked(T0 + timedelta(minutes=29))
    assert not user.login_locked(T0 + timedelta(minutes=30))


def test_failures_further_apart_than_the_window_start_counting_again():
    user = User(failed_logins=0)
    for minute in range(9):
        count_failed_login(user, T0 + timedelta(minutes=minute), POLICY)
    count_failed_login(user, T0 + timedelta(minutes=15), POLICY)
    assert (user.failed_logins, user.first_failed_login_at) == (1, T0 + timedelta(minutes=15))
    assert user.locked_until is None


# --- the lock through the login page ------------------------------------------------------


@pytest.mark.parametrize(
    "app_config",
    [{"LOGIN_LOCK_FAILURES": 3, "LOGIN_RATE_LIMIT_PER_ACCOUNT": "100 per minute"}],
)
def test_a_locked_account_refuses_even_the_right_password(app, web, db, factories):
    user = factories.user("finance")
    for _ in range(3):
        assert "E-Mail oder Passwort ist falsch." in wrong(web, user.email).text
    response = web.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200  # no redirect into the application
    assert "E-Mail oder Passwort ist falsch." in response.text  # no hint that it exists
    assert web.get("/customers").status_code == 302
    db.session.expire_all()
    assert user.failed_logins == 3 and user.locked_until is not None

    # After the lock the right password works and clears the count.
    app.config["FROZEN_NOW"] = user.locked_until + timedelta(seconds=1)
    assert web.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    db.session.expire_all()
    assert (user.failed_logins, user.first_failed_login_at, user.locked_until) == (0, None, None)


def test_the_login_page_states_the_lock_rule(web):
    page = web.get("/login").text
    assert "Nach 10 Fehlversuchen innert 15 Minuten wird das Konto für 15 Minuten gesperrt." in page


@pytest.mark.parametrize(
    "app_config",
    [{"LOGIN_LOCK_FAILURES": 2, "LOGIN_RATE_LIMIT_PER_ACCOUNT": "100 per minute"}],
)
def test_admins_see_failures_and_the_lock_on_the_users_page(web, db, factories):
    admin, locked = factories.user("admin"), factories.user("finance", name="Gesperrt")
    trying = factories.user("finance", name="Vertippt")
    wrong(web, locked.email)
    wrong(web, locked.email)
    wrong(web, trying.email)
    login(web, admin)
    page = web.get("/users").text
    db.session.expire_all()
    assert "Fehlanmeldungen" in page and "Gesperrt bis" in page
    row = page.split(locked.email)[1].split("</tr>")[0]
    assert '<strong class="locked">' in row and "2 <small" in row
    row = page.split(trying.email)[1].split("</tr>")[0]
    assert '<strong class="locked">' not in row and "1 <small" in row


@pytest.mark.parametrize(
    "app_config",
    [{"LOGIN_LOCK_FAILURES": 2, "LOGIN_RATE_LIMIT_PER_ACCOUNT": "100 per minute"}],
)
def test_a_new_password_set_by_an_admin_unlocks_the_account(web, db, factories):
    from app.schemas import UserPatch
    from app.services import update_user

    user = factories.user("finance")
    wrong(web, user.email)
    wrong(web, user.email)
    db.session.refresh(user)
    assert user.locked_until is not None
    update_user(user, UserPatch(password="ein-neues-passwort"))
    db.session.commit()
    ok = web.post("/login", data={"email": user.email, "password": "ein-neues-passwort"})
    assert ok.status_code == 302


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "app_config",
    [{"LOGIN_LOCK_FAILURES": 3, "RATELIMIT_ENABLED": False}],
)
def test_concurrent_wrong_passwords_are_all_counted(app, db, factories, monkeypatch):
    """16 guesses at once: the row lock lets exactly 3 be checked, the rest meet the lock."""
    user = factories.user("finance")
    db.session.commit()
    email = user.email
    checked, lock = [], threading.Lock()
    real = User.check_password

    def counted(self, password):
        with lock:
            checked.append(password)
        return real(self, password)

    monkeypatch.setattr(User, "check_password", counted)
    barrier, statuses = threading.Barrier(16), []

    def guess(n):
        client = isolated_client(app)
        barrier.wait(timeout=30)
        response = client.post("/login", data={"email": email, "password": f"falsch-{n}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 16
    assert len(checked) == 3
    db.session.expire_all()
    assert db.session.scalar(select(User.failed_logins).where(User.id == user.id)) == 3


# --- rate limits ----------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT_PER_ACCOUNT": "3 per minute"}])
def test_login_attempts_per_account_are_limited_with_a_german_429(web, factories):
    user, other = factories.user("finance"), factories.user("finance")
    for _ in range(3):
        assert wrong(web, user.email).status_code == 200
    refused = web.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert "Zu viele Versuche. Bitte warten Sie eine Minute" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    # Another account from the same address is not affected by this account's limit.
    assert web.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302
    # Reading the login page is never limited.
    assert web.get("/login").status_code == 302  # (logged in as `other` now)


@pytest.mark.parametrize(
    "app_config",
    [{"LOGIN_RATE_LIMIT_PER_ADDRESS": "4 per minute", "LOGIN_LOCK_FAILURES": 100}],
)
def test_login_attempts_per_client_address_are_limited(app, factories):
    users = [factories.user("finance") for _ in range(5)]
    here = isolated_client(app)
    for user in users[:4]:
        assert wrong(here, user.email).status_code == 200
    assert wrong(here, users[4].email).status_code == 429
    # Another client address still gets through.
    elsewhere = isolated_client(app)
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    response = elsewhere.post("/login", data={"email": users[4].email, "password": PASSWORD})
    assert response.status_code == 302


def test_two_hundred_fast_guesses_are_cut_off_and_the_account_locked(app, web, db, factories):
    """The production measurement: 200 guesses at full speed from one address."""
    user = factories.user("finance")
    statuses = [wrong(web, user.email).status_code for _ in range(200)]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    # Spreading the guesses over many addresses does not help: the account's count holds.
    for n in range(3):
        client = isolated_client(app)
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert wrong(client, user.email).status_code == 429
    db.session.expire_all()
    assert user.failed_logins == 5


def test_only_the_limited_views_look_for_limits(migrated, monkeypatch, db, factories):
    """The limiter's app-wide hook is gone (no default or application limits exist): a
    request elsewhere never asks the limiter, the login view asks it once per request
    (not twice), and a login is still refused."""
    from flask_limiter import Limiter

    from app import create_app
    from tests.conftest import test_config

    user = factories.user("finance")
    db.session.commit()
    checks: list[str] = []
    original = Limiter._check_request_limit

    def counted(self, *args, **kwargs):
        checks.append(request.path)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Limiter, "_check_request_limit", counted)
    application = create_app(test_config(migrated, LOGIN_RATE_LIMIT_PER_ACCOUNT="1 per minute"))
    web = isolated_client(application)
    assert web.get("/healthz").status_code == 200
    assert checks == []
    assert web.get("/login").status_code == 200  # the limited view's own check, once
    assert wrong(web, user.email).status_code == 200
    assert wrong(web, user.email).status_code == 429
    assert checks == ["/login"] * 3
