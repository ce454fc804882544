"""event sessions and report translations (issue 11).

Reserved in the migration chain so that parallel work lands in a fixed order; a no-op until its
feature fills it.

Revision ID: 0007
Revises: 0006
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
