"""search: the sync trigger drops a changed document's vector by its primary key (issue 11/14).

PostgreSQL only.  The sync function of 0013/0015 deleted the old vectors with ``DELETE ...
USING old_rows``; with no estimate for the transition table the planner chose a hash join over
the whole ``search_vectors`` table, so every statement that changed documents scanned it: a
caption edit at a million photos cost seconds, and rebuilding the documents (``index.rebuild``: the
migrations, ``bench/seed.py``) grew with the square of the catalogue.  The function now deletes
each old document's vector by primary key.  Idempotent: a database made from the models after
this revision already has it.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

from gallery.search import models as search

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The sync function as 0015 made it, for the downgrade
_SYNC_0015 = (
    f"CREATE OR REPLACE FUNCTION {search.SYNC_FUNCTION}() RETURNS trigger LANGUAGE plpgsql"
    " SET search_path FROM CURRENT AS $$ BEGIN"
    " IF TG_OP IN ('DELETE', 'UPDATE') THEN DELETE FROM search_vectors v USING old_rows d"
    " WHERE v.kind = d.kind AND v.object_id = d.object_id; END IF;"
    " IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO search_vectors (kind, object_id, event_id, vector, repeats)"
    f" SELECT kind, object_id, event_id, v, {search.REPEATS_FUNCTION}(v) FROM (SELECT d.kind, d.object_id,"
    f" d.event_id, to_tsvector('simple'::regconfig, {search.UNACCENT_FUNCTION}(d.text)) AS v FROM new_rows d) AS d;"
    " END IF; RETURN NULL; END $$"
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(search.POSTGRESQL_SYNC)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SYNC_0015)
