"""first photo live (issue 12).

Reserved in the migration chain so that parallel work lands in a fixed order; a no-op until its
feature fills it.

Revision ID: 0012
Revises: 0011
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
