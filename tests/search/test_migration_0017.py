"""Migration 0017 on a database indexed before a document left out repeated parts, on SQLite and
PostgreSQL: every document is rewritten (the alt text that repeats the caption and the credit the
caption names are counted once), and the database's own index follows (FTS5, or the vectors)."""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from tests.consent.test_migration_0006 import seed
from tests.test_migrations import empty_database, migrated_app  # noqa: F401 - the fixtures

OLD = "panel o klastrach fot anna nowak panel o klastrach anna nowak a e"  # as 0016's code wrote it
NEW = "panel o klastrach fot anna nowak a e"


@pytest.fixture
def at_0016(migrated_app: Flask) -> Flask:  # noqa: F811 - the fixture
    flask_migrate.upgrade(revision="0016")
    return migrated_app


def matching(conn: sa.Connection, word: str) -> list[int]:
    if conn.dialect.name == "postgresql":
        statement = (
            "SELECT object_id FROM search_vectors WHERE kind = 'photo'"
            " AND vector @@ to_tsquery('simple', :w) ORDER BY object_id"
        )
    else:
        statement = (
            "SELECT d.object_id FROM search_fts JOIN search_documents d ON d.id = search_fts.rowid"
            " WHERE d.kind = 'photo' AND search_fts MATCH :w ORDER BY d.object_id"
        )
    return list(conn.scalars(sa.text(statement), {"w": word}))


def test_documents_written_before_are_rewritten_with_each_part_once(at_0016: Flask) -> None:
    with db.engine.begin() as conn:
        seed(conn)  # an event, two albums titled "A", three photos
        conn.execute(
            sa.text(
                "UPDATE photos SET caption = 'Panel o klastrach. Fot. Anna Nowak', alt_text = 'Panel o klastrach',"
                " credit = 'Anna Nowak' WHERE id = 1"
            )
        )
        # the document as the code before this migration wrote it (SQL bypasses the ORM's listener)
        conn.execute(
            sa.text("INSERT INTO search_documents (kind, object_id, event_id, text) VALUES ('photo', 1, 1, :old)"),
            {"old": OLD},
        )
        assert matching(conn, "klastrach") == [1]
        if conn.dialect.name == "postgresql":
            holds_twice = "SELECT count(*) FROM search_vectors WHERE repeats @@ to_tsquery('simple', 'panel:*')"
            assert conn.execute(sa.text(holds_twice)).scalar_one() == 1

    flask_migrate.upgrade(revision="0017")

    with db.engine.connect() as conn:
        texts = dict(conn.execute(sa.text("SELECT object_id, text FROM search_documents WHERE kind = 'photo'")).all())
        assert texts[1] == NEW
        assert set(texts) == {1, 2, 3}  # and the photos nobody had indexed are now
        assert matching(conn, "klastrach") == [1]
        assert matching(conn, "e") == [1, 2, 3]
        if conn.dialect.name == "postgresql":
            assert conn.execute(sa.text(holds_twice)).scalar_one() == 0

    flask_migrate.downgrade(revision="0016")  # leaves the documents as they are
    with db.engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT text FROM search_documents WHERE object_id = 1 AND kind = 'photo'")
            ).scalar_one()
            == NEW
        )
