"""core_customer: French and Italian customers (the language vocabulary de, fr, it, en)

Revision ID: 7c1f0e2a9b35
Revises: 473724847467
Create Date: 2026-12-01 07:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7c1f0e2a9b35"
down_revision = "473724847467"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("core_customer", schema=None) as batch_op:
        batch_op.drop_constraint("language", type_="check")
        batch_op.create_check_constraint("language", "language in ('de', 'fr', 'it', 'en')")


def downgrade():
    # Customers written in French or Italian fall back to German, the house language.
    op.execute("UPDATE core_customer SET language = 'de' WHERE language IN ('fr', 'it')")
    with op.batch_alter_table("core_customer", schema=None) as batch_op:
        batch_op.drop_constraint("language", type_="check")
        batch_op.create_check_constraint("language", "language in ('de', 'en')")
