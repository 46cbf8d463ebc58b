"""Indexes on the positions of premises and shops, for the map's view.

The map asks for the premises (and shops) inside its view, a box of latitudes and longitudes
(`bbox`): with `ix_premises_status_position` and `ix_shops_position` the database reads the range
of latitudes from the index and checks the longitudes there, instead of reading every row. The
premises' index leads with the status, as the map's query does (vacant or let): an index of
positions alone lost to the status index on SQLite, which then read every premises.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 21:40:00

"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_premises_status_position", "premises", ["status", "latitude", "longitude"])
    op.create_index("ix_shops_position", "shops", ["latitude", "longitude"])


def downgrade():
    op.drop_index("ix_shops_position", table_name="shops")
    op.drop_index("ix_premises_status_position", table_name="premises")
