from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.search import models as search
from gallery.search.models import SearchDocument, include_object


def test_the_database_indexes_the_text_its_own_way(app: Flask) -> None:
    db.session.add(SearchDocument(kind="photo", object_id=1, text="zolw na scenie"))
    db.session.commit()
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            found = conn.exec_driver_sql(f"SELECT rowid FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH 'zo*'")
        else:
            found = conn.exec_driver_sql(
                f"SELECT object_id FROM {search.VECTOR_TABLE} WHERE {search.VECTOR_COLUMN}"
                f" @@ to_tsquery('simple', {search.UNACCENT_FUNCTION}('zo:*'))"
            )
        assert found.scalar_one() == 1


def test_the_index_follows_updates_and_deletes(app: Flask) -> None:
    document = SearchDocument(kind="album", object_id=7, text="stary tytul")
    db.session.add(document)
    db.session.commit()
    document.text = "nowy tytul"
    db.session.commit()

    def matching(word: str) -> int:
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                sql = f"SELECT count(*) FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH '\"{word}\"'"
            else:
                sql = f"SELECT count(*) FROM {search.VECTOR_TABLE} WHERE vector @@ to_tsquery('simple', '{word}')"
            return int(conn.exec_driver_sql(sql).scalar_one())

    assert (matching("stary"), matching("nowy")) == (0, 1)
    db.session.delete(document)
    db.session.commit()
    assert matching("nowy") == 0


def test_postgresql_unaccent_wrapper_folds_polish_letters(app: Flask) -> None:
    with db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return
        folded = conn.exec_driver_sql(f"SELECT {search.UNACCENT_FUNCTION}('Żółw Łódź')").scalar_one()
        volatility = conn.exec_driver_sql(
            f"SELECT provolatile FROM pg_proc WHERE proname = '{search.UNACCENT_FUNCTION}'"
        ).scalar()
    assert folded == "Zolw Lodz"
    assert volatility == "i"  # IMMUTABLE: usable in a generated column and an index
    with db.engine.connect() as conn:
        definitions = dict(
            conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes"
                f" WHERE schemaname = current_schema() AND tablename = '{search.VECTOR_TABLE}'"
            ).all()
        )
    for name, kind in zip(search.VECTOR_INDEXES, search.KINDS, strict=True):
        assert "USING gin (vector)" in definitions[name] and f"= '{kind}'" in definitions[name]
    assert "(kind, event_id)" in definitions[search.VECTOR_EVENT_INDEX]


def test_postgresql_vectors_follow_the_documents_without_their_text(app: Flask) -> None:
    """The narrow table holds each document's kind, object, event and vector -- never the text --
    and follows inserts, updates (a document moved to another event) and deletes."""
    if db.engine.dialect.name != "postgresql":
        return
    documents = [
        SearchDocument(kind="photo", object_id=1, event_id=5, text="gala zolw"),
        SearchDocument(kind="album", object_id=1, event_id=5, text="gala"),
    ]
    db.session.add_all(documents)
    db.session.commit()

    def vectors() -> list[tuple[str, int, int | None, str]]:
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT kind, object_id, event_id, {search.VECTOR_COLUMN}::text FROM {search.VECTOR_TABLE}"
                " ORDER BY kind, object_id"
            )
            return [tuple(row) for row in rows]

    assert vectors() == [("album", 1, 5, "'gala':1"), ("photo", 1, 5, "'gala':1 'zolw':2")]
    with db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns(search.VECTOR_TABLE)}
    assert columns == {"kind", "object_id", "event_id", "vector", "repeats"}
    with db.engine.connect() as conn:
        repeats = conn.exec_driver_sql(
            f"SELECT {search.REPEATS_FUNCTION}(to_tsvector('simple', 'konferencja panel konferencji panel kot'))::text"
        ).scalar_one()
    assert repeats == "'ko' 'konferencj' 'panel'"  # repeated lexemes, neighbours' common prefixes
    documents[0].event_id = 6
    documents[0].text = "gala"
    db.session.commit()
    assert vectors() == [("album", 1, 5, "'gala':1"), ("photo", 1, 6, "'gala':1")]
    db.session.delete(documents[1])
    db.session.commit()
    assert vectors() == [("photo", 1, 6, "'gala':1")]


class _Obj:
    def __init__(self, table: str) -> None:
        self.table = sa.table(table)


def test_include_object_leaves_out_only_the_index_objects() -> None:
    assert not include_object(None, "search_fts", "table", True, None)
    assert not include_object(None, "search_fts_data", "table", True, None)
    assert not include_object(None, search.VECTOR_TABLE, "table", True, None)
    for name in (*search.VECTOR_INDEXES, search.VECTOR_EVENT_INDEX):
        assert not include_object(_Obj(search.VECTOR_TABLE), name, "index", True, None)
    # the same names elsewhere, and anything the models declare, are compared
    assert include_object(_Obj("photos"), "vector", "column", True, None)
    assert include_object(None, "search_documents", "table", True, None)
    assert include_object(None, "search_fts", "table", False, None)
    assert include_object(None, "photos", "table", True, object())
