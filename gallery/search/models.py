"""The search index's table, and the database objects that make it fast on each database.

``search_documents`` holds one row per searchable thing (a photo, an album, a report, a session):
its ``kind``, its id, the event it belongs to (``event_id``: a photo's album's event, an album's,
a report's or a session's event) and its searchable ``text``, folded by
:func:`gallery.search.fold.fold` (kept current by :mod:`gallery.search.index`).  Each database
indexes that text its own way, with objects the ORM does not model and that are created beside
the table (by ``create_all`` through the DDL events below, and by the migrations ``0008_search``
and ``0013_search_vectors``):

* **SQLite**: an FTS5 table ``search_fts`` over the column (external content, no second copy of
  the text), with prefix indexes of 2-4 characters, kept in step by three triggers;
* **PostgreSQL**: the ``unaccent`` extension (created in ``public``, called schema-qualified, so
  that every schema of the database shares it), an IMMUTABLE wrapper
  ``gallery_search_unaccent(text)`` in the schema of the table, and a narrow table
  ``search_vectors`` -- ``kind``, ``object_id``, ``event_id`` and ``vector`` =
  ``to_tsvector('simple', gallery_search_unaccent(text))``, without the text -- kept in step by
  statement triggers, with a partial GIN index on the vector per kind (finding the albums that
  match a word does not walk the photos that do) and an index on the event.  Ranking a broad
  word reads every matching vector; apart from the text, that is a third fewer pages to read.

:data:`DATABASE_OBJECTS` names them, so that comparing the models with the migrated schema
(``gallery.search.schema.include_object``) leaves them out on purpose, not by accident.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gallery.models import Model

FTS_TABLE = "search_fts"
VECTOR_TABLE = "search_vectors"
VECTOR_COLUMN = "vector"
VECTOR_INDEX = "ix_search_vectors"  # one partial GIN index per kind: <VECTOR_INDEX>_<kind>
VECTOR_EVENT_INDEX = "ix_search_vectors_event"
KINDS = ("photo", "album", "report", "session")
VECTOR_INDEXES = tuple(f"{VECTOR_INDEX}_{kind}" for kind in KINDS)
UNACCENT_FUNCTION = "gallery_search_unaccent"
SYNC_FUNCTION = "gallery_search_vectors_sync"
REPEATS_COLUMN = "repeats"
REPEATS_FUNCTION = "gallery_search_repeats"
REPEATS_INDEX = "ix_search_vectors_repeats_photo"
SYNC_TRIGGERS = ("search_documents_vectors_ai", "search_documents_vectors_ad", "search_documents_vectors_au")

#: Names of the database-specific objects that belong to the index (see the module's note).
DATABASE_OBJECTS = frozenset(
    {
        FTS_TABLE,
        *(f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")),
        VECTOR_TABLE,
        VECTOR_COLUMN,
        *VECTOR_INDEXES,
        VECTOR_EVENT_INDEX,
        REPEATS_INDEX,
        f"pk_{VECTOR_TABLE}",
    }
)


class SearchDocument(Model):
    """One searchable thing: ``kind`` (``photo``, ``album``, ``report``, ``session``) and its id,
    the event it belongs to, and its searchable text, folded."""

    __tablename__ = "search_documents"
    __table_args__ = (sa.UniqueConstraint("kind", "object_id", name="uq_search_documents_object"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    object_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    event_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)  # derived, like the text: no key
    text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    def __repr__(self) -> str:
        return f"<SearchDocument {self.kind} {self.object_id}>"


# --- the objects beside the table, per database -------------------------------------------------------

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, content='search_documents', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 0', prefix='2 3 4')",
    f"CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN"
    f" INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN"
    f" INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN"
    f" INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text);"
    f" INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
)
SQLITE_DROP = (f"DROP TABLE IF EXISTS {FTS_TABLE}",)  # the triggers go with search_documents

# One server, many schemas (tests give each process its own): the extension is created once, in
# ``public``, under a lock so that two schemas being created at once do not race for it.
POSTGRESQL_EXTENSION = (
    "SELECT pg_advisory_xact_lock(hashtext('gallery: create extension unaccent'))",
    "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
    f"CREATE OR REPLACE FUNCTION {UNACCENT_FUNCTION}(text) RETURNS text"
    " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE"
    " AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$",
)
_VECTOR = f"to_tsvector('simple'::regconfig, {UNACCENT_FUNCTION}(d.text))"


def _add_vectors(documents: str) -> str:
    return (
        f"INSERT INTO {VECTOR_TABLE} (kind, object_id, event_id, {VECTOR_COLUMN}, {REPEATS_COLUMN})"
        f" SELECT kind, object_id, event_id, v, {REPEATS_FUNCTION}(v)"
        f" FROM (SELECT d.kind, d.object_id, d.event_id, {_VECTOR} AS v FROM {documents} d) AS d"
    )


_ADD_VECTORS = _add_vectors("new_rows")
#: Every document's vector in one statement, the sync triggers' own expression (the bulk rebuild of
#: :func:`gallery.search.index.rebuild`, with the triggers off: the same rows as the triggers make).
POSTGRESQL_FILL = _add_vectors("search_documents")
# What a prefix must match for a document to hold it twice (``ts_rank`` above its minimum, see
# :mod:`gallery.search.ranking`; migration 0015): each lexeme that occurs more than once, and the longest common prefix
# of each pair of neighbouring lexemes in byte order (two lexemes start with ``p`` exactly when
# some neighbouring pair's common prefix does: the lexemes starting with ``p`` are neighbours).
POSTGRESQL_REPEATS = (
    f"CREATE OR REPLACE FUNCTION {REPEATS_FUNCTION}(v tsvector) RETURNS tsvector"
    " LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$"
    " DECLARE previous text; word text; occurrences int; n int; found text[] := '{}'; BEGIN"
    " FOR word, occurrences IN SELECT u.lexeme, coalesce(array_length(u.positions, 1), 1)"
    ' FROM unnest(v) AS u ORDER BY u.lexeme COLLATE "C" LOOP'
    " IF occurrences > 1 THEN found := found || word; END IF;"
    " IF previous IS NOT NULL THEN n := 0;"
    " WHILE n < least(length(previous), length(word)) AND substr(previous, n + 1, 1) = substr(word, n + 1, 1)"
    " LOOP n := n + 1; END LOOP;"
    " IF n > 0 THEN found := found || left(word, n); END IF; END IF;"
    " previous := word; END LOOP;"
    " RETURN array_to_tsvector(found); END $$",
)
# One primary-key lookup per old document.  A join with the transition table (``DELETE ... USING
# old_rows``) left the plan to estimates the planner does not have for ``old_rows``: it chose a hash
# join over the whole ``search_vectors`` table, a full scan per statement -- rebuilding 1,000,000
# photos' documents in batches of 1,000 took seconds per batch and grew with the table, and so did
# every caption edit at that size.
_DROP_VECTORS = (
    "FOR gone_kind, gone_id IN SELECT d.kind, d.object_id FROM old_rows d LOOP"
    f" DELETE FROM {VECTOR_TABLE} WHERE kind = gone_kind AND object_id = gone_id; END LOOP"
)
# Statement triggers with transition tables: one INSERT ... SELECT per batch of documents.
# ``SET search_path FROM CURRENT``: the tables of the schema the function was created in.
POSTGRESQL_SYNC = (
    f"CREATE OR REPLACE FUNCTION {SYNC_FUNCTION}() RETURNS trigger LANGUAGE plpgsql"
    f" SET search_path FROM CURRENT AS $$ DECLARE gone_kind varchar; gone_id integer; BEGIN"
    f" IF TG_OP IN ('DELETE', 'UPDATE') THEN {_DROP_VECTORS}; END IF;"
    f" IF TG_OP IN ('INSERT', 'UPDATE') THEN {_ADD_VECTORS}; END IF;"
    f" RETURN NULL; END $$"
)
POSTGRESQL_REPEATS_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {REPEATS_INDEX} ON {VECTOR_TABLE} USING gin ({REPEATS_COLUMN}) WHERE kind = 'photo'"
)
# The GIN indexes, per kind for the vector, so that finding albums does not walk the postings of
# every matching photo.  A bulk rebuild into an empty table drops them and makes them again after
# the load: a GIN index built at once is far cheaper than one grown row by row.
POSTGRESQL_GIN_INDEXES = (
    *(
        f"CREATE INDEX {name} ON {VECTOR_TABLE} USING gin ({VECTOR_COLUMN}) WHERE kind = '{kind}'"
        for name, kind in zip(VECTOR_INDEXES, KINDS, strict=True)
    ),
    POSTGRESQL_REPEATS_INDEX,
)
GIN_INDEXES = (*VECTOR_INDEXES, REPEATS_INDEX)
POSTGRESQL_CREATE = (
    *POSTGRESQL_REPEATS,
    f"CREATE TABLE {VECTOR_TABLE} (kind varchar(16) NOT NULL, object_id integer NOT NULL, event_id integer,"
    f" {VECTOR_COLUMN} tsvector NOT NULL, {REPEATS_COLUMN} tsvector NOT NULL,"
    f" CONSTRAINT pk_{VECTOR_TABLE} PRIMARY KEY (kind, object_id))",
    *POSTGRESQL_GIN_INDEXES[:-1],
    f"CREATE INDEX {VECTOR_EVENT_INDEX} ON {VECTOR_TABLE} (kind, event_id)",
    POSTGRESQL_GIN_INDEXES[-1],
    POSTGRESQL_SYNC,
    f"CREATE TRIGGER {SYNC_TRIGGERS[0]} AFTER INSERT ON search_documents REFERENCING NEW TABLE AS new_rows"
    f" FOR EACH STATEMENT EXECUTE FUNCTION {SYNC_FUNCTION}()",
    f"CREATE TRIGGER {SYNC_TRIGGERS[1]} AFTER DELETE ON search_documents REFERENCING OLD TABLE AS old_rows"
    f" FOR EACH STATEMENT EXECUTE FUNCTION {SYNC_FUNCTION}()",
    f"CREATE TRIGGER {SYNC_TRIGGERS[2]} AFTER UPDATE ON search_documents"
    f" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {SYNC_FUNCTION}()",
)
# A bulk rebuild turns the sync triggers off and on again within its transaction (ALTER TABLE is
# transactional; its lock makes writers of documents wait for the rebuild's commit, readers do not).
POSTGRESQL_SYNC_OFF = tuple(f"ALTER TABLE search_documents DISABLE TRIGGER {name}" for name in SYNC_TRIGGERS)
POSTGRESQL_SYNC_ON = tuple(f"ALTER TABLE search_documents ENABLE TRIGGER {name}" for name in SYNC_TRIGGERS)
POSTGRESQL_DROP = (
    *(f"DROP TRIGGER IF EXISTS {name} ON search_documents" for name in SYNC_TRIGGERS),
    f"DROP FUNCTION IF EXISTS {SYNC_FUNCTION}()",
    f"DROP TABLE IF EXISTS {VECTOR_TABLE}",
    f"DROP FUNCTION IF EXISTS {REPEATS_FUNCTION}(tsvector)",
)


def _before_create(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    if connection.dialect.name == "postgresql":
        for statement in POSTGRESQL_EXTENSION:
            connection.exec_driver_sql(statement)


def _after_create(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}.get(connection.dialect.name, ())
    for statement in statements:
        connection.exec_driver_sql(statement)


def _after_drop(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    # PostgreSQL: the triggers went with the table; their function and the vectors stay behind
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP[-3:]}.get(connection.dialect.name, ())
    for statement in statements:
        connection.exec_driver_sql(statement)


sa.event.listen(SearchDocument.__table__, "before_create", _before_create)
sa.event.listen(SearchDocument.__table__, "after_create", _after_create)
sa.event.listen(SearchDocument.__table__, "after_drop", _after_drop)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's ``include_object`` hook: leave the index's database-specific objects
    (:data:`DATABASE_OBJECTS`, found in the database but not in the models) out of comparisons
    between the models and the migrated schema; everything else is compared."""
    if not reflected or compare_to is not None or name not in DATABASE_OBJECTS:
        return True
    if type_ == "table":
        return False
    table = getattr(getattr(obj, "table", None), "name", None)
    return table not in (SearchDocument.__tablename__, VECTOR_TABLE)
