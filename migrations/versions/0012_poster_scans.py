"""Window posters: how many times each premises' QR code was scanned, per day (no one's identity).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "poster_scans",
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.CheckConstraint("scans >= 0", name=op.f("ck_poster_scans_scans_not_negative")),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_poster_scans_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("premises_id", "day", name=op.f("pk_poster_scans")),
    )


def downgrade():
    op.drop_table("poster_scans")
