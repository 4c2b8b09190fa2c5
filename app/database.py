"""SQLAlchemy base, naming convention and the exact column types every model uses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, MetaData, Numeric, String, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from app import pg_cursor
from app.safe_requests import RequestSession

# Deterministic constraint names, so Alembic can drop/alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ExactDecimal(TypeDecorator):
    """A Decimal with a fixed scale: NUMERIC on PostgreSQL, a scaled integer on SQLite.

    SQLite has no decimal type and would store NUMERIC as a float; money must never pass
    through a float, so there the value is kept as an integer count of the smallest unit.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2):
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("monetary and rate values must be Decimal, never float")
        value = Decimal(value)
        exact = value.quantize(self._quantum)
        if exact != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)

    def result_processor(self, dialect, coltype):
        if dialect.name != "postgresql":
            return super().result_processor(dialect, coltype)
        # On PostgreSQL psycopg hands over a Decimal already: what process_result_value
        # does, without the decorator's two calls per value and without copying the
        # Decimal first (a 50-row invoice page reads 350 amounts).
        quantum = self._quantum

        def process(value):
            if type(value) is Decimal:
                return value.quantize(quantum)
            return None if value is None else Decimal(value).quantize(quantum)

        return process

    def __repr__(self) -> str:
        return f"ExactDecimal({self.precision}, {self.scale})"


def Money() -> ExactDecimal:  # noqa: N802 - reads like a type in model declarations
    """CHF amount to the Rappen."""
    return ExactDecimal(14, 2)


def Percent() -> ExactDecimal:  # noqa: N802
    """A percentage such as 8.10 (VAT) or 12.00 (discount)."""
    return ExactDecimal(7, 4)


def _in_utc(value: datetime) -> datetime:
    """A datetime the database returned, as an aware UTC instant (SQLite's are naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator):
    """An aware instant stored in UTC; naive datetimes are refused instead of guessed."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: instants must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else _in_utc(value)

    def result_processor(self, dialect, coltype):
        if dialect.name != "postgresql":  # SQLite's DateTime parses text first
            return super().result_processor(dialect, coltype)

        # psycopg hands over a datetime: process_result_value without the decorator's
        # two calls per value.
        def process(value):
            return None if value is None else _in_utc(value)

        return process

    def __repr__(self) -> str:
        return "UTCDateTime()"


@event.listens_for(Engine, "connect")
def _describe_on_demand(dbapi_connection, connection_record) -> None:
    pg_cursor.install(dbapi_connection)  # psycopg only; why: app/pg_cursor.py


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # SQLite ignores foreign keys unless asked, and a web server plus a job thread need
    # WAL and a busy timeout to share the file without "database is locked".
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(connection, name) -> None:
    # The sqlite3 module begins a transaction on its own only before a write, so a
    # SAVEPOINT as the first statement would open the whole transaction, and releasing it
    # would commit everything: a savepoint rolled back later would then undo nothing.
    # Beginning first keeps the savepoint nested. (Reads stay outside transactions until
    # the first write, as the driver does by default.)
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if not raw.in_transaction:
        raw.execute("BEGIN")


# Primary keys are INTEGER columns: the largest id both SQLite and PostgreSQL can hold.
# Larger numbers in URLs and bodies are refused before they reach the database.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # One registry carries both the naming convention and the exact types, because
    # Flask-SQLAlchemy subclasses this base and SQLAlchemy allows the map only there.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), Decimal: Money(), str: String()},
    )


# RequestSession: GET and HEAD requests only read (app/safe_requests.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": RequestSession})


class IdMixin:
    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
