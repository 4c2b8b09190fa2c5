"""servicedesk outage master incidents and fault origin from evidence

- servicedesk_master_incident (an outage of a base-system service; open_service is
  unique while open) and servicedesk_master_incident_site (its affected sites).
- servicedesk_ticket: master_incident_id, and the fault origin the evidence proposes
  (fault_origin_proposed, fault_origin_evidence) with the decision on it
  (fault_origin_decided_by_id, fault_origin_decided_at, fault_origin_reason).
- the log entries outage_attached, fault_origin_confirmed, fault_origin_overridden.

Revision ID: 8c3f1a6d2e57
Revises: 5e7a2c9b1d40
Create Date: 2026-11-30 07:30:00

"""

import contextlib

import sqlalchemy as sa
from alembic import op

import app.database

revision = "8c3f1a6d2e57"
down_revision = "5e7a2c9b1d40"
branch_labels = None
depends_on = None

STATES = (
    "new",
    "verified",
    "withdrawn",
    "dispatched",
    "reacted",
    "in_progress",
    "escalated",
    "resolved",
    "closed",
    "waiting_customer",
    "waiting_third_party",
)
EVENTS = (
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
    "severity_set",
    "resolution_reminder_sent",
    "resolution_breach_escalated",
)
NEW_EVENTS = ("outage_attached", "fault_origin_confirmed", "fault_origin_overridden")
ORIGINS = ("base_system", "customer_environment")


def _in(column: str, codes, nullable: bool = False) -> str:
    condition = f"{column} in ({', '.join(repr(code) for code in codes)})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


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
    op.create_table(
        "servicedesk_master_incident",
        sa.Column("service", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("alertname", sa.String(length=200), nullable=False),
        sa.Column("opened_at", app.database.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", app.database.UTCDateTime(), nullable=True),
        sa.Column("open_service", sa.String(length=120), nullable=True),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.database.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.database.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            _in("source", ("alert", "declared")), name=op.f("ck_servicedesk_master_incident_source")
        ),
        sa.ForeignKeyConstraint(
            ["declared_by_id"],
            ["core_user.id"],
            name=op.f("fk_servicedesk_master_incident_declared_by_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["core_user.id"],
            name=op.f("fk_servicedesk_master_incident_resolved_by_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicedesk_master_incident")),
        sa.UniqueConstraint(
            "open_service", name=op.f("uq_servicedesk_master_incident_open_service")
        ),
    )
    with op.batch_alter_table("servicedesk_master_incident", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_servicedesk_master_incident_opened_at"), ["opened_at"], unique=False
        )
    op.create_table(
        "servicedesk_master_incident_site",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("added_at", app.database.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["servicedesk_master_incident.id"],
            name=op.f(
                "fk_servicedesk_master_incident_site_incident_id_servicedesk_master_incident"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["core_site.id"],
            name=op.f("fk_servicedesk_master_incident_site_site_id_core_site"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicedesk_master_incident_site")),
        sa.UniqueConstraint(
            "incident_id",
            "site_id",
            name=op.f("uq_servicedesk_master_incident_site_incident_id_site_id"),
        ),
    )
    with op.batch_alter_table("servicedesk_master_incident_site", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_servicedesk_master_incident_site_incident_id"),
            ["incident_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_servicedesk_master_incident_site_site_id"), ["site_id"], unique=False
        )
    with op.batch_alter_table("servicedesk_ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("master_incident_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fault_origin_proposed", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("fault_origin_evidence", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("fault_origin_decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("fault_origin_decided_at", app.database.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("fault_origin_reason", sa.Text(), nullable=True))
    op.execute("UPDATE servicedesk_ticket SET fault_origin_reason = ''")
    with op.batch_alter_table("servicedesk_ticket", schema=None) as batch_op:
        batch_op.alter_column("fault_origin_reason", existing_type=sa.Text(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_servicedesk_ticket_master_incident_id"),
            ["master_incident_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_servicedesk_ticket_master_incident_id_servicedesk_master_incident"),
            "servicedesk_master_incident",
            ["master_incident_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_servicedesk_ticket_fault_origin_decided_by_id_core_user"),
            "core_user",
            ["fault_origin_decided_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            "fault_origin_proposed", _in("fault_origin_proposed", ORIGINS, nullable=True)
        )
    with op.batch_alter_table("servicedesk_ticket_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_ticket_event_kind"), type_="check")
        batch_op.create_check_constraint("kind", _in("kind", (*STATES, *EVENTS, *NEW_EVENTS)))


def _downgrade():
    op.execute(
        "DELETE FROM servicedesk_ticket_event WHERE kind IN ('outage_attached', "
        "'fault_origin_confirmed', 'fault_origin_overridden')"
    )
    with op.batch_alter_table("servicedesk_ticket_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_ticket_event_kind"), type_="check")
        batch_op.create_check_constraint("kind", _in("kind", (*STATES, *EVENTS)))
    with op.batch_alter_table("servicedesk_ticket", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_servicedesk_ticket_fault_origin_proposed"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_servicedesk_ticket_fault_origin_decided_by_id_core_user"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_servicedesk_ticket_master_incident_id_servicedesk_master_incident"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_servicedesk_ticket_master_incident_id"))
        batch_op.drop_column("fault_origin_reason")
        batch_op.drop_column("fault_origin_decided_at")
        batch_op.drop_column("fault_origin_decided_by_id")
        batch_op.drop_column("fault_origin_evidence")
        batch_op.drop_column("fault_origin_proposed")
        batch_op.drop_column("master_incident_id")
    with op.batch_alter_table("servicedesk_master_incident_site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_servicedesk_master_incident_site_site_id"))
        batch_op.drop_index(batch_op.f("ix_servicedesk_master_incident_site_incident_id"))
    op.drop_table("servicedesk_master_incident_site")
    with op.batch_alter_table("servicedesk_master_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_servicedesk_master_incident_opened_at"))
    op.drop_table("servicedesk_master_incident")
