"""consent and takedown: requests, tombstones, hidden photos (issue 10).

Reserved in the migration chain so that parallel work lands in a fixed order; a no-op until its
feature fills it.

Revision ID: 0005
Revises: 0004
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
