"""Customers finance sends no reminders to for a while (a dispute, an agreed payment plan),
each with the reason; putting on hold and releasing are audited like every record."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import Customer, RecordNotFound, RuleViolation, db, now
from plugins.invoicing.models import DunningHold


def holds() -> list[DunningHold]:
    return list(
        db.session.scalars(
            select(DunningHold).join(DunningHold.customer).order_by(Customer.legal_name)
        )
    )


def hold_of(customer_id: int) -> DunningHold | None:
    return db.session.scalar(select(DunningHold).where(DunningHold.customer_id == customer_id))


def put_on_hold(customer_id: int, reason: str, actor: str) -> DunningHold:
    """Stop reminders to the customer until released (flushes)."""
    reason = reason.strip()
    if not reason:
        raise RuleViolation(_("Say why the customer gets no reminders."), "reason")
    if db.session.get(Customer, customer_id) is None:
        raise RecordNotFound(_("No such customer."))
    hold = DunningHold(
        customer_id=customer_id, reason=reason, held_by=actor[:120], created_at=now()
    )
    try:
        with db.session.begin_nested():
            db.session.add(hold)
    except IntegrityError:
        raise RuleViolation(_("The customer is already on hold."), "customer_id") from None
    return hold


def release(hold_id: int) -> None:
    """Reminders go on from the next run (flushes)."""
    hold = db.session.get(DunningHold, hold_id)
    if hold is None:
        raise RecordNotFound(_("The customer is not on hold."))
    db.session.delete(hold)
    db.session.flush()
