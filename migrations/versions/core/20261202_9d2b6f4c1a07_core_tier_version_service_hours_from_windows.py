"""core_tier_version: service hours worded from the windows, the stored label dropped

The label was German free text shown in every language; the windows say the same, and
are worded in the reader's language when shown (app/service_hours.py).

Revision ID: 9d2b6f4c1a07
Revises: 8c1f0e2a7b3d
Create Date: 2026-12-02 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9d2b6f4c1a07"
down_revision = "8c1f0e2a7b3d"
branch_labels = None
depends_on = None


# The German wording as app/service_hours.py wrote it when this revision was made, kept
# here: a migration must give the same result whatever the app's code later becomes.
_GERMAN_DAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")  # Monday = 0, as stored


def _german_service_hours(windows) -> str:
    by_days = {}
    for window in windows:
        days = tuple(sorted(set(window["days"])))
        by_days.setdefault(days, []).append((window["start"], window["end"]))
    groups = []
    for days, spans in sorted(by_days.items(), key=lambda group: (group[0], min(group[1]))):
        runs = []
        for day in days:
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        parts = []
        for run in runs:
            if len(run) >= 3:
                parts.append(f"{_GERMAN_DAYS[run[0]]}–{_GERMAN_DAYS[run[-1]]}")
            else:
                parts.extend(_GERMAN_DAYS[day] for day in run)
        hours = [
            f"{start[:2]}–{end[:2]}h"
            if start.endswith(":00") and end.endswith(":00")
            else f"{start}–{end}"
            for start, end in sorted(spans)
        ]
        groups.append(f"{', '.join(parts)} {', '.join(hours)}")
    return "; ".join(groups)


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
            .values(service_hours_label=_german_service_hours(row.service_windows)[:70])
        )
    with op.batch_alter_table("core_tier_version", schema=None) as batch_op:
        batch_op.alter_column("service_hours_label", server_default=None)
