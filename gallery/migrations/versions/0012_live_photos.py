"""first photo live, camera cards (issue 12).

``albums.accepts_raw``: whether uploads to the album may be camera raw files.
``photos.sizes_pending``: the photo is published with its smallest web size while the larger
ones are still being made.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("albums", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepts_raw", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sizes_pending", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("sizes_pending")
    with op.batch_alter_table("albums", schema=None) as batch_op:
        batch_op.drop_column("accepts_raw")
