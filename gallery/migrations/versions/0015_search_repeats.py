"""search: the repeats vector, so that a broad prefix word ranks only the documents holding it twice (issue 11).

PostgreSQL only.  ``search_vectors.repeats`` (``gallery_search_repeats(vector)``: each lexeme
that occurs more than once, and the common prefix of each pair of neighbouring lexemes), filled
by the sync trigger, with a partial GIN index for photos: ``gallery.search.ranking`` ranks a
one-prefix-word query in two tiers with it (``docs/search.md``).  Idempotent: a database created
from the models after this revision already has it.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

from gallery.search import models as search

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The sync function as 0013 made it, for the downgrade
_SYNC_0013 = (
    f"CREATE OR REPLACE FUNCTION {search.SYNC_FUNCTION}() RETURNS trigger LANGUAGE plpgsql"
    " SET search_path FROM CURRENT AS $$ BEGIN"
    " IF TG_OP IN ('DELETE', 'UPDATE') THEN DELETE FROM search_vectors v USING old_rows d"
    " WHERE v.kind = d.kind AND v.object_id = d.object_id; END IF;"
    " IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO search_vectors (kind, object_id, event_id, vector)"
    f" SELECT d.kind, d.object_id, d.event_id, to_tsvector('simple'::regconfig, {search.UNACCENT_FUNCTION}(d.text))"
    " FROM new_rows d; END IF;"
    " RETURN NULL; END $$"
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in search.POSTGRESQL_REPEATS:
        op.execute(statement)
    op.execute(f"ALTER TABLE {search.VECTOR_TABLE} ADD COLUMN IF NOT EXISTS {search.REPEATS_COLUMN} tsvector")
    op.execute(search.POSTGRESQL_SYNC)
    op.execute(
        f"UPDATE {search.VECTOR_TABLE} SET {search.REPEATS_COLUMN} = {search.REPEATS_FUNCTION}({search.VECTOR_COLUMN})"
        f" WHERE {search.REPEATS_COLUMN} IS NULL"
    )
    op.execute(f"ALTER TABLE {search.VECTOR_TABLE} ALTER COLUMN {search.REPEATS_COLUMN} SET NOT NULL")
    op.execute(search.POSTGRESQL_REPEATS_INDEX)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_SYNC_0013)
    op.execute(f"DROP INDEX IF EXISTS {search.REPEATS_INDEX}")
    op.execute(f"ALTER TABLE {search.VECTOR_TABLE} DROP COLUMN IF EXISTS {search.REPEATS_COLUMN}")
    op.execute(f"DROP FUNCTION IF EXISTS {search.REPEATS_FUNCTION}(tsvector)")
