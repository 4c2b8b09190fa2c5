"""Writing many rows at once: ids taken from the sequence beforehand and rows streamed
with COPY on PostgreSQL; an executemany elsewhere (SQLite).

A run writes tens of thousands of rows. On PostgreSQL, COPY stores them several times
faster than an executemany of INSERTs (no statement per row to bind, plan and acknowledge),
and taking the ids from the table's sequence first (one statement) means nothing has to be
read back afterwards: children and audit entries know their parents' ids before anything
is written. Both run on the session's connection, in its transaction: a failed COPY (a
unique ledger key) raises IntegrityError like an INSERT and the caller rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam, exc, func, insert, select
from sqlalchemy.orm import Session

from app.database import db


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def reserve_ids(session: Session, table: Table, count: int) -> list[int] | None:
    """`count` new ids of `table`'s serial `id`, in ascending order, taken from its
    sequence (PostgreSQL); None where the database has no sequence to take them from."""
    if count == 0:
        return []
    if not _is_postgresql(session):
        return None
    sequence = func.pg_get_serial_sequence(table.name, "id")
    return list(
        session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count)))
    )


def _with_defaults(table: Table, rows: list[dict[str, Any]]) -> list[str]:
    """Fill in the Python-side column defaults an INSERT would have applied (COPY does
    not know them); returns the columns to write."""
    present = set().union(*(row.keys() for row in rows))
    for column in table.columns:
        default = column.default
        if (
            column.key in present
            or default is None
            or not default.is_scalar
            and (not default.is_callable)
        ):
            continue
        for row in rows:
            row[column.key] = default.arg(None) if default.is_callable else default.arg
        present.add(column.key)
    return [column.key for column in table.columns if column.key in present]


def copy_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column) into `table` in the session's transaction:
    COPY on PostgreSQL, an executemany elsewhere. Values pass the columns' own bind
    processing (exact decimals, UTC instants, JSON) as with an INSERT."""
    if not rows:
        return
    if not _is_postgresql(session):
        session.execute(insert(table), rows)
        return
    columns = _with_defaults(table, rows)
    connection = session.connection()
    dialect = connection.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    raw = connection.connection.dbapi_connection
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if process is None or value is None else process(value)
                        for process, value in zip(
                            processors, (row.get(name) for name in columns), strict=True
                        )
                    ]
                )
    except psycopg.IntegrityError as error:
        raise exc.IntegrityError(statement, None, error) from error
    except psycopg.Error as error:
        raise exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error


def among(column: ColumnElement, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values` for a set read in one statement: on PostgreSQL one array
    parameter (`= ANY(...)`), so ten thousand ids cost one bound value, not ten thousand
    placeholders to render and parse; elsewhere a plain IN."""
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def id_chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """`values` in slices a statement can take: all at once on PostgreSQL (see `among`),
    `size` at a time elsewhere (SQLite limits the placeholders of a statement)."""
    if db.session.get_bind().dialect.name == "postgresql":
        if values:
            yield values
        return
    for start in range(0, len(values), size):
        yield values[start : start + size]
