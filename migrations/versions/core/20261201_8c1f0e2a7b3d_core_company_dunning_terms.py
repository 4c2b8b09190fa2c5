"""core company: terms of business for dunning (reminder fees, default interest)

Revision ID: 8c1f0e2a7b3d
Revises: 7c1f0e2a9b35
Create Date: 2026-12-01 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8c1f0e2a7b3d"
down_revision = "7c1f0e2a9b35"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("core_company", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_fees", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("default_interest", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("core_company", schema=None) as batch_op:
        batch_op.drop_column("default_interest")
        batch_op.drop_column("reminder_fees")
