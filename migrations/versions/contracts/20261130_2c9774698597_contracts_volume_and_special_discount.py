"""contracts volume and special discount

Revision ID: 2c9774698597
Revises: 6e716a8a5a62
Create Date: 2026-11-30 04:16:32.151534

"""

import sqlalchemy as sa
from alembic import op

import app.database

# revision identifiers, used by Alembic.
revision = "2c9774698597"
down_revision = "6e716a8a5a62"
branch_labels = None
depends_on = None


def upgrade():
    # The agreed discount is kept as its two parts, as the quote states them and the
    # invoices bill them. A contract from a quote gets the quote's manual discount as its
    # special part and the rest as volume; any other contract keeps all of it as volume.
    with op.batch_alter_table("contracts_contract", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "volume_discount_percent",
                app.database.ExactDecimal(7, 4),
                nullable=False,
                server_default="0",
            )
        )
        batch_op.add_column(
            sa.Column(
                "special_discount_percent",
                app.database.ExactDecimal(7, 4),
                nullable=False,
                server_default="0",
            )
        )
    op.execute(
        """
        UPDATE contracts_contract SET
          special_discount_percent = COALESCE((
            SELECT MAX(q.manual_discount_percent) FROM contracts_quote_line l
            JOIN contracts_quote q ON q.id = l.quote_id
            WHERE l.contract_id = contracts_contract.id), 0)
        """
    )
    op.execute(
        "UPDATE contracts_contract SET volume_discount_percent = "
        "discount_percent - special_discount_percent"
    )
    with op.batch_alter_table("contracts_contract", schema=None) as batch_op:
        batch_op.alter_column("volume_discount_percent", server_default=None)
        batch_op.alter_column("special_discount_percent", server_default=None)
        batch_op.drop_column("discount_percent")


def downgrade():
    with op.batch_alter_table("contracts_contract", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "discount_percent",
                app.database.ExactDecimal(7, 4),
                nullable=False,
                server_default="0",
            )
        )
    op.execute(
        "UPDATE contracts_contract SET discount_percent = "
        "volume_discount_percent + special_discount_percent"
    )
    with op.batch_alter_table("contracts_contract", schema=None) as batch_op:
        batch_op.alter_column("discount_percent", server_default=None)
        batch_op.drop_column("special_discount_percent")
        batch_op.drop_column("volume_discount_percent")
