"""Camera clock corrections per event.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "clock_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("camera_make", sa.String(length=255), nullable=False),
        sa.Column("camera_model", sa.String(length=255), nullable=False),
        sa.Column("camera_serial", sa.String(length=255), nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_clock_corrections_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_clock_corrections_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_corrections")),
        sa.UniqueConstraint(
            "event_id",
            "camera_make",
            "camera_model",
            "camera_serial",
            name="uq_clock_corrections_camera",
        ),
    )
    with op.batch_alter_table("clock_corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clock_corrections_event_id"), ["event_id"], unique=False)


def downgrade():
    with op.batch_alter_table("clock_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clock_corrections_event_id"))
    op.drop_table("clock_corrections")
