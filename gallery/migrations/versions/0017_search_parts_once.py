"""search: every document rewritten, so that a part another part already says counts once (issue 14).

Since this release a document leaves out alt text that repeats the caption, a credit
the caption names, the event title inside the album title, a camera make inside its model
(:func:`gallery.search.fold.folded_text`).  Documents written before it still count such words
twice: they match the same searches, but rank above photos indexed since, and a broad prefix word
must rank every one of them (at a million photos, `komisarz` ranked 50,146 photos in 205 ms
instead of reading 204 in 3 ms).  So the index is rebuilt here, in bulk on PostgreSQL
(:func:`gallery.search.index.rebuild`: about 2.5 minutes at a million photos on two cores).  The
downgrade leaves the documents as they are: the older code reads them the same way.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    from gallery.search.index import rebuild

    rebuild(op.get_bind())


def downgrade():
    pass
