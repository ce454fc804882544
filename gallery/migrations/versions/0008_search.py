"""full-text search indexes (issue 11).

Reserved in the migration chain so that parallel work lands in a fixed order; a no-op until its
feature fills it.

Revision ID: 0008
Revises: 0007
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
