"""Benchmark: the monitoring sweep over N open tickets, steady and sending, against a floor.

Bulk-inserts N open tickets (dispatched, acknowledged, FirstReaction due 16:00, reminder
14:30) plus D tickets whose reminder is due (reported two hours earlier), then measures
in the same run:
- the floor: a bare `SELECT count(*)` over the open tickets (what any look at all of
  them costs at least),
- a steady sweep at 12:00: nothing to send,
- a sending sweep at 13:00: D reminders,
- another steady sweep right after,
and prints SQL statements and seconds of each and the ratio of the steady sweep to the
floor. The sweep reads only the tickets whose `next_check_at` has come (an index range),
so the steady sweep costs one statement whatever N is, and the sending sweep's
statements grow with D, not with N.

Run from anywhere: python benchmarks/sweep.py [--n 100000] [--due 100] [--repeat 5]
    [--database postgresql://postgres@127.0.0.1:5432/test]
(PostgreSQL by default: its own schema, dropped afterwards; sqlite:///... works too.)
Not a test: nothing here asserts, it reports.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

import sqlalchemy as sa  # noqa: E402

from benchmarks.invoice_run import StatementCounter, fresh_database  # noqa: E402

ZURICH = ZoneInfo("Europe/Zurich")
DAY = (2026, 11, 24)  # a Tuesday, inside pro's service hours (Mon-Fri 07-19)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(*DAY, hour, minute, tzinfo=ZURICH)


def make_app(database_url: str):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_BACKEND": "memory",
            "FROZEN_NOW": at(12),
            "TESTING": True,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def populate(n: int, due: int) -> None:
    """One pro site with a technician and a chief on call, N + D open tickets in bulk."""
    from app.database import db
    from app.schemas import CustomerIn, SiteIn, UserIn
    from app.services import create_customer, create_site, create_user
    from plugins.contracts.services import start_contract_in_the_past as start_contract
    from plugins.servicedesk.dispatch import add_shift
    from plugins.servicedesk.models import Ticket
    from plugins.servicedesk.vocabulary import Channel, Duty, TicketState

    address = dict(street="Täfernstrasse", house_number="31", postal_code="5405", town="Baden")
    customer = create_customer(
        CustomerIn(legal_name="Bench AG", billing_email="bench@example.ch", **address)
    )
    site = create_site(customer, SiteIn(name="Hauptsitz", **address))
    start_contract(site, "pro", date(2026, 1, 1))
    people = {}
    for role in ("technician", "chief"):
        people[role] = create_user(
            UserIn(email=f"{role}@bench.example", name=role, role=role, password="bench-demo-1")
        )
        add_shift(people[role], Duty(role), fallback=True)
    db.session.commit()

    now = datetime.now(UTC)

    def tickets(count: int, reported: datetime) -> list[dict]:
        shift = at(10) - reported
        reminder = at(14, 30) - shift
        return [
            {
                "customer_id": customer.id,
                "site_id": site.id,
                "channel": Channel.PHONE.value,
                "state": TicketState.DISPATCHED.value,
                "summary": "Phones dead",
                "description": "",
                "reported_at": reported,
                "contract_id": 1,
                "tier_code": "pro",
                "reaction_kind": "hours",
                "inside_service_hours": True,
                "fast_lane": False,
                "first_reaction_due_at": at(16) - shift,
                "reminder_at": reminder,
                "first_reaction_note": "",
                "technician_id": people["technician"].id,
                "dispatched_at": reported,
                "acknowledged_at": reported,
                "resolution": "",
                # What monitoring.py keeps on every change; bulk inserts bypass the ORM.
                "next_check_at": reminder,
                "created_at": now,
                "updated_at": now,
            }
            for _ in range(count)
        ]

    batch = 10_000
    for first in range(0, n, batch):
        db.session.execute(sa.insert(Ticket), tickets(min(batch, n - first), at(10)))
    db.session.execute(sa.insert(Ticket), tickets(due, at(8)))  # reminder due at 12:30
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE servicedesk_ticket"))
        db.session.commit()


def timed(engine, action) -> tuple[float, int, object]:
    with StatementCounter(engine) as counter:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    return seconds, counter.count, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="open tickets, nothing due")
    parser.add_argument("--due", type=int, default=100, help="tickets whose reminder is due")
    parser.add_argument("--repeat", type=int, default=5, help="steady sweeps and floors")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    from flask_migrate import upgrade

    url, drop = fresh_database(args.database, "sweep")
    app = make_app(url)
    try:
        with app.app_context():
            from app.database import db
            from app.seed import seed_all
            from plugins.servicedesk.jobs import sweep
            from plugins.servicedesk.models import Ticket
            from plugins.servicedesk.vocabulary import OPEN_STATES

            upgrade(revision="heads")
            seed_all()
            db.session.commit()
            started = time.perf_counter()
            populate(args.n, args.due)
            print(
                f"set-up: {args.n:,} open tickets + {args.due} with a reminder due "
                f"({time.perf_counter() - started:.1f} s, {db.engine.dialect.name})"
            )

            def floor():
                count = db.session.scalar(
                    sa.select(sa.func.count()).where(Ticket.state.in_(OPEN_STATES))
                )
                db.session.commit()
                return count

            floors = [timed(db.engine, floor) for _ in range(args.repeat)]
            steady = [timed(db.engine, lambda: sweep(at(12))) for _ in range(args.repeat)]
            sending = timed(db.engine, lambda: sweep(at(13)))
            after = timed(db.engine, lambda: sweep(at(13) + timedelta(minutes=1)))

        floor_s = statistics.median(s for s, _, _ in floors)
        steady_s = statistics.median(s for s, _, _ in steady)
        sent = len(sending[2].reminders)
        rows = [
            ("floor: SELECT count(*) of the open tickets", floor_s, floors[0][1], floors[0][2]),
            ("steady sweep (nothing due), median", steady_s, steady[0][1], str(steady[0][2])),
            ("sending sweep", sending[0], sending[1], str(sending[2])),
            ("steady sweep right after", after[0], after[1], str(after[2])),
        ]
        print(f"{'':44} {'seconds':>9} {'statements':>11}  result")
        for label, seconds, statements, result in rows:
            print(f"{label:44} {seconds:9.4f} {statements:11d}  {result}")
        print(f"steady sweep / floor: {steady_s / floor_s:.2f}")
        if sent:
            print(
                f"sending sweep: {sending[1] / sent:.1f} statements and "
                f"{1000 * sending[0] / sent:.1f} ms per reminder sent (delivery included)"
            )
    finally:
        with app.app_context():
            from app.database import db

            db.session.remove()
            db.engine.dispose()
        drop()


if __name__ == "__main__":
    main()
