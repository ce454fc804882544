"""resumable and direct uploads (issue 12).

Reserved in the migration chain so that parallel work lands in a fixed order; a no-op until its
feature fills it.

Revision ID: 0009
Revises: 0008
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
