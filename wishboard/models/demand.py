"""What the database keeps up to date by itself: demand counts and the version of public data.

Both are maintained by triggers, in the transaction that changes the rows they summarise, so
they are exact whoever writes (a service, a bulk load, an administrator's merge of shop types,
a cascade) and pages never count 200,000 supports to show a number. The triggers are created
here when the schema is built from the models (`db.create_all()`, the tests) and by the
migration `0004_demand_counts_and_data_version` on a real database; the SQL is the same.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import BigInteger, CheckConstraint, Connection, ForeignKey, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DemandCount(db.Model):
    """A DemandCount is how many residents support one shop type at one premises."""

    __tablename__ = "demand_counts"
    __table_args__ = (CheckConstraint("supports >= 0", name="supports_not_negative"),)

    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), primary_key=True
    )
    shop_type_id: Mapped[int] = mapped_column(ForeignKey("shop_types.id"), primary_key=True)
    supports: Mapped[int]


class DataVersion(db.Model):
    """The DataVersion grows with every transaction that changes what visitors can see.

    Its `private_version` grows with every change that any signed-in page may show as well (a
    wish awaiting review, a flag, a person's role): pages cached for signed-in people are valid
    for one private version (see wishboard/caching.py).
    """

    __tablename__ = "data_versions"

    id: Mapped[int] = mapped_column(primary_key=True)  # one row, id 1
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # PostgreSQL: the transaction that counted last, so that a transaction counts once.
    changed_in: Mapped[int | None] = mapped_column(BigInteger)
    private_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    private_changed_in: Mapped[int | None] = mapped_column(BigInteger)


# Tables whose every row public pages, the map or the open data may show.
VERSIONED_TABLES = (
    "premises",
    "districts",
    "supports",
    "shop_types",
    "shop_type_groups",
    "shops",
    # Public shop projects show on the premises pages of their districts.
    "shop_projects",
    "project_districts",
    # The statistics count the premises let to a project that met its landlord here.
    "project_interests",
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


# Tables whose changes signed-in pages may show: every table of the domain but the counts that
# follow the supports, the outbox and the audit log (no cached page shows them).
PRIVATE_TABLES = (
    *VERSIONED_TABLES,
    "wishes",
    "flags",
    "notifications",
    "area_follows",
    "mail_opt_outs",
    "shop_contacts",
    "shop_corrections",
    "poster_scans",
)
# What of a person their pages show; not the bookkeeping of their last sign-in or digest.
USER_SHOWN_COLUMNS = (
    "email, display_name, password_hash, role, email_verified_at, active, locale, notify_let,"
    " notify_published, notify_area, notify_confirm, project_role_asked_at"
)
# (table, event) of the changes that move the private version.
PRIVATE_EVENTS = [
    *((table, event) for table in PRIVATE_TABLES for event in ("INSERT", "UPDATE", "DELETE")),
    ("users", "INSERT"),
    ("users", f"UPDATE OF {USER_SHOWN_COLUMNS}"),
    ("users", "DELETE"),
]


def _private_trigger_name(table: str, event: str) -> str:
    return f"{table}_private_{event.split()[0].lower()}"


# Only counted supports count (see Support.counted): a support that stops counting, or counts
# again, moves its count as an insert or a delete would.
_SQLITE_COUNT_ONE = """INSERT INTO demand_counts (premises_id, shop_type_id, supports)
  VALUES (NEW.premises_id, NEW.shop_type_id, 1)
  ON CONFLICT (premises_id, shop_type_id) DO UPDATE SET supports = supports + 1;"""
_SQLITE_UNCOUNT_ONE = """UPDATE demand_counts SET supports = supports - 1
  WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id;
  DELETE FROM demand_counts
  WHERE premises_id = OLD.premises_id AND shop_type_id = OLD.shop_type_id AND supports = 0;"""
_SQLITE_COUNTED_COLUMNS = "premises_id, shop_type_id, counted"

SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS supports_count_insert AFTER INSERT ON supports"
    f" WHEN NEW.counted BEGIN\n  {_SQLITE_COUNT_ONE}\nEND",
    "CREATE TRIGGER IF NOT EXISTS supports_count_delete AFTER DELETE ON supports"
    f" WHEN OLD.counted BEGIN\n  {_SQLITE_UNCOUNT_ONE}\nEND",
    # An update takes the old row's count away and gives the new row's (either may be uncounted).
    "CREATE TRIGGER IF NOT EXISTS supports_count_update_old"
    f" AFTER UPDATE OF {_SQLITE_COUNTED_COLUMNS} ON supports"
    f" WHEN OLD.counted BEGIN\n  {_SQLITE_UNCOUNT_ONE}\nEND",
    "CREATE TRIGGER IF NOT EXISTS supports_count_update_new"
    f" AFTER UPDATE OF {_SQLITE_COUNTED_COLUMNS} ON supports"
    f" WHEN NEW.counted BEGIN\n  {_SQLITE_COUNT_ONE}\nEND",
    *(
        f"CREATE TRIGGER IF NOT EXISTS {_version_trigger_name(table, event)}"
        f" AFTER {event} ON {table}"
        + (f" WHEN {condition}" if condition else "")
        + " BEGIN UPDATE data_versions SET version = version + 1; END"
        for table, event, condition in VERSION_EVENTS
    ),
    *(
        f"CREATE TRIGGER IF NOT EXISTS {_private_trigger_name(table, event)}"
        f" AFTER {event} ON {table}"
        " BEGIN UPDATE data_versions SET private_version = private_version + 1; END"
        for table, event in PRIVATE_EVENTS
    ),
]

POSTGRESQL_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION wishboard_count_support() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Only counted supports count (see Support.counted).
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    IF OLD.counted THEN
      -- Decrement first, then remove a row left at zero: safe when two withdrawals race.
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
    # Counted at commit (a deferred trigger), once per transaction: the version row is locked
    # only while the transaction commits, after every other lock it takes, so no deadlock.
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
    """CREATE OR REPLACE FUNCTION wishboard_bump_private_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE data_versions
  SET private_version = private_version + 1, private_changed_in = txid_current()
  WHERE private_changed_in IS DISTINCT FROM txid_current();
  RETURN NULL;
END
$$""",
    *(
        statement
        for table, event in PRIVATE_EVENTS
        for statement in (
            f"DROP TRIGGER IF EXISTS {_private_trigger_name(table, event)} ON {table}",
            f"CREATE CONSTRAINT TRIGGER {_private_trigger_name(table, event)}"
            f" AFTER {event} ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            " EXECUTE FUNCTION wishboard_bump_private_version()",
        )
    ),
]


@event.listens_for(db.metadata, "after_create")
def _create_triggers(target, connection, **kw) -> None:
    """After `create_all()`: the first version row and the triggers of this dialect."""
    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}.get(
        connection.dialect.name, []
    )
    table = DataVersion.__table__
    if connection.execute(table.select().limit(1)).first() is None:
        connection.execute(table.insert().values(id=1, version=0))
    for statement in statements:
        connection.exec_driver_sql(statement)


BUMP_BOTH_VERSIONS = (
    "UPDATE data_versions SET version = version + 1, private_version = private_version + 1"
)
# The tables whose triggers a bulk load pauses (see `triggers_paused`).
_BULK_TABLES = ("supports", "wishes", "premises", "users", "shops")


@contextmanager
def triggers_paused(connection: Connection) -> Iterator[None]:
    """Bulk writes inside skip the triggers; then the counts are rebuilt and the version bumped.

    For loading many rows at once (the city- and metropolis-scale demo), inside one transaction:
    on SQLite the triggers are dropped and created again, on PostgreSQL disabled and enabled,
    both undone by a rollback; other writers wait for the transaction, so no change escapes the
    counts.
    """
    dialect = connection.dialect.name
    # A write first: SQLite's driver opens the transaction only then, and a DROP TRIGGER outside
    # one would stay even if the load failed.
    connection.exec_driver_sql(BUMP_BOTH_VERSIONS)
    if dialect == "sqlite":
        names = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            f" AND tbl_name IN ({', '.join(repr(t) for t in _BULK_TABLES)})"
        ).scalars()
        for name in list(names):
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
    elif dialect == "postgresql":
        for table in _BULK_TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    yield
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            connection.exec_driver_sql(statement)
    elif dialect == "postgresql":
        for table in _BULK_TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    connection.exec_driver_sql("DELETE FROM demand_counts")
    connection.exec_driver_sql(
        "INSERT INTO demand_counts (premises_id, shop_type_id, supports)"
        " SELECT premises_id, shop_type_id, count(*) FROM supports WHERE counted"
        " GROUP BY premises_id, shop_type_id"
    )
