"""core_tier_version: service hours worded from the windows, the stored label dropped

The label was German free text shown in every language; the windows say the same, and
are worded in the reader's language when shown (app/service_hours.py).

Revision ID: 9d2b6f4c1a07
Revises: 8c1f0e2a7b3d
Create Date: 2026-12-02 06:00:00

"""

import sqlalchemy as sa
from alembic import op

from app.service_hours import service_hours_text

# revision identifiers, used by Alembic.
revision = "9d2b6f4c1a07"
down_revision = "8c1f0e2a7b3d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("core_tier_version", schema=None) as batch_op:
        batch_op.drop_column("service_hours_label")


def downgrade():
    # The label comes back in German, worded from the windows as the catalog wrote it.
    with op.batch_alter_table("core_tier_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "service_hours_label", sa.String(length=70), server_default="", nullable=False
            )
        )
    versions = sa.table(
        "core_tier_version",
        sa.column("id", sa.Integer()),
        sa.column("service_windows", sa.JSON()),
        sa.column("service_hours_label", sa.String(length=70)),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(versions.c.id, versions.c.service_windows)).all():
        bind.execute(
            versions.update()
            .where(versions.c.id == row.id)
            .values(service_hours_label=service_hours_text(row.service_windows, "de")[:70])
        )
    with op.batch_alter_table("core_tier_version", schema=None) as batch_op:
        batch_op.alter_column("service_hours_label", server_default=None)
