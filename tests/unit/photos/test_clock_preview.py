"""gallery.photos.clock_preview: what a camera clock correction would do to each album's order
(the corrected camera's photos among their neighbours, numbers before and after), changing
nothing; without HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.models import Album, ClockCorrection, Event, Photo, SortMode, TakenAtSource
from gallery.photos.clock import Camera
from gallery.photos.clock_preview import AlbumReorder, OrderRow, clock_preview
from tests.web.helpers import make_album, make_event

T0 = datetime(2024, 5, 7, 7, 0, tzinfo=UTC)  # 09:00 in Brussels
NIKON = Camera("NIKON CORPORATION", "NIKON Z 6_2")
NIKON_CAMERA = (NIKON.make, NIKON.model)


def _photo(album: Album, minutes: int, camera: tuple[str, str] = ("Canon", "EOS R6"), serial: str = "") -> int:
    n = db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) or 0
    sha = hashlib.sha256(f"preview-{n}".encode()).hexdigest()
    photo = Photo(
        album_id=album.id,
        sha256=sha,
        original_key=f"originals/{sha}",
        original_filename=f"IMG_{n + 1}.jpg",
        content_type="image/jpeg",
        size=1,
        width=3,
        height=2,
        taken_at=T0 + timedelta(minutes=minutes),
        taken_at_offset_minutes=120,
        taken_at_source=TakenAtSource.exif_original,
        taken_at_flags="offset_from_exif",
        camera_make=camera[0],
        camera_model=camera[1],
        camera_serial=serial or None,
    )
    db.session.add(photo)
    db.session.commit()
    return photo.id


@pytest.fixture
def event(app: Flask) -> Event:
    return make_event(db.session, "clock-event")


def _ids(preview: AlbumReorder) -> list[int | None]:
    return [row.photo_id if row else None for row in preview.rows]


def test_the_corrected_camera_moves_among_its_neighbours(event: Event) -> None:
    album = make_album(db.session, event, "main")
    untouched = make_album(db.session, event, "canon-only")
    c0, n5, c10, n15, c20 = (
        _photo(album, 0),
        _photo(album, 5, NIKON_CAMERA),
        _photo(album, 10),
        _photo(album, 15, NIKON_CAMERA),
        _photo(album, 20),
    )
    _photo(untouched, 1)
    (preview,) = clock_preview(db.session, event, NIKON, timedelta(minutes=12))
    assert preview.album.slug == "main" and not preview.manual
    assert preview.affected == 2 and preview.moved == 4  # only the first photo keeps its number
    assert _ids(preview) == [c0, c10, n5, c20, n15]  # the order after the correction, all within reach
    moved = next(row for row in preview.rows if row and row.photo_id == n5)
    assert moved == OrderRow(
        photo_id=n5,
        filename=moved.filename,
        affected=True,
        before_number=2,
        after_number=3,
        before=T0 + timedelta(minutes=5),
        after=T0 + timedelta(minutes=17),
    )
    narrow = clock_preview(db.session, event, NIKON, timedelta(minutes=12), context=0)[0]
    assert _ids(narrow) == [None, n5, None, n15]  # "…" where photos are left out
    photo = db.session.get(Photo, n5)
    assert photo is not None and photo.taken_at == T0 + timedelta(minutes=5)  # nothing changed


def test_a_model_alone_names_the_camera_and_manual_albums_keep_their_order(event: Event) -> None:
    album = make_album(db.session, event, "manual", sort_mode="manual")
    first, second = _photo(album, 0, NIKON_CAMERA), _photo(album, 5)
    for position, photo_id in enumerate((first, second)):
        photo = db.session.get(Photo, photo_id)
        assert photo is not None
        photo.position = position
    db.session.commit()
    (preview,) = clock_preview(db.session, event, Camera("", NIKON.model), timedelta(minutes=30))
    assert preview.manual and preview.album.sort_mode == SortMode.manual
    assert preview.moved == 0 and _ids(preview) == [first, second]


def test_a_body_with_its_own_correction_is_left_alone(event: Event) -> None:
    album = make_album(db.session, event, "main")
    general, own = _photo(album, 0, NIKON_CAMERA, serial="A1"), _photo(album, 5, NIKON_CAMERA, serial="B2")
    db.session.add(
        ClockCorrection(
            event_id=event.id, camera_make=NIKON.make, camera_model=NIKON.model, camera_serial="B2", offset_seconds=60
        )
    )
    db.session.commit()
    (preview,) = clock_preview(db.session, event, NIKON, timedelta(hours=1))
    affected = [row.photo_id for row in preview.rows if row and row.affected]
    assert affected == [general] and own in _ids(preview)
    assert clock_preview(db.session, event, Camera("Sony", "A7"), timedelta(hours=1)) == []
