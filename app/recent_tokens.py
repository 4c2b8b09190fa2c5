"""The API token checks of the last second, kept in each process.

Every API request names its token, and looking it up (the token with its user, one
statement) was a fifth of an invoice read's time in the process, plus a database round
trip. An integration sends its requests with one token, many a second under load, so
each process keeps the checks its reads (GET, HEAD) made for API_TOKEN_CACHE_SECONDS
(default 1; 0 turns the cache off): a read with a token seen within that time does not
look it up again. A write (POST, PUT, PATCH, DELETE) always checks its token afresh.

What that costs, and where it does not: a token revoked, or a user deactivated or given
another role, by *another* process (another gunicorn worker, another web machine) can
still read there at most that long after the change. The process that made the change
refuses at once: any commit that changed a user or a token through the session (a
flushed object, or an UPDATE or DELETE statement on either; every such change here is
one of these) empties the caches of its process. A token that was not found is
not kept, so random tokens cannot fill the cache, and a new token works at once.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Mapping
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.models import ApiToken, User

SIZE = 1024  # tokens per process; more distinct tokens a second than this start afresh
_CHANGED = "winet.auth_records_changed"  # session.info key: a user or token was flushed

_caches: weakref.WeakSet[RecentTokens] = weakref.WeakSet()


class RecentTokens:
    """Token hash -> what its check read (the token's and its user's columns), for
    `seconds` after it was read."""

    def __init__(self, seconds: int, size: int = SIZE, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._checks: dict[str, tuple[float, Mapping[str, Any]]] = {}
        _caches.add(self)

    def get(self, token_hash: str) -> Mapping[str, Any] | None:
        found = self._checks.get(token_hash)
        if found is None:
            return None
        read_at, values = found
        if self.clock() - read_at >= self.seconds:
            self._checks.pop(token_hash, None)
            return None
        return values

    def keep(self, token_hash: str, values: Mapping[str, Any]) -> None:
        if self.seconds <= 0:
            return
        if len(self._checks) >= self.size:
            self._checks.clear()  # all expire within a second anyway
        self._checks[token_hash] = (self.clock(), values)

    def forget(self, token_hash: str) -> None:
        self._checks.pop(token_hash, None)

    def clear(self) -> None:
        self._checks.clear()

    def __len__(self) -> int:
        return len(self._checks)


def forget_all() -> None:
    """Empty every cache of this process (a user or a token changed)."""
    for cache in list(_caches):
        cache.clear()


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, flush_context) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(record, User | ApiToken) for record in changed):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state: ORMExecuteState) -> None:
    # An UPDATE or DELETE through the session (update(User)...) changes rows no flush sees.
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in (User, ApiToken):
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    # A change rolled back leaves the mark until the next commit: emptying the caches
    # once too often costs one lookup per token, once.
    if session.info.pop(_CHANGED, False):
        forget_all()
