"""servicedesk resolution targets and pause states

- servicedesk_ticket: resolution_due_at and resolution_reminder_at (the resolution
  target of the severity, watched by the sweep); the states waiting_customer and
  waiting_third_party.
- servicedesk_ticket_pause: one row per pause (the resolution clock stands still).
- the new log entries, the escalation reason resolution_breach and the notification
  kinds resolution_reminder and resolution_breach in the check constraints.

Existing tickets get no resolution due time (they were opened without the targets).

Revision ID: 5e7a2c9b1d40
Revises: d91a141302d6
Create Date: 2026-11-30 07:00:00

"""

import contextlib

import sqlalchemy as sa
from alembic import op

import app.database

revision = "5e7a2c9b1d40"
down_revision = "d91a141302d6"
branch_labels = None
depends_on = None

OLD_STATES = (
    "new",
    "verified",
    "withdrawn",
    "dispatched",
    "reacted",
    "in_progress",
    "escalated",
    "resolved",
    "closed",
)
PAUSE_STATES = ("waiting_customer", "waiting_third_party")
STATES = (*OLD_STATES, *PAUSE_STATES)
OLD_EVENTS = (
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
NEW_EVENTS = ("severity_set", "resolution_reminder_sent", "resolution_breach_escalated")
OLD_NOTIFICATIONS = ("dispatch", "reminder", "breach", "unacknowledged")
NEW_NOTIFICATIONS = ("resolution_reminder", "resolution_breach")


def _in(column: str, codes, nullable: bool = False) -> str:
    condition = f"{column} in ({', '.join(repr(code) for code in codes)})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


def _replace(table: str, column: str, codes, nullable: bool = False) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
        batch_op.create_check_constraint(column, _in(column, codes, nullable))


def _constraints(states, events, notifications, reasons) -> None:
    _replace("servicedesk_ticket", "state", states)
    _replace("servicedesk_ticket_event", "kind", (*states, *events))
    _replace("servicedesk_ticket_event", "from_state", states, nullable=True)
    _replace("servicedesk_ticket_event", "to_state", states, nullable=True)
    _replace("servicedesk_notification", "kind", notifications)
    _replace("servicedesk_escalation", "reason", reasons)


@contextlib.contextmanager
def _foreign_keys_off_on_sqlite():
    """SQLite: batch mode copies servicedesk_ticket to a new table and drops the old one,
    which its children's foreign keys would refuse (as in d91a141302d6)."""
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
    with op.batch_alter_table("servicedesk_ticket", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("resolution_due_at", app.database.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("resolution_reminder_at", app.database.UTCDateTime(), nullable=True)
        )
    _constraints(
        STATES,
        (*OLD_EVENTS, *NEW_EVENTS),
        (*OLD_NOTIFICATIONS, *NEW_NOTIFICATIONS),
        ("breach", "third_level", "resolution_breach"),
    )
    op.create_table(
        "servicedesk_ticket_pause",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("started_at", app.database.UTCDateTime(), nullable=False),
        sa.Column("ended_at", app.database.UTCDateTime(), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            _in("state", PAUSE_STATES), name=op.f("ck_servicedesk_ticket_pause_state")
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at",
            name=op.f("ck_servicedesk_ticket_pause_times"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["core_user.id"],
            name=op.f("fk_servicedesk_ticket_pause_ended_by_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["core_user.id"],
            name=op.f("fk_servicedesk_ticket_pause_started_by_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["servicedesk_ticket.id"],
            name=op.f("fk_servicedesk_ticket_pause_ticket_id_servicedesk_ticket"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicedesk_ticket_pause")),
    )
    with op.batch_alter_table("servicedesk_ticket_pause", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_servicedesk_ticket_pause_ticket_id"), ["ticket_id"], unique=False
        )


def _downgrade():
    op.execute(
        "UPDATE servicedesk_ticket SET state = 'in_progress' "
        "WHERE state IN ('waiting_customer', 'waiting_third_party')"
    )
    op.execute(
        "DELETE FROM servicedesk_ticket_event WHERE kind IN ('waiting_customer', "
        "'waiting_third_party', 'severity_set', 'resolution_reminder_sent', "
        "'resolution_breach_escalated') OR from_state IN ('waiting_customer', "
        "'waiting_third_party')"
    )
    op.execute(
        "DELETE FROM servicedesk_notification WHERE kind IN ('resolution_reminder', "
        "'resolution_breach')"
    )
    op.execute("DELETE FROM servicedesk_escalation WHERE reason = 'resolution_breach'")
    with op.batch_alter_table("servicedesk_ticket_pause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_servicedesk_ticket_pause_ticket_id"))
    op.drop_table("servicedesk_ticket_pause")
    _constraints(OLD_STATES, OLD_EVENTS, OLD_NOTIFICATIONS, ("breach", "third_level"))
    with op.batch_alter_table("servicedesk_ticket", schema=None) as batch_op:
        batch_op.drop_column("resolution_reminder_at")
        batch_op.drop_column("resolution_due_at")
