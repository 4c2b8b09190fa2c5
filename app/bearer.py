"""Who calls the API: the user of a bearer token, through Flask-Login's request loader.

API requests authenticate by token only: the session cookie is ignored there (the API is
exempt from CSRF, so a cookie must never open it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, Request, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state

from app.database import db
from app.models import ApiToken, User
from app.models.users import hash_token
from app.recent_tokens import RecentTokens
from app.safe_requests import in_safe_request

API_PATH = "/api/"
STAMP_EVERY = 60  # seconds: how coarse a token's last-use stamp is
RECENT_TOKENS = "winet.recent_tokens"  # app.extensions key


def is_api_path() -> bool:
    return request.path.startswith(API_PATH)


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# The token and its user in one statement of plain columns, run on the session's
# connection: this runs before every API request, and loading the two as ORM objects was
# a third of a small request's time. Built once (SQLAlchemy memoises its cache key).
_tokens, _users = ApiToken.__table__, User.__table__
_TOKEN_AND_USER = (
    select(
        _tokens.c.id.label("token_id"),
        _tokens.c.last_used_at.label("token_last_used_at"),
        _tokens.c.revoked_at.label("token_revoked_at"),
        *_users.columns,
    )
    .join(_users, _users.c.id == _tokens.c.user_id)
    .where(_tokens.c.token_hash == bindparam("token_hash"))
)
_USER_COLUMNS = tuple(column.key for column in _users.columns)


class CookieSessionsOutsideTheApi(SecureCookieSessionInterface):
    """The signed-cookie session, except on the API, which takes tokens only: there the
    session is Flask's null session, so a cookie is neither read (and its signature
    checked) nor written, and no API answer ever sets one."""

    def open_session(self, app: Flask, request: Request):
        if request.path.startswith(API_PATH):
            return self.make_null_session(app)
        return super().open_session(app, request)


def user_of_token(req) -> User | None:
    """Flask-Login's request loader: the active user whose token the API request carries
    (for a read, a check made within the last second is taken from app/recent_tokens.py)."""
    if not req.path.startswith(API_PATH):
        return None
    token = bearer_token()
    if token is None:
        return None
    token_hash = hash_token(token)
    # Reads may take a check from the last second; a write is always checked afresh.
    recent: RecentTokens | None = (
        current_app.extensions[RECENT_TOKENS] if in_safe_request() else None
    )
    values = recent.get(token_hash) if recent is not None else None
    if values is None:
        row = db.session.connection().execute(_TOKEN_AND_USER, {"token_hash": token_hash}).first()
        if row is None:
            return None
        values = row._mapping
        if recent is not None:
            recent.keep(token_hash, values)
    if values["token_revoked_at"] is not None or not values["active"]:
        return None
    g.api_token_id = values["token_id"]
    g.api_token_hash = token_hash
    g.api_token_last_used = values["token_last_used_at"]
    return _user_in_session(values)


def init_app(app: Flask) -> None:
    """Flask-Login's request loader, with this app's cache of recent token checks."""
    from app.extensions import login_manager

    app.extensions[RECENT_TOKENS] = RecentTokens(app.config["API_TOKEN_CACHE_SECONDS"])
    login_manager.request_loader(user_of_token)


def _user_in_session(values) -> User:
    """The user the row describes, as the session's persistent object: what a query for
    it would have returned, without the ORM's per-row loading."""
    session = db.session()
    known = session.identity_map.get(session.identity_key(User, (values["id"],)))
    if known is not None:  # already loaded in this session: the one instance there is
        return known
    # Filled as the ORM's loading fills an object (its state's dict), not through the
    # instrumented constructor, then made what loading makes it: clean, with its key.
    user = User.__mapper__.class_manager.new_instance()
    instance_state(user).dict.update((key, values[key]) for key in _USER_COLUMNS)
    make_transient_to_detached(user)
    session.add(user)
    return user


def stamp_token_use() -> None:
    """Coarse last-use stamp of the request's token (once a minute, so that reads do not
    write on every call). Bookkeeping apart from the request's own transaction: it is
    kept whatever the request does, and never commits the request's work."""
    token_id = g.get("api_token_id")
    if token_id is None:
        return
    now = datetime.now(UTC)
    last_used = g.get("api_token_last_used")
    if last_used is not None and last_used >= now - timedelta(seconds=STAMP_EVERY):
        return  # stamped within the minute (as read with the token): no statement at all
    # The stamp read with a cached check is older: read afresh on the next request.
    current_app.extensions[RECENT_TOKENS].forget(g.api_token_hash)
    with db.engine.begin() as connection:
        connection.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < now - timedelta(seconds=STAMP_EVERY),
                ),
            )
            .values(last_used_at=now)
        )
