"""servicedesk verification by call-back to the registered number

- servicedesk_verification_attempt: the method callback and the outcome not_reached.

Revision ID: b47e9d0c3a18
Revises: 8c3f1a6d2e57
Create Date: 2026-11-30 08:00:00

"""

from alembic import op

revision = "b47e9d0c3a18"
down_revision = "8c3f1a6d2e57"
branch_labels = None
depends_on = None

TABLE = "servicedesk_verification_attempt"
OLD_METHODS = ("pin", "portal_login", "alertmanager")
OLD_OUTCOMES = ("verified", "wrong_pin", "locked", "not_authorised")


def _in(column: str, codes) -> str:
    return f"{column} in ({', '.join(repr(code) for code in codes)})"


def _constraints(methods, outcomes) -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{TABLE}_method"), type_="check")
        batch_op.drop_constraint(op.f(f"ck_{TABLE}_outcome"), type_="check")
        batch_op.create_check_constraint("method", _in("method", methods))
        batch_op.create_check_constraint("outcome", _in("outcome", outcomes))


def upgrade():
    _constraints((*OLD_METHODS, "callback"), (*OLD_OUTCOMES, "not_reached"))


def downgrade():
    op.execute(f"DELETE FROM {TABLE} WHERE method = 'callback' OR outcome = 'not_reached'")
    _constraints(OLD_METHODS, OLD_OUTCOMES)
