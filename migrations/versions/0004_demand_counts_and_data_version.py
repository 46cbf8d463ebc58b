"""Demand counts and the version of public data, kept by triggers (performance at city scale).

`demand_counts` holds the number of supports per (premises, shop type), filled from the existing
supports; `data_versions` holds one number that grows with every change visitors can see, for
ETags and the response cache. Triggers keep both exact in the writing transaction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VERSIONED_TABLES = (
    "premises",
    "districts",
    "supports",
    "shop_types",
    "shop_type_groups",
    "shops",
)
# (table, event, condition) of the changes that visitors can see.
VERSION_EVENTS = [
    *(
        (table, event, None)
        for table in VERSIONED_TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    # Only published wishes show (a comment, an area wish): one awaiting review changes nothing.
    ("wishes", "INSERT", "NEW.status = 'published'"),
    ("wishes", "UPDATE", "OLD.status = 'published' OR NEW.status = 'published'"),
    ("wishes", "DELETE", "OLD.status = 'published'"),
    # A name shows beside its published comments; a sign-in changes no public page.
    ("users", "UPDATE", "OLD.display_name <> NEW.display_name"),
    ("users", "DELETE", None),
]


def _version_trigger_name(table: str, event: str) -> str:
    return f"{table}_version_{event.lower()}"


SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS supports_count_insert AFTER INSERT ON supports BEGIN
  INSERT INTO demand_counts (premises_id, shop_type_id, supports)
  VALUES (NEW.premises_id, NEW.shop_type_id, 1)
  ON CONFLICT (premises_id, shop_type_id) DO UPDATE SET supports = supports + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS supports_count_delete AFTER DELETE ON supports BEGIN
  UPDATE demand_counts SET supports = supports - 1
  WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id;
  DELETE FROM demand_counts
  WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id AND supports = 0;
END""",
    """CREATE TRIGGER IF NOT EXISTS supports_count_update
AFTER UPDATE OF premises_id, shop_type_id ON supports BEGIN
  UPDATE demand_counts SET supports = supports - 1
  WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id;
  DELETE FROM demand_counts
  WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id AND supports = 0;
  INSERT INTO demand_counts (premises_id, shop_type_id, supports)
  VALUES (NEW.premises_id, NEW.shop_type_id, 1)
  ON CONFLICT (premises_id, shop_type_id) DO UPDATE SET supports = supports + 1;
END""",
    *(
        f"CREATE TRIGGER IF NOT EXISTS {_version_trigger_name(table, event)}"
        f" AFTER {event} ON {table}"
        + (f" WHEN {condition}" if condition else "")
        + " BEGIN UPDATE data_versions SET version = version + 1; END"
        for table, event, condition in VERSION_EVENTS
    ),
]

POSTGRESQL_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION wishboard_count_support() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE demand_counts SET supports = supports - 1
    WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id;
    DELETE FROM demand_counts
    WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id AND supports = 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO demand_counts (premises_id, shop_type_id, supports)
    VALUES (NEW.premises_id, NEW.shop_type_id, 1)
    ON CONFLICT (premises_id, shop_type_id)
    DO UPDATE SET supports = demand_counts.supports + 1;
  END IF;
  RETURN NULL;
END
$$""",
    "DROP TRIGGER IF EXISTS supports_count ON supports",
    """CREATE TRIGGER supports_count
AFTER INSERT OR DELETE OR UPDATE OF premises_id, shop_type_id ON supports
FOR EACH ROW EXECUTE FUNCTION wishboard_count_support()""",
    """CREATE OR REPLACE FUNCTION wishboard_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE data_versions SET version = version + 1, changed_in = txid_current()
  WHERE changed_in IS DISTINCT FROM txid_current();
  RETURN NULL;
END
$$""",
    *(
        statement
        for table, event, condition in VERSION_EVENTS
        for statement in (
            f"DROP TRIGGER IF EXISTS {_version_trigger_name(table, event)} ON {table}",
            f"CREATE CONSTRAINT TRIGGER {_version_trigger_name(table, event)}"
            f" AFTER {event} ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            + (f" WHEN ({condition})" if condition else "")
            + " EXECUTE FUNCTION wishboard_bump_version()",
        )
    ),
]


def upgrade():
    op.create_table(
        "demand_counts",
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("shop_type_id", sa.Integer(), nullable=False),
        sa.Column("supports", sa.Integer(), nullable=False),
        sa.CheckConstraint("supports >= 0", name="ck_demand_counts_supports_not_negative"),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name="fk_demand_counts_premises_id_premises",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_type_id"],
            ["shop_types.id"],
            name="fk_demand_counts_shop_type_id_shop_types",
        ),
        sa.PrimaryKeyConstraint("premises_id", "shop_type_id", name="pk_demand_counts"),
    )
    op.create_table(
        "data_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_in", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_data_versions"),
    )
    op.execute("INSERT INTO data_versions (id, version) VALUES (1, 0)")
    op.execute(
        "INSERT INTO demand_counts (premises_id, shop_type_id, supports)"
        " SELECT premises_id, shop_type_id, count(*) FROM supports"
        " GROUP BY premises_id, shop_type_id"
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}.get(
        dialect, []
    ):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        names = ["supports_count_insert", "supports_count_delete", "supports_count_update"]
        names += [_version_trigger_name(table, event) for table, event, _ in VERSION_EVENTS]
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS supports_count ON supports")
        for table, event, _ in VERSION_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {_version_trigger_name(table, event)} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS wishboard_count_support()")
        op.execute("DROP FUNCTION IF EXISTS wishboard_bump_version()")
    op.drop_table("data_versions")
    op.drop_table("demand_counts")
