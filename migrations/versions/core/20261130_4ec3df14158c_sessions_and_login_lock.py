"""core_user: session token (logout ends every session) and the login lock counters

Revision ID: 4ec3df14158c
Revises: 38752da3f300
Create Date: 2026-11-30 03:24:47.094377

"""

import secrets

import sqlalchemy as sa
from alembic import op

import app.database

# revision identifiers, used by Alembic.
revision = "4ec3df14158c"
down_revision = "ba20c58a80c3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("core_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("first_failed_login_at", app.database.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("locked_until", app.database.UTCDateTime(), nullable=True))

    # Every existing user gets a random token of its own (sessions opened before this
    # migration carry no token and end: everybody logs in once more).
    users = sa.table("core_user", sa.column("id", sa.Integer), sa.column("session_token"))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(session_token=secrets.token_hex(16))
        )
    with op.batch_alter_table("core_user", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("core_user", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("first_failed_login_at")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("session_token")
