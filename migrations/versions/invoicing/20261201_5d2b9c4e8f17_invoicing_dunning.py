"""invoicing dunning: reminder wording, fees, interest and PDF; holds; checkout state

Revision ID: 5d2b9c4e8f17
Revises: 3f52f49ae90e
Create Date: 2026-12-01 06:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.database

# revision identifiers, used by Alembic.
revision = "5d2b9c4e8f17"
down_revision = "3f52f49ae90e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invoicing_dunning_hold",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", app.database.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["core_customer.id"],
            name=op.f("fk_invoicing_dunning_hold_customer_id_core_customer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoicing_dunning_hold")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_invoicing_dunning_hold_customer_id")),
    )
    money = app.database.ExactDecimal(14, 2)
    with op.batch_alter_table("invoicing_reminder", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wording", sa.String(length=12), server_default="reminder", nullable=False)
        )
        batch_op.add_column(sa.Column("earlier_fees", money, server_default="0", nullable=False))
        batch_op.add_column(sa.Column("interest", money, server_default="0", nullable=False))
        batch_op.add_column(sa.Column("amount_due", money, server_default="0", nullable=False))
        batch_op.add_column(sa.Column("pdf", sa.LargeBinary(), nullable=True))
        batch_op.create_check_constraint(
            "wording", "wording in ('reminder', 'demand', 'collection')"
        )
    with op.batch_alter_table("invoicing_checkout_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), server_default="open", nullable=False)
        )
        batch_op.create_check_constraint(
            "status", "status in ('open', 'pending', 'paid', 'expired', 'failed')"
        )


def downgrade():
    with op.batch_alter_table("invoicing_checkout_session", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_invoicing_checkout_session_status"), type_="check")
        batch_op.drop_column("status")
    with op.batch_alter_table("invoicing_reminder", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_invoicing_reminder_wording"), type_="check")
        batch_op.drop_column("pdf")
        batch_op.drop_column("amount_due")
        batch_op.drop_column("interest")
        batch_op.drop_column("earlier_fees")
        batch_op.drop_column("wording")
    op.drop_table("invoicing_dunning_hold")
