"""Gap-free document numbers per series and year, assigned inside the issuing transaction.

The counter is one row per (series, year), moved with a single atomic
`UPDATE ... SET last_number = last_number + 1 RETURNING last_number`: the row lock it takes
serialises concurrent issuers on PostgreSQL (and SQLite's single writer does the same),
and because the increment commits or rolls back with the invoice, no number is skipped.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.toolkit import db
from plugins.invoicing.models import NumberSequence

INVOICE_SERIES = "RE"
CREDIT_NOTE_SERIES = "GS"
# How a number is written; credit notes carry their own series' prefix.
_FORMATS = {INVOICE_SERIES: "{year}-{sequence:06d}", CREDIT_NOTE_SERIES: "GS-{year}-{sequence:06d}"}


def format_number(series: str, year: int, sequence: int) -> str:
    return _FORMATS[series].format(year=year, sequence=sequence)


def _ensure_row(series: str, year: int) -> None:
    exists = db.session.scalar(
        select(NumberSequence.last_number).where(
            NumberSequence.series == series, NumberSequence.year == year
        )
    )
    if exists is not None:
        return
    dialect = db.session.get_bind().dialect.name
    values = {"series": series, "year": year, "last_number": 0}
    if dialect == "postgresql":
        # A concurrent first issuer of the year may insert the same row: wait, then skip.
        db.session.execute(pg_insert(NumberSequence).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        db.session.execute(insert(NumberSequence).values(**values).prefix_with("OR IGNORE"))
    else:  # pragma: no cover - only the two supported databases
        db.session.execute(insert(NumberSequence).values(**values))


def upcoming_number(series: str, year: int) -> str:
    """The number the next document of the series would get, read only (for a preview:
    another issuer may take it first)."""
    last = db.session.scalar(
        select(NumberSequence.last_number).where(
            NumberSequence.series == series, NumberSequence.year == year
        )
    )
    return format_number(series, year, (last or 0) + 1)


def next_number(series: str, year: int) -> tuple[int, str]:
    """Take the next sequence number of the series and year: (sequence, formatted number)."""
    return take_numbers(series, year, 1)[0]


def take_numbers(series: str, year: int, count: int) -> list[tuple[int, str]]:
    """Take the next `count` numbers of the series and year in one step, in order:
    [(sequence, formatted number), ...]. The block is contiguous, as the counter row stays
    locked until the transaction ends."""
    if count < 1:
        return []
    _ensure_row(series, year)
    last = db.session.execute(
        update(NumberSequence)
        .where(NumberSequence.series == series, NumberSequence.year == year)
        .values(last_number=NumberSequence.last_number + count)
        .returning(NumberSequence.last_number)
    ).scalar_one()
    return [
        (sequence, format_number(series, year, sequence))
        for sequence in range(last - count + 1, last + 1)
    ]
