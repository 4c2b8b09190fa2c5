"""Demo on-call roster: the demo technician and chief stand by as fallbacks (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from app.toolkit import User, db
from plugins.servicedesk.dispatch import add_shift
from plugins.servicedesk.models import OnCallShift
from plugins.servicedesk.vocabulary import Duty


def load_demo() -> None:
    for duty, role in ((Duty.TECHNICIAN, "technician"), (Duty.CHIEF, "chief")):
        exists = db.session.scalar(
            select(OnCallShift.id).where(OnCallShift.duty == duty, OnCallShift.fallback.is_(True))
        )
        person = db.session.scalar(
            select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
        )
        if exists is None and person is not None:
            add_shift(person, duty, fallback=True)
    db.session.flush()
