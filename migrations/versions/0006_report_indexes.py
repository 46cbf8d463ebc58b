"""Indexes for the demand report of a busy premises.

The report reads a premises' supports by date (the trend, "new since the last summary") and counts
its distinct supporters: `ix_supports_premises_created` answers both from the index alone. Its
newest published comments come in date order from `ix_wishes_premises_status_created`, which
replaces the index without the date.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:30:00

"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_supports_premises_created",
        "supports",
        ["premises_id", "created_at", "shop_type_id", "resident_id"],
    )
    op.drop_index("ix_wishes_premises_status", table_name="wishes")
    op.create_index(
        "ix_wishes_premises_status_created", "wishes", ["premises_id", "status", "created_at"]
    )


def downgrade():
    op.drop_index("ix_wishes_premises_status_created", table_name="wishes")
    op.create_index("ix_wishes_premises_status", "wishes", ["premises_id", "status"])
    op.drop_index("ix_supports_premises_created", table_name="supports")
