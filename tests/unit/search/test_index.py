from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Report, ReportStatus
from gallery.schedule.models import EventSession
from gallery.search import index
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
