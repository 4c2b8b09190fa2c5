"""Who calls the API: the user of a bearer token, through Flask-Login's request loader.

API requests authenticate by token only: the session cookie is ignored there (the API is
exempt from CSRF, so a cookie must never open it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import g, request
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from app.database import db
from app.models import ApiToken, User
from app.models.users import hash_token

API_PATH = "/api/"
STAMP_EVERY = 60  # seconds: how coarse a token's last-use stamp is


def is_api_path() -> bool:
    return request.path.startswith(API_PATH)


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def user_of_token(req) -> User | None:
    """Flask-Login's request loader: the active user whose token the API request carries."""
    if not req.path.startswith(API_PATH):
        return None
    token = bearer_token()
    if token is None:
        return None
    # The token and its user in one statement: this runs before every API request.
    row = db.session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(token))
    )
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    g.api_token_id = row.id
    g.api_token_last_used = row.last_used_at
    return row.user


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
