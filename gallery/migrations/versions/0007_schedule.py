"""event sessions and report translations (issue 11).

``event_sessions``: an event's programme, one row per session, imported from iCalendar (``uid``)
or typed in; ``reports.translation_of_id``: the report a report translates.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("room", sa.String(length=300), nullable=False),
        sa.Column("speakers", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("uid", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("starts_at <= ends_at", name=op.f("ck_event_sessions_span_ordered")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_sessions_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_sessions")),
        sa.UniqueConstraint("event_id", "slug", name="uq_event_sessions_slug"),
        sa.UniqueConstraint("event_id", "uid", name="uq_event_sessions_uid"),
    )
    with op.batch_alter_table("event_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_event_sessions_event_id_starts_at", ["event_id", "starts_at"], unique=False)

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translation_of_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_reports_translation_of_id"), ["translation_of_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_translation_of_id_reports"),
            "reports",
            ["translation_of_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reports_translation_of_id_reports"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_reports_translation_of_id"))
        batch_op.drop_column("translation_of_id")

    with op.batch_alter_table("event_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_event_sessions_event_id_starts_at")
    op.drop_table("event_sessions")
