"""photos.processing_since: when a photo entered `processing`, so that one stuck there (its
derivative work died with a killed process) can be found by `gallery verify --stuck-after`.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_since", sa.DateTime(), nullable=True))
    # Photos already waiting: counted from their last change, the best time there is.
    op.execute("UPDATE photos SET processing_since = updated_at WHERE status = 'processing'")


def downgrade():
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("processing_since")
