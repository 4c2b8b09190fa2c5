"""psycopg cursors that describe their result set only when someone reads the description.

psycopg builds a `Column` object for every field each time `cursor.description` is read,
and SQLAlchemy reads it after every statement, only to learn whether rows came back: for
a statement it has run before it keeps the result's metadata with the compiled statement
and never looks at the columns again. An API request (the token check and an invoice with
its lines, 53 fields) spent about 40 µs of its 760 µs building columns nobody read.

`OnDemandCursor.description` answers the same question at once (None, or a sequence as
long as the result has fields) and builds psycopg's own Column objects the first time an
item is read. It keeps the result set it describes, so a description read after the
cursor has moved on still describes the rows it came with, as psycopg's list would.
Installed on every psycopg connection the app's engines open (app/database.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus

# The statuses for which psycopg describes a result (a SELECT without columns included).
_ROWS = frozenset({ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK})


class _AtResult:
    """The cursor as psycopg's Column reads it, held at one result set."""

    __slots__ = ("_cursor", "pgresult")

    def __init__(self, cursor: psycopg.Cursor, result: Any):
        self._cursor = cursor
        self.pgresult = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class OnDemandDescription(Sequence):
    """psycopg's description of one result set, its Column objects built on first use."""

    __slots__ = ("_source", "_count", "_columns")

    def __init__(self, cursor: psycopg.Cursor, result: Any, count: int):
        self._source = _AtResult(cursor, result)
        self._count = count
        self._columns: list[Column] | None = None

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if self._columns is None:
            self._columns = [Column(self._source, i) for i in range(self._count)]
        return self._columns[index]

    def __repr__(self) -> str:
        return repr(list(self))


class OnDemandCursor(psycopg.Cursor):
    @property
    def description(self) -> OnDemandDescription | None:
        result = self.pgresult
        if result and (result.nfields or result.status in _ROWS):
            return OnDemandDescription(self, result, result.nfields)
        return None


def install(dbapi_connection: Any) -> None:
    """Make `dbapi_connection` (if it is psycopg's, with psycopg's default cursor) open
    OnDemandCursor cursors. A cursor class chosen on purpose (connect_args) is kept."""
    if (
        isinstance(dbapi_connection, psycopg.Connection)
        and dbapi_connection.cursor_factory is psycopg.Cursor
    ):
        dbapi_connection.cursor_factory = OnDemandCursor
