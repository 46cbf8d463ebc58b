"""Shop projects and the entrepreneur role (people planning to open a shop).

The users' role CHECK gains `entrepreneur`. On SQLite the CHECK is widened in place, by the
procedure SQLite documents for changing a constraint (writable_schema): rebuilding `users` would
drop it with foreign keys on, and so cascade to every row that names a user.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_ROLES = "'resident', 'landlord', 'moderator', 'admin'"
NEW_ROLES = f"{OLD_ROLES}, 'entrepreneur'"


def _allow_roles(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
        bind.exec_driver_sql("PRAGMA writable_schema = ON")
        bind.execute(
            sa.text(
                "UPDATE sqlite_master SET sql = replace(sql, :old, :new)"
                " WHERE type = 'table' AND name = 'users'"
            ),
            {"old": f"role IN ({old})", "new": f"role IN ({new})"},
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    else:
        op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
        op.create_check_constraint(op.f("ck_users_role"), "users", sa.text(f"role IN ({new})"))


# Public projects show on premises pages: their changes move the data version, as in 0004.
VERSIONED = ("shop_projects", "project_districts")
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _version_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in VERSIONED:
        for event in EVENTS:
            name = f"{table}_version_{event.lower()}"
            if dialect == "sqlite":
                op.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table}"
                    " BEGIN UPDATE data_versions SET version = version + 1; END"
                )
            elif dialect == "postgresql":
                op.execute(
                    f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table}"
                    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                    " EXECUTE FUNCTION wishboard_bump_version()"
                )


def upgrade():
    _allow_roles(OLD_ROLES, NEW_ROLES)
    op.add_column("users", sa.Column("project_role_asked_at", sa.DateTime(), nullable=True))
    op.create_table(
        "shop_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("shop_type_id", sa.Integer(), nullable=False),
        sa.Column("surface_min_m2", sa.Integer(), nullable=True),
        sa.Column("surface_max_m2", sa.Integer(), nullable=True),
        sa.Column(
            "horizon",
            sa.Enum(
                "soon",
                "year",
                "later",
                name="project_horizon",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("pitch", sa.Text(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "private",
                "landlords",
                "public",
                name="project_visibility",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_min_m2 BETWEEN 1 AND 10000",
            name=op.f("ck_shop_projects_surface_min_range"),
        ),
        sa.CheckConstraint(
            "surface_max_m2 IS NULL OR surface_max_m2 BETWEEN 1 AND 10000",
            name=op.f("ck_shop_projects_surface_max_range"),
        ),
        sa.CheckConstraint(
            "surface_min_m2 IS NULL OR surface_max_m2 IS NULL OR surface_min_m2 <= surface_max_m2",
            name=op.f("ck_shop_projects_surface_order"),
        ),
        sa.CheckConstraint("length(pitch) <= 500", name=op.f("ck_shop_projects_pitch_length")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_shop_projects_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_type_id"],
            ["shop_types.id"],
            name=op.f("fk_shop_projects_shop_type_id_shop_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_projects")),
    )
    op.create_index("ix_shop_projects_owner_id", "shop_projects", ["owner_id"])
    op.create_table(
        "project_districts",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["shop_projects.id"],
            name=op.f("fk_project_districts_project_id_shop_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_project_districts_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "district_id", name=op.f("pk_project_districts")),
    )
    _version_triggers()


def downgrade():
    op.drop_table("project_districts")
    op.drop_index("ix_shop_projects_owner_id", table_name="shop_projects")
    op.drop_table("shop_projects")
    op.execute("UPDATE users SET role = 'resident' WHERE role = 'entrepreneur'")
    op.drop_column("users", "project_role_asked_at")
    _allow_roles(NEW_ROLES, OLD_ROLES)
