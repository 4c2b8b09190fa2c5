"""Caller verification: an authorised contact with the right PIN; every attempt recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from app.toolkit import Contact, User, db, now, tariff
from plugins.servicedesk.models import Ticket, VerificationAttempt
from plugins.servicedesk.vocabulary import VerificationMethod, VerificationOutcome


@dataclass(frozen=True)
class VerificationResult:
    verified: bool
    outcome: VerificationOutcome
    failures_left: int


def recent_failures(contact: Contact) -> int:
    """Failed PIN attempts of a contact within the lockout window (the rate limit)."""
    window = timedelta(minutes=tariff("servicedesk.pin_lockout_minutes"))
    return db.session.scalar(
        select(func.count(VerificationAttempt.id)).where(
            VerificationAttempt.contact_id == contact.id,
            VerificationAttempt.outcome.in_(
                (VerificationOutcome.WRONG_PIN, VerificationOutcome.LOCKED)
            ),
            VerificationAttempt.at > now() - window,
        )
    )


def is_locked(contact: Contact) -> bool:
    return recent_failures(contact) >= tariff("servicedesk.pin_max_failures")


def failures_left(contact: Contact) -> int:
    """Wrong PINs the contact may still give before the lock (shown to the desk)."""
    return max(tariff("servicedesk.pin_max_failures") - recent_failures(contact), 0)


def _one_check_at_a_time(contact: Contact) -> None:
    """Lock the contact's row until the entry point commits the attempt.

    Without it, concurrent wrong PINs all count the same earlier failures and all get
    checked; with it, each check sees the attempts committed before it, so exactly
    `pin_max_failures` wrong PINs are ever checked. (PostgreSQL; SQLite, for
    development only, ignores FOR UPDATE.)
    """
    db.session.execute(select(Contact.id).where(Contact.id == contact.id).with_for_update())


def verify_by_callback(
    contact: Contact | None,
    reached: bool,
    agent: User | None,
    customer_id: int,
    ticket: Ticket | None = None,
) -> VerificationResult:
    """The desk called the caller back at the registered number instead of asking the
    PIN; recorded as an attempt like a PIN check (method callback). An authorised
    contact without a registered number cannot be verified this way."""
    if (
        contact is None
        or not contact.active
        or not contact.authorised_caller
        or contact.customer_id != customer_id
        or not (contact.phone or "").strip()
    ):
        outcome = VerificationOutcome.NOT_AUTHORISED
    else:
        outcome = VerificationOutcome.VERIFIED if reached else VerificationOutcome.NOT_REACHED
    db.session.add(
        VerificationAttempt(
            at=now(),
            customer_id=customer_id,
            contact_id=contact.id if contact is not None else None,
            ticket_id=ticket.id if ticket is not None else None,
            agent_id=agent.id if agent is not None else None,
            method=VerificationMethod.CALLBACK,
            outcome=outcome,
        )
    )
    db.session.flush()
    left = failures_left(contact) if contact is not None else 0
    return VerificationResult(outcome == VerificationOutcome.VERIFIED, outcome, left)


def verify_caller(
    contact: Contact | None,
    pin: str,
    agent: User | None,
    ticket: Ticket | None = None,
    customer_id: int | None = None,
) -> VerificationResult:
    """Check a caller and record the attempt. A locked contact is refused even with the
    right PIN, so guessing stays slow whatever the desk agent does."""
    customer_id = customer_id or (contact.customer_id if contact else None)
    if ticket is not None:
        customer_id = ticket.customer_id
    if (
        contact is None
        or not contact.active
        or not contact.authorised_caller
        or contact.customer_id != customer_id
    ):
        outcome = VerificationOutcome.NOT_AUTHORISED
    else:
        _one_check_at_a_time(contact)
        if is_locked(contact):
            outcome = VerificationOutcome.LOCKED
        elif contact.check_pin((pin or "").strip()):
            outcome = VerificationOutcome.VERIFIED
        else:
            outcome = VerificationOutcome.WRONG_PIN
    db.session.add(
        VerificationAttempt(
            at=now(),
            customer_id=customer_id,
            contact_id=contact.id if contact is not None else None,
            ticket_id=ticket.id if ticket is not None else None,
            agent_id=agent.id if agent is not None else None,
            outcome=outcome,
        )
    )
    db.session.flush()
    left = failures_left(contact) if contact is not None else 0
    return VerificationResult(outcome == VerificationOutcome.VERIFIED, outcome, left)
