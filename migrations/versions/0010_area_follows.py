"""Areas residents follow, and the news of them in their digests.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD_KINDS = ("let", "published")
NEW_KINDS = (*OLD_KINDS, "area_vacant", "area_let")
KIND_CHECK = "ck_notifications_notification_kind"


def _allow_kinds(kinds):
    """The notifications' kind may hold these values (its CHECK constraint made again)."""
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f(KIND_CHECK), type_="check")
        values = ", ".join(f"'{kind}'" for kind in kinds)
        batch.create_check_constraint(op.f(KIND_CHECK), sa.text(f"kind IN ({values})"))


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("notify_area", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    _allow_kinds(NEW_KINDS)
    op.create_table(
        "area_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_area_follows_user_id", "area_follows", ["user_id"])


def downgrade():
    op.drop_index("ix_area_follows_user_id", table_name="area_follows")
    op.drop_table("area_follows")
    op.execute("DELETE FROM notifications WHERE kind IN ('area_vacant', 'area_let')")
    _allow_kinds(OLD_KINDS)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_area")
