"""Fresh demand: old supports are asked about, and stop counting when nobody confirms them.

A support gains `confirmed_at`, `confirmation_asked_at` and `counted`; the triggers that keep
`demand_counts` exact count only counted supports (the SQL is models/demand.py's); residents
gain `notify_confirm`, and a notification may be about one support (kind `confirm`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_KINDS = ("let", "published", "area_vacant", "area_let")
NEW_KINDS = (*OLD_KINDS, "confirm")
KIND_CHECK = "ck_notifications_notification_kind"

# The support-counting triggers of 0004 (all supports count), for the downgrade.
_OLD_COUNT_ONE = """INSERT INTO demand_counts (premises_id, shop_type_id, supports)
  VALUES (NEW.premises_id, NEW.shop_type_id, 1)
  ON CONFLICT (premises_id, shop_type_id) DO UPDATE SET supports = supports + 1;"""
_OLD_UNCOUNT_ONE = """UPDATE demand_counts SET supports = supports - 1
  WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id;
  DELETE FROM demand_counts
  WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id AND supports = 0;"""
OLD_SQLITE = [
    f"CREATE TRIGGER supports_count_insert AFTER INSERT ON supports BEGIN\n{_OLD_COUNT_ONE}\nEND",
    f"CREATE TRIGGER supports_count_delete AFTER DELETE ON supports BEGIN\n{_OLD_UNCOUNT_ONE}\nEND",
    "CREATE TRIGGER supports_count_update AFTER UPDATE OF premises_id, shop_type_id ON supports"
    f" BEGIN\n{_OLD_UNCOUNT_ONE}\n{_OLD_COUNT_ONE}\nEND",
]
OLD_POSTGRESQL = [
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
]

# The counting triggers of this revision: only counted supports count.
_NEW_COUNT_ONE = _OLD_COUNT_ONE
_NEW_UNCOUNT_ONE = _OLD_UNCOUNT_ONE
_COLUMNS = "premises_id, shop_type_id, counted"
NEW_SQLITE = [
    "CREATE TRIGGER supports_count_insert AFTER INSERT ON supports"
    f" WHEN NEW.counted BEGIN\n  {_NEW_COUNT_ONE}\nEND",
    "CREATE TRIGGER supports_count_delete AFTER DELETE ON supports"
    f" WHEN OLD.counted BEGIN\n  {_NEW_UNCOUNT_ONE}\nEND",
    f"CREATE TRIGGER supports_count_update_old AFTER UPDATE OF {_COLUMNS} ON supports"
    f" WHEN OLD.counted BEGIN\n  {_NEW_UNCOUNT_ONE}\nEND",
    f"CREATE TRIGGER supports_count_update_new AFTER UPDATE OF {_COLUMNS} ON supports"
    f" WHEN NEW.counted BEGIN\n  {_NEW_COUNT_ONE}\nEND",
]
NEW_POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION wishboard_count_support() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    IF OLD.counted THEN
      UPDATE demand_counts SET supports = supports - 1
      WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id;
      DELETE FROM demand_counts
      WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id AND supports = 0;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.counted THEN
      INSERT INTO demand_counts (premises_id, shop_type_id, supports)
      VALUES (NEW.premises_id, NEW.shop_type_id, 1)
      ON CONFLICT (premises_id, shop_type_id)
      DO UPDATE SET supports = demand_counts.supports + 1;
    END IF;
  END IF;
  RETURN NULL;
END
$$""",
    "DROP TRIGGER IF EXISTS supports_count ON supports",
    """CREATE TRIGGER supports_count
AFTER INSERT OR DELETE OR UPDATE OF premises_id, shop_type_id, counted ON supports
FOR EACH ROW EXECUTE FUNCTION wishboard_count_support()""",
]
SQLITE_NAMES = (
    "supports_count_insert",
    "supports_count_delete",
    "supports_count_update",
    "supports_count_update_old",
    "supports_count_update_new",
)


def _allow_kinds(kinds):
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f(KIND_CHECK), type_="check")
        values = ", ".join(f"'{kind}'" for kind in kinds)
        batch.create_check_constraint(op.f(KIND_CHECK), sa.text(f"kind IN ({values})"))


def _count_triggers(sqlite, postgresql):
    """Replace the support-counting triggers by these, then count every pair again."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in sqlite:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in postgresql:
            op.execute(statement)


def _premises_index(columns):
    op.drop_index("ix_supports_premises_created", table_name="supports")
    op.create_index("ix_supports_premises_created", "supports", columns)


def upgrade():
    # Plain ALTER TABLE, not a batch: rebuilding `supports` on SQLite would drop its triggers.
    op.add_column("supports", sa.Column("confirmed_at", sa.DateTime(), nullable=True))
    op.add_column("supports", sa.Column("confirmation_asked_at", sa.DateTime(), nullable=True))
    op.add_column(
        "supports", sa.Column("counted", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    # The report counts a premises' counted supporters from the index alone (as 0006 made it).
    # No index leads with `counted`: SQLite would prefer it to the premises' own and read every
    # support; the daily asking and expiry read the table once instead.
    _premises_index(["premises_id", "created_at", "shop_type_id", "resident_id", "counted"])
    _count_triggers(NEW_SQLITE, NEW_POSTGRESQL)
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("notify_confirm", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    _allow_kinds(NEW_KINDS)
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("support_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_notifications_support_id_supports"),
            "supports",
            ["support_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind = 'confirm'")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("fk_notifications_support_id_supports"), type_="foreignkey")
        batch.drop_column("support_id")
    _allow_kinds(OLD_KINDS)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_confirm")
    _count_triggers(OLD_SQLITE, OLD_POSTGRESQL)
    _premises_index(["premises_id", "created_at", "shop_type_id", "resident_id"])
    op.drop_column("supports", "counted")
    op.drop_column("supports", "confirmation_asked_at")
    op.drop_column("supports", "confirmed_at")
    # Every support counts again.
    op.execute("DELETE FROM demand_counts")
    op.execute(
        "INSERT INTO demand_counts (premises_id, shop_type_id, supports)"
        " SELECT premises_id, shop_type_id, count(*) FROM supports"
        " GROUP BY premises_id, shop_type_id"
    )
