"""servicedesk vocabularies, service days and texts as codes, next sweep check

- servicedesk_charge: service_days (the days of the service and each day's share), the
  description as a code with parameters (description_code, description_params) instead
  of English text, zero_rated_reason as a code; check constraints for kind, unit,
  description_code and zero_rated_reason.
- servicedesk_ticket: next_check_at (indexed), when the sweep looks at the ticket next;
  a check constraint for fast_lane_answer.
- servicedesk_ticket_event: note_params, the facts of an entry (worded when shown);
  check constraints for kind, from_state and to_state.
- check constraints for servicedesk_verification_attempt.method,
  servicedesk_escalation.reason and servicedesk_notification.kind.

Existing rows: a charge's old description is kept as params {"text": ...} under the code
"text" (shown as it is), its service day becomes its one service day, and the two
reasons ever written become their codes. Open tickets still waiting for their
FirstReaction get next_check_at = their report time, so the first sweep looks at each
once and sets its real next check. Old log entries keep their note as text.

Revision ID: d91a141302d6
Revises: 180fbd3d9fa4
Create Date: 2026-11-30 05:00:00

"""

import contextlib

import sqlalchemy as sa
from alembic import op

import app.database

# revision identifiers, used by Alembic.
revision = "d91a141302d6"
down_revision = "180fbd3d9fa4"
branch_labels = None
depends_on = None

# The texts as they were written before codes (costs.py); nothing else was ever stored.
REASONS = {
    "Fault of a Winet base-system service: free of charge": "base_system",
    "Free service units of the contract year": "free_units",
}
OPEN_STATES = ("new", "verified", "dispatched", "reacted", "in_progress", "escalated")
STATES = ("new", "verified", "withdrawn", *OPEN_STATES[2:], "resolved", "closed")
EVENT_KINDS = (
    *STATES,
    "opened",
    "verification_failed",
    "fast_lane_offered",
    "fast_lane_confirmed",
    "fast_lane_withdrawn",
    "fast_lane_credited",
    "acknowledged",
    "dispatch_failed",
    "reminder_sent",
    "breach_escalated",
    "renotified",
    "time_entry",
    "material",
    "chief_joined",
    "alert_added",
    "alert_repeated",
    "alert_resolved",
    "alert_resolved_again",
)


def _in(column: str, codes, nullable: bool = False) -> str:
    condition = f"{column} in ({', '.join(repr(code) for code in codes)})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


charge = sa.table(
    "servicedesk_charge",
    sa.column("id", sa.Integer),
    sa.column("service_date", sa.Date),
    sa.column("service_days", sa.JSON),
    sa.column("description", sa.String),
    sa.column("description_code", sa.String),
    sa.column("description_params", sa.JSON),
    sa.column("zero_rated_reason", sa.String),
)
ticket = sa.table(
    "servicedesk_ticket",
    sa.column("state", sa.String),
    sa.column("first_reaction_at", app.database.UTCDateTime),
    sa.column("reported_at", app.database.UTCDateTime),
    sa.column("next_check_at", app.database.UTCDateTime),
)


@contextlib.contextmanager
def _foreign_keys_off_on_sqlite():
    """SQLite: batch mode copies servicedesk_ticket to a new table and drops the old one,
    which its children's foreign keys would refuse. They are off meanwhile (a pragma that
    only works outside a transaction) and checked once it is done."""
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    finally:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    with _foreign_keys_off_on_sqlite():
        _upgrade()


def downgrade():
    with _foreign_keys_off_on_sqlite():
        _downgrade()


def _upgrade():
    connection = op.get_bind()
    with op.batch_alter_table("servicedesk_charge", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_days", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("description_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("description_params", sa.JSON(), nullable=True))

    rows = connection.execute(
        sa.select(
            charge.c.id, charge.c.service_date, charge.c.description, charge.c.zero_rated_reason
        )
    ).all()
    unknown = sorted({r.zero_rated_reason for r in rows if r.zero_rated_reason} - set(REASONS))
    if unknown:
        raise RuntimeError(f"servicedesk_charge: unknown zero-rated reasons {unknown}")
    for row in rows:
        connection.execute(
            charge.update()
            .where(charge.c.id == row.id)
            .values(
                service_days=[[row.service_date.isoformat(), 1]],
                description_code="text",
                description_params={"text": row.description},
                zero_rated_reason=REASONS.get(row.zero_rated_reason),
            )
        )

    with op.batch_alter_table("servicedesk_charge", schema=None) as batch_op:
        batch_op.alter_column("service_days", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("description_code", existing_type=sa.String(20), nullable=False)
        batch_op.alter_column("description_params", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column(
            "zero_rated_reason",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=20),
            existing_nullable=True,
        )
        batch_op.drop_column("description")
        batch_op.create_check_constraint(
            "kind", _in("kind", ("time", "travel", "material", "fast_lane", "fast_lane_credit"))
        )
        batch_op.create_check_constraint("unit", _in("unit", ("h", "visit", "pc")))
        batch_op.create_check_constraint(
            "description_code",
            _in(
                "description_code",
                (
                    "service_time",
                    "service_time_free",
                    "travel",
                    "material",
                    "fast_lane_fee",
                    "fast_lane_credit",
                    "text",
                ),
            ),
        )
        batch_op.create_check_constraint(
            "zero_rated_reason",
            _in("zero_rated_reason", ("base_system", "free_units"), nullable=True),
        )

    with op.batch_alter_table("servicedesk_ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_check_at", app.database.UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_servicedesk_ticket_next_check_at"), ["next_check_at"], unique=False
        )
        batch_op.create_check_constraint(
            "fast_lane_answer",
            _in("fast_lane_answer", ("confirmed", "withdrawn"), nullable=True),
        )
    connection.execute(
        ticket.update()
        .where(ticket.c.state.in_(OPEN_STATES), ticket.c.first_reaction_at.is_(None))
        .values(next_check_at=ticket.c.reported_at)
    )

    with op.batch_alter_table("servicedesk_ticket_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_params", sa.JSON(), nullable=True))
        batch_op.create_check_constraint("kind", _in("kind", EVENT_KINDS))
        batch_op.create_check_constraint("from_state", _in("from_state", STATES, nullable=True))
        batch_op.create_check_constraint("to_state", _in("to_state", STATES, nullable=True))

    with op.batch_alter_table("servicedesk_verification_attempt", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "method", _in("method", ("pin", "portal_login", "alertmanager"))
        )
    with op.batch_alter_table("servicedesk_escalation", schema=None) as batch_op:
        batch_op.create_check_constraint("reason", _in("reason", ("breach", "third_level")))
    with op.batch_alter_table("servicedesk_notification", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "kind", _in("kind", ("dispatch", "reminder", "breach", "unacknowledged"))
        )


def _downgrade():
    connection = op.get_bind()
    with op.batch_alter_table("servicedesk_notification", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_notification_kind"), type_="check")
    with op.batch_alter_table("servicedesk_escalation", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_escalation_reason"), type_="check")
    with op.batch_alter_table("servicedesk_verification_attempt", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_verification_attempt_method"), type_="check")
    with op.batch_alter_table("servicedesk_ticket_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_ticket_event_to_state"), type_="check")
        batch_op.drop_constraint(op.f("ck_servicedesk_ticket_event_from_state"), type_="check")
        batch_op.drop_constraint(op.f("ck_servicedesk_ticket_event_kind"), type_="check")
        batch_op.drop_column("note_params")
    with op.batch_alter_table("servicedesk_ticket", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_ticket_fast_lane_answer"), type_="check")
        batch_op.drop_index(batch_op.f("ix_servicedesk_ticket_next_check_at"))
        batch_op.drop_column("next_check_at")

    with op.batch_alter_table("servicedesk_charge", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_charge_zero_rated_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_servicedesk_charge_description_code"), type_="check")
        batch_op.drop_constraint(op.f("ck_servicedesk_charge_unit"), type_="check")
        batch_op.drop_constraint(op.f("ck_servicedesk_charge_kind"), type_="check")
        batch_op.add_column(sa.Column("description", sa.VARCHAR(length=300), nullable=True))
        batch_op.alter_column(
            "zero_rated_reason",
            existing_type=sa.String(length=20),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )
    texts = {code: text for text, code in REASONS.items()}
    rows = connection.execute(
        sa.select(
            charge.c.id,
            charge.c.description_code,
            charge.c.description_params,
            charge.c.zero_rated_reason,
        )
    ).all()
    for row in rows:
        params = row.description_params or {}
        connection.execute(
            charge.update()
            .where(charge.c.id == row.id)
            .values(
                description=str(
                    params.get("text") or f"{params.get('ticket', '')} {row.description_code}"
                )[:300],
                zero_rated_reason=texts.get(row.zero_rated_reason),
            )
        )
    with op.batch_alter_table("servicedesk_charge", schema=None) as batch_op:
        batch_op.alter_column("description", existing_type=sa.VARCHAR(300), nullable=False)
        batch_op.drop_column("description_params")
        batch_op.drop_column("description_code")
        batch_op.drop_column("service_days")
