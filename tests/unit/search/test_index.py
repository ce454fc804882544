from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Report, ReportStatus
from gallery.schedule.models import EventSession
from gallery.search import index
from gallery.search import models as search
from gallery.search.models import SearchDocument
from tests.search.conftest import make_album, make_event, make_photo


def documents() -> dict[tuple[str, int], str]:
    db.session.expire_all()
    return {(d.kind, d.object_id): d.text for d in db.session.scalars(select(SearchDocument))}


def test_texts_are_folded_and_cover_every_field() -> None:
    class Row:
        caption, alt_text, credit, title = "Żółw", "Zdjęcie", "Anna Łęcka", ""
        keywords = ("Scena", "ŁÓDŹ")
        camera_make, camera_model = "Canon", "EOS R5"

    class Titled:
        title, description = "Otwarcie", "Dzień pierwszy"

    class Event:
        title, description = "Forum Klastrów", "Kraków"

    assert index.album_text(Titled, Event) == "otwarcie dzien pierwszy forum klastrow krakow"
    assert index.photo_text(Row, Titled, Event) == (  # descriptions are in the album's document
        "zolw zdjecie anna lecka scena lodz canon eos r5 otwarcie forum klastrow"
    )
    # an event that says what the album says is counted once (folded_text leaves out repeated parts)
    assert index.album_text(Titled, Titled) == "otwarcie dzien pierwszy"


def test_flushes_keep_documents_current(app: Flask) -> None:
    event = make_event()
    album = make_album("gala", title="Gala wieczorna")
    photo = make_photo(album, "Żółw na scenie", credit="Anna Łęcka", keywords=["taniec"])
    docs = documents()
    assert docs[("album", album.id)] == "gala wieczorna kongres klastrow 2024"
    assert docs[("photo", photo.id)].startswith("zolw na scenie anna lecka taniec gala wieczorna")

    photo.caption = "Orkiestra"
    db.session.commit()
    assert documents()[("photo", photo.id)].startswith("orkiestra anna lecka")

    album.title = "Koncert"
    db.session.commit()
    docs = documents()
    assert docs[("album", album.id)].startswith("koncert")
    assert "koncert" in docs[("photo", photo.id)].split()

    event.title = "Forum Ślężańskie"
    db.session.commit()
    docs = documents()
    assert docs[("album", album.id)].endswith("forum slezanskie")
    assert docs[("photo", photo.id)].split()[-2:] != ["kongres", "klastrow"]
    assert "slezanskie" in docs[("photo", photo.id)].split()

    other = make_album("inne", title="Inne")
    photo.album_id = other.id
    db.session.commit()
    assert "inne" in documents()[("photo", photo.id)].split()

    db.session.delete(photo)
    db.session.commit()
    assert ("photo", photo.id) not in documents()


def test_reports_and_sessions(app: Flask) -> None:
    event = make_event()
    report = Report(
        event_id=event.id,
        slug="r",
        title="Podpisanie deklaracji",
        body="**Komisarz** przemawia",
        status=ReportStatus.published,
    )
    session = EventSession(
        event_id=event.id,
        slug="panel",
        title="Panel umiejętności",
        starts_at=datetime(2024, 5, 7, 9, tzinfo=UTC),
        ends_at=datetime(2024, 5, 7, 10, tzinfo=UTC),
        room="Sala Złota",
        speakers=["Jan Żak", "Ewa Łoś"],
    )
    db.session.add_all([report, session])
    db.session.commit()
    docs = documents()
    assert docs[("report", report.id)] == "podpisanie deklaracji komisarz przemawia"
    assert docs[("session", session.id)] == "panel umiejetnosci jan zak ewa los sala zlota"


def test_rebuild_rewrites_everything(app: Flask) -> None:
    album = make_album("gala")
    photo = make_photo(album, "Żółw")
    with db.engine.begin() as conn:
        conn.execute(SearchDocument.__table__.delete())
        conn.execute(SearchDocument.__table__.insert(), [{"kind": "photo", "object_id": 999, "text": "stale"}])
    with db.engine.begin() as conn:
        index.rebuild(conn)
    docs = documents()
    assert ("photo", 999) not in docs
    assert docs[("photo", photo.id)].startswith("zolw")
    assert ("album", album.id) in docs


def _postgresql_index() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], dict[str, str], set[str]]:
    """PostgreSQL's whole index: the documents (without their ids), the vectors, the indexes of the
    vectors' table and the sync triggers that are on."""
    with db.engine.connect() as conn:
        docs = conn.exec_driver_sql("SELECT kind, object_id, event_id, text FROM search_documents ORDER BY 1, 2").all()
        vectors = conn.exec_driver_sql(
            f"SELECT kind, object_id, event_id, {search.VECTOR_COLUMN}::text, {search.REPEATS_COLUMN}::text"
            f" FROM {search.VECTOR_TABLE} ORDER BY 1, 2"
        ).all()
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes"
            f" WHERE schemaname = current_schema() AND tablename = '{search.VECTOR_TABLE}'"
        ).all()
        triggers = conn.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'search_documents'::regclass AND tgenabled = 'O'"
        ).scalars()
        return [tuple(r) for r in docs], [tuple(r) for r in vectors], dict(indexes), set(triggers)


def test_postgresql_rebuild_in_bulk_writes_what_the_sync_triggers_write(app: Flask) -> None:
    """The bulk rebuild (COPY with the triggers off, every vector in one statement, the GIN indexes
    made after the load into an empty index) leaves the very rows that writing each document
    through the sync triggers leaves: over a full index and into an empty one; and the triggers
    are on again afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's vectors")
    event = make_event()
    other = make_event("forum", title="Forum Ślężańskie — Żółw, ŁÓDŹ")
    gala = make_album("gala", title="Gala wieczorna", description="Koncert koncert koncertowy")
    make_album("pusty", event=other, title="Łódź łódź ŁÓDŹ", description="")
    captions = [
        "Żółw morski na wystawie ekologicznej",
        "Panel panel panele panelowy: konferencja, konferencji, konferencjach",
        "",
        "Q&A with the speakers — Keynote by the Commissioner on cluster policy",
        "a a a b bb bbb abc abd",
        "Wręczenie nagród; Fot. Łukasz Kamiński",
    ]
    for n, caption in enumerate(captions):
        make_photo(gala, caption, credit=["Anna Nowak", "", "Zofia Lewandowska"][n % 3], keywords=["klaster", "x"])
    db.session.add(Report(event_id=event.id, slug="r", title="Deklaracja", body="**Komisarz** deklaruje deklaracje"))
    db.session.commit()
    by_triggers = _postgresql_index()
    assert len(by_triggers[0]) == len(by_triggers[1]) == 2 + 6 + 1
    assert len(by_triggers[3]) == len(search.SYNC_TRIGGERS)

    with db.engine.begin() as conn:  # over a full index: the indexes stay
        index.rebuild(conn)
    assert _postgresql_index() == by_triggers

    with db.engine.begin() as conn:
        conn.execute(SearchDocument.__table__.delete())  # the triggers empty the vectors too
    assert _postgresql_index()[:2] == ([], [])
    with db.engine.begin() as conn:  # into an empty index: the GIN indexes made again after the load
        index.rebuild(conn)
    assert _postgresql_index() == by_triggers

    photo = make_photo(gala, "Nowy podpis")  # the triggers are on again
    assert ("photo", photo.id) in {row[:2] for row in _postgresql_index()[1]}
