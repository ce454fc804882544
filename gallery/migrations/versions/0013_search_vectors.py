"""search: the vectors in a narrow table of their own, and each document's event (issue 11).

``search_documents.event_id``: the event a document belongs to (a photo's album's event, an
album's, a report's or a session's), so that a search filtered by event ranks that event's
documents only.  PostgreSQL: the generated ``vector`` column and its GIN indexes leave
``search_documents`` for ``search_vectors`` (kind, object id, event, vector; no text), kept in step
by statement triggers (``gallery/search/models.py`` holds the statements): ranking a broad word
reads every matching vector, and without the text beside it that is a third fewer pages.  Every
document is rebuilt here (which also fills the vectors).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from gallery.search import models as search

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KINDS = ("photo", "album", "report", "session")
# 0008's layout, for the downgrade
POSTGRESQL_0008 = (
    "ALTER TABLE search_documents ADD COLUMN vector tsvector"
    f" GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, {search.UNACCENT_FUNCTION}(text))) STORED",
    *(
        f"CREATE INDEX ix_search_documents_vector_{kind} ON search_documents USING gin (vector) WHERE kind = '{kind}'"
        for kind in KINDS
    ),
)


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        for kind in KINDS:
            op.execute(f"DROP INDEX IF EXISTS ix_search_documents_vector_{kind}")
        op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS vector")
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
    if postgresql:
        for statement in search.POSTGRESQL_EXTENSION + search.POSTGRESQL_CREATE:
            op.execute(statement)
    from gallery.search.index import rebuild

    rebuild(bind)


def downgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        for statement in search.POSTGRESQL_DROP:
            op.execute(statement)
    # not a batch: on SQLite that would copy the table and lose the FTS5 triggers (3.35+ drops a column)
    op.execute("ALTER TABLE search_documents DROP COLUMN event_id")
    if postgresql:
        for statement in POSTGRESQL_0008:
            op.execute(statement)
