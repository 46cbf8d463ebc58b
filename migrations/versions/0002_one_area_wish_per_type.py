"""One area wish per resident and shop type (a new pin moves the old one).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AREA_ONLY = sa.text("premises_id IS NULL")


def upgrade():
    op.create_index(
        "uq_wishes_area_author_shop_type",
        "wishes",
        ["author_id", "shop_type_id"],
        unique=True,
        sqlite_where=AREA_ONLY,
        postgresql_where=AREA_ONLY,
    )


def downgrade():
    op.drop_index("uq_wishes_area_author_shop_type", table_name="wishes")
