"""The private data version: grows with every change a signed-in page may show.

Pages built for signed-in people are kept in each worker until it moves (wishboard/caching.py).
The triggers are those of wishboard/models/demand.py (`PRIVATE_EVENTS`), written out here as a
migration must: what the code says later cannot change what this migration did.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 21:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = (
    "premises",
    "districts",
    "supports",
    "shop_types",
    "shop_type_groups",
    "shops",
    "shop_projects",
    "project_districts",
    "project_interests",
    "wishes",
    "flags",
    "notifications",
    "area_follows",
    "mail_opt_outs",
    "shop_contacts",
    "shop_corrections",
    "poster_scans",
)
USER_SHOWN_COLUMNS = (
    "email, display_name, password_hash, role, email_verified_at, active, locale, notify_let,"
    " notify_published, notify_area, notify_confirm, project_role_asked_at"
)
EVENTS = [
    *((table, event) for table in TABLES for event in ("INSERT", "UPDATE", "DELETE")),
    ("users", "INSERT"),
    ("users", f"UPDATE OF {USER_SHOWN_COLUMNS}"),
    ("users", "DELETE"),
]
FUNCTION = """CREATE OR REPLACE FUNCTION wishboard_bump_private_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE data_versions
  SET private_version = private_version + 1, private_changed_in = txid_current()
  WHERE private_changed_in IS DISTINCT FROM txid_current();
  RETURN NULL;
END
$$"""


def _name(table: str, event: str) -> str:
    return f"{table}_private_{event.split()[0].lower()}"


def upgrade():
    op.add_column(
        "data_versions",
        sa.Column("private_version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column("data_versions", sa.Column("private_changed_in", sa.BigInteger(), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(FUNCTION)
    for table, event in EVENTS:
        if dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {_name(table, event)} AFTER {event} ON {table}"
                " BEGIN UPDATE data_versions SET private_version = private_version + 1; END"
            )
        elif dialect == "postgresql":
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {_name(table, event)} AFTER {event} ON {table}"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                " EXECUTE FUNCTION wishboard_bump_private_version()"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table, event in EVENTS:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {_name(table, event)}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {_name(table, event)} ON {table}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS wishboard_bump_private_version()")
    # In place on SQLite too (3.35+): a batch copy of the table would break the triggers naming it.
    for column in ("private_changed_in", "private_version"):
        op.execute(f"ALTER TABLE data_versions DROP COLUMN {column}")
