"""A person may report a comment again once a moderator has decided about their earlier report.

The unique (wish, reporter) constraint becomes a unique index on the open reports only: one open
report per person and wish, and any number of decided ones kept as history.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN = sa.text("resolved_at IS NULL")


def upgrade():
    with op.batch_alter_table("flags") as batch:
        batch.drop_constraint("uq_flags_wish_id_reporter_id", type_="unique")
    op.create_index(
        "uq_flags_open_report",
        "flags",
        ["wish_id", "reporter_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade():
    op.drop_index("uq_flags_open_report", table_name="flags")
    # The old rule allowed one report per person and wish: keep each person's latest.
    op.execute(
        "DELETE FROM flags WHERE reporter_id IS NOT NULL AND id NOT IN "
        "(SELECT max(id) FROM flags WHERE reporter_id IS NOT NULL GROUP BY wish_id, reporter_id)"
    )
    with op.batch_alter_table("flags") as batch:
        batch.create_unique_constraint("uq_flags_wish_id_reporter_id", ["wish_id", "reporter_id"])
