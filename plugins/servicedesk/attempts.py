"""What the desk sees of failed caller checks: the recorded failures and the contacts locked now.

Read-only; verification.py records the attempts and decides the lock. A lock ends when
enough failures have left the lockout window, so its end is the failure that brings the
count back under the limit, plus the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.toolkit import Contact, Customer, User, db, now, tariff
from plugins.servicedesk.models import VerificationAttempt
from plugins.servicedesk.vocabulary import VerificationOutcome

FAILED = (
    VerificationOutcome.WRONG_PIN,
    VerificationOutcome.LOCKED,
    VerificationOutcome.NOT_AUTHORISED,
)
COUNTED = (VerificationOutcome.WRONG_PIN, VerificationOutcome.LOCKED)  # as verification.py


@dataclass(frozen=True)
class FailedAttempt:
    at: datetime
    outcome: VerificationOutcome
    customer: str
    contact: str  # "" when the caller named no authorised contact
    agent: str


@dataclass(frozen=True)
class Lock:
    contact: Contact
    failures: int
    until: datetime


def lock_end(failures_newest_first: list[datetime], limit: int, window: timedelta):
    """When a lock ends, given the failure instants within the window; None: not locked."""
    if limit <= 0 or len(failures_newest_first) < limit:
        return None
    return failures_newest_first[limit - 1] + window


def failed_attempts(
    customer_id: int | None = None, since: timedelta = timedelta(hours=24), limit: int = 50
) -> list[FailedAttempt]:
    """The failed checks of the last `since` (of one customer, or all), newest first."""
    statement = (
        select(
            VerificationAttempt.at,
            VerificationAttempt.outcome,
            Customer.legal_name,
            Contact.name,
            User.name,
        )
        .join(Customer, Customer.id == VerificationAttempt.customer_id)
        .outerjoin(Contact, Contact.id == VerificationAttempt.contact_id)
        .outerjoin(User, User.id == VerificationAttempt.agent_id)
        .where(
            VerificationAttempt.outcome.in_(FAILED),
            VerificationAttempt.at > now() - since,
        )
        .order_by(VerificationAttempt.at.desc(), VerificationAttempt.id.desc())
        .limit(limit)
    )
    if customer_id is not None:
        statement = statement.where(VerificationAttempt.customer_id == customer_id)
    return [
        FailedAttempt(at, VerificationOutcome(outcome), customer, contact or "", agent or "")
        for at, outcome, customer, contact, agent in db.session.execute(statement)
    ]


def locks(customer_id: int | None = None) -> list[Lock]:
    """The contacts locked now by too many wrong PINs, with when each lock ends."""
    window = timedelta(minutes=tariff("servicedesk.pin_lockout_minutes"))
    limit = tariff("servicedesk.pin_max_failures")
    statement = (
        select(VerificationAttempt)
        .where(
            VerificationAttempt.outcome.in_(COUNTED),
            VerificationAttempt.contact_id.is_not(None),
            VerificationAttempt.at > now() - window,
        )
        .order_by(VerificationAttempt.at.desc())
    )
    if customer_id is not None:
        statement = statement.where(VerificationAttempt.customer_id == customer_id)
    by_contact: dict[int, list[datetime]] = {}
    for attempt in db.session.scalars(statement):
        by_contact.setdefault(attempt.contact_id, []).append(attempt.at)
    found = []
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.id.in_(list(by_contact)))
        .options(selectinload(Contact.customer))
    ).all()
    for contact in contacts:
        until = lock_end(by_contact[contact.id], limit, window)
        if until is not None:
            found.append(Lock(contact, len(by_contact[contact.id]), until))
    return sorted(found, key=lambda lock: lock.until)
