"""The daily housekeeping of contracts, run by the scheduler and by the CLI alike."""

from __future__ import annotations

from app.toolkit import acting_as, db
from plugins.contracts.models import Contract, Quote
from plugins.contracts.quotes import expire_quotes
from plugins.contracts.services import end_due_contracts


def run_end_due(actor: str = "job:contracts.end_due") -> list[Contract]:
    """End contracts whose end date has passed; committed, safe to repeat."""
    with acting_as(actor):
        ended = end_due_contracts()
        db.session.commit()
    return ended


def run_expire_quotes(actor: str = "job:contracts.expire_quotes") -> list[Quote]:
    """Mark sent quotes past their validity date as expired; committed, safe to repeat."""
    with acting_as(actor):
        expired = expire_quotes()
        db.session.commit()
    return expired
