"""consent and takedown: photos.hidden_reason/hidden_at, takedown requests, tombstones (issue 10).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hidden_reason", _enum("photo_hidden_reason", "takedown", "editor", "review"), nullable=True)
        )
        batch_op.add_column(sa.Column("hidden_at", sa.DateTime(), nullable=True))

    op.create_table(
        "takedown_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("action", _enum("takedown_action", "hide", "blur", "erase", "other"), nullable=False),
        sa.Column("status", _enum("takedown_status", "open", "decided"), nullable=False),
        sa.Column("boxes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("autohidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decision", _enum("takedown_decision", "restore", "blur", "hide", "erase"), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_takedown_requests_photo_id_photos"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_takedown_requests_decided_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takedown_requests")),
    )
    with op.batch_alter_table("takedown_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_takedown_requests_photo_id"), ["photo_id"], unique=False)
        batch_op.create_index("ix_takedown_requests_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "tombstones",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_tombstones")),
    )


def downgrade():
    op.drop_table("tombstones")
    with op.batch_alter_table("takedown_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_takedown_requests_status_created")
        batch_op.drop_index(batch_op.f("ix_takedown_requests_photo_id"))
    op.drop_table("takedown_requests")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        # The enum's CHECK constraint first: SQLite's table copy would keep it, naming a dropped column.
        batch_op.drop_constraint(batch_op.f("ck_photos_photo_hidden_reason"), type_="check")
        batch_op.drop_column("hidden_at")
        batch_op.drop_column("hidden_reason")
