"""contracts origin and tier change checked

Revision ID: 5b0e7c3d91a4
Revises: 2c9774698597
Create Date: 2026-12-01 09:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5b0e7c3d91a4"
down_revision = "2c9774698597"
branch_labels = None
depends_on = None

# The codes as of this revision (plugins/contracts/vocabulary.py declares them now; a
# migration keeps the ones it was written for).
ORIGINS = "origin in ('manual', 'quote', 'shop')"
CHANGES = "change in ('start', 'upgrade', 'downgrade')"


def upgrade():
    # Like the states, a contract's origin and a tier period's change kind are now kept
    # within their vocabulary by the database.
    with op.batch_alter_table("contracts_contract", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_contracts_contract_origin"), ORIGINS)
    with op.batch_alter_table("contracts_tier_period", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_contracts_tier_period_change"), CHANGES)


def downgrade():
    with op.batch_alter_table("contracts_tier_period", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contracts_tier_period_change"), type_="check")
    with op.batch_alter_table("contracts_contract", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contracts_contract_origin"), type_="check")
