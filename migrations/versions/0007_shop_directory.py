"""The directory of open shops: online presence, contacts about visibility, correction requests.

`shops` gains three yes/no/unknown columns for its online presence (a website, a social account, a
listing on a map service). `shop_contacts` records staff contacting a shop about its visibility,
with the outcome; `shop_corrections` holds what a shop's owner asks staff to change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PRESENCE_COLUMNS = ("has_website", "has_social", "on_map_service")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    # Plain ADD COLUMN (no batch copy), so that the shops table keeps its triggers (0004). The
    # CHECK goes in the column's definition: SQLite cannot add one to an existing table.
    for column in PRESENCE_COLUMNS:
        op.execute(
            f"ALTER TABLE shops ADD COLUMN {column} VARCHAR(20) DEFAULT 'unknown' NOT NULL"
            f" CONSTRAINT ck_shops_{column} CHECK ({column} IN ('yes', 'no', 'unknown'))"
        )
    op.create_table(
        "shop_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column(
            "outcome",
            _enum("contact_outcome", "helped", "interested", "not_interested", "no_answer"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name="fk_shop_contacts_shop_id_shops", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["users.id"], name="fk_shop_contacts_staff_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shop_contacts"),
    )
    op.create_index("ix_shop_contacts_shop_id", "shop_contacts", ["shop_id"])
    op.create_table(
        "shop_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("requester_name", sa.String(length=120), nullable=False),
        sa.Column("requester_email", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "status", _enum("correction_status", "open", "done", "dismissed"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["users.id"],
            name="fk_shop_corrections_handled_by_id_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name="fk_shop_corrections_shop_id_shops", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shop_corrections"),
    )
    op.create_index("ix_shop_corrections_shop_id", "shop_corrections", ["shop_id"])


def downgrade():
    op.drop_index("ix_shop_corrections_shop_id", table_name="shop_corrections")
    op.drop_table("shop_corrections")
    op.drop_index("ix_shop_contacts_shop_id", table_name="shop_contacts")
    op.drop_table("shop_contacts")
    for column in reversed(PRESENCE_COLUMNS):
        op.drop_column("shops", column)
