"""Landlord reports: revocable report links, the last summary sent, and e-mail opt-outs.

`premises.report_link_version` is written into every signed report link; raising it revokes them
all. `premises.summary_sent_until` is the end of the period the last summary e-mail covered.
`mail_opt_outs` holds the addresses that asked for no more summaries. `outbox_messages` gains the
address of its one-click unsubscribe (the List-Unsubscribe header).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy): the premises table keeps its triggers (0004).
    op.add_column(
        "premises",
        sa.Column("report_link_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("premises", sa.Column("summary_sent_until", sa.DateTime(), nullable=True))
    op.add_column(
        "outbox_messages", sa.Column("list_unsubscribe", sa.String(length=500), nullable=True)
    )
    op.create_table(
        "mail_opt_outs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )


def downgrade():
    op.drop_table("mail_opt_outs")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("list_unsubscribe")
    op.drop_column("premises", "summary_sent_until")
    op.drop_column("premises", "report_link_version")
