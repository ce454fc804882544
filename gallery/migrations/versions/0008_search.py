"""full-text search indexes (issue 11).

The table ``search_documents`` (one folded text per photo, album, report and session) and, per
database, what indexes it (``gallery/search/models.py`` holds the statements, once, for this
migration and for ``create_all``): FTS5 with prefix indexes and sync triggers on SQLite; the
``unaccent`` extension (in ``public``), an IMMUTABLE wrapper, a generated ``tsvector`` column and a
GIN index on PostgreSQL.  Downgrading leaves the extension in place: other schemas of the database
may use it.  The documents of existing rows are built by ``0013``, which moved the vector to its own
table and added the documents' event: the index's code writes that layout, so it cannot run here.
The PostgreSQL statements of this revision are spelled out below, as they were.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from gallery.search import models as search

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The vector in the documents' table, as this revision made it (0013 moved it to its own table).
POSTGRESQL_CREATE = (
    "ALTER TABLE search_documents ADD COLUMN vector tsvector"
    f" GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, {search.UNACCENT_FUNCTION}(text))) STORED",
    *(
        f"CREATE INDEX ix_search_documents_vector_{kind} ON search_documents USING gin (vector) WHERE kind = '{kind}'"
        for kind in ("photo", "album", "report", "session")
    ),
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in search.POSTGRESQL_EXTENSION:
            op.execute(statement)
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("kind", "object_id", name="uq_search_documents_object"),
    )
    statements = {"sqlite": search.SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}.get(bind.dialect.name, ())
    for statement in statements:
        op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in search.SQLITE_DROP:
            op.execute(statement)
    op.drop_table("search_documents")
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {search.UNACCENT_FUNCTION}(text)")
