"""API token checks kept for a second per process (app/recent_tokens.py): a read with a
token used within the second does not look it up again; a change this process commits
(a revoked token, a deactivated user, another role) is refused at once; a change it did
not see (another worker's) at most a second later, and never by a write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from app.bearer import RECENT_TOKENS
from app.models import ApiToken, User
from app.recent_tokens import RecentTokens, forget_all
from tests.core.isolated import isolated_client
from tests.statements import recorded_statements

ME = "/api/v1/me"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the cache on its own ------------------------------------------------------------------


def test_a_check_is_kept_for_its_seconds_and_no_longer():
    clock = Clock()
    recent = RecentTokens(1, clock=clock)
    recent.keep("a" * 64, {"token_id": 7})
    clock.now += 0.999
    assert recent.get("a" * 64) == {"token_id": 7}
    clock.now += 0.001
    assert recent.get("a" * 64) is None
    assert len(recent) == 0  # the expired check is dropped when found


def test_zero_seconds_keeps_nothing():
    recent = RecentTokens(0)
    recent.keep("a" * 64, {"token_id": 7})
    assert recent.get("a" * 64) is None and len(recent) == 0


def test_the_cache_is_bounded_and_can_be_emptied():
    recent = RecentTokens(60, size=3)
    for n in range(3):
        recent.keep(f"{n}" * 64, {"token_id": n})
    recent.keep("x" * 64, {"token_id": 9})  # the fourth starts afresh
    assert len(recent) == 1 and recent.get("x" * 64) == {"token_id": 9}
    recent.forget("x" * 64)
    assert len(recent) == 0
    recent.keep("y" * 64, {"token_id": 1})
    forget_all()
    assert len(recent) == 0


# --- through the API -----------------------------------------------------------------------


@pytest.fixture
def api(app):
    forget_all()  # nothing from an earlier test's requests
    return isolated_client(app)


@pytest.fixture
def clock(app, monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(app.extensions[RECENT_TOKENS], "clock", fake)
    return fake


@pytest.fixture
def caller(factories):
    user = factories.user("finance")
    token = factories.token(user)
    return user, {"Authorization": f"Bearer {token}"}


def _token_lookups(statements: list[str]) -> int:
    return sum(
        "core_api_token" in s and s.lstrip().upper().startswith("SELECT") for s in statements
    )


@pytest.fixture
def used(api, caller):
    """The caller's token after its first use, which stamped it (app/bearer.py) and so
    dropped its cached check: the next request reads it afresh."""
    user, headers = caller
    assert api.get(ME, headers=headers).status_code == 200
    return user, headers


def test_a_token_used_again_within_the_second_is_not_looked_up_again(app, db, api, used, clock):
    _user, headers = used
    with recorded_statements(db.engine) as statements:
        assert api.get(ME, headers=headers).status_code == 200
        assert api.get(ME, headers=headers).status_code == 200
        clock.now += 1
        assert api.get(ME, headers=headers).status_code == 200
    assert _token_lookups(statements) == 2  # 3 without the cache; again after the second


def test_a_token_revoked_in_this_process_is_refused_at_once(app, db, api, caller, clock):
    user, headers = caller
    assert api.get(ME, headers=headers).status_code == 200
    token = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    token.revoked_at = datetime.now(UTC)
    db.session.commit()
    assert api.get(ME, headers=headers).status_code == 401


@pytest.mark.parametrize("change", [{"active": False}, {"role": "service_desk"}])
def test_a_user_changed_in_this_process_is_read_afresh_at_once(app, db, api, caller, clock, change):
    user, headers = caller
    assert api.get(ME, headers=headers).get_json()["role"] == "finance"
    for name, value in change.items():
        setattr(db.session.get(User, user.id), name, value)
    db.session.commit()
    answer = api.get(ME, headers=headers)
    if change.get("active") is False:
        assert answer.status_code == 401
    else:
        assert answer.get_json()["role"] == "service_desk"


def test_a_revocation_by_statement_through_the_session_is_refused_at_once(
    app, db, api, used, clock
):
    user, headers = used
    assert api.get(ME, headers=headers).status_code == 200
    db.session.execute(update(User).where(User.id == user.id).values(active=False))
    db.session.commit()
    assert api.get(ME, headers=headers).status_code == 401


def test_a_revocation_this_process_did_not_see_takes_at_most_the_second(app, db, api, used, clock):
    user, headers = used
    assert api.get(ME, headers=headers).status_code == 200
    # As another worker revokes it: a statement of its own, no ORM flush in this process.
    with db.engine.begin() as connection:
        connection.execute(
            update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=datetime.now(UTC))
        )
    clock.now += 0.5
    assert api.get(ME, headers=headers).status_code == 200
    clock.now += 0.5
    assert api.get(ME, headers=headers).status_code == 401


def test_a_write_always_checks_its_token_afresh(app, db, api, used, clock):
    user, headers = used
    assert api.get(ME, headers=headers).status_code == 200  # kept for the reads
    with db.engine.begin() as connection:  # revoked by another worker
        connection.execute(
            update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=datetime.now(UTC))
        )
    assert api.get(ME, headers=headers).status_code == 200  # a read within the second
    written = api.post("/api/v1/customers", json={}, headers=headers)
    assert written.status_code == 401  # not 422: the token was looked up again


def test_an_unknown_token_is_not_kept(app, api, clock):
    assert api.get(ME, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert len(app.extensions[RECENT_TOKENS]) == 0


@pytest.mark.parametrize("app_config", [{"API_TOKEN_CACHE_SECONDS": 0}])
def test_without_the_cache_every_request_looks_its_token_up(app, db, api, caller):
    _user, headers = caller
    with recorded_statements(db.engine) as statements:
        for _ in range(3):
            assert api.get(ME, headers=headers).status_code == 200
    assert _token_lookups(statements) == 3
