"""A project holder's interest in a premises, the landlord's answer, and the introduction.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 20:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "project_interests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "answer",
            sa.Enum(
                "pending",
                "talk",
                "declined",
                name="landlord_answer",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("introduced_at", sa.DateTime(), nullable=True),
        sa.Column("let_asked_at", sa.DateTime(), nullable=True),
        sa.Column("let_was_theirs", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["shop_projects.id"],
            name=op.f("fk_project_interests_project_id_shop_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_project_interests_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_interests")),
        sa.UniqueConstraint(
            "project_id", "premises_id", name=op.f("uq_project_interests_project_id_premises_id")
        ),
    )
    op.create_index("ix_project_interests_project_id", "project_interests", ["project_id"])
    op.create_index("ix_project_interests_premises_id", "project_interests", ["premises_id"])
    _version_triggers()


def _version_triggers() -> None:
    """The statistics count let premises from here: changes move the data version (as 0013)."""
    dialect = op.get_bind().dialect.name
    for event in ("INSERT", "UPDATE", "DELETE"):
        name = f"project_interests_version_{event.lower()}"
        if dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON project_interests"
                " BEGIN UPDATE data_versions SET version = version + 1; END"
            )
        elif dialect == "postgresql":
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON project_interests"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                " EXECUTE FUNCTION wishboard_bump_version()"
            )


def downgrade():
    op.drop_index("ix_project_interests_premises_id", table_name="project_interests")
    op.drop_index("ix_project_interests_project_id", table_name="project_interests")
    op.drop_table("project_interests")
