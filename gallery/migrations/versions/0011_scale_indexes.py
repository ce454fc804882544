"""Indexes for a million photos (issue 14): counting an album's listed photos reads an index only.

Every album page, event page and the home page count the photos each album lists
(``album_id = ? AND status = 'ready' AND deleted_at IS NULL AND hidden_reason IS NULL``).  With
only ``(album_id, taken_at, id)`` PostgreSQL read every row of the album to check the three
states (346 ms for the first page of a 200,000-photo album); with the states and the id in one
index the count is an index-only scan.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_photos_album_state", "photos", ["album_id", "status", "deleted_at", "hidden_reason", "id"], unique=False
    )


def downgrade():
    op.drop_index("ix_photos_album_state", table_name="photos")
